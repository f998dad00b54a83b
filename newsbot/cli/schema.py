"""`newsbot schema`: print, check or rewrite the shipped item JSON Schema."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from newsbot.item import SCHEMA_RESOURCE, generate_schema, schema_text


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema",
        help="print, check or rewrite the shipped item JSON Schema",
        description="Print the JSON Schema of the item, check that the shipped one is the item "
        "class's, or rewrite it.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite the shipped schema from the item class")
    group.add_argument("--check", action="store_true", help="exit 1 when the shipped schema is stale")
    return parser


def run(args: argparse.Namespace) -> int:
    text = schema_text(generate_schema())
    target = Path(str(resources.files("newsbot").joinpath(SCHEMA_RESOURCE)))
    if args.write:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
    elif args.check and target.read_text(encoding="utf-8") != text:
        print(f"{target} is stale: run `newsbot schema --write`", file=sys.stderr)
        return 1
    elif not args.check:
        sys.stdout.write(text)
    return 0
