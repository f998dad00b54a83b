"""The `newsbot` command's entry point: one subcommand per module of newsbot.cli."""

from __future__ import annotations

import argparse
import importlib.metadata
import sys
from collections.abc import Sequence

from scrapy.exceptions import UsageError

from newsbot.cli import CommandError, backfill, check, dataset, demo, parse, rebuild, schema, sections, state

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Parse saved pages, run the offline demo, check the live sites, manage the "
        "item schema and the seen-articles store, compact the deliveries into one dataset, rebuild "
        "items from archived pages and import others'.",
    )
    version = f"%(prog)s {importlib.metadata.version('newsbot')}"
    parser.add_argument("--version", action="version", version=version)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in (parse, demo, check, schema, state, sections, dataset, rebuild, backfill):
        command.add_parser(subparsers).set_defaults(run=command.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except (CommandError, UsageError) as error:  # UsageError: the spider arguments' rules, as a crawl's
        print(f"newsbot {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    return status
