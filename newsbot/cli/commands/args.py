"""`scrapy args SPIDER`: the arguments a spider takes (`scrapy crawl SPIDER -a NAME=VALUE`), from
newsbot/spiders/args.py, as `scrapy list` lists the spiders."""

from __future__ import annotations

import argparse
import textwrap

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from newsbot.cli.commands import check_spiders, usage_errors_in_one_line
from newsbot.registry import load_registry
from newsbot.spiders.args import SpiderArguments, argument_table


class Command(ScrapyCommand):
    requires_project = True
    requires_crawler_process = False

    def syntax(self) -> str:
        return "<spider>"

    def short_desc(self) -> str:
        return "List the arguments a spider takes (-a NAME=VALUE), with their meaning and default"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        assert self.settings is not None
        with usage_errors_in_one_line(self):
            if len(args) != 1:
                raise UsageError("give one spider name; `scrapy list` shows them")
            loader = check_spiders(self.settings, args)
        table = argument_table()
        width = max(len(name) for name, _, _ in table)
        print(f"scrapy crawl {args[0]} -a NAME=VALUE ...")
        for name, meaning, default in table:
            row = f"{name:<{width}}  {meaning}. Default: {default}."
            print(textwrap.fill(row, 100, subsequent_indent=" " * (width + 2)))
        if (site_name := getattr(loader.load(args[0]), "site_name", None)) is not None:
            try:  # what only the site can tell
                SpiderArguments.parse({"source": "feed"}).check_site(load_registry().site(site_name))
            except UsageError as error:
                print(f"Note: {error}.")
