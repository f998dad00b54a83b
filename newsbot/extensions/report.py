"""The run report: what a crawl did, in a JSON file beside its delivery and in the run's last line,
and its verdict, which `scrapy crawl`'s exit status follows (newsbot/cli/commands/crawl.py)."""

from __future__ import annotations

import contextlib
import json
import logging
import pprint
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from newsbot import keys
from newsbot.delivery import REPORT_SUFFIX, beside
from newsbot.extensions.exports import exports_failed, feeds_stored
from newsbot.extensions.store import seen_store
from newsbot.quality import fields_from_stats, fill_warnings, notes_from_stats
from newsbot.signals import article_missed, run_judged

logger = logging.getLogger(__name__)


def run_report_path(stats: dict[str, Any]) -> Path | None:
    """Beside the run's delivery; None without one (a feed export, a run refused at start)."""
    delivery = stats.get(keys.STATS_DELIVERY)
    return beside(Path(delivery), REPORT_SUFFIX) if delivery else None


class RunReport:
    def __init__(self, crawler: Crawler) -> None:
        assert crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        # Its lines are this crawler's (CrawlerLogCount): a failed run's summary is no other's error.
        self.log = logging.LoggerAdapter(logger, {"crawler": crawler})
        self.path: Path | None = None
        self.started = time.monotonic()
        # Articles listed but not had, by reason; once each (a JOBDIR resume may ask twice).
        self.missing: dict[str, set[str]] = {}
        self.progress: Any = None
        self.report: dict[str, Any] | None = None  # the run's, once judged: its summary is the last line

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        if not crawler.settings.getbool("NEWSBOT_RUN_REPORT"):
            raise NotConfigured
        report = cls(crawler)
        crawler.signals.connect(report.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(report.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(report.engine_stopped, signal=signals.engine_stopped)
        crawler.signals.connect(report.article_missed, signal=article_missed)
        return report

    def article_missed(self, url: str, reason: str, **_: Any) -> None:
        self.missing.setdefault(reason, set()).add(url)

    def spider_opened(self, spider: Spider) -> None:
        self.path = run_report_path(self.stats.get_stats())  # the writer chose the delivery
        if (interval := self.crawler.settings.getfloat("NEWSBOT_PROGRESS_INTERVAL")) > 0:
            self.progress = create_looping_call(self.tick, spider)
            self.progress.start(interval, now=False)

    def tick(self, spider: Spider) -> None:
        report = self._build(spider, None)
        self._write(report)
        pending = report["ledger"].get("pending")
        line = progress_line(spider.name, report["stats"], report["duration_seconds"], pending)
        self.log.info("%s%s", line, f"; report {self.path}" if self.path else "")

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self.progress is not None and self.progress.running:
            self.progress.stop()
        report = self._build(spider, reason)
        # The verdict first: whatever fails below, `scrapy crawl` has it for its exit status.
        self.stats.set_value(keys.STATS_OUTCOME, report["outcome"])
        self.stats.set_value(keys.STATS_FAILURES, report["failures"])
        self.crawler.signals.send_catch_log(
            signal=run_judged, spider=spider, outcome=report["outcome"], reason=reason
        )
        if (judged := self.stats.get_value(keys.STATS_OUTCOME)) != report["outcome"]:
            # A handler failed the run (a cluster worker's verdict Redis did not take): the report says so.
            report = {**self._build(spider, reason), "outcome": judged}
            self.stats.set_value(keys.STATS_FAILURES, report["failures"])
        self._write(report)
        for warning in report["fill_warnings"]:
            # Loud on purpose: a field emptying across a run is how a site redesign shows mid-life.
            self.log.warning("%s", warning)
        self.log.debug("Scrapy stats:\n%s", pprint.pformat(self.stats.get_stats()))  # STATS_DUMP is off
        self.report = report

    def engine_stopped(self) -> None:
        """The summary, once Scrapy has logged the spider's close: the last line of the run."""
        if (report := self.report) is None or report["finish_reason"] in keys.USAGE_FINISH_REASONS:
            return  # refused (an unknown section, a locked folder): its own line said why
        if exports_failed(self.stats.get_stats(), self.crawler.settings):
            # Scrapy stores the feeds as the spider closes, after the verdict: the line says it failed.
            failures = [*report["failures"], "a feed export could not be stored"]
            written = report["articles_written"] if feeds_stored(self.stats.get_stats()) else 0  # in no file
            report = {**report, "outcome": "failed", "failures": failures, "articles_written": written}
            self.stats.set_value(keys.STATS_OUTCOME, "failed")
        level = logging.INFO if report["outcome"] == "ok" else logging.ERROR
        self.log.log(level, summary_line(report, self.path))

    def _build(self, spider: Spider, reason: str | None) -> dict[str, Any]:
        stats = dict(self.stats.get_stats())
        report = build_report(
            stats,
            spider=spider.name,
            reason=reason,
            missing=self.missing,
            max_errors=self.crawler.settings.getint("NEWSBOT_MAX_ERRORS"),
            duration=time.monotonic() - self.started,
        )
        return {**report, "ledger": self._ledger(stats, getattr(getattr(spider, "site", None), "host", None))}

    def _write(self, report: dict[str, Any]) -> None:
        if self.path is None:
            return
        try:
            write_report(self.path, report)
        except OSError as error:
            self.log.error("cannot write the run report %s: %s", self.path, error.strerror or error)
            with contextlib.suppress(OSError):  # an earlier one says `running`: it would outlive the run
                self.path.unlink(missing_ok=True)
            self.path = None  # the summary line then names no report

    def _ledger(self, stats: dict[str, Any], site: str | None) -> dict[str, Any]:
        """What was asked for again, had at last, given up; what the site still owes."""
        if (ledger := seen_store(self.crawler)) is None:
            return {}
        try:
            counts = ledger.ledger_counts(site)
        except Exception as error:  # the store may be what failed the run (Redis gone, a lock)
            self.log.error("The ledger could not be read for the run report: %s", error)
            return {"error": str(error)}
        return {
            "retried": stats.get(keys.STATS_LEDGER_RETRIED_URLS, []),
            "recovered": stats.get(keys.STATS_LEDGER_RECOVERED_URLS, []),
            "given_up": stats.get(keys.STATS_LEDGER_GIVEN_UP_URLS, []),
            "pending": counts.get("pending"),
            "given_up_total": counts.get("given_up"),
        }


def write_report(path: Path, report: dict[str, Any]) -> None:
    """Replace `path` atomically: a reader never sees half a report."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(report, indent=2, sort_keys=True, default=_jsonable) + "\n", "utf-8")
    temporary.replace(path)


def settle_report(delivery: Path, *, written: int) -> None:
    """A killed run's report, `running` still, says `interrupted`, with the lines its delivery holds."""
    path = beside(delivery, REPORT_SUFFIX)
    try:
        report = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        return  # killed before its first progress report
    except ValueError:  # damaged (a power cut after its rename): its run did not end it either
        report = {"outcome": "running"}
    if report.get("outcome") == "running":
        failures = [*report.get("failures", []), "interrupted before its end; settled by a later run"]
        write_report(
            path, {**report, "outcome": "interrupted", "failures": failures, "articles_written": written}
        )


def build_report(
    stats: dict[str, Any],
    *,
    spider: str,
    reason: str | None,
    missing: dict[str, set[str]],
    max_errors: int,
    duration: float,
) -> dict[str, Any]:
    """The report of a run that finished for `reason` (None: it is still running)."""
    fields = fields_from_stats(stats)
    report: dict[str, Any] = {
        "spider": spider,
        "finish_reason": reason,
        "duration_seconds": round(duration, 3),
        "pages_fetched": stats.get("downloader/response_count", 0),
        "section_pages": stats.get(keys.STATS_SECTION_PAGES, 0),
        "listed_entries": stats.get(keys.STATS_LISTED_ENTRIES, 0),
        "articles_written": written(stats),
        "known_skipped": stats.get(keys.STATS_SKIPPED_KNOWN, 0),
        "duplicates_dropped": keys.stats_under(stats, keys.STATS_ITEMS_DROPPED_PREFIX),
        "items_invalid": keys.stats_under(stats, keys.STATS_ITEMS_INVALID_PREFIX),
        "fields_missing": keys.stats_under(stats, keys.STATS_FIELD_MISSING),
        "field_fill_rates": {name: round(judged["share"], 4) for name, judged in fields.items()},
        "fill_warnings": fill_warnings(fields),
        "notes": notes_from_stats(stats),
        "errors": errors_by_kind(stats),
        "blocked_responses": stats.get(keys.STATS_BLOCKED, 0),
        "missing_articles": {why: sorted(urls) for why, urls in sorted(missing.items())},
        "output_repaired_bytes": stats.get(keys.STATS_OUTPUT_REPAIRED_BYTES, 0),
        # A CLOSESPIDER_* limit is a bound too: the pages and articles asked for it dropped wait for the
        # next run, which walks on (README: a bounded run completes no walk).
        "bounds_hit": keys.stats_under(stats, keys.STATS_BOUNDS_PREFIX)
        | ({reason: 1} if reason and reason.startswith("closespider_") else {}),
        "stats": stats,
    }
    report["failures"] = failures(stats, reason, max_errors=max_errors)
    report["outcome"] = "running" if reason is None else "failed" if report["failures"] else "ok"
    return report


def failures(stats: dict[str, Any], reason: str | None, *, max_errors: int) -> list[str]:
    """Why the run failed, in words; empty when it did its job."""
    # A host that cannot be reached at all first: it explains the rest.
    unreachable = stats.get(keys.STATS_HOSTS_UNREACHABLE, [])
    found = list(unreachable)
    if reason and reason not in keys.GOOD_FINISH_REASONS:
        found.append(f"finished with reason {reason!r}")
    # Counted where the articles were fetched: in a cluster, not always by the worker that listed them.
    for section, fetched in keys.stats_under(stats, keys.STATS_SECTION_FETCHED_PREFIX).items():
        # The ledger's articles failing again are the ledger's to report, not a section's.
        if section != keys.LEDGER_ORIGIN and not stats.get(f"{keys.STATS_SECTION_PARSED_PREFIX}{section}"):
            found.append(f"section {section}: none of its {fetched} new article(s) fetched could be parsed")
    if failed_pages := keys.stats_under(stats, keys.STATS_SECTION_PAGES_FAILED_PREFIX):
        reasons = ", ".join(f"{count} {why}" for why, count in failed_pages.items())
        found.append(f"{sum(failed_pages.values())} section page(s) could not be had ({reasons})")
    if (hosts := stats.get(keys.STATS_ROBOTS_UNREACHABLE, 0) - len(unreachable)) > 0:
        found.append(f"robots.txt of {hosts} host(s) could not be had: none of their pages was fetched")
    if stats.get(keys.STATS_ERROR_BAD_FEED):
        found.append("the feed could not be had, or was not a feed")
    if blocked := stats.get(keys.STATS_BLOCKED, 0):
        found.append(f"{blocked} response(s) were block pages")
    found += [
        str(error) for key in (keys.STATS_OUTPUT_ERROR, keys.STATS_STORE_ERROR) if (error := stats.get(key))
    ]
    if (errors := stats.get("log_count/ERROR", 0)) > max_errors:
        found.append(f"{errors} errors, more than NEWSBOT_MAX_ERRORS={max_errors}")
    return found


def errors_by_kind(stats: dict[str, Any]) -> dict[str, int]:
    kinds: dict[str, int] = {}
    for key, value in stats.items():
        group, _, kind = key.rpartition("/")
        if group == "downloader/exception_type_count":
            kinds[kind.rsplit(".", 1)[-1]] = value
        elif group == "spider_exceptions":
            kinds[f"spider:{kind}"] = value
        elif group == "downloader/response_status_count" and int(kind) >= 400:
            kinds[f"http_{kind}"] = value
        elif f"{group}/" == keys.STATS_ERRORS_PREFIX:
            kinds[kind] = value
    return dict(sorted(kinds.items()))


def summary_line(report: dict[str, Any], path: Path | None) -> str:
    stats = report["stats"]
    missing = {why: len(urls) for why, urls in report["missing_articles"].items()}
    by_reason = f" ({', '.join(f'{count} {why}' for why, count in missing.items())})" if missing else ""
    duplicates, invalid = sum(report["duplicates_dropped"].values()), sum(report["items_invalid"].values())
    line = (
        f"newsbot {report['spider']}: {report['outcome']} - {report['pages_fetched']} pages fetched, "
        f"{report['articles_written']} articles written, {sum(missing.values())} missing{by_reason}, "
        f"{report['known_skipped']} known skipped, {duplicates} duplicates dropped, {invalid} invalid, "
        f"{stats.get('log_count/ERROR', 0)} errors, {report['blocked_responses']} blocked, "
        f"{report['duration_seconds']:.1f} s"
    )
    if (pending := report["ledger"].get("pending")) is not None:
        # Articles still owed: listed by this run or earlier ones, not written yet, asked for again next run.
        line += f"; ledger: {pending} still owed"
        retried, given_up = stats.get(keys.STATS_LEDGER_RETRIED, 0), stats.get(keys.STATS_LEDGER_GIVEN_UP, 0)
        if retried or given_up:
            recovered = stats.get(keys.STATS_LEDGER_RECOVERED, 0)
            line += f", {retried} asked for again, {recovered} recovered, {given_up} given up"
    if bounds := report["bounds_hit"]:
        line += "; bounds hit: " + ", ".join(f"{name} {count}" for name, count in bounds.items())
    if report["failures"]:
        line += "; FAILED: " + "; ".join(report["failures"])
    return line + (f"; report {path}" if path is not None else "")


def progress_line(spider: str, stats: dict[str, Any], elapsed: float, ledger: int | None) -> str:
    sections = len(stats.get(keys.STATS_SECTIONS_WALKED, ()))
    parts = [
        f"sections {stats.get(keys.STATS_WALKS_BEGUN, 0)}/{sections} begun",
        f"{stats.get(keys.STATS_SECTION_PAGES, 0)} section pages",
        f"{written(stats)} articles written",
        f"{sum(keys.stats_under(stats, keys.STATS_MISSING_PREFIX).values())} missing",
        *([f"ledger {ledger} pending"] if ledger is not None else []),
        f"{written(stats) / elapsed * 60 if elapsed > 0 else 0.0:.1f} articles/min",
    ]
    return f"newsbot {spider} progress: " + ", ".join(parts)


def written(stats: dict[str, Any]) -> int:
    """Lines the JSON Lines writer wrote; for a feed export (the writer steps aside), items exported."""
    return int(stats.get(keys.STATS_ITEMS_WRITTEN) or stats.get("item_scraped_count") or 0)


def _jsonable(value: object) -> str:
    # Scrapy's start_time and finish_time are datetimes: ISO 8601, which str() is not ("T", not " ").
    return value.isoformat() if isinstance(value, datetime) else str(value)
