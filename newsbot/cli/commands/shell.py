"""`scrapy shell` as Scrapy has it, with the inspection settings of newsbot.cli.commands.inspection."""

from scrapy.commands.shell import Command as ScrapyCommand

from newsbot.cli.commands.inspection import Inspection


class Command(Inspection, ScrapyCommand):
    pass
