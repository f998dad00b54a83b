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
        # Placeholders that give each spider a file of its own: a feed's URI has only Scrapy's.
        files: list[tuple[str, str, tuple[str, ...]]] = [
            ("-s NEWSBOT_OUTPUT", self.settings["NEWSBOT_OUTPUT"], ("%(name)s", "{site}", "{spider}"))
        ]
        files += [(f"feed {uri}", str(uri), ("%(name)s",)) for uri in self.settings.getdict("FEEDS")]
        for given, name, marks in files:
            if name and not any(mark in name for mark in marks):
                raise UsageError(f"{given}: one file for every spider; put {marks[-1]} in it")
        return list(dict.fromkeys(args)) or [site.name for site in load_registry().sites]
