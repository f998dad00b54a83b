"""`newsbot schema`: print, check or rewrite the shipped item JSON Schema."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from newsbot.item import SCHEMA_RESOURCE, generate_schema, schema_text


def add_parser(commands: Any) -> None:
    schema = commands.add_parser("schema", help="print, check or rewrite the shipped item JSON Schema")
    group = schema.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite the shipped schema from the item class")
    group.add_argument("--check", action="store_true", help="exit 1 when the shipped schema is stale")


def run(args: argparse.Namespace) -> int:
    return _schema(write=args.write, check=args.check)


def _schema(*, write: bool, check: bool) -> int:
    text = schema_text(generate_schema())
    target = Path(str(resources.files("newsbot").joinpath(SCHEMA_RESOURCE)))
    if write:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
        return 0
    if check:
        if target.read_text(encoding="utf-8") != text:
            print(f"{target} is stale: run `newsbot schema --write`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0
