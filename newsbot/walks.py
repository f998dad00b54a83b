"""Bounds on a section walk, so that no site can keep a crawl walking or fetching for ever.

- A walk ends at a page that lists nothing new to this walk: a pagination loop, or page N+1 that
  repeats pages already seen (a URL pattern that never runs out).
- A walk ends at NEWSBOT_MAX_SECTION_PAGES pages (generous: the real sections have tens), with a
  warning and a report counter.
- At most NEWSBOT_MAX_LINKS_PER_PAGE article links of one listing page are taken; the rest are
  counted and reported.

The run report's summary line says when a bound was hit (newsbot.extensions.report).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

from newsbot.keys import STATS_BOUND_LINKS, STATS_BOUND_PAGES, STATS_BOUND_REPEAT

logger = logging.getLogger(__name__)

DEFAULT_MAX_SECTION_PAGES = 500
DEFAULT_MAX_LINKS_PER_PAGE = 1000
_Entry = TypeVar("_Entry")


class WalkBounds:
    """The bounds of one crawl's walks, and what each walk has listed so far."""

    def __init__(self, max_pages: int, max_links: int) -> None:
        self.max_pages = max_pages
        self.max_links = max_links
        self._listed: dict[str, set[str]] = {}

    def new_to_walk(self, spider: Any, slug: str, urls: Sequence[str]) -> bool:
        """Remember the entries of a page of `slug`'s walk; True when one of them is new to it."""
        listed = self._listed.setdefault(slug, set())
        fresh = not listed.issuperset(urls)
        listed.update(urls)
        return fresh

    def links_taken(self, spider: Any, page_url: str, entries: Sequence[_Entry]) -> Sequence[_Entry]:
        if len(entries) <= self.max_links:
            return entries
        over = len(entries) - self.max_links
        spider.crawler.stats.inc_value(STATS_BOUND_LINKS, over)
        logger.warning(
            "%s lists %d article links; took the first %d (NEWSBOT_MAX_LINKS_PER_PAGE), left %d",
            page_url, len(entries), self.max_links, over,
        )  # fmt: skip
        return entries[: self.max_links]

    def stop_repeating(self, spider: Any, page_url: str) -> None:
        spider.crawler.stats.inc_value(STATS_BOUND_REPEAT)
        logger.warning("%s lists nothing new to this walk (a pagination loop?); the walk ends here", page_url)

    def page_limit_reached(self, spider: Any, slug: str, page: int) -> bool:
        if page < self.max_pages:
            return False
        spider.crawler.stats.inc_value(STATS_BOUND_PAGES)
        logger.warning(
            "Section %s: walked %d pages, NEWSBOT_MAX_SECTION_PAGES; the walk ends here", slug, page
        )
        return True


def walk_bounds(spider: Any) -> WalkBounds:
    """The crawl's WalkBounds (one per crawler), from NEWSBOT_MAX_SECTION_PAGES and _MAX_LINKS_PER_PAGE."""
    crawler = spider.crawler
    bounds = getattr(crawler, "_newsbot_walk_bounds", None)
    if not isinstance(bounds, WalkBounds):
        settings = crawler.settings
        bounds = WalkBounds(
            max_pages=max(1, settings.getint("NEWSBOT_MAX_SECTION_PAGES", DEFAULT_MAX_SECTION_PAGES)),
            max_links=max(1, settings.getint("NEWSBOT_MAX_LINKS_PER_PAGE", DEFAULT_MAX_LINKS_PER_PAGE)),
        )
        crawler._newsbot_walk_bounds = bounds
    return bounds
