"""The spider arguments (`-a name=value`) as one pydantic model; README's table is `argument_table()`.
`scrapy crawl` checks them before the crawl starts (exit 2, one line); the spider parses them again."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError
from scrapy.exceptions import UsageError

from newsbot.registry import Site, did_you_mean

POSITIVE_INT_EXPECTED = "expected a whole number of 1 or more"
_EXPECTED = {"since": "expected a day as YYYY-MM-DD", "source": "expected one of sections, feed"}


class SpiderArguments(BaseModel):
    """A field's description is its README row: what it means, then " Default: " in words."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sections: list[str] | None = Field(
        None,
        description="comma list of section slugs or labels (matched to the navigation, case and spacing "
        "folded), or `all`: every section the home page's navigation names plus the declared ones it "
        "does not. Default: the declared sections, at the URL the navigation gives them; for a site that "
        "declares none, the navigation's sections",
    )
    max_pages: PositiveInt | None = Field(
        None, description="section pages walked per section. Default: no bound"
    )
    max_articles: PositiveInt | None = Field(
        None, description="articles fetched by the whole run (a cluster: by each worker). Default: no bound"
    )
    since: datetime.date | None = Field(
        None,
        description="`YYYY-MM-DD`: a section is not walked past entries older than this day. Default: none",
    )
    source: Literal["sections", "feed"] = Field(
        "sections",
        description="`sections` or `feed` (the site's RSS feed: every section, no `sections`, `max_pages`). "
        "Default: `sections`",
    )
    # `sections=all` was named: every section of the navigation, declared or not (not an argument).
    all_sections: bool = Field(False, exclude=True)

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> SpiderArguments:
        """Raises UsageError, one line naming the argument. Scrapyd adds `_job`: `_` names pass unread."""
        names = argument_names()
        given = {name: value for name, value in raw.items() if not name.startswith("_")}
        for name, value in given.items():
            if name not in names:
                hint = did_you_mean(name, names)
                raise UsageError(f"-a {name}: unknown spider argument; {hint}known: {', '.join(names)}")
            if value is not None and not str(value).strip():
                # `-a sections=` meant something; silently walking the default would not be it.
                raise UsageError(f"-a {name}=: empty; give a value, or leave the argument out")
        sections = [name.strip() for name in str(given.get("sections") or "").split(",") if name.strip()]
        if given.get("sections") is not None and not sections:  # `sections=,`: as empty, not every one
            raise UsageError(f"-a sections={given['sections']!r}: names no section; name one or leave it out")
        all_sections = any(name.lower() == "all" for name in sections)
        values = {name: value for name, value in given.items() if value not in (None, "")}
        values["sections"] = None if all_sections or not sections else sections
        try:
            arguments = cls(**values, all_sections=all_sections)
        except ValidationError as error:
            name = str(error.errors()[0]["loc"][0])
            raise UsageError(
                f"-a {name}={given.get(name)!r}: {_EXPECTED.get(name, POSITIVE_INT_EXPECTED)}"
            ) from None
        if arguments.source == "feed" and (walk := sorted({"sections", "max_pages"} & given.keys())):
            raise UsageError(f"-a {walk[0]}: a section walk's; -a source=feed reads the feed, every section")
        if arguments.since is not None and arguments.since > datetime.date.today():
            raise UsageError(f"-a since={given['since']!r}: a day in the future; nothing would be written")
        return arguments

    def check_site(self, site: Site) -> None:
        if self.source == "feed" and not site.feed:
            raise UsageError(f"-a source=feed: {site.host} has no known feed; use -a source=sections")


def argument_names() -> list[str]:
    return [name for name, field in SpiderArguments.model_fields.items() if not field.exclude]


def argument_table() -> list[tuple[str, str, str]]:
    rows = []
    for name in argument_names():
        meaning, _, default = (SpiderArguments.model_fields[name].description or "").partition(". Default: ")
        rows.append((name, meaning, default))
    return rows


def positive_int(value: Any) -> int | None:
    """`-a max_articles`'s rule, for `newsbot check --articles`."""
    try:
        return SpiderArguments.parse({"max_articles": value}).max_articles
    except UsageError:
        raise ValueError(POSITIVE_INT_EXPECTED) from None
