"""Healing a declared section whose page is gone or empty (newsbot.middlewares.sections), in-process."""

from __future__ import annotations

from newsbot.extensions.report import failures
from newsbot.keys import HEAL_META_KEY
from newsbot.middlewares.sections import SectionHealingMiddleware
from newsbot.middlewares.walk import WalkPolicyMiddleware
from newsbot.parsing.navigation import Navigation
from newsbot.registry import NavLink, Section, resolve_sections
from tests.components import make_crawler, run, snapshot_response, through

HOME = "https://www.spacewar.com/index.html"
DECLARED = "https://www.spacewar.com/superpowers.html"
SECOND = "https://www.spacewar.com/superpowers-02.html"
MOVED = "https://www.spacewar.com/geopolitics.html"


def _first_pages(crawler, links):
    """The first section pages a run asks for when the navigation names `links` (None: unread)."""
    spider = crawler.spider
    nav = Navigation(url=HOME, sections=links) if links is not None else None
    return {r.cb_kwargs["slug"]: r for r in spider._walk(resolve_sections(spider.site, links), nav)}


async def _answer(crawler, request, status=200, body=None):
    response = snapshot_response(request, status=status, body=body)
    outputs = list(request.callback(response, **request.cb_kwargs))
    return await through(crawler.get_spider_middleware(SectionHealingMiddleware), response, outputs)


