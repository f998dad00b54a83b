"""The run report: what a crawl did, in one JSON file and one log line, and whether it failed.

Cron and Scrapyd users read the verdict from the exit status of `scrapy crawl` (see
newsbot/cli/commands/crawl.py), which follows `outcome` here. Every NEWSBOT_PROGRESS_INTERVAL seconds
(0: never) a progress line is logged and the report rewritten with `outcome` "running", so that a
long backfill can be watched from its log or its report.
"""

from __future__ import annotations

import datetime
import json
import logging
import pprint
import time
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newsbot import keys
from newsbot.clock import utc_now_iso
from newsbot.delivery import REPORT_SUFFIX, beside
from newsbot.extensions.store import seen_store
from newsbot.quality import fill_rates_from_stats, fill_warnings, notes_from_stats
from newsbot.signals import article_missed, run_judged

logger = logging.getLogger(__name__)

# Fill rates of fewer items than this are reported but not warned about.
FILL_RATES_MIN_ITEMS = 5
RUNNING = "running"


def run_report_path(stats: dict[str, Any]) -> Path | None:
    """The report of the run whose stats these are: beside its delivery; None when it has none (a
    feed export, a check, a run refused before it chose one)."""
    delivery = stats.get(keys.STATS_DELIVERY)
    return beside(Path(delivery), REPORT_SUFFIX) if delivery else None


