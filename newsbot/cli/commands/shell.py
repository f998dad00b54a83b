"""`scrapy shell` as Scrapy has it, with the inspection settings (newsbot.cli.commands.Inspection)."""

from scrapy.commands.shell import Command as ScrapyCommand

from newsbot.cli.commands import Inspection


class Command(Inspection, ScrapyCommand):
    pass
