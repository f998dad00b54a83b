"""The walk policy (newsbot.middlewares.walk), driven in-process on the snapshot's section pages."""

from __future__ import annotations

import datetime

import pytest

from newsbot.keys import KIND_META_KEY
from newsbot.middlewares.walk import WalkPolicyMiddleware
from newsbot.registry import Section
from newsbot.signals import run_judged, section_page_failed
from newsbot.store.base import KnownArticle
from tests.components import make_crawler, run, section_page, through, urls

FIRST = "https://www.spacewar.com/superpowers.html"
# Every entry of the snapshot is older than today.
TODAY = datetime.date.today().isoformat()
SECOND = "https://www.spacewar.com/superpowers-02.html"


def _walk(crawler):
    return crawler.get_spider_middleware(WalkPolicyMiddleware)


def _store(crawler):
    from newsbot.extensions.store import seen_store

    return seen_store(crawler)


def _articles(outputs):
    return [o for o in outputs if o.meta.get(KIND_META_KEY) == "section_article"]


def _mark_known(crawler, requests):
    store = _store(crawler)
    for request in requests:
        store.record(KnownArticle(url=request.url, content_hash=request.url, site="spacewar.com"))


def _complete_a_walk(crawler, first_page, section="superpowers"):
    """A walk of `section` completed, its first page listing `first_page` (requests)."""
    store = _store(crawler)
    store.begin_walk("spacewar.com", section)
    store.note_walk_top("spacewar.com", section, urls(first_page))
    store.complete_walks("spacewar.com", [section])