class RunReport:
    """Writes the report beside the run's delivery while the spider runs and when it closes, and logs
    a one-line summary. Only this run writes it: the delivery's name is this run's alone."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.path: Path | None = None
        self.started = time.monotonic()
        self.started_at = utc_now_iso()
        # Articles listed but not had, by reason (newsbot.reasons).
        self.missing: dict[str, list[str]] = {}
        self.interval = crawler.settings.getfloat("NEWSBOT_PROGRESS_INTERVAL")
        self.progress: Any = None
        self.summary: tuple[int, str] | None = None  # its level and text

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        if not crawler.settings.getbool("NEWSBOT_RUN_REPORT"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(extension.article_missed, signal=article_missed)
        return extension

    def article_missed(self, url: str, reason: str, section: str | None) -> None:
        self.missing.setdefault(reason, []).append(url)

    def spider_opened(self, spider: Spider) -> None:
        assert self.crawler.stats is not None  # the writer chose the delivery as the pipelines opened
        self.path = run_report_path(self.crawler.stats.get_stats())
        self.started = time.monotonic()
        self.started_at = utc_now_iso()
        if self.interval > 0:
            self.progress = create_looping_call(self.tick, spider)
            self.progress.start(self.interval, now=False)

    def tick(self, spider: Spider) -> None:
        """The progress line, and the report so far (its failures, without the finish's)."""
        report = self._build(spider, RUNNING)
        report.update(finish_reason=None, finished_at=None, outcome=RUNNING)
        report["failures"] = [text for text in report["failures"] if repr(RUNNING) not in text]
        self._write(report)
        line = progress_line(spider.name, report["stats"], time.monotonic() - self.started, self._pending())
        logger.info("%s%s", line, f"; report {self.path}" if self.path else "")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.progress is not None and self.progress.running:
            self.progress.stop()
        report = self._build(spider, reason)
        stats = report["stats"]
        # The verdict first: whatever fails below, `scrapy crawl` has it for its exit status.
        self.crawler.stats.set_value(keys.STATS_OUTCOME, report["outcome"])
        self.crawler.stats.set_value(keys.STATS_FAILURES, report["failures"])
        report["ledger"] = self._ledger_report(stats)
        self.crawler.signals.send_catch_log(signal=run_judged, spider=spider, outcome=report["outcome"])
        self._write(report)
        for warning in report["fill_warnings"]:
            # Loud on purpose: a field emptying across a run is how a site redesign shows mid-life.
            logger.warning("%s", warning)
        # Scrapy's stats dump (STATS_DUMP is off): in the report, and in the debug log.
        logger.debug("Scrapy stats:\n%s", pprint.pformat(self.crawler.stats.get_stats()))
        level = logging.INFO if report["outcome"] == "ok" else logging.ERROR
        self.summary = (level, summary_line(report, self.path))

    def engine_stopped(self) -> None:
        """The summary, once Scrapy has logged the spider's close: the last line of the run."""
        if self.summary is not None:
            logger.log(*self.summary)

    def _build(self, spider: Spider, reason: str) -> dict[str, Any]:
        assert self.crawler.stats is not None
        return build_report(
            dict(self.crawler.stats.get_stats()),
            reason=reason,
            spider=spider,
            missing=self.missing,
            max_errors=self.crawler.settings.getint("NEWSBOT_MAX_ERRORS"),
            duration=time.monotonic() - self.started,
            started_at=self.started_at,
        )

    def _write(self, report: dict[str, Any]) -> None:
        if self.path is None:
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(self.path.name + ".tmp")
            temporary.write_text(json.dumps(report, indent=2, sort_keys=True, default=str) + "\n", "utf-8")
            temporary.replace(self.path)
        except OSError as error:
            logger.error("cannot write the run report %s: %s", self.path, error.strerror or error)
            self.path = None  # the summary line then names no report

    def _pending(self) -> int | None:
        ledger = seen_store(self.crawler)
        return None if ledger is None else int(ledger.ledger_counts().get("pending", 0))

    def _ledger_report(self, stats: dict[str, Any]) -> dict[str, Any]:
        """What was asked for again, had at last, given up; what is left."""
        ledger = seen_store(self.crawler)
        if ledger is None:
            return {}
        try:
            counts = ledger.ledger_counts()
        except Exception as error:  # the store may be what failed the run (Redis gone, a lock)
            logger.error("The ledger could not be read for the run report: %s", error)
            return {"error": str(error)}
        return {
            "retried": stats.get(keys.STATS_LEDGER_RETRIED_URLS, []),
            "recovered": stats.get(keys.STATS_LEDGER_RECOVERED_URLS, []),
            "given_up": stats.get(keys.STATS_LEDGER_GIVEN_UP_URLS, []),
            "pending": counts.get("pending"),
            "given_up_total": counts.get("given_up"),
        }


def build_report(
    stats: dict[str, Any],
    *,
    reason: str,
    spider: Spider,
    missing: dict[str, list[str]],
    max_errors: int,
    duration: float,
    started_at: str,
) -> dict[str, Any]:
    errors = errors_by_kind(stats)
    report: dict[str, Any] = {
        "spider": spider.name,
        "site": getattr(getattr(spider, "site", None), "host", None),
        "arguments": _spider_arguments(spider),
        "started_at": started_at,
        "finished_at": utc_now_iso(),
        "duration_seconds": round(duration, 3),
        "finish_reason": reason,
        "pages_fetched": stats.get("downloader/response_count", 0),
        "requests_made": stats.get("downloader/request_count", 0),
        "section_pages": stats.get(keys.STATS_SECTION_PAGES, 0),
        "listed_entries": stats.get(keys.STATS_LISTED_ENTRIES, 0),
        "articles_requested": stats.get(keys.STATS_ARTICLES_REQUESTED, 0),
        "articles_parsed": stats.get(keys.STATS_ARTICLES_PARSED, 0),
        "articles_written": stats.get(keys.STATS_ITEMS_WRITTEN, 0),
        "known_skipped": stats.get(keys.STATS_SKIPPED_KNOWN, 0),
        "duplicates_dropped": _group(stats, keys.STATS_ITEMS_DROPPED_PREFIX),
        "items_invalid": _group(stats, keys.STATS_ITEMS_INVALID_PREFIX),
        "fields_missing": _group(stats, keys.STATS_FIELD_MISSING),
        "field_fill_rates": {name: round(rate, 4) for name, rate in fill_rates_from_stats(stats).items()},
        "notes": notes_from_stats(stats),
        "errors": errors,
        "error_count": stats.get("log_count/ERROR", 0),
        "blocked_responses": stats.get(keys.STATS_BLOCKED, 0),
        "missing_articles": {reason: sorted(urls) for reason, urls in sorted(missing.items())},
        "output_repaired_bytes": stats.get(keys.STATS_OUTPUT_REPAIRED_BYTES, 0),
        "output_error": stats.get(keys.STATS_OUTPUT_ERROR),
        "store_error": stats.get(keys.STATS_STORE_ERROR),
        "ledger_retried": stats.get(keys.STATS_LEDGER_RETRIED, 0),
        "ledger_recovered": stats.get(keys.STATS_LEDGER_RECOVERED, 0),
        "given_up": stats.get(keys.STATS_LEDGER_GIVEN_UP, 0),
        "bounds_hit": {
            name: stats[key]
            for name, key in (
                ("section_page_limit", keys.STATS_BOUND_PAGES),
                ("links_over_page_limit", keys.STATS_BOUND_LINKS),
                ("page_without_new_entries", keys.STATS_BOUND_REPEAT),
            )
            if stats.get(key)
        },
        "stats": {key: _jsonable(value) for key, value in sorted(stats.items())},
    }
    # A run that wrote a handful of items says nothing about the parser: one advertorial without a
    # dateline is not a redesign.
    judged = stats.get(keys.STATS_ITEMS_VALID, 0) >= FILL_RATES_MIN_ITEMS
    report["fill_warnings"] = fill_warnings(fill_rates_from_stats(stats)) if judged else []
    report["failures"] = failures(report, stats, max_errors=max_errors)
    report["outcome"] = "failed" if report["failures"] else "ok"
    return report


def failures(report: dict[str, Any], stats: dict[str, Any], *, max_errors: int) -> list[str]:
    """Why the run failed, in words; empty when it did its job."""
    # A host that cannot be reached at all first: it explains the rest.
    unreachable = stats.get(keys.STATS_HOSTS_UNREACHABLE, [])
    found = list(unreachable)
    if report["finish_reason"] not in keys.GOOD_FINISH_REASONS:
        found.append(f"finished with reason {report['finish_reason']!r}")
    for key, requested in sorted(stats.items()):
        if not key.startswith(keys.STATS_SECTION_REQUESTED_PREFIX):
            continue
        section = key.removeprefix(keys.STATS_SECTION_REQUESTED_PREFIX)
        if section == keys.LEDGER_ORIGIN:
            continue  # earlier runs' failures asked for again: the ledger reports them
        if requested and not stats.get(f"{keys.STATS_SECTION_PARSED_PREFIX}{section}", 0):
            found.append(f"section {section} listed {requested} new article(s) but none could be parsed")
    failed_pages = _group(stats, keys.STATS_SECTION_PAGES_FAILED_PREFIX)
    if failed_pages:
        reasons = ", ".join(f"{count} {reason}" for reason, count in failed_pages.items())
        found.append(f"{sum(failed_pages.values())} section page(s) could not be had ({reasons})")
    if (hosts := stats.get(keys.STATS_ROBOTS_UNREACHABLE, 0) - len(unreachable)) > 0:
        found.append(f"robots.txt of {hosts} host(s) could not be had: none of their pages was fetched")
    if stats.get(keys.STATS_ERROR_BAD_FEED):
        found.append("the feed could not be had, or was not a feed")
    if report["blocked_responses"]:
        found.append(f"{report['blocked_responses']} response(s) were block pages")
    for error in (report["output_error"], report["store_error"]):
        if error:
            found.append(str(error))
    if report["error_count"] > max_errors:
        found.append(f"{report['error_count']} errors, more than NEWSBOT_MAX_ERRORS={max_errors}")
    return found


def errors_by_kind(stats: dict[str, Any]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("downloader/exception_type_count/"):
            kinds[key.rsplit(".", 1)[-1].rsplit("/", 1)[-1]] = value
        elif key.startswith("spider_exceptions/") and key.count("/") == 1:
            kinds[f"spider:{key.split('/', 1)[1]}"] = value
        elif key.startswith("downloader/response_status_count/"):
            status = int(key.rsplit("/", 1)[1])
            if status >= 400:
                kinds[f"http_{status}"] = value
        elif key.startswith(keys.STATS_ERRORS_PREFIX):
            kinds[key.removeprefix(keys.STATS_ERRORS_PREFIX)] = value
    return dict(sorted(kinds.items()))


def summary_line(report: dict[str, Any], path: Path | None) -> str:
    duplicates = sum(report["duplicates_dropped"].values())
    invalid = sum(report["items_invalid"].values())
    missing = {reason: len(urls) for reason, urls in report["missing_articles"].items()}
    by_reason = f" ({', '.join(f'{count} {reason}' for reason, count in missing.items())})" if missing else ""
    line = (
        f"newsbot {report['spider']}: {report['outcome']} - {report['pages_fetched']} pages fetched, "
        f"{report['articles_written']} articles written, {sum(missing.values())} missing{by_reason}, "
        f"{report['known_skipped']} known skipped, "
        f"{duplicates} duplicates dropped, {invalid} invalid, {report['error_count']} errors, "
        f"{report['blocked_responses']} blocked, {report['duration_seconds']:.1f} s"
    )
    ledger = report.get("ledger") or {}
    if ledger.get("pending") is not None:
        # Articles still owed: listed by this run or earlier ones, not written yet, asked for again next run.
        line += f"; ledger: {ledger['pending']} still owed"
        if report["ledger_retried"] or report["given_up"]:
            line += (
                f", {report['ledger_retried']} asked for again, {report['ledger_recovered']} recovered, "
                f"{report['given_up']} given up"
            )
    if report["bounds_hit"]:
        line += "; bounds hit: " + ", ".join(
            f"{name} {count}" for name, count in report["bounds_hit"].items()
        )
    if report["failures"]:
        line += "; FAILED: " + "; ".join(report["failures"])
    if path is not None:
        line += f"; report {path}"
    return line


def progress_line(spider: str, stats: dict[str, Any], elapsed: float, ledger: int | None) -> str:
    """Sections begun of those the run walks, section pages read, articles written and missing, the
    ledger of articles to fetch again (when the store keeps one) and the rate."""
    written = stats.get(keys.STATS_ITEMS_WRITTEN, 0)
    sections = len(stats.get(keys.STATS_SECTIONS_WALKED, ()))
    parts = [
        f"sections {stats.get(keys.STATS_WALKS_BEGUN, 0)}/{sections} begun",
        f"{stats.get(keys.STATS_SECTION_PAGES, 0)} section pages",
        f"{written} articles written",
        f"{sum(_group(stats, keys.STATS_MISSING_PREFIX).values())} missing",
        *([f"ledger {ledger} pending"] if ledger is not None else []),
        f"{written / elapsed * 60 if elapsed > 0 else 0.0:.1f} articles/min",
    ]
    return f"newsbot {spider} progress: " + ", ".join(parts)


def _group(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {key.removeprefix(prefix): value for key, value in sorted(stats.items()) if key.startswith(prefix)}


def _spider_arguments(spider: Spider) -> dict[str, Any]:
    arguments = getattr(spider, "arguments", None)
    return arguments.model_dump(mode="json") if arguments is not None else {}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return value
