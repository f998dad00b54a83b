"""Run a real `scrapy crawl` in a subprocess against the snapshot served on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import ROOT

# Politeness is for the live sites: the snapshot is our own loopback server.
FAST_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "NEWSBOT_RETRY_BACKOFF": "0.05",
    "LOG_LEVEL": "INFO",
}


@dataclass
class CrawlResult:
    returncode: int
    items: list[dict]
    stats: dict
    log: str
    report: dict


def run_crawl(
    spider: str,
    mirror: str,
    out_dir: Path,
    *,
    args: dict[str, str] | None = None,
    settings: dict[str, str] | None = None,
    extra: list[str] | None = None,
    timeout: float = 120,
) -> CrawlResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    output = out_dir / f"{spider}.jsonl"
    stats_file = out_dir / f"{spider}.stats.json"
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in (args or {}).items():
        command += ["-a", f"{name}={value}"]
    merged = {
        **FAST_SETTINGS,
        "NEWSBOT_MIRROR": mirror,
        "NEWSBOT_OUTPUT": str(output),
        "NEWSBOT_STATS_FILE": str(stats_file),
        # Never the user's own store: each test's runs share the one in its folder.
        "NEWSBOT_STATE": str(out_dir / "seen.sqlite"),
        **(settings or {}),
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    command += extra or []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    items = []
    if output.exists():
        items = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    report = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    return CrawlResult(proc.returncode, items, report.get("stats", {}), proc.stderr, report)


def expected_for_sections(
    manifest: dict, site: str, slugs: set[str]
) -> tuple[dict[str, dict], list[set[str]]]:
    """Manifest articles listed in the given sections, and the syndication groups among them."""
    listed = {
        a["url"]: a for a in manifest["articles"]
        if any(entry["site"] == site and entry["section_slug"] in slugs for entry in a["listed_in"])
    }  # fmt: skip
    groups: dict[str, set[str]] = {}
    for article in listed.values():
        if article["syndication_group"]:
            groups.setdefault(article["syndication_group"], set()).add(article["url"])
    return listed, [urls for urls in groups.values() if len(urls) > 1]


def article_requests(result: CrawlResult) -> int:
    """Requests for article pages: all requests less robots.txt, the home page and section pages."""
    stats = result.stats
    return (
        stats.get("downloader/request_count", 0)
        - stats.get("robotstxt/request_count", 0)
        - stats.get("newsbot/section_pages", 0)
        - stats.get("newsbot/home_pages", 0)
    )
