"""`scrapy parse` as Scrapy has it, with the inspection settings (newsbot.cli.commands.Inspection),
exiting 1 when nothing was downloaded (the log says why: a host that cannot be reached, say)."""

from __future__ import annotations

import argparse
import warnings

from scrapy.commands.parse import Command as ScrapyCommand
from scrapy.exceptions import ScrapyDeprecationWarning

from newsbot.cli.commands import Inspection


class Command(Inspection, ScrapyCommand):
    def start_parsing(self, url: str, opts: argparse.Namespace) -> None:
        # Scrapy's own callback wrapper returns a Deferred, which Scrapy deprecates naming our `parse`.
        warnings.filterwarnings("ignore", ".* returned a Deferred", ScrapyDeprecationWarning)
        super().start_parsing(url, opts)
        if not self.first_response:
            self.exitcode = 1
