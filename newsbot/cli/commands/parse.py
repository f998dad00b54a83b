"""`scrapy parse` as Scrapy has it, with the inspection settings (newsbot.cli.commands.Inspection),
exiting 1 when nothing was downloaded (the log says why: a host that cannot be reached, say), and 2
when no spider crawls the URL's site (Scrapy logs an error and exits 0, or 1 with --spider)."""

from __future__ import annotations

import argparse
import warnings

from scrapy import Request
from scrapy.commands.parse import Command as ScrapyCommand
from scrapy.exceptions import ScrapyDeprecationWarning, UsageError
from scrapy.spiderloader import get_spider_loader
from scrapy.utils.spider import spidercls_for_request
from w3lib.url import is_url

from newsbot.cli.commands import Inspection, usage_errors_in_one_line


class Command(Inspection, ScrapyCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        url = args[0] if args and is_url(args[0]) else None
        with usage_errors_in_one_line(self):
            # Off the network for every spider, --spider or not: refused by the offsite rule in silence.
            if url and not spidercls_for_request(get_spider_loader(self.settings), Request(url)):
                raise UsageError(f"no spider crawls {url}: it is on no site of the network (`scrapy list`)")

    def start_parsing(self, url: str, opts: argparse.Namespace) -> None:
        # Scrapy's own callback wrapper returns a Deferred, which Scrapy deprecates naming our `parse`.
        warnings.filterwarnings("ignore", ".* returned a Deferred", ScrapyDeprecationWarning)
        super().start_parsing(url, opts)
        if not self.first_response:
            self.exitcode = 1
