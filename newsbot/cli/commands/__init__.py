"""Scrapy's commands as the project has them (COMMANDS_MODULE, a module each), and what they share:
settings and spider names checked before anything runs, usage errors in one line."""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import UsageError
from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings, default_settings
from scrapy.spiderloader import SpiderLoaderProtocol, get_spider_loader

from newsbot.delivery import check_template
from newsbot.mirror import normalise_mirror
from newsbot.registry import did_you_mean

if TYPE_CHECKING:
    from scrapy.commands import ScrapyCommand as _ScrapyCommand
else:  # at run time a plain mixin, so that Scrapy does not list it as a command of its own
    _ScrapyCommand = object

EXIT_USAGE = 2

# Scrapy's inspection tools (`scrapy parse`, `check`, `shell`, `fetch`, `view`) look at pages, they do not
# crawl: no store (a page's entries all shown, none known), no delivery, no report; `-s` still wins.
INSPECTION_SETTINGS: dict[str, Any] = {
    "NEWSBOT_STATE": "",
    "NEWSBOT_OUTPUT": "",
    "NEWSBOT_RUN_REPORT": False,
    "NEWSBOT_PROGRESS_INTERVAL": 0,
}


def check_settings(settings: BaseSettings) -> None:
    """Raises UsageError, one line naming the setting, for a misspelt name, and the first value of a
    NEWSBOT_*, CLOSESPIDER_* or project setting not of its default's type, or below 0: before the crawl,
    not as a traceback."""
    import newsbot.settings

    known = {name: value for name, value in vars(newsbot.settings).items() if name.startswith("NEWSBOT_")}
    scrapy_names = [name for name in {*vars(default_settings), *vars(newsbot.settings)} if name.isupper()]
    for name in settings:
        if name.upper().startswith("NEWSBOT_") and name not in known:  # a misspelt name is read by nothing
            raise UsageError(
                f"-s {name}: unknown setting; {did_you_mean(name.upper(), list(known))}README lists them"
            )
        # Scrapy's misspelt too (-s DOWNLOAD_DELY), not other libraries' (scrapy-redis's DUPEFILTER_KEY)
        # nor those Scrapy still reads though deprecated (its default_settings still answers them).
        typed = (
            settings.getpriority(name) == SETTINGS_PRIORITIES["cmdline"]
            and name not in scrapy_names
            and not hasattr(default_settings, name)
        )
        if typed and (close := difflib.get_close_matches(name, scrapy_names, n=1, cutoff=0.87)):
            raise UsageError(f"-s {name}: not a setting; did you mean {close[0]!r}?")
    expected = {bool: "True or False", int: "a whole number of 0 or more", float: "a number of 0 or more"}
    read = {bool: BaseSettings.getbool, int: BaseSettings.getint, float: BaseSettings.getfloat}
    # And the caps on a run that Scrapy's CloseSpider reads (README), typed as its own defaults; and the
    # Scrapy settings the project sets (README's politeness), typed as the project's.
    caps = {name: value for name, value in vars(default_settings).items() if name.startswith("CLOSESPIDER_")}
    for name, default in {**caps, **vars(newsbot.settings)}.items():
        if type(default) not in read or settings.get(name) is None:
            continue
        try:
            if read[type(default)](settings, name) >= 0:  # NaN is not >= 0 either
                continue
        except (TypeError, ValueError):
            pass
        raise UsageError(f"-s {name}={settings.get(name)!r}: expected {expected[type(default)]}")
    try:
        normalise_mirror(settings.get("NEWSBOT_MIRROR") or "")
        if template := settings.get("NEWSBOT_OUTPUT"):
            check_template(template)
    except ValueError as error:  # TemplateError is one
        raise UsageError(str(error)) from None


def check_spiders(settings: BaseSettings, names: Iterable[str]) -> SpiderLoaderProtocol:
    """Raises UsageError for the first name that is no spider's, naming the closest one."""
    loader = get_spider_loader(settings)
    known = loader.list()
    for name in names:
        if name not in known:
            hint = did_you_mean(name, known)
            raise UsageError(f"unknown spider {name!r}; {hint}`scrapy list` shows all {len(known)}")
    return loader


@contextmanager
def usage_errors_in_one_line(command: object) -> Iterator[None]:
    """A UsageError is one line on stderr and exit status 2, where Scrapy prints its usage text first
    (and a KeyError traceback for an unknown --spider)."""
    try:
        yield
    except UsageError as error:
        print(f"scrapy {type(command).__module__.rpartition('.')[2]}: {error}", file=sys.stderr)
        sys.exit(EXIT_USAGE)


class Inspection(_ScrapyCommand):
    """Mixed into one of Scrapy's commands: the inspection settings, then the setting checks."""

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        with usage_errors_in_one_line(self):
            super().process_options(args, opts)
            assert self.settings is not None
            # Scrapy's priority between the project's and the command line's.
            self.settings.setdict(INSPECTION_SETTINGS, priority="spider")
            check_settings(self.settings)
            check_spiders(self.settings, self.spider_names(args, opts))

    def spider_names(self, args: list[str], opts: argparse.Namespace) -> list[str]:
        """The spiders named on the command line: --spider (`scrapy check` takes them as arguments)."""
        return [opts.spider] if getattr(opts, "spider", None) else []
