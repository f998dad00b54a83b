"""A progress line every NEWSBOT_PROGRESS_INTERVAL seconds (default 60; 0: none), and the run report
rewritten at the same pace, so that a long backfill can be watched from its log or its report.

The line: sections begun of those the run walks, section pages read, articles written, articles
missing, the ledger of articles to fetch again (when the store keeps one) and the rate. The interim
report is the final report's shape (newsbot.extensions.report.build_report) with `outcome`
"running"; the report written when the spider closes replaces it.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newsbot.clock import utc_now_iso
from newsbot.extensions.report import RunReport, build_report, run_report_path
from newsbot.extensions.store import ledger_store
from newsbot.keys import (
    STATS_ITEMS_WRITTEN,
    STATS_MISSING_PREFIX,
    STATS_SECTION_PAGES,
    STATS_SECTIONS_WALKED,
    STATS_WALKS_BEGUN,
)

logger = logging.getLogger(__name__)

RUNNING = "running"


class Progress:
    def __init__(self, crawler: Crawler, interval: float, report_path: Path | None) -> None:
        self.crawler = crawler
        self.interval = interval
        self.report_path = report_path
        self.started = time.monotonic()
        self.started_at = utc_now_iso()
        self.task: Any = None
        self.spider: Spider | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Progress:
        interval = crawler.settings.getfloat("NEWSBOT_PROGRESS_INTERVAL")
        if interval <= 0:
            raise NotConfigured
        path = run_report_path(crawler) if crawler.settings.getbool("NEWSBOT_RUN_REPORT") else None
        extension = cls(crawler, interval, path)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.spider = spider
        self.started = time.monotonic()
        self.started_at = utc_now_iso()
        self.task = create_looping_call(self.tick)
        self.task.start(self.interval, now=False)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()

    def tick(self) -> None:
        assert self.spider is not None
        stats = dict(self.crawler.stats.get_stats() or {}) if self.crawler.stats else {}
        elapsed = time.monotonic() - self.started
        line = progress_line(self.spider, stats, elapsed, _ledger_pending(self.crawler))
        if self.report_path is not None:
            self._write_report(stats, elapsed)
            line += f"; report {self.report_path}"
        logger.info("%s", line)

    def _write_report(self, stats: dict[str, Any], elapsed: float) -> None:
        assert self.spider is not None and self.report_path is not None
        run_report = self.crawler.get_extension(RunReport)
        report = build_report(
            stats,
            reason=RUNNING,
            spider=self.spider,
            missing=run_report.missing if run_report is not None else {},
            max_errors=self.crawler.settings.getint("NEWSBOT_MAX_ERRORS"),
            duration=elapsed,
            started_at=self.started_at,
        )
        # Not a finish: the failures found so far stay listed, without the one about the reason.
        report["finish_reason"] = None
        report["finished_at"] = None
        report["failures"] = [text for text in report["failures"] if repr(RUNNING) not in text]
        report["outcome"] = RUNNING
        self.report_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.report_path.with_name(self.report_path.name + ".tmp")
        temporary.write_text(json.dumps(report, indent=2, sort_keys=True, default=str) + "\n", "utf-8")
        temporary.replace(self.report_path)


def progress_line(spider: Spider, stats: dict[str, Any], elapsed: float, ledger: int | None) -> str:
    written = stats.get(STATS_ITEMS_WRITTEN, 0)
    missing = sum(value for key, value in stats.items() if key.startswith(STATS_MISSING_PREFIX))
    total = len(stats.get(STATS_SECTIONS_WALKED, ()))
    begun = stats.get(STATS_WALKS_BEGUN, 0)
    rate = written / elapsed * 60 if elapsed > 0 else 0.0
    parts = [
        f"sections {begun}/{total} begun",
        f"{stats.get(STATS_SECTION_PAGES, 0)} section pages",
        f"{written} articles written",
        f"{missing} missing",
    ]
    if ledger is not None:
        parts.append(f"ledger {ledger} pending")
    parts.append(f"{rate:.1f} articles/min")
    return f"newsbot {spider.name} progress: " + ", ".join(parts)


def _ledger_pending(crawler: Crawler) -> int | None:
    """The store's ledger of articles to fetch again, where the store keeps one (issue 11)."""
    ledger = ledger_store(crawler)
    return None if ledger is None else int(ledger.ledger_counts().get("pending", 0))
