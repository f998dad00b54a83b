"""Part 4, the cost of a scheduled run: requests made by runs after the first, beside the ideal.

Three phases share one seen-articles store (NEWSBOT_STATE, a temp sqlite file), as cron runs do:

1. a first, full run against a copy of the snapshot in which k entries were taken off page 1 of a
   section (so those k articles do not exist yet);
2. a second run against the same copy: nothing is new, and the ideal is one request per section
   (its first page, all known);
3. a run against the real snapshot, where the k entries are back: the ideal is the first page of
   each section plus the k new articles.

Requests are Scrapy's `downloader/request_count` less `robotstxt/request_count` (counted apart).
"""

from __future__ import annotations

import importlib.util
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import MANIFEST, SNAPSHOT, Options, Section, fmt, not_available
from bench.crawl import SPIDERS, mirror_server, run_crawl
from tests.snapshot_copies import copy_snapshot, remove_entries

LABELS = ("requests", "ideal", "over the ideal")
QUICK_SPIDERS = ("spacewar",)


@dataclass
class Phase:
    name: str
    new: int
    requests: int = 0
    robots: int = 0
    section_pages: int = 0
    written: int = 0
    wall: float = 0.0
    ideal: int | None = None
    failed: str = ""


def choose_new(manifest: dict, site: str, k: int) -> tuple[dict, list[str]]:
    """k articles listed only on page 1 of one registry section of `site`, and nowhere else."""
    for section in manifest["sections"]:
        if section["site"] != site or not section["in_registry"]:
            continue
        first_page = section["pages"][0]
        only_here = [
            a["url"]
            for a in manifest["articles"]
            if [e["page_url"] for e in a["listed_in"]] == [first_page] and not a["syndication_group"]
        ]
        if len(only_here) >= k:
            return section, only_here[:k]
    raise RuntimeError(f"no section of {site} lists {k} articles of its own on page 1")


def ideals(manifest: dict, spiders: tuple[str, ...], removed: list[str]) -> tuple[int, int]:
    """(first pages of the crawled sections, every section page + every listed article URL), each
    plus one home page per spider: every run reads the live navigation to find its sections."""
    sites = {f"{spider}.com" for spider in spiders}
    sections = [s for s in manifest["sections"] if s["site"] in sites and s["in_registry"]]
    listed = {url for s in sections for url in s["article_urls"]} - set(removed)
    homes = len(spiders)
    return homes + len(sections), homes + sum(len(s["pages"]) for s in sections) + len(listed)


def run(options: Options) -> Section:
    title = "4. Scheduled-run cost"
    if importlib.util.find_spec("newsbot.store") is None:
        return not_available("rerun", title, "newsbot.store (the persistent seen-articles store) is missing")
    spiders = QUICK_SPIDERS if options.quick else SPIDERS
    k = 1 if options.quick else options.new_articles
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    section, new = choose_new(manifest, f"{spiders[0]}.com", k)
    first_pages, full = ideals(manifest, spiders, new)

    phases = [
        Phase("first run (full)", 0, ideal=full),
        Phase("second run, nothing new", 0, ideal=first_pages),
        Phase(f"run after {k} new article(s)", k, ideal=first_pages + k),
    ]
    with tempfile.TemporaryDirectory(prefix="newsbot-bench-rerun-") as folder:
        tmp = Path(folder)
        before = tmp / "before"
        copy_snapshot(before)
        remove_entries(before, section["pages"][0], new)
        state = tmp / "seen.sqlite"
        for phase, root in zip(phases, (before, before, SNAPSHOT), strict=True):
            with mirror_server(root) as server:
                for spider in spiders:
                    result = run_crawl(spider, server.url, tmp / "out", state=state)
                    if result.returncode != 0:
                        phase.failed = f"{spider} exited {result.returncode}"
                    lines = result.stats.get("newsbot/items_written", 0)
                    phase.requests += result.requests - result.robots
                    phase.robots += result.robots
                    phase.section_pages += int(result.stats.get("newsbot/section_pages", 0))
                    phase.written += int(lines)
                    phase.wall += result.wall

    table = Section(
        "rerun",
        f"{title}: {' + '.join(spiders)} with one shared store, {k} new article(s) on {section['pages'][0]}",
        [
            "run",
            "requests",
            "ideal",
            "over the ideal",
            "section pages",
            "robots.txt",
            "articles written",
            "wall time",
        ],
    )
    for phase in phases:
        over = phase.requests - (phase.ideal or 0)
        table.rows.append(
            [
                phase.name + (f" (FAILED: {phase.failed})" if phase.failed else ""),
                str(phase.requests),
                str(phase.ideal),
                f"{over:+d}" + (f" ({phase.requests / phase.ideal:.2f}x)" if phase.ideal else ""),
                str(phase.section_pages),
                str(phase.robots),
                str(phase.written),
                fmt(phase.wall, "s"),
            ]
        )
    second, third = phases[1], phases[2]
    table.ratios.append(
        f"a run with nothing new makes {second.requests} requests where {second.ideal} is ideal; "
        f"with {k} new, {third.requests} where {third.ideal} is ideal"
    )
    table.notes += [
        "requests: downloader/request_count less robotstxt/request_count (robots.txt is fetched again "
        "by every run, once per host, and counted apart); ideal: every run, one home page per site (the "
        "navigation the sections are read from); first run, every section page plus every listed "
        "article once; later runs, the first page of each section plus the new articles.",
        f"the new articles: {', '.join(urlsplit(u).path.rsplit('/', 1)[-1] for u in new)}; "
        f"written by the last run: {third.written} (should be {k}).",
        "bounds: request counts are exact and do not vary between runs; a run's cost is otherwise its "
        "process start-up (wall time) and one robots.txt per host.",
    ]
    return table