def test_a_first_walk_asks_for_every_entry_and_the_next_page(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        let_out = await through(_walk(crawler), response, outputs)
        assert urls(let_out) == urls(outputs) and SECOND in urls(let_out)
        stats = crawler.stats.get_stats()
        assert stats["newsbot/articles_requested"] == len(_articles(outputs)) > 0
        assert stats["newsbot/walks_begun"] == 1
        assert not _store(crawler).last_walk_completed("spacewar.com", "superpowers")

    run(scenario())


def test_a_jobdir_used_again_after_its_job_finished_spends_none_of_max_articles(tmp_path):
    """Its spider.state keeps the articles that job asked for (a resumed job's og:url claims read
    them): not this run's asks, they must not spend its budget and defer all it lists."""
    from scrapy import signals
    from scrapy.extensions.spiderstate import SpiderState

    async def scenario():
        job = {"JOBDIR": str(tmp_path / "job")}
        finished = make_crawler(tmp_path, settings=job)
        finished.signals.send_catch_log(signal=signals.spider_opened, spider=finished.spider)
        await through(_walk(finished), *section_page(finished, "superpowers", SECOND, page=2))
        finished.get_extension(SpiderState).spider_closed(finished.spider)
        again = make_crawler(tmp_path / "again", settings=job, max_articles="3")
        again.signals.send_catch_log(signal=signals.spider_opened, spider=again.spider)
        response, outputs = section_page(again, "superpowers", FIRST)
        assert urls(_articles(await through(_walk(again), response, outputs))) == urls(_articles(outputs))[:3]

    run(scenario())


def test_known_entries_are_not_asked_for(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        known = _articles(outputs)[:2]
        _mark_known(crawler, known)
        let_out = await through(_walk(crawler), response, outputs)
        assert not set(urls(known)) & set(urls(let_out))
        assert crawler.stats.get_value("newsbot/skipped/known") == 2
        assert SECOND in urls(let_out)

    run(scenario())


def test_an_all_known_page_ends_a_walk_only_after_a_completed_one_and_its_overshoot(tmp_path):
    async def walk(settings, completed_before):
        crawler = make_crawler(tmp_path / str(len(list(tmp_path.iterdir()))), settings=settings)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        if completed_before:
            _complete_a_walk(crawler, _articles(outputs))
        _mark_known(crawler, _articles(outputs))
        return urls(await through(_walk(crawler), response, outputs))

    async def scenario():
        assert await walk({}, completed_before=True) == []
        # A walk killed before its end: older pages may hold articles never fetched.
        assert await walk({}, completed_before=False) == [SECOND]
        assert await walk({"NEWSBOT_KNOWN_PAGES_OVERSHOOT": 1}, completed_before=True) == [SECOND]

    run(scenario())


def test_since_stops_at_the_first_older_entry(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, since=TODAY)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        assert await through(_walk(crawler), response, outputs) == []
        assert crawler.stats.get_value("newsbot/skipped/older_than_since") == len(_articles(outputs))

    run(scenario())


def test_max_articles_and_max_pages_bound_the_run(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path, max_articles="3", max_pages="1")
        response, outputs = section_page(crawler, "superpowers", FIRST)
        let_out = await through(_walk(crawler), response, outputs)
        assert urls(let_out) == urls(_articles(outputs))[:3]
        assert crawler.stats.get_value("newsbot/skipped/max_articles") == len(_articles(outputs)) - 3

    run(scenario())


def test_the_page_and_link_bounds_end_a_walk_with_counters(tmp_path):
    async def scenario():
        crawler = make_crawler(
            tmp_path, settings={"NEWSBOT_MAX_LINKS_PER_PAGE": 2, "NEWSBOT_MAX_SECTION_PAGES": 1}
        )
        response, outputs = section_page(crawler, "superpowers", FIRST)
        let_out = await through(_walk(crawler), response, outputs)
        assert urls(let_out) == urls(_articles(outputs))[:2]
        stats = crawler.stats.get_stats()
        assert stats["newsbot/bounds/links_over_page_limit"] == len(_articles(outputs)) - 2
        assert stats["newsbot/bounds/section_page_limit"] == 1

    run(scenario())


def test_zero_page_and_link_bounds_mean_no_limit(tmp_path):
    """As Scrapy's own limits (DEPTH_LIMIT, CLOSESPIDER_ITEMCOUNT): 0 is none, not a bound of 1."""

    async def scenario():
        crawler = make_crawler(
            tmp_path, settings={"NEWSBOT_MAX_LINKS_PER_PAGE": 0, "NEWSBOT_MAX_SECTION_PAGES": 0}
        )
        response, outputs = section_page(crawler, "superpowers", FIRST)
        let_out = await through(_walk(crawler), response, outputs)
        assert urls(let_out) == urls(outputs) and SECOND in urls(let_out)
        assert not [key for key in crawler.stats.get_stats() if key.startswith("newsbot/bounds/")]

    run(scenario())


def test_a_page_listing_nothing_new_to_its_walk_ends_it(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        await through(_walk(crawler), response, outputs)
        # The same entries again (a pagination loop): nothing more of this walk.
        again, outputs = section_page(crawler, "superpowers", FIRST, page=2)
        let_out = await through(_walk(crawler), again, outputs)
        assert not [r for r in let_out if r.meta.get(KIND_META_KEY) == "section_page"]
        assert crawler.stats.get_value("newsbot/bounds/page_without_new_entries") == 1

    run(scenario())


def test_a_walk_ended_by_a_page_listing_nothing_new_is_not_complete(tmp_path):
    """A page listing nothing (an empty body, or no entries yet a next page) or repeating an earlier
    page: a site's glitch as likely as the listing's end. Recorded complete, the next runs would stop
    at the first all-known page and never walk the pages past it."""

    async def walked(name, page_two):
        crawler = make_crawler(tmp_path / name)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        await through(_walk(crawler), response, outputs)
        response, outputs = section_page(crawler, "superpowers", page_two, page=2)
        if name != "repeating":
            outputs = [o for o in outputs if o not in _articles(outputs) and name == "naming the next"]
        let_out = await through(_walk(crawler), response, outputs)
        assert not [r for r in let_out if r.meta.get(KIND_META_KEY) == "section_page"], name
        crawler.signals.send_catch_log(
            signal=run_judged, spider=crawler.spider, outcome="ok", reason="finished"
        )
        return _store(crawler).last_walk_completed("spacewar.com", "superpowers")

    async def scenario():
        for name, page_two in (("naming the next", SECOND), ("empty", SECOND), ("repeating", FIRST)):
            assert not await walked(name, page_two), name
        # A declared first page gone, healed: the walk begins again where the navigation links it.
        crawler = make_crawler(tmp_path / "healed")
        response, _ = section_page(crawler, "superpowers", FIRST)
        healed = crawler.spider.section_request(
            Section(slug="superpowers", label="SUPERPOWERS"), SECOND, 1, "superpowers"
        )
        assert await through(_walk(crawler), response, [healed]) == [healed]
        crawler.signals.send_catch_log(
            signal=run_judged, spider=crawler.spider, outcome="ok", reason="finished"
        )
        assert _store(crawler).last_walk_completed("spacewar.com", "superpowers")

    run(scenario())


def test_a_walk_is_recorded_complete_only_for_an_ok_run_without_a_failed_page(tmp_path):
    async def walked(outcome, failed_slug=None, reason="finished"):
        crawler = make_crawler(tmp_path / f"{outcome}-{failed_slug}-{reason}")
        for slug, url in (
            ("superpowers", FIRST),
            ("missile-defense", "https://www.spacewar.com/missile-defense.html"),
        ):
            response, outputs = section_page(crawler, slug, url)
            await through(_walk(crawler), response, outputs)
        if failed_slug:
            crawler.signals.send_catch_log(signal=section_page_failed, slug=failed_slug, reason="timeout")
        crawler.signals.send_catch_log(
            signal=run_judged, spider=crawler.spider, outcome=outcome, reason=reason
        )
        store = _store(crawler)
        return {
            slug
            for slug in ("superpowers", "missile-defense")
            if store.last_walk_completed("spacewar.com", slug)
        }

    async def scenario():
        assert await walked("ok") == {"superpowers", "missile-defense"}
        assert await walked("failed") == set()
        assert await walked("ok", failed_slug="superpowers") == {"missile-defense"}
        # An ok run a CLOSESPIDER_* limit ended dropped the pages and articles still scheduled: the
        # next run must walk to the end, not stop at a page the cut run had all of.
        for limit in ("closespider_pagecount", "closespider_timeout", "closespider_itemcount"):
            assert await walked("ok", reason=limit) == set(), limit

    run(scenario())


def test_a_walk_a_bound_cut_short_is_not_complete_and_what_max_articles_left_out_is_deferred(tmp_path):
    """A bounded run (README's `-a max_pages=2`, `since`, `max_articles`) must not end the archive:
    the next plain run walks to the end, and has what max_articles left out."""

    async def walked(name, **arguments):
        crawler = make_crawler(tmp_path / name, **arguments)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        await through(_walk(crawler), response, outputs)
        crawler.signals.send_catch_log(
            signal=run_judged, spider=crawler.spider, outcome="ok", reason="finished"
        )
        return crawler, outputs

    async def scenario():
        for name, arguments in (("pages", {"max_pages": "1"}), ("since", {"since": TODAY})):
            crawler, _ = await walked(name, **arguments)
            assert not _store(crawler).last_walk_completed("spacewar.com", "superpowers"), name
        crawler, outputs = await walked("articles", max_articles="2")
        assert not _store(crawler).last_walk_completed("spacewar.com", "superpowers")
        deferred = {(e.url, e.reason) for e in _store(crawler).ledger_pending("spacewar.com")}
        assert deferred == {(url, "deferred") for url in urls(_articles(outputs))[2:]}

    run(scenario())


def test_a_feed_cut_short_is_read_with_a_warning(tmp_path, caplog):
    from scrapy import Request

    from tests.components import snapshot_response

    feed = "https://www.spacedaily.com/spacedaily.xml"

    async def scenario():
        crawler = make_crawler(tmp_path, spider="spacedaily", source="feed")
        whole = snapshot_response(Request(feed)).body
        half = snapshot_response(Request(feed), body=whole[: len(whole) // 2])
        requests = list(crawler.spider.parse_feed(half))
        assert 0 < len(requests) < 10
        assert crawler.stats.get_value("newsbot/feed_short") == len(requests)
        assert f"The feed {feed} lists {len(requests)} item(s), fewer than its usual 10" in caplog.text
        crawler.stats.set_value("newsbot/feed_short", None)
        assert len(list(crawler.spider.parse_feed(snapshot_response(Request(feed))))) == 15
        assert crawler.stats.get_value("newsbot/feed_short") is None

    run(scenario())


def test_entries_learnt_since_the_last_completed_walk_do_not_end_the_next_one(tmp_path, monkeypatch):
    """A feed run (or another section, or a sister site) writes the newest entries of a section between
    two of its walks: its first page is then all known, but the page after it holds articles newer than
    the last completed walk that nothing wrote yet. Only what that walk could vouch for ends a walk."""

    def at(day):
        monkeypatch.setattr("newsbot.store.sqlite.utc_now_iso", lambda: f"2026-01-0{day}T00:00:00Z")

    async def scenario():
        crawler = make_crawler(tmp_path)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        _, second = section_page(crawler, "superpowers", SECOND, page=2)
        newest, newer = _articles(outputs), _articles(second)[0]
        at(1)  # the last plain run: had every entry older than these, and completed its walk
        _mark_known(crawler, _articles(second)[1:])
        _store(crawler).begin_walk("spacewar.com", "superpowers")
        _store(crawler).complete_walks("spacewar.com", ["superpowers"])
        at(2)  # then a `-a source=feed` run wrote the newest
        _mark_known(crawler, newest)
        let_out = await through(_walk(crawler), response, outputs)
        assert urls(let_out) == [SECOND]
        let_out = await through(_walk(crawler), *section_page(crawler, "superpowers", SECOND, page=2))
        assert urls(let_out)[0] == newer.url

    run(scenario())


def test_an_incremental_exports_walks_complete_only_once_the_export_is_stored(tmp_path):
    """NEWSBOT_INCREMENTAL_EXPORTS marks an export's articles once it is stored. A run walking to the
    end (after a bounded one) whose export then fails must not leave its walk complete: the next run
    would stop at the bounded run's all-known first page, before every article the export lost."""
    from scrapy import signals

    async def walked(stored):
        crawler = make_crawler(
            tmp_path / str(stored),
            settings={"FEEDS": {str(tmp_path / "x.jsonl"): {"format": "jsonlines"}},
                      "NEWSBOT_INCREMENTAL_EXPORTS": True},
        )  # fmt: skip
        await through(_walk(crawler), *section_page(crawler, "superpowers", FIRST))
        crawler.signals.send_catch_log(
            signal=run_judged, spider=crawler.spider, outcome="ok", reason="finished"
        )
        crawler.stats.set_value("item_scraped_count", 5)
        crawler.stats.set_value(f"feedexport/{'success' if stored else 'failed'}_count/FileFeedStorage", 1)
        crawler.signals.send_catch_log(signal=signals.feed_exporter_closed)
        return _store(crawler).last_walk_completed("spacewar.com", "superpowers")

    async def scenario():
        assert not await walked(stored=False)
        assert await walked(stored=True)

    run(scenario())


def test_a_bounded_run_after_a_completed_walk_costs_the_next_walk_no_more_than_what_it_wrote(tmp_path):
    """`-a max_pages=1` (or a killed run) after a complete walk: what it wrote stops no walk, and what
    the complete walk had still does. The next walk goes past the bounded run's page, not to the end."""

    async def scenario():
        before = make_crawler(tmp_path)
        response, outputs = section_page(before, "superpowers", FIRST)
        _, second = section_page(before, "superpowers", SECOND, page=2)
        # A plain run had every entry of page 2 (its first page then) and past it.
        _mark_known(before, _articles(second))
        _complete_a_walk(before, _articles(second))
        # Then `-a max_pages=1` had page 1's, and completed no walk.
        bounded = make_crawler(tmp_path, max_pages="1")
        await through(_walk(bounded), *section_page(bounded, "superpowers", FIRST))
        _mark_known(bounded, _articles(outputs))
        bounded.signals.send_catch_log(
            signal=run_judged, spider=bounded.spider, outcome="ok", reason="finished"
        )
        after = make_crawler(tmp_path)
        assert urls(await through(_walk(after), response, outputs)) == [SECOND]
        assert urls(await through(_walk(after), *section_page(after, "superpowers", SECOND, page=2))) == []

    run(scenario())


@pytest.mark.parametrize("resumed", [0, 1], ids=["one walk", "paused and resumed (JOBDIR)"])
def test_entries_other_runs_wrote_while_a_walk_went_on_do_not_end_the_next_one(tmp_path, resumed):
    """A walk reads page 1; the site then pushes new articles in front, which the walk never sees, and
    a sister site's run (or a feed run) writes the newest of them before the walk completes (or while
    it is paused, JOBDIR, to be resumed). Vouched for by that completion (as the rule was: known when
    it completed), their page ended the next walk before the article pushed in between them and the
    walk's page 1, which nothing wrote: lost, exit 0."""

    async def scenario():
        crawler = make_crawler(tmp_path)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        _, second = section_page(crawler, "superpowers", SECOND, page=2)
        store = _store(crawler)
        store.begin_walk("spacewar.com", "superpowers")
        # Its first page then: page 2's now, but for the first entry, pushed in since.
        store.note_walk_top("spacewar.com", "superpowers", urls(_articles(second)[1:]))
        _mark_known(crawler, _articles(second)[1:])
        _mark_known(crawler, _articles(outputs))  # another run writes the newest, pushed in front
        for _ in range(resumed):
            store.begin_walk("spacewar.com", "superpowers")  # the same walk resumed
        store.complete_walks("spacewar.com", ["superpowers"])
        let_out = await through(_walk(crawler), response, outputs)
        assert urls(let_out) == [SECOND]
        let_out = await through(_walk(crawler), *section_page(crawler, "superpowers", SECOND, page=2))
        assert urls(let_out)[0] == _articles(second)[0].url

    run(scenario())


@pytest.mark.parametrize("place", [0, -1], ids=["featured atop every first page", "re-listed from the foot"])
def test_an_entry_of_the_last_walks_first_page_atop_does_not_vouch_for_the_pages_after_it(tmp_path, place):
    """An entry atop page 1 that the last complete walk's first page listed: a featured one pinned atop
    every first page, or one from that page's foot re-listed atop (an update). Met there, it ended the
    next walk at pages that other runs wrote (all known) before the one pushed in between: lost, exit 0."""

    async def scenario():
        crawler = make_crawler(tmp_path)
        response, outputs = section_page(crawler, "superpowers", FIRST)
        _, second = section_page(crawler, "superpowers", SECOND, page=2)
        atop, pushed_in, older = _articles(outputs)[0], _articles(second)[0], _articles(second)[1:]
        _mark_known(crawler, older)
        _complete_a_walk(crawler, [atop, *older] if place == 0 else [*older, atop])  # its first page then
        _mark_known(crawler, _articles(outputs))  # the newest, written by other runs since
        assert urls(await through(_walk(crawler), response, outputs)) == [SECOND]
        let_out = await through(_walk(crawler), *section_page(crawler, "superpowers", SECOND, page=2))
        assert urls(let_out)[0] == pushed_in.url

    run(scenario())


def test_a_next_page_the_run_has_walked_already_ends_the_walk_incomplete(tmp_path, caplog):
    """A pager whose next link leads back to a page already walked (an "older" link to page 1, a
    section sharing pages with another): Scrapy's duplicate filter drops the request, with no errback.
    The walk then stops there: recorded complete, the pages past it would never be walked again."""
    from scrapy import signals

    async def scenario():
        crawler = make_crawler(tmp_path)
        await through(_walk(crawler), *section_page(crawler, "superpowers", FIRST))
        looping = crawler.spider.section_request(
            Section(slug="superpowers", label="SUPERPOWERS"), FIRST, 3, "superpowers"
        )
        crawler.signals.send_catch_log(signal=signals.request_dropped, request=looping, spider=crawler.spider)
        article = _articles(section_page(crawler, "superpowers", FIRST)[1])[0]
        crawler.signals.send_catch_log(signal=signals.request_dropped, request=article, spider=crawler.spider)
        crawler.signals.send_catch_log(
            signal=run_judged, spider=crawler.spider, outcome="ok", reason="finished"
        )
        assert not _store(crawler).last_walk_completed("spacewar.com", "superpowers")
        assert crawler.stats.get_value("newsbot/bounds/page_without_new_entries") == 1
        assert f"{FIRST} was walked already (a pagination loop?); the walk of superpowers ends" in caplog.text

    run(scenario())


def test_max_pages_cutting_a_walk_that_still_lists_new_articles_says_so(tmp_path, caplog):
    """README's Scrapyd schedule bounds every run (`max_pages=3`): no walk completes, and what more
    than three pages of new articles pushed past the bound no run fetched, with an ok summary and no
    line. The summary says the bound when its last page still listed new articles, not when it listed none."""

    async def walked(name, known):
        crawler = make_crawler(tmp_path / name, max_pages="1")
        response, outputs = section_page(crawler, "superpowers", FIRST)
        _mark_known(crawler, _articles(outputs) if known else [])
        assert SECOND not in urls(await through(_walk(crawler), response, outputs))
        return crawler.stats.get_value("newsbot/bounds/max_pages")

    async def scenario():
        caplog.set_level("INFO")
        assert await walked("new", known=False) == 1
        assert "Section superpowers: page 1, the last max_pages allows, listed new articles" in caplog.text
        assert await walked("known", known=True) is None

    run(scenario())


@pytest.mark.parametrize(
    "links",
    [
        # Page numbers as link text, the way back listed first.
        ["« Newer|p1", "1|p1", "3|p3", "Older »|p3"],
        # No numbers: "newer" leads back to pages walked already, "older" on.
        ["« Newer|p1", "Older »|p3"],
    ],
)
def test_pages_numbered_only_by_their_link_text_are_walked_on_not_back(tmp_path, links):
    """A site whose page URLs carry no number (ANATOMY: "pagination can be followed by link text")."""
    from scrapy.http import HtmlResponse

    page = "https://www.spacewar.com/archive/superpowers/{}.html"
    anchors = "".join(
        f'<a href="{page.format(target)}">{text}</a> ' for text, target in map(lambda s: s.split("|"), links)
    )
    body = f'<html><body><a href="/reports/A_999.html">A</a><p>{anchors}</p></body></html>'.encode()

    async def next_pages():
        crawler = make_crawler(tmp_path, sections="superpowers")
        second = crawler.spider.section_request(
            Section("superpowers", "SUPERPOWERS"), page.format("p2"), 2, "p1"
        )
        response = HtmlResponse(second.url, body=body, request=second)
        outputs = list(second.callback(response, **second.cb_kwargs))
        return [r.url for r in outputs if r.meta.get(KIND_META_KEY) == "section_page"]

    assert run(next_pages()) == [page.format("p3")]
