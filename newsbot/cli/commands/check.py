import argparse

from scrapy.commands.check import Command as ScrapyCommand

from newsbot.cli.commands import Inspection


class Command(Inspection, ScrapyCommand):
    def spider_names(self, args: list[str], opts: argparse.Namespace) -> list[str]:
        return args