def test_a_gone_declared_page_is_walked_again_where_the_navigation_links_it(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        first = _first_pages(crawler, [NavLink("SUPERPOWERS NEWS", MOVED)])["superpowers"]
        assert first.url == DECLARED and first.meta[HEAL_META_KEY] == "declared"
        [healed] = await _answer(crawler, first, status=404)
        assert healed.url == MOVED and healed.cb_kwargs == {
            "slug": "superpowers",
            "label": "SUPERPOWERS",
            "page": 1,
            "name": "geopolitics",  # its next pages are geopolitics-02.html...
        }
        assert HEAL_META_KEY not in healed.meta  # healed once, never twice
        assert crawler.stats.get_value("newsbot/sections_healed") == 1

    run(scenario())


def test_a_declared_page_listing_no_article_is_healed_too(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        first = _first_pages(
            crawler, [NavLink("SUPERPOWERS", MOVED.replace("geopolitics", "superpowers-news"))]
        )
        request = first["superpowers"]
        assert request.url != DECLARED  # named by the navigation: walked where it links, not healed
        assert HEAL_META_KEY not in request.meta
        first = _first_pages(crawler, [NavLink("SUPERPOWERS NEWS", MOVED)])["superpowers"]
        [healed] = await _answer(crawler, first, body=b"<html><body><p>No articles here</p></body></html>")
        assert healed.url == MOVED

    run(scenario())


def test_a_page_the_navigation_a_heal_or_a_pager_gave_listing_no_article_fails_its_walk(tmp_path):
    """As a declared page the navigation does not name: where it names the section, where a heal found
    it or where its pager links it, a page listing nothing (a listing redesign, a soft 404) left the
    section unwalked (past it) with an ok verdict and exit 0, its new articles not fetched."""
    empty = b"<html><body><p>No articles here</p></body></html>"

    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        vouched = _first_pages(crawler, [NavLink("SUPERPOWERS", DECLARED)])["superpowers"]
        assert await _answer(crawler, vouched, body=empty) == []
        [healed] = await _answer(
            crawler, _first_pages(crawler, [NavLink("SUPERPOWERS NEWS", MOVED)])["superpowers"], body=empty
        )
        assert await _answer(crawler, healed, body=empty) == []
        # A page its pager links, answering 200 with a soft 404 or a portal's page: the pages past it
        # unwalked, it read ok, exit 0, 0 missing, 0 owed.
        older = crawler.spider.section_request(
            Section("superpowers", "SUPERPOWERS"), SECOND, 2, "superpowers"
        )
        assert await _answer(crawler, older, body=empty) == []
        # One answering 404 is the errback's (gone), whose output passes here too: not counted twice.
        healer = crawler.get_spider_middleware(SectionHealingMiddleware)
        assert await through(healer, snapshot_response(vouched, status=404), []) == []
        stats = crawler.stats.get_stats()
        assert (
            stats["newsbot/sections_failed"] == 3 and stats["newsbot/section_pages_failed/no_articles"] == 3
        )
        assert "superpowers" in crawler.get_spider_middleware(WalkPolicyMiddleware).incomplete
        assert failures(stats, "finished", max_errors=10) == [
            "3 section page(s) could not be had (3 no_articles)"
        ]

    run(scenario())


def test_a_gone_page_the_navigation_names_nowhere_else_fails_its_walk(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        first = _first_pages(crawler, [NavLink("CYBER WARS", "https://www.spacewar.com/cyber-wars.html")])
        assert await _answer(crawler, first["superpowers"], status=404) == []
        stats = crawler.stats.get_stats()
        assert stats["newsbot/sections_failed"] == 1 and stats["newsbot/section_pages_failed/gone"] == 1
        assert "superpowers" in crawler.get_spider_middleware(WalkPolicyMiddleware).incomplete

    run(scenario())


def test_without_a_navigation_a_gone_declared_page_fails_its_walk(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        first = _first_pages(crawler, None)["superpowers"]
        assert await _answer(crawler, first, status=404) == []
        assert crawler.stats.get_value("newsbot/sections_failed") == 1
        assert "superpowers" in crawler.get_spider_middleware(WalkPolicyMiddleware).incomplete

    run(scenario())


def test_a_navigation_link_listing_nothing_is_not_a_section_and_no_failure(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, sections="all")
        about = NavLink("ABOUT US", "https://www.spacewar.com/about.html")
        request = _first_pages(crawler, [about])["about-us"]
        assert await _answer(crawler, request, body=b"<html><body>Who we are</body></html>") == []
        assert crawler.stats.get_value("newsbot/sections_empty") == 1
        assert crawler.stats.get_value("newsbot/sections_failed") is None

    run(scenario())


def _on_another_worker(crawler, request, tmp_path):
    """`request` as a cluster worker that never read the home page takes it from Redis (or a JOBDIR
    resume finds it): through the codec, to a spider of its own."""
    from scrapy.utils.request import request_from_dict

    from newsbot.cluster import codec

    other = make_crawler(tmp_path / "other", sections="superpowers")
    entry = codec.dumps(request.to_dict(spider=crawler.spider))
    return other, request_from_dict(codec.loads(entry), spider=other.spider)


def test_a_gone_declared_page_is_healed_by_a_worker_that_never_read_the_home_page(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        first = _first_pages(crawler, [NavLink("SUPERPOWERS NEWS", MOVED)])["superpowers"]
        other, taken = _on_another_worker(crawler, first, tmp_path)
        [healed] = await _answer(other, taken, status=404)
        assert healed.url == MOVED and HEAL_META_KEY not in healed.meta
        assert other.stats.get_value("newsbot/sections_healed") == 1

    run(scenario())


def test_a_moved_sections_next_page_is_found_by_a_worker_that_never_read_the_home_page(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        first = _first_pages(crawler, [NavLink("SUPERPOWERS", MOVED)])["superpowers"]
        second = first.callback(
            snapshot_response(first, body=_listing(MOVED, ["geopolitics-02.html"])), **first.cb_kwargs
        )
        [second] = [r for r in second if "-02" in r.url]
        _, taken = _on_another_worker(crawler, second, tmp_path)
        body = _listing(second.url, ["geopolitics.html", "geopolitics-03.html"])
        next_pages = [r.url for r in taken.callback(snapshot_response(taken, body=body), **taken.cb_kwargs)]
        assert "https://www.spacewar.com/geopolitics-03.html" in next_pages, next_pages
        assert MOVED not in next_pages

    run(scenario())


def _listing(url, pages):
    """A section page listing one article, with numbered links to `pages` (as the site numbers them)."""
    links = "".join(f'<a href="{page}">{n}</a> ' for n, page in enumerate(pages, start=1))
    article = '<a href="https://www.spacewar.com/reports/A_story_999.html">A story</a>'
    return f"<html><body><div>{article}</div><p>{links}</p></body></html>".encode()


def test_a_section_page_queued_by_an_earlier_newsbot_without_its_name_is_walked_by_its_slug(tmp_path):
    """A JOBDIR or a Redis queue of the version before requests carried their first page's name."""

    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        first = _first_pages(crawler, [NavLink("SUPERPOWERS", DECLARED)])["superpowers"]
        queued = first.replace(cb_kwargs={k: v for k, v in first.cb_kwargs.items() if k != "name"})
        body = _listing(DECLARED, ["superpowers-02.html"])
        next_pages = [r for r in queued.callback(snapshot_response(queued, body=body), **queued.cb_kwargs)]
        assert [r.url for r in next_pages if "-02" in r.url] == [
            "https://www.spacewar.com/superpowers-02.html"
        ]
        assert next_pages[-1].cb_kwargs["name"] == "superpowers"

    run(scenario())


def test_a_gone_first_page_queued_by_an_earlier_newsbot_fails_its_walk_not_counted_empty(tmp_path):
    """Its heal marker is the section's key (as the version before wrote it), not "declared" or "link"."""

    async def scenario():
        crawler = make_crawler(tmp_path, sections="superpowers")
        first = _first_pages(crawler, [NavLink("CYBER WARS", "https://www.spacewar.com/cyber-wars.html")])
        queued = first["superpowers"].replace(
            meta={**first["superpowers"].meta, HEAL_META_KEY: "superpowers"}
        )
        assert await _answer(crawler, queued, status=404) == []
        assert crawler.stats.get_value("newsbot/sections_failed") == 1
        assert crawler.stats.get_value("newsbot/sections_empty") is None
        assert "superpowers" in crawler.get_spider_middleware(WalkPolicyMiddleware).incomplete

    run(scenario())
