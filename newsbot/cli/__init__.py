"""The `newsbot` command (newsbot.cli.main): one module per subcommand, each with `add_parser` and
`run`: parse, demo, check, schema, state, sections, dataset, rebuild, backfill (`newsbot
import`). Scrapy's commands are in newsbot.cli.commands."""

from __future__ import annotations

import argparse
import os
import sys

from newsbot.mirror import mirror_from_option
from newsbot.registry import Site, load_registry


class CommandError(Exception):
    """The command cannot run as asked (a misuse, an unknown site, an unusable store): main prints
    `newsbot <command>: <message>`, one line on stderr, and exits with status 2."""


def site_named(name: str) -> Site:
    """The registry's site of that short name or host."""
    try:
        return load_registry().site(name)
    except KeyError as error:
        raise CommandError(error.args[0]) from None


def mirror_option(option: str | None) -> str:
    """`--mirror`, else the NEWSBOT_MIRROR environment variable, as a URL ("" for the live sites)."""
    try:
        return mirror_from_option(option)
    except ValueError as error:
        raise CommandError(str(error)) from None


def add_site_options(parser: argparse.ArgumentParser, sites_note: str, verb: str, instead_of: str) -> None:
    """The SITE names, `--mirror` and `--json` of `newsbot check` and `newsbot sections`."""
    parser.add_argument("sites", nargs="*", metavar="SITE", help=f"site short names{sites_note}")
    parser.add_argument(
        "--mirror",
        default=None,
        help=f"{verb} a saved copy instead of the live sites: http(s):// or file:// URL, or a folder "
        "(default: the NEWSBOT_MIRROR environment variable; empty: the live sites)",
    )
    json_help = f"print one JSON document instead of {instead_of}"
    parser.add_argument("--json", action="store_true", help=json_help)


def write_stdout(text: str) -> bool:
    """Write and flush; False when the reader (`head`, say) has gone, which is not an error of ours.
    stdout then points at /dev/null, so that the interpreter's last flush does not fail again."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
        return True
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return False
