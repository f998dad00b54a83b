"""The spider arguments (`scrapy crawl spacewar -a name=value`): declared, described and validated
in one place.

`scrapy crawl` checks them before it starts the crawl (newsbot/commands/crawl.py), so a bad
argument is one line on stderr and exit status 2, before any request; the spider parses them again
when it is built (`scrapy parse -a`, Scrapyd, `newsbot check`), with the same messages.
"""

from __future__ import annotations

import datetime
import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import UsageError

from newsbot.registry import Site

SOURCES = ("sections", "feed")


@dataclass(frozen=True)
class ArgumentSpec:
    """One spider argument as the user meets it: its name, what it means, its default in words."""

    name: str
    meaning: str
    default: str


ARGUMENTS: tuple[ArgumentSpec, ...] = (
    ArgumentSpec(
        "sections",
        "comma list of section slugs or labels (matched to the navigation, case and spacing folded), "
        "or `all`: every section the home page's navigation names plus the declared ones it does not",
        "the declared sections, at the URL the navigation gives them; for a site that declares none, "
        "the navigation's sections",
    ),
    ArgumentSpec("max_pages", "section pages walked per section", "no bound"),
    ArgumentSpec("max_articles", "articles fetched by the whole run", "no bound"),
    ArgumentSpec("since", "`YYYY-MM-DD`: a section is not walked past entries older than this day", "none"),
    ArgumentSpec("source", "`sections` or `feed` (the site's RSS feed)", "`sections`"),
)
ARGUMENT_NAMES = tuple(spec.name for spec in ARGUMENTS)


@dataclass(frozen=True)
class SpiderArguments:
    """The validated arguments of one run."""

    sections: list[str] | None = None  # None: the default set, or every section (`all`)
    all_sections: bool = False  # `all` was named: every section of the navigation, declared or not
    max_pages: int | None = None
    max_articles: int | None = None
    since: datetime.date | None = None
    source: str = "sections"

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> SpiderArguments:
        """Arguments as Scrapy hands them over (strings, or values from Python callers).

        Raises UsageError, one line naming the argument, on an unknown name or a bad value. Names
        starting with `_` pass unread: Scrapyd adds `_job` to every job's arguments.
        """
        for name in raw:
            if name not in ARGUMENT_NAMES and not name.startswith("_"):
                raise UsageError(unknown_argument_message(name))
        return cls(
            sections=_section_names(raw.get("sections")),
            all_sections=any(
                name.strip().lower() == "all" for name in str(raw.get("sections") or "").split(",")
            ),
            max_pages=_positive_int("max_pages", raw.get("max_pages")),
            max_articles=_positive_int("max_articles", raw.get("max_articles")),
            since=_day("since", raw.get("since")),
            source=_choice("source", raw.get("source") or "sections", SOURCES),
        )

    def check_site(self, site: Site) -> None:
        """What only the site can tell: whether it has the feed `source=feed` asks for."""
        if self.source == "feed" and not site.feed:
            raise UsageError(f"-a source=feed: {site.host} has no known feed; use -a source=sections")


def unknown_argument_message(name: str) -> str:
    close = difflib.get_close_matches(name, ARGUMENT_NAMES, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"-a {name}: unknown spider argument; {hint}known: {', '.join(ARGUMENT_NAMES)}"


def _section_names(value: Any) -> list[str] | None:
    names = [name.strip() for name in str(value or "all").split(",") if name.strip()]
    if not names or any(name.lower() == "all" for name in names):
        return None
    return names


def _choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UsageError(f"-a {name}={value!r}: expected one of {', '.join(choices)}")
    return str(value)


POSITIVE_INT_EXPECTED = "expected a whole number of 1 or more"


def positive_int(value: Any) -> int | None:
    """A count of 1 or more, or None for no value. The one rule for `-a max_pages` and the like and
    for `newsbot check --articles`; raises ValueError(POSITIVE_INT_EXPECTED) on anything else."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise ValueError(POSITIVE_INT_EXPECTED)
    return number


def _positive_int(name: str, value: Any) -> int | None:
    try:
        return positive_int(value)
    except ValueError as error:
        raise UsageError(f"-a {name}={value!r}: {error}") from None


def _day(name: str, value: Any) -> datetime.date | None:
    if not value:
        return None
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"-a {name}={value!r}: expected a day as YYYY-MM-DD") from None
