"""`scrapy crawlall`: every site's spider (or those named) in one CrawlerProcess, a crawler each, so
each site keeps its own downloader slots; one shared store; the exit status is the worst run's."""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError

from newsbot.cli.commands.crawl import Command as CrawlCommand
from newsbot.registry import load_registry


class Command(CrawlCommand):
    def syntax(self) -> str:
        return "[options] [spider ...]"

    def short_desc(self) -> str:
        return "Run every site's spider (or those named) at once, in one process"

    def spider_names(self, args: list[str], opts: argparse.Namespace) -> list[str]:
        if "sections" in opts.spargs:
            raise UsageError("-a sections names one site's sections: use `scrapy crawl SITE -a sections=...`")
        assert self.settings is not None
        if self.settings.get("JOBDIR"):  # Scrapy's queue files would be every crawler's at once
            raise UsageError("-s JOBDIR: one spider's job folder; to pause and resume, `scrapy crawl SITE`")
        # Placeholders that give each spider a file of its own: a feed's URI has only Scrapy's.
        output = self.settings["NEWSBOT_OUTPUT"]
        if output and not any(mark in output for mark in ("%(name)s", "{site}", "{spider}")):
            raise UsageError("-s NEWSBOT_OUTPUT: one file for every spider; put {spider} in it")
        for uri in self.settings.getdict("FEEDS"):
            if "%(name)s" not in str(uri):
                raise UsageError(f"feed {uri}: one file for every spider; put %(name)s in it")
        return list(dict.fromkeys(args)) or [site.name for site in load_registry().sites]
