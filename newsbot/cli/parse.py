"""`newsbot parse`: print the item of saved article pages, or the entries of a feed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newsbot.parsing.article import ParseError, parse_article
from newsbot.parsing.feed import FeedError, looks_like_feed, parse_feed
from newsbot.registry import load_registry


def run(args: argparse.Namespace) -> int:
    """Print, as JSON, the item newsbot's parsers make of saved article pages, or the entries of a saved
    feed; no network, no store."""
    status = 0
    for path in args.files:
        try:
            body = path.read_bytes()
            url = args.url or url_from_mirror_path(path)
            if looks_like_feed(body):
                records = [entry.to_dict() for entry in parse_feed(url or path.resolve().as_uri(), body)]
            elif (item := parse_article(url, body)) is not None:
                records = [item.to_dict()]
            else:
                raise ParseError("not an article page")
        except (OSError, ParseError, FeedError) as error:
            print(f"newsbot parse: {path}: {getattr(error, 'strerror', None) or error}", file=sys.stderr)
            status = 1
        else:
            sys.stdout.write("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records))
            sys.stdout.flush()  # a reader gone (`| head`) is had at once: newsbot.cli.main ends quietly
    return status


def url_from_mirror_path(path: Path) -> str | None:
    """`.../www.spacewar.com/reports/X_999.html` -> `https://www.spacewar.com/reports/X_999.html`."""
    parts = path.resolve().parts
    for index, part in enumerate(parts[:-1]):
        if part.startswith("www.") and load_registry().is_network_host(part):
            return "https://" + "/".join(parts[index:])
    return None
