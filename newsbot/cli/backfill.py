"""`newsbot import`: articles from others' WARC files (the Wayback Machine's, Common Crawl's) that the
store does not have yet, written as a delivery whose items say where they came from.

The pages are read and parsed as `newsbot rebuild` reads them (newsbot.cli.rebuild.articles); what
the seen-articles store already has (the URL, or the body under another URL) is dropped; the rest is
written to a delivery and marked known once it is durably on disk, as the crawl's writer does.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path
from typing import Any

from newsbot.cli import CommandError
from newsbot.cli.rebuild import default_delivery, kept_items, read_all, summary, write_delivery


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "import",
        help="write the articles of others' WARC files (Wayback, Common Crawl) the store lacks",
        description="Parse the SMN article pages of WARC files made by others (Wayback Machine downloads, "
        "Common Crawl files) into a delivery of the articles the seen-articles store lacks, and mark them.",
    )
    parser.add_argument("warcs", nargs="+", type=Path, metavar="WARC", help="WARC files (.warc or .warc.gz)")
    parser.add_argument("--out", type=Path, help="the new delivery (default: import-<time>.jsonl in output/)")
    parser.add_argument("--state", type=Path, help="the store (default: NEWSBOT_STATE or its default)")
    return parser


def run(args: argparse.Namespace) -> int:
    from scrapy.utils.project import get_project_settings

    from newsbot.store import SqliteSeenStore, StoreError, known_article, store_path_from_setting

    counts: Counter[str] = Counter()
    captures, status = read_all(args.warcs, "import", counts)
    # NEWSBOT_STATE as `scrapy crawl` would see it in this folder (scrapy.cfg and settings).
    path = args.state or store_path_from_setting(get_project_settings().get("NEWSBOT_STATE"))
    try:
        store = SqliteSeenStore(path) if path is not None else None
    except StoreError as error:
        raise CommandError(str(error)) from None
    try:
        fresh = []
        for capture in captures:
            if (item := capture.item) is None:
                continue
            if store is not None and (
                store.is_known_url(item["url"]) or store.owner_of_hash(item["content_hash"])
            ):
                counts["articles the store has"] += 1
            else:
                item["source"] = f"import: {capture.archive.name}, {capture.captured_at}"
                fresh.append(capture)
        items = kept_items(fresh, {}, counts, "import")
        out = args.out or default_delivery("import")
        size = write_delivery(out, list(items.values()))
        if store is not None:  # once the lines are durably on disk, as the crawl's writer marks them
            known = [known_article(item) for item in items.values()]
            store.record_many(known, output=str(out), reconciled_bytes=size)
    except StoreError as error:
        raise CommandError(str(error)) from None
    finally:
        if store is not None:
            store.close()
    print(summary("Imported", len(items), f"{len(args.warcs)} WARC file(s)", out, counts))
    return status
