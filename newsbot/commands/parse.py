"""`scrapy parse` as Scrapy has it, run with the inspection settings of newsbot.commands.inspection."""

from __future__ import annotations

import argparse

from scrapy.commands.parse import Command as ScrapyParseCommand

from newsbot.commands.inspection import inspection_settings


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        inspection_settings(self.settings)
