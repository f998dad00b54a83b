"""`scrapy crawlall`: every site's spider (or those named) in one CrawlerProcess, a crawler each, so
each site keeps its own downloader slots; one shared store; the exit status is the worst run's."""

from __future__ import annotations

import argparse

from scrapy.exceptions import UsageError

from newsbot.cli.commands.crawl import Command as CrawlCommand
from newsbot.registry import load_registry

# Placeholders that give each spider a file of its own (newsbot's and Scrapy's feed-URI one).
_PER_SPIDER = ("{spider}", "{site}", "%(name)s")


class Command(CrawlCommand):
    command_name = "crawlall"

    def syntax(self) -> str:
        return "[options] [spider ...]"

    def short_desc(self) -> str:
        return "Run every site's spider (or those named) at once, in one process"

    def spider_names(self, args: list[str], opts: argparse.Namespace) -> list[str]:
        if "sections" in opts.spargs:
            raise UsageError("-a sections names one site's sections: use `scrapy crawl SITE -a sections=...`")
        assert self.settings is not None
        files = [("-s NEWSBOT_OUTPUT", self.settings["NEWSBOT_OUTPUT"])]
        files += [(f"-o {uri}", uri) for uri in (opts.output or []) + (opts.overwrite_output or [])]
        shared = [given for given, name in files if name and not any(mark in name for mark in _PER_SPIDER)]
        if shared:
            raise UsageError(f"{shared[0]}: one file for every spider; put {{spider}} (or %(name)s) in it")
        return list(dict.fromkeys(args)) or [site.name for site in load_registry().sites]
