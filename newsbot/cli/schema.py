"""`newsbot schema`: print, check or rewrite the shipped item JSON Schema."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from newsbot.item import SCHEMA_RESOURCE, generate_schema, schema_text


def run(args: argparse.Namespace) -> int:
    """Print the item's JSON Schema. Or check that the shipped one is the item class's, or rewrite it."""
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
