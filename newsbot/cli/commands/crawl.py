"""`scrapy crawl` with an exit status that tells cron how the run went (0 done, 1 failed: the run
report says why, 2 could not start) and usage errors as one line on stderr before the crawl starts."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from newsbot import keys
from newsbot.cli.commands import EXIT_USAGE, check_settings, check_spiders, usage_errors_in_one_line
from newsbot.delivery import Locked, hold_lock
from newsbot.extensions.exports import exports_failed, feed_file
from newsbot.extensions.report import run_report_path
from newsbot.keys import GOOD_FINISH_REASONS, STATS_OUTCOME, USAGE_FINISH_REASONS
from newsbot.registry import load_registry
from newsbot.spiders.args import SpiderArguments

EXIT_FAILED = 1
# Why a run did not start, in the words its ERROR line used.
REFUSALS = (keys.STATS_STORE_ERROR, keys.STATS_OUTPUT_ERROR, "finish_reason")


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        # Checked here, before the crawler process exists: it logs Scrapy's banner when it is made,
        # and a usage error must be the one line on stderr.
        with usage_errors_in_one_line(self):
            super().process_options(args, opts)
            settings = self.settings
            assert settings is not None
            check_settings(settings)
            if (
                settings.get("NEWSBOT_OUTPUT") == ""
                and settings.get("NEWSBOT_STATE") != ""
                and not settings["FEEDS"]
            ):
                # The store would take the ledger's articles as had, and the report count them written.
                raise UsageError(
                    "-s NEWSBOT_OUTPUT='': empty: the articles would be written nowhere; give a file name, "
                    "export with -o/-O, or crawl without a store (-s NEWSBOT_STATE=)"
                )
            cmdline = settings.getpriority("NEWSBOT_REDIS_URL") == SETTINGS_PRIORITIES["cmdline"]
            if cmdline and not settings.get("NEWSBOT_REDIS_URL", "").strip():
                # `-s NEWSBOT_REDIS_URL="$REDIS"` in a shell without REDIS: a plain crawl, no cluster.
                raise UsageError("-s NEWSBOT_REDIS_URL='': empty; give the cluster's Redis URL")
            names = self.spider_names(args, opts)
            loader = check_spiders(settings, names)
            for name in names:
                if (site_name := getattr(loader.load(name), "site_name", None)) is not None:
                    SpiderArguments.parse(opts.spargs).check_site(load_registry().site(site_name))
            # Held until the process ends: the descriptors are never closed.
            feeds = [str(uri) for uri in settings.getdict("FEEDS")]
            files = {path for uri in feeds for name in names if (path := feed_file(uri, name)) is not None}
            self.feed_locks = [lock_feed(path) for path in files]

    def long_desc(self) -> str:
        return (
            f"{self.short_desc()}. Its -a arguments: `scrapy args SPIDER`. Exit status (the worst run's): "
            "0 done, 1 failed (the run report says why), 2 could not start."
        )

    def spider_names(self, args: list[str], opts: argparse.Namespace) -> list[str]:
        """The spiders this run crawls, from the command line; raises UsageError."""
        if len(args) != 1:
            argument = next((word for word in args if "=" in word), None)  # `-a` forgotten
            hint = f"an argument is -a {argument}" if argument else "`scrapy list` shows them"
            raise UsageError(f"give one spider name; {hint}")
        return args

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.crawler_process
        names = self.spider_names(args, opts)
        crawlers = [self._create_crawler(name) for name in names]
        for crawler in crawlers:
            self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        for name, crawler in zip(names, crawlers, strict=True):
            stats = crawler.stats.get_stats() if crawler.stats else {}
            # The process knows only that one of its crawlers did not start; among several, it is the
            # one without a spider.
            failed = self.crawler_process.bootstrap_failed if len(crawlers) == 1 else crawler.spider is None
            if crawler.stats is None or failed or stats.get("finish_reason") in USAGE_FINISH_REASONS:
                status = EXIT_USAGE
            else:
                status = 0 if _outcome(stats, crawler.settings) == "ok" else EXIT_FAILED
            self.exitcode = max(self.exitcode, status)  # the worst run's: cron hears of any failure
            if status and not (status == EXIT_FAILED and _summary_on_console(stats, crawler.settings)):
                # On stderr whatever LOG_FILE says: under cron this line is the mail, and it names
                # the report of this run (beside its delivery), not one an earlier run left.
                what = "failed" if status == EXIT_FAILED else "could not start"
                report = run_report_path(stats)
                written = f"report {report}" if report and report.exists() else "no report written"
                log = crawler.settings.get("LOG_FILE")
                # The log a file (cron, a cluster): this line is all stderr has of why it did not start.
                refused = log and status == EXIT_USAGE
                why = next((f": {stats[key]}" for key in REFUSALS if refused and stats.get(key)), "")
                log = f"; log {Path(log).absolute()}" if log else ""
                print(f"newsbot {name}: {what} (exit {status}){why}; {written}{log}", file=sys.stderr)


def lock_feed(path: Path) -> int:
    """The lock beside a feed file (`-o`, `-O`) while this run writes it, or raises UsageError naming its
    holder: a second `-O` run truncated the first's file as it wrote, a second `-o` mixed lines into it;
    or naming why the folder cannot be written (Scrapy's feed exporter: a traceback per item)."""
    if path.is_dir():
        raise UsageError(f"cannot write {path}: a folder")
    lock = path.with_name(f".{path.name}.lock")
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        return hold_lock(lock)
    except Locked as holder:
        raise UsageError(f"{path} is being written by another run (pid {holder}); its lock: {lock}") from None
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.filename}: {error.strerror}") from None


def _summary_on_console(stats: dict[str, Any], settings: BaseSettings) -> bool:
    """Whether the report's summary (an ERROR naming what failed and the report) was stderr's last line."""
    level = settings.get("LOG_LEVEL")  # a name or a number, as Scrapy takes it
    return (
        stats.get(STATS_OUTCOME) == "failed"
        and settings.getbool("LOG_ENABLED")
        and not settings.get("LOG_FILE")
        and logging.getLevelNamesMapping().get(str(level).upper(), level) <= logging.ERROR
    )


def _outcome(stats: dict[str, Any], settings: BaseSettings) -> str:
    """The run report's verdict; without one (the report off, or failed: its traceback is in the log)
    only a normal finish of a run without a report is done, never one whose report could not judge it."""
    outcome = stats.get(STATS_OUTCOME)
    if outcome is not None:
        return str(outcome)  # a feed export not stored included (the report's summary counts it)
    report_on = settings.getbool("NEWSBOT_RUN_REPORT")
    finished = stats.get("finish_reason") in GOOD_FINISH_REASONS and not exports_failed(stats, settings)
    return "ok" if not report_on and finished else "failed"
