"""`newsbot demo`: serve the offline snapshot on loopback and crawl it with the real spiders and pipelines."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from newsbot.cli import CommandError, project_settings
from newsbot.keys import STATS_OUTCOME
from newsbot.registry import load_registry
from newsbot.snapshot_server import SnapshotServer

# In a folder the demo made: only such a folder, or an empty one, is the demo's to clear.
DEMO_MARKER = ".newsbot-demo"


def run(args: argparse.Namespace) -> int:
    """Crawl the offline snapshot, served on loopback, with the real spiders and pipelines into --out: JSON
    Lines, run reports and a store of the demo's own. --out must be new, empty, or made by an earlier demo
    (whose files it replaces)."""
    from scrapy.crawler import CrawlerProcess

    out: Path = args.out
    snapshot: Path = args.snapshot or Path(__file__).resolve().parents[2] / "tests" / "site"
    # Only the sites a --snapshot holds: the others would fail at their first page.
    spiders = [site.name for site in load_registry().sites if (snapshot / f"www.{site.host}").is_dir()]
    if not spiders:
        raise CommandError(f"no site's www.<host> folder in {snapshot}: run it in a clone or pass --snapshot")
    claim_folder(out)
    out = out.resolve()  # newsbot takes a relative NEWSBOT_OUTPUT from the project folder, not from here

    with SnapshotServer(snapshot) as server:
        settings = project_settings()
        files = {"NEWSBOT_OUTPUT": str(out / "{spider}.jsonl"), "NEWSBOT_STATE": str(out / "seen.sqlite")}
        settings.setdict({**files, "NEWSBOT_MIRROR": server.url, "LOG_LEVEL": "WARNING"}, priority="cmdline")
        process = CrawlerProcess(settings)
        crawlers = [process.create_crawler(name) for name in spiders]
        for crawler in crawlers:
            process.crawl(crawler)
        print(f"Crawling {', '.join(spiders)} from the snapshot served at {server.url} ...")
        process.start()
    # The pipelines have judged every line written: valid, not a duplicate.
    written = {path: len(path.read_bytes().splitlines()) for path in sorted(out.glob("*.jsonl"))}
    print(f"\nJSON Lines written to {out}:")
    for path, articles in written.items():
        print(f"  {path}: {articles} {'article' if articles == 1 else 'articles'}")
    print(f"Total: {sum(written.values())} articles.")
    # A site that failed is a broken install or snapshot, however many articles the others wrote.
    outcomes = [crawler.stats.get_value(STATS_OUTCOME) if crawler.stats else None for crawler in crawlers]
    failed = [name for name, outcome in zip(spiders, outcomes, strict=True) if outcome != "ok"]
    if failed:
        print(f"FAILED: {', '.join(failed)}; why is in their run reports in {out}")
    return 0 if sum(written.values()) and not failed else 1


def claim_folder(out: Path) -> None:
    """Make `out` the demo's, empty: a new or empty folder, or one an earlier demo made (its marker
    says so), whose files a demo may delete. Anything else may be the user's: CommandError."""
    marker = out / DEMO_MARKER
    if out.exists() and not out.is_dir():
        raise CommandError(f"--out {out}: a file, not a folder")
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
