"""Scrapy's inspection tools (`scrapy parse`, `check`, `shell`, `fetch`, `view`) look at pages; they
do not crawl. So they run with no seen-articles store (a page's entries are all shown, none marked
known), no JSON Lines output and no run report or verdict; a `-s` on the command line still wins."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from scrapy.settings import SETTINGS_PRIORITIES

from newsbot.setting_checks import check_settings

if TYPE_CHECKING:
    from scrapy.commands import ScrapyCommand as _ScrapyCommand
else:  # a mixin, so that Scrapy does not list this module as a command of its own
    _ScrapyCommand = object

INSPECTION_SETTINGS: dict[str, Any] = {
    "NEWSBOT_STATE": "",
    "NEWSBOT_OUTPUT": "",
    "NEWSBOT_STATS_FILE": "",
    "NEWSBOT_RUN_REPORT": False,
    "NEWSBOT_PROGRESS_INTERVAL": 0,
}


class Inspection(_ScrapyCommand):
    """Mixed into a Scrapy command: the inspection settings above the project's, below the command
    line's; then the usual setting checks."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        for name, value in INSPECTION_SETTINGS.items():
            if (self.settings.getpriority(name) or 0) < SETTINGS_PRIORITIES["cmdline"]:
                self.settings.set(name, value, "cmdline")
        check_settings(self.settings)
