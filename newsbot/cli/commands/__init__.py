"""Project commands that replace Scrapy's own (COMMANDS_MODULE), one module per command as Scrapy
finds them, and what they share: the settings checked before a crawl, the Inspection mixin."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from newsbot.delivery import check_template
from newsbot.mirror import normalise_mirror

if TYPE_CHECKING:
    from scrapy.commands import ScrapyCommand as _ScrapyCommand
else:  # at run time a plain mixin, so that Scrapy does not list it as a command of its own
    _ScrapyCommand = object

# A bad value is one line and exit status 2 before the crawl starts, not a traceback at the end of a
# run that fetched everything (`-s NEWSBOT_MAX_ERRORS=abc`). Each setting names what its value must
# be, as the error says it, and the Scrapy reader that fails (ValueError, TypeError) on a value of
# another type. A number must be 0 or more; a flag always is.
WHOLE_NUMBER = ("a whole number of 0 or more", BaseSettings.getint)
SECONDS = ("a number of seconds, 0 or more", BaseSettings.getfloat)
FLAG = ("True or False", BaseSettings.getbool)
CHECKED_SETTINGS: dict[str, tuple[str, Callable[[BaseSettings, str], float]]] = {
    "NEWSBOT_MAX_ERRORS": WHOLE_NUMBER,
    "NEWSBOT_KNOWN_PAGES_OVERSHOOT": WHOLE_NUMBER,
    "NEWSBOT_MAX_SECTION_PAGES": WHOLE_NUMBER,
    "NEWSBOT_MAX_LINKS_PER_PAGE": WHOLE_NUMBER,
    "NEWSBOT_FEED_MIN_ITEMS": WHOLE_NUMBER,
    "NEWSBOT_LEDGER_MAX_ATTEMPTS": WHOLE_NUMBER,
    "NEWSBOT_LEDGER_GONE_ATTEMPTS": WHOLE_NUMBER,
    "NEWSBOT_LEDGER_GIVE_UP_DAYS": ("a number of days, 0 or more", BaseSettings.getfloat),
    "NEWSBOT_STATE_BUSY_TIMEOUT": SECONDS,
    "NEWSBOT_REDIS_RETRIES": WHOLE_NUMBER,
    "NEWSBOT_REDIS_TIMEOUT": SECONDS,
    "NEWSBOT_RETRY_BACKOFF": SECONDS,
    "NEWSBOT_RETRY_BACKOFF_MAX": SECONDS,
    "NEWSBOT_RETRY_AFTER_MAX": SECONDS,
    "NEWSBOT_PROGRESS_INTERVAL": SECONDS,
    "NEWSBOT_INCREMENTAL_EXPORTS": FLAG,
    "NEWSBOT_MIRROR_POLITE": FLAG,
    "NEWSBOT_RUN_REPORT": FLAG,
    "NEWSBOT_ARCHIVE": FLAG,
}

# Scrapy's inspection tools (`scrapy parse`, `check`, `shell`, `fetch`, `view`) look at pages; they do
# not crawl. So they run with no seen-articles store (a page's entries are all shown, none marked
# known), no delivery and no run report or verdict; a `-s` on the command line still wins.
INSPECTION_SETTINGS: dict[str, Any] = {
    "NEWSBOT_STATE": "",
    "NEWSBOT_OUTPUT": "",
    "NEWSBOT_RUN_REPORT": False,
    "NEWSBOT_PROGRESS_INTERVAL": 0,
}


def check_settings(settings: BaseSettings) -> None:
    """Raises UsageError, one line naming the setting, for the first NEWSBOT_* value that is wrong."""
    for name, (expected, read) in CHECKED_SETTINGS.items():
        value = settings.get(name)
        try:
            fits = value is None or read(settings, name) >= 0  # NaN is not >= 0 either
        except (TypeError, ValueError):
            fits = False
        if not fits:
            raise UsageError(f"-s {name}={value!r}: expected {expected}")
    try:
        normalise_mirror(settings.get("NEWSBOT_MIRROR") or "")
        if template := settings.get("NEWSBOT_OUTPUT"):
            check_template(template)
    except ValueError as error:  # TemplateError is one
        raise UsageError(str(error)) from None


class Inspection(_ScrapyCommand):
    """Mixed into one of Scrapy's commands: the inspection settings, then the setting checks."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        # Scrapy's priority between the project's and the command line's.
        self.settings.setdict(INSPECTION_SETTINGS, priority="spider")
        check_settings(self.settings)
