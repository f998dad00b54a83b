"""The `newsbot` command's arguments, in one parser; each subcommand's `run` is in a module of newsbot.cli."""

from __future__ import annotations

import argparse
import importlib.metadata
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from scrapy.exceptions import UsageError

from newsbot.cli import CommandError, check, dataset, demo, parse, schema, sections, state, warcs
from newsbot.spiders.args import POSITIVE_INT_EXPECTED, positive_int

EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        # One line, as every usage error of newsbot's (argparse prints its usage text first).
        self.exit(EXIT_USAGE, f"{self.prog}: {message}; see `{self.prog} --help`\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="newsbot", description="newsbot's own commands; `scrapy crawl SITE` crawls.")
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {importlib.metadata.version('newsbot')}"
    )
    commands = parser.add_subparsers(dest="command", required=True)

    def command(name: str, run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        # The description is the docstring of the command's `run`; the help line its first sentence.
        description = inspect.cleandoc(run.__doc__ or "")
        sub = commands.add_parser(name, help=description.split(". ")[0], description=description)
        sub.set_defaults(run=run)
        return sub

    sub = command("parse", parse.run)
    sub.add_argument("files", nargs="+", type=Path, metavar="FILE", help="saved article pages or feeds")
    sub.add_argument("--url", help="the page's real URL (default: its og:url, or its wget --mirror path)")

    sub = command("demo", demo.run)
    sub.add_argument("--out", type=Path, default=Path("newsbot-demo"), help="folder for the JSON Lines")
    sub.add_argument("--snapshot", type=Path, help="the snapshot folder (default: tests/site)")

    for name, run, every in (
        ("sections", sections.run, "every site"),
        ("check", check.run, "every site that declares sections"),
    ):
        sub = command(name, run)
        sub.add_argument("sites", nargs="*", metavar="SITE", help=f"e.g. spacewar (default: {every})")
        mirror = "a saved copy, not the live sites: http(s):// or file:// URL, or a folder"
        sub.add_argument("--mirror", help=f"{mirror} (default: NEWSBOT_MIRROR)")
        sub.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    slugs = "comma list of slugs or labels, or all (default: the declared ones, else the navigation's)"
    sub.add_argument("--sections", help=slugs)
    articles = "articles fetched per site (default: %(default)s)"
    sub.add_argument("--articles", type=_positive_int, default=10, metavar="N", help=articles)

    command("schema", schema.run)

    sub = command("state", state.run)
    sub.add_argument("--path", type=Path, help="the store (default: NEWSBOT_STATE or its default)")
    sub.add_argument("--json", action="store_true", help="print the summary as JSON")
    forget = sub.add_mutually_exclusive_group()
    forget.add_argument("--forget-site", metavar="SITE", help="forget every article of a site (name or host)")
    section = "forget a section, by slug or label (with --site, or --all-sites for every site)"
    forget.add_argument("--forget-section", metavar="NAME", help=section)
    forget.add_argument("--forget-all", action="store_true", help="forget everything")
    yes = "forget without asking (needed without a terminal: cron, scripts)"
    sub.add_argument("--yes", action="store_true", help=yes)
    sub.add_argument("--site", help="with --forget-section: only this site")
    sub.add_argument("--all-sites", action="store_true", help="with --forget-section: of every site")
    sub.add_argument("--redis", metavar="URL", help="a cluster's store in Redis (its NEWSBOT_REDIS_URL)")

    sub = command("dataset", dataset.run)
    sub.add_argument("out", type=Path, metavar="OUT", help="the dataset folder, made or replaced")
    inputs = "finished deliveries (*.jsonl) or folders of them (default: the folder of NEWSBOT_OUTPUT)"
    sub.add_argument("inputs", nargs="*", type=Path, metavar="DELIVERY_OR_FOLDER", help=inputs)

    for name, run in (("rebuild", warcs.rebuild), ("import", warcs.backfill)):
        sub = command(name, run)
        sub.add_argument("warcs", nargs="+", type=Path, metavar="WARC", help="WARC files (.warc or .warc.gz)")
        out = f"the new delivery, a *.jsonl, -2 if taken (default: {name}-<time>.jsonl in output/)"
        sub.add_argument("--out", type=Path, help=out)
        sub.add_argument("--state", type=Path, help="the store (default: NEWSBOT_STATE or its default)")
        if name == "rebuild":
            against = "the earlier items to compare with: a delivery, or a folder of them (default: output/)"
            sub.add_argument("--against", type=Path, metavar="FILE_OR_FOLDER", help=against)
    return parser


def _positive_int(value: str) -> int:
    """`check --articles`, by the spider arguments' rule (which gives None only for None)."""
    try:
        return positive_int(value) or 0
    except ValueError:
        raise argparse.ArgumentTypeError(f"{POSITIVE_INT_EXPECTED}, got {value!r}") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except (CommandError, UsageError) as error:  # UsageError: the spider arguments' rules, as a crawl's
        print(f"newsbot {args.command}: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader (`head`) went away having read what it wanted: no error of ours. stdout goes to
        # /dev/null, so that the interpreter's last flush does not fail.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return status
