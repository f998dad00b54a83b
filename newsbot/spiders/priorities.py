"""Request priorities by kind of request, in one table: the home page first (nothing is walked before
the navigation is read), earlier runs' failures ahead of every walk, newer section pages first and a
page ahead of the articles it lists, the feed's articles last."""

from __future__ import annotations

from enum import Enum


class RequestKind(Enum):
    HOME = "home"  # the home page, read for the navigation's sections
    LEDGER_ARTICLE = "ledger_article"  # an article an earlier run failed to have
    SECTION_PAGE = "section_page"  # page N of a section's listing
    FEED = "feed"  # the site's RSS feed (source=feed)
    SECTION_ARTICLE = "section_article"  # an article listed on page N of a section
    FEED_ARTICLE = "feed_article"  # an article listed in the feed

    def priority(self, page: int = 1) -> int:
        # Newer pages first: a section's pages and their articles lose one step per page.
        by_page = self in (RequestKind.SECTION_PAGE, RequestKind.SECTION_ARTICLE)
        return _BASE_PRIORITY[self] - (page if by_page else 0)


_BASE_PRIORITY: dict[RequestKind, int] = {
    RequestKind.HOME: 100,
    RequestKind.LEDGER_ARTICLE: 30,
    RequestKind.SECTION_PAGE: 20,
    RequestKind.FEED: 10,
    RequestKind.SECTION_ARTICLE: 10,
    RequestKind.FEED_ARTICLE: 5,
}
# Requests for article pages, whatever listed them.
ARTICLE_KINDS = frozenset(kind.value for kind in RequestKind if kind.value.endswith("_article"))
