"""`scrapy crawl`, with an exit status that tells cron whether the run failed."""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newsbot.report.keys import STATS_OUTCOME, USAGE_FINISH_REASONS

# Exit statuses: 0 the run did its job; 1 it failed (the run report says why); 2 it could not start
# (bad arguments, or a section found nowhere).
EXIT_FAILED = 1
EXIT_USAGE = 2


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider name")
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or crawler.stats is None:
            self.exitcode = EXIT_USAGE
            return
        if crawler.stats.get_value("finish_reason") in USAGE_FINISH_REASONS:
            self.exitcode = EXIT_USAGE
        elif crawler.stats.get_value(STATS_OUTCOME, "ok") != "ok":
            self.exitcode = EXIT_FAILED
        else:
            self.exitcode = 0
