"""Run a real `scrapy crawl` process (tests/processes.py) against the snapshot served on loopback."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from jsonschema import Draft202012Validator

from newsbot.item import shipped_schema
from newsbot.registry import load_registry
from tests import processes
from tests.conftest import ROOT

COMPARED_FIELDS = (
    "url", "site", "title", "byline", "authors", "agency", "dateline", "dateline_place",
    "date_published", "paragraphs", "images", "related_links",
)  # fmt: skip


def assert_exact_set(items: list[dict], listed: dict[str, dict], groups: list[set[str]]) -> None:
    urls = [item["url"] for item in items]
    assert len(urls) == len(set(urls)), "a URL was written twice"
    hashes = [item["content_hash"] for item in items]
    assert len(hashes) == len(set(hashes)), "a content hash was written twice"
    for group in groups:
        assert len(group & set(urls)) == 1, f"syndicated copies {group} not written exactly once"
    expected_urls = set(listed)
    for group in groups:
        expected_urls -= group
    assert expected_urls <= set(urls)
    assert set(urls) <= set(listed)
    assert len(urls) == len(listed) - sum(len(g) - 1 for g in groups)


def assert_items_match_manifest(items: list[dict], listed: dict[str, dict], site: str) -> None:
    validator = Draft202012Validator(shipped_schema())
    for item in items:
        assert validator.is_valid(item), list(validator.iter_errors(item))[:1]
        truth = listed[item["url"]]
        for name in COMPARED_FIELDS:
            assert item[name] == truth[name], (item["url"], name)
        assert item["section"] == truth["section_label"]
        teasers = {e["teaser"] for e in truth["listed_in"] if e["site"] == site}
        assert item["summary"] in teasers
        assert item["notes"] == (["dateline: none found"] if truth["is_advertorial"] else [])


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
    reports_before = set(out_dir.glob("*.report.json"))
    words = [*_crawl_words(spider, mirror, out_dir, args, settings), *(extra or [])]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = processes.run(["scrapy", *words], ROOT, env, timeout)
    return _result(spider, out_dir, proc.returncode, proc.stderr, reports_before)


def _crawl_words(
    spider: str, mirror: str, out_dir: Path, args: dict[str, str] | None, settings: dict[str, str] | None
) -> list[str]:
    """`crawl <spider> -a ... -s ...`, writing into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    words = ["crawl", spider]
    for name, value in (args or {}).items():
        words += ["-a", f"{name}={value}"]
    merged = {
        **FAST_SETTINGS,
        "NEWSBOT_MIRROR": mirror,
        "NEWSBOT_OUTPUT": str(out_dir / f"{spider}.jsonl"),
        # Never the user's own store: each test's runs share the one in its folder.
        "NEWSBOT_STATE": str(out_dir / "seen.sqlite"),
        **(settings or {}),
    }
    for name, value in merged.items():
        words += ["-s", f"{name}={value}"]
    return words


def _result(spider: str, out_dir: Path, returncode: int, log: str, reports_before: set[Path]) -> CrawlResult:
    # This run's report is the one it made: beside its delivery, whose name no other run has.
    reports = set(out_dir.glob("*.report.json")) - reports_before
    report = json.loads(reports.pop().read_text()) if reports else {}
    return CrawlResult(returncode, delivered(out_dir, spider), report.get("stats", {}), log, report)


def deliveries(folder: Path, spider: str = "") -> list[Path]:
    """The finished deliveries in `folder` (of `spider`), in the order their runs wrote them."""
    return sorted(folder.glob(f"{spider}*.jsonl"), key=lambda path: path.stat().st_mtime_ns)


def delivered(folder: Path, spider: str = "") -> list[dict]:
    """Every line of the finished deliveries in `folder` (of `spider`), oldest delivery first."""
    return [
        json.loads(line) for path in deliveries(folder, spider) for line in path.read_bytes().splitlines()
    ]


def run_crawls(
    spiders: list[str], mirror: str, out_dir: Path, timeout: float = 300
) -> dict[str, CrawlResult]:
    """`scrapy crawl <spider>` for each spider (into `out_dir/<spider>/`), all at once."""
    started = {
        name: processes.Process(["scrapy", *_crawl_words(name, mirror, out_dir / name, None, None)], ROOT)
        for name in spiders
    }
    results = {}
    for name, process in started.items():
        _, log = process.communicate(timeout)
        assert process.returncode is not None
        results[name] = _result(name, out_dir / name, process.returncode, log, set())
    return results


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


def default_sections(manifest: dict, site: str) -> set[str]:
    """The sections a run without `-a sections` walks: the declared ones, else the navigation's."""
    sections = [s for s in manifest["sections"] if s["site"] == site]
    declared = {s["slug"] for s in sections if s["in_registry"]}
    linked = {n["url"] for n in manifest["navigation"] if n["site"] == site and n["is_section"]}
    return declared or {s["slug"] for s in sections if s["pages"][0] in linked}


def expected_articles(manifest: dict) -> tuple[set[str], list[set[str]]]:
    """What the manifest says the demo writes: the articles its sites' default sections list,
    syndicated copies being one article. The URLs of those in no syndication group, and the groups."""
    walked = {
        (host, slug)
        for host in (site.host for site in load_registry().sites)  # every site's spider: tests/site has each
        for slug in default_sections(manifest, host)
    }
    listed = [
        a
        for a in manifest["articles"]
        if any((e["site"], e["section_slug"]) in walked for e in a["listed_in"])
    ]
    groups: dict[str, set[str]] = {}
    for article in listed:
        if article["syndication_group"]:
            groups.setdefault(article["syndication_group"], set()).add(article["url"])
    return {a["url"] for a in listed if not a["syndication_group"]}, list(groups.values())
