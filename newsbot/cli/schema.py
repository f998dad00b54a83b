"""`newsbot schema`: the item's JSON Schema, as newsbot/schema/article.schema.json ships it."""

from __future__ import annotations

import argparse
import sys

from newsbot.item import generate_schema, schema_text


def run(args: argparse.Namespace) -> int:
    """Print the item's JSON Schema, generated from the item class (the shipped file is this text: a
    test says so)."""
    sys.stdout.write(schema_text(generate_schema()))
    return 0
