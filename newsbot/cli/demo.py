"""`newsbot demo`: serve the offline snapshot on loopback and crawl it with the real spiders and pipelines."""

from __future__ import annotations

import argparse
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

from newsbot.cli import CommandError
from newsbot.keys import STATS_ITEMS_DROPPED_PREFIX, STATS_SECTION_PAGES
from newsbot.registry import load_registry
from newsbot.snapshot_server import SnapshotServer

# Every site's spider: the snapshot holds a home page, a section and articles of each.
DEMO_SPIDERS = tuple(site.name for site in load_registry().sites)
# In a folder the demo made: only such a folder, or an empty one, is the demo's to clear.
DEMO_MARKER = ".newsbot-demo"


def run(args: argparse.Namespace) -> int:
    from scrapy.crawler import CrawlerProcess
    from scrapy.settings import Settings

    out: Path = args.out
    snapshot: Path = args.snapshot or Path(__file__).resolve().parents[2] / "tests" / "site"
    if not snapshot.is_dir():
        print(
            f"newsbot demo: no snapshot at {snapshot}; run it from a clone of the repository "
            "or pass --snapshot"
        )
        return 1
    claim_folder(out)
    out = out.resolve()  # newsbot takes a relative NEWSBOT_OUTPUT from the project folder, not from here

    with SnapshotServer(snapshot) as server:
        # newsbot's own settings, wherever the command runs: the folder it runs in need not be the
        # project's (no scrapy.cfg there: Scrapy's defaults, without newsbot's spider loader).
        # The snapshot is served on loopback, so the mirror runs without the live sites' politeness.
        settings = Settings()
        settings.setmodule("newsbot.settings", priority="project")
        settings.setdict(
            {
                "NEWSBOT_MIRROR": server.url,
                "NEWSBOT_OUTPUT": str(out / "{spider}.jsonl"),
                "NEWSBOT_STATE": str(out / "seen.sqlite"),
                "LOG_LEVEL": "WARNING",
            },
            priority="cmdline",
        )
        process = CrawlerProcess(settings)
        crawlers = [process.create_crawler(name) for name in DEMO_SPIDERS]
        for crawler in crawlers:
            process.crawl(crawler)
        print(f"Crawling {', '.join(DEMO_SPIDERS)} from the snapshot served at {server.url} ...")
        process.start()
    return _summarise(out, crawlers)


def claim_folder(out: Path) -> None:
    """Make `out` the demo's, empty: a new or empty folder, or one an earlier demo made (its marker
    says so), whose files a demo may delete. Anything else may be the user's: CommandError."""
    marker = out / DEMO_MARKER
    if out.is_dir() and not marker.exists() and any(out.iterdir()):
        found = sorted(child.name for child in out.iterdir())
        raise CommandError(
            f"--out {out} holds files the demo did not make ({', '.join(found[:3])}"
            f"{', ...' if len(found) > 3 else ''}); give a new or empty folder"
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        for child in out.iterdir():  # an earlier demo's: a demo starts afresh
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        marker.write_text("Made by `newsbot demo`, which deletes this folder's files when it runs again.\n")
    except OSError as error:
        raise CommandError(f"--out {out}: {error.strerror or error}") from None


def _summarise(out: Path, crawlers: list[Any]) -> int:
    from jsonschema import Draft202012Validator

    from newsbot.item import shipped_schema

    validator = Draft202012Validator(shipped_schema())
    urls: Counter[str] = Counter()
    hashes: Counter[str] = Counter()
    invalid = 0
    print(f"\nJSON Lines written to {out.resolve()}:")
    for crawler in crawlers:
        path = out / f"{crawler.spidercls.name}.jsonl"
        items = (
            [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
            if path.exists()
            else []
        )
        invalid += sum(not validator.is_valid(item) for item in items)
        urls.update(item["url"] for item in items)
        hashes.update(item["content_hash"] for item in items)
        sites = Counter(item["site"] for item in items)
        stats = crawler.stats.get_stats()
        dropped = sum(v for k, v in stats.items() if k.startswith(STATS_ITEMS_DROPPED_PREFIX))
        per_site = ", ".join(f"{site} {count}" for site, count in sorted(sites.items()))
        print(
            f"  {path}: {len(items)} articles ({per_site or 'none'}); "
            f"{stats.get(STATS_SECTION_PAGES, 0)} section pages, {dropped} duplicates dropped"
        )
    repeated = sum(1 for c in urls.values() if c > 1) + sum(1 for c in hashes.values() if c > 1)
    print(
        f"Total: {sum(urls.values())} articles, {invalid} invalid against the schema, "
        f"{repeated} repeated URLs or content hashes."
    )
    return 0 if invalid == 0 and repeated == 0 and urls else 1
