"""The `newsbot` command's entry point: one subcommand per module of newsbot.cli."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

import newsbot.cli.check as check
import newsbot.cli.demo as demo
import newsbot.cli.parse as parse
import newsbot.cli.schema as schema
import newsbot.cli.state as state

_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "parse": parse.run,
    "demo": demo.run,
    "check": check.run_check,
    "schema": schema.run,
    "state": state.run,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Parse saved pages, run the offline demo, check the live sites, and manage the "
        "item schema and the seen-articles store.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    parse.add_parser(commands)
    demo.add_parser(commands)
    check.add_check_parser(commands)
    schema.add_parser(commands)
    state.add_parser(commands)
    args = parser.parse_args(argv)
    return _COMMANDS[args.command](args)
