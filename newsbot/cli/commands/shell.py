from scrapy.commands.shell import Command as ScrapyCommand

from newsbot.cli.commands import Inspection


class Command(Inspection, ScrapyCommand):
    pass
