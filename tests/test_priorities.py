"""The order requests are fetched in, from the one table of request kinds."""

from __future__ import annotations

from newsbot.spiders.priorities import RequestKind


def test_the_home_page_comes_before_everything_else() -> None:
    others = [kind.priority(page) for kind in RequestKind if kind is not RequestKind.HOME for page in (1, 2)]
    assert RequestKind.HOME.priority() > max(others)


def test_ledger_articles_come_before_every_walk() -> None:
    assert RequestKind.LEDGER_ARTICLE.priority() > RequestKind.SECTION_PAGE.priority(1)


def test_newer_section_pages_first_and_a_page_before_the_articles_it_lists() -> None:
    assert RequestKind.SECTION_PAGE.priority(1) > RequestKind.SECTION_PAGE.priority(2)
    assert RequestKind.SECTION_ARTICLE.priority(1) > RequestKind.SECTION_ARTICLE.priority(2)
    for page in (1, 2, 5):
        assert RequestKind.SECTION_PAGE.priority(page) > RequestKind.SECTION_ARTICLE.priority(page)


def test_the_values_the_spiders_always_used() -> None:
    # A cluster's queued requests keep their priorities across an upgrade only if the values stay.
    assert [RequestKind.HOME.priority(), RequestKind.LEDGER_ARTICLE.priority()] == [100, 30]
    assert [RequestKind.SECTION_PAGE.priority(3), RequestKind.SECTION_ARTICLE.priority(3)] == [17, 7]
    assert [RequestKind.FEED.priority(), RequestKind.FEED_ARTICLE.priority()] == [10, 5]
