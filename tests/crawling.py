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
    reports_before = set(out_dir.glob("*.report.json"))
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for name, value in (args or {}).items():
        command += ["-a", f"{name}={value}"]
    merged = {
        **FAST_SETTINGS,
        "NEWSBOT_MIRROR": mirror,
        "NEWSBOT_OUTPUT": str(out_dir / f"{spider}.jsonl"),
        # Never the user's own store: each test's runs share the one in its folder.
        "NEWSBOT_STATE": str(out_dir / "seen.sqlite"),
        **(settings or {}),
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    command += extra or []
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    # This run's report is the one it made: beside its delivery, whose name no other run has.
    reports = set(out_dir.glob("*.report.json")) - reports_before
    report = json.loads(reports.pop().read_text()) if reports else {}
    return CrawlResult(
        proc.returncode, delivered(out_dir, spider), report.get("stats", {}), proc.stderr, report
    )


def deliveries(folder: Path, spider: str = "") -> list[Path]:
    """The finished deliveries in `folder` (of `spider`), in the order their runs wrote them."""
    return sorted(folder.glob(f"{spider}*.jsonl"), key=lambda path: path.stat().st_mtime_ns)


def delivered(folder: Path, spider: str = "") -> list[dict]:
    """Every line of the finished deliveries in `folder` (of `spider`), oldest delivery first."""
    return [
        json.loads(line) for path in deliveries(folder, spider) for line in path.read_bytes().splitlines()
    ]


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
