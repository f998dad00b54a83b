"""The ledger (newsbot.middlewares.ledger), driven in-process: what it records, asks for, gives up."""

from __future__ import annotations

from scrapy import Request, signals

from newsbot.extensions.store import seen_store
from newsbot.keys import ARTICLE_META_KEY, KIND_META_KEY
from newsbot.middlewares.ledger import LedgerMiddleware
from newsbot.middlewares.walk import WalkPolicyMiddleware
from newsbot.reasons import InvalidItem, NotWritten
from newsbot.signals import miss_article
from newsbot.spiders.priorities import RequestKind
from tests.components import make_crawler, run, section_page, through, urls

REPORTS = "https://www.spacewar.com/reports/"
LOST = REPORTS + "China_warns_PNG_over_Australian_defence_deal_999.html"
OTHER = REPORTS + "Philippines_China_move_to_avoid_miscalculation_in_disputed_sea_999.html"


async def _start(crawler):
    """What the start of a crawl yields once the ledger and the walk policy had it."""
    start = crawler.spider.start()
    for middleware in (
        crawler.get_spider_middleware(LedgerMiddleware),
        crawler.get_spider_middleware(WalkPolicyMiddleware),
    ):
        start = middleware.process_start(start)
    return [request async for request in start]


def _pending(crawler):
    return {(e.url, e.reason, e.attempts) for e in seen_store(crawler).ledger_pending("spacewar.com")}


def test_a_missed_article_is_asked_for_first_by_the_next_run(tmp_path):
    async def scenario():
        first = make_crawler(tmp_path)
        miss_article(first, LOST, "server_error", section="SUPERPOWERS", summary="the listing's teaser")
        assert _pending(first) == {(LOST, "server_error", 1)}
        seen_store(first).close()

        second = make_crawler(tmp_path)
        requests = await _start(second)
        assert urls(requests) == [LOST, second.spider.site.home_url]
        assert requests[0].meta[KIND_META_KEY] == "ledger_article"
        assert requests[0].cb_kwargs["section"] == "SUPERPOWERS"
        # Had through the ledger, it keeps its listing's teaser as its summary.
        assert requests[0].cb_kwargs["summary"] == "the listing's teaser"
        assert (
            requests[0].priority > requests[1].priority
            or requests[0].priority == RequestKind.LEDGER_ARTICLE.priority()
        )
        assert second.stats.get_value("newsbot/ledger/retried_urls") == [LOST]
        # Had at last: it leaves the ledger, and the report counts it recovered.
        response = Request(LOST, meta=requests[0].meta)
        second.signals.send_catch_log(
            signal=signals.item_scraped,
            item={"url": LOST, "site": "spacewar.com"},
            response=response,
            spider=second.spider,
        )
        assert _pending(second) == set()
        assert second.stats.get_value("newsbot/ledger/recovered_urls") == [LOST]

    run(scenario())


def test_a_sister_sites_article_a_listing_named_is_asked_for_again_by_that_listings_site(tmp_path):
    """spacedaily's LAUNCH PAD lists a gpsdaily.com article: once it failed, spacedaily's runs must
    ask for it again (a completed walk stops before its page; no gpsdaily run may ever come)."""
    sister = "https://www.gpsdaily.com/reports/China_preps_civilian_use_of_GPS_system_999.html"

    async def scenario():
        first = make_crawler(tmp_path, "spacedaily")
        miss_article(first, sister, "server_error", section="LAUNCH PAD")
        seen_store(first).close()
        second = make_crawler(tmp_path, "spacedaily")
        assert sister in urls(await _start(second))

    run(scenario())


def test_an_entry_max_articles_leaves_out_keeps_its_reason_and_attempts(tmp_path):
    """Left out is not tried: counted as an attempt, a bounded schedule would give an entry up
    after fewer tries than NEWSBOT_LEDGER_MAX_ATTEMPTS."""

    async def scenario():
        first = make_crawler(tmp_path)
        for url in (LOST, OTHER):
            miss_article(first, url, "timeout", section="SUPERPOWERS")
        seen_store(first).close()
        second = make_crawler(tmp_path, max_articles="1")
        assert len(urls(await _start(second))) == 2  # one ledger article, and the home page
        assert _pending(second) == {(LOST, "timeout", 1), (OTHER, "timeout", 1)}

    run(scenario())


def test_an_entry_out_of_attempts_is_asked_for_no_more_and_given_up_when_old_enough(tmp_path, caplog):
    settings = {
        "NEWSBOT_LEDGER_MAX_ATTEMPTS": 2,
        "NEWSBOT_LEDGER_GONE_ATTEMPTS": 1,
        "NEWSBOT_LEDGER_GIVE_UP_DAYS": 0,
    }

    async def scenario():
        crawler = make_crawler(tmp_path, settings=settings)
        miss_article(crawler, LOST, "server_error", section="SUPERPOWERS")
        assert crawler.stats.get_value("newsbot/ledger/given_up") is None
        miss_article(crawler, LOST, "server_error", section="SUPERPOWERS")
        assert crawler.stats.get_value("newsbot/ledger/given_up_urls") == [LOST]
        assert f"Gave up on article {LOST} (server_error): 2 attempt(s)" in caplog.text
        # A `gone` article has fewer attempts; given up, it is treated as known by a walk.
        miss_article(crawler, OTHER, "gone", section="SUPERPOWERS")
        assert seen_store(crawler).ledger_counts() == {"pending": 0, "given_up": 2}
        ledger = crawler.get_spider_middleware(LedgerMiddleware)
        assert ledger.given_up.intersection([LOST, OTHER, REPORTS + "x.html"]) == {LOST, OTHER}
        seen_store(crawler).close()

        later = make_crawler(tmp_path, settings=settings)
        assert urls(await _start(later)) == [later.spider.site.home_url]
        response, outputs = section_page(
            later, "superpowers", "https://www.spacewar.com/superpowers-03.html", page=3
        )
        assert not {LOST, OTHER} & set(
            urls(await through(later.get_spider_middleware(WalkPolicyMiddleware), response, outputs))
        )

    run(scenario())


def test_what_the_writer_could_not_write_or_the_schema_refused_goes_to_the_ledger(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        drop = crawler.signals.send_catch_log
        item = {"url": LOST, "site": "spacewar.com", "section": "SUPERPOWERS"}
        drop(
            signal=signals.item_dropped, item=item, response=Request(LOST), exception=NotWritten("disk full")
        )
        drop(
            signal=signals.item_dropped,
            item={**item, "url": OTHER},
            response=Request(OTHER),
            exception=InvalidItem("bad"),
        )
        written = REPORTS + "written_but_not_marked_999.html"
        drop(
            signal=signals.item_dropped,
            item={**item, "url": written},
            response=Request(written),
            exception=NotWritten("store busy", in_output=True),
        )
        assert {(url, reason) for url, reason, _ in _pending(crawler)} == {
            (LOST, "write_failed"),
            (OTHER, "invalid"),
        }

    run(scenario())


def test_a_transient_entry_out_of_attempts_is_still_asked_for_until_it_is_given_up(tmp_path):
    """An hourly cron spends NEWSBOT_LEDGER_MAX_ATTEMPTS in as many hours; an article down for longer
    must still be asked for while NEWSBOT_LEDGER_GIVE_UP_DAYS has not passed, or it is never had: the
    outage is waited out by asking, not by waiting a day to give up. A `gone` one is not."""
    settings = {"NEWSBOT_LEDGER_MAX_ATTEMPTS": 2, "NEWSBOT_LEDGER_GONE_ATTEMPTS": 2}

    async def scenario():
        first = make_crawler(tmp_path, settings=settings)
        for _ in range(3):
            miss_article(first, LOST, "server_error", section="SUPERPOWERS")
            miss_article(first, OTHER, "gone", section="SUPERPOWERS")
        assert _pending(first) == {(LOST, "server_error", 3), (OTHER, "gone", 3)}
        seen_store(first).close()
        second = make_crawler(tmp_path, settings=settings)
        assert urls(await _start(second)) == [LOST, second.spider.site.home_url]

    run(scenario())


def test_what_a_feed_lists_is_owed_from_the_moment_it_is_asked_for(tmp_path):
    """A feed lists its last ~15 items: a `source=feed` run killed (Scrapyd's cancel, a timeout,
    kill -9) before it fetched them all is followed by a feed that may no longer list them. Asked for,
    they are in the ledger until had, and the next run, of either source, asks for them first."""
    from tests.components import snapshot_response

    feed = "https://www.spacedaily.com/spacedaily.xml"

    async def scenario():
        crawler = make_crawler(tmp_path, spider="spacedaily", source="feed")
        response = snapshot_response(Request(feed, meta={KIND_META_KEY: RequestKind.FEED.value}))
        asked = urls(await through(crawler.get_spider_middleware(WalkPolicyMiddleware), response,
                                   crawler.spider.parse_feed(response)))  # fmt: skip
        assert len(asked) == 15
        owed = {e.url: e for e in seen_store(crawler).ledger_pending("spacedaily.com")}
        assert set(owed) == set(asked) and owed[asked[0]].summary
        # One had: out of the ledger. Then the run is killed.
        crawler.signals.send_catch_log(
            signal=signals.item_scraped,
            item={"url": asked[0], "site": "spacedaily.com"},
            response=Request(asked[0], meta={ARTICLE_META_KEY: asked[0]}),
            spider=crawler.spider,
        )
        seen_store(crawler).close()
        after = make_crawler(tmp_path, spider="spacedaily")
        assert set(urls(await _start(after))) == {*asked[1:], after.spider.site.home_url}

    run(scenario())


def test_an_owed_article_exported_stays_owed_until_the_export_is_stored(tmp_path):
    """NEWSBOT_INCREMENTAL_EXPORTS marks what an export holds once it is stored: an export that could
    not be stored (or a killed run) leaves its articles unknown, to be had again. Out of the ledger
    meanwhile, an owed article deep in its section would be asked for by no later run."""
    exporting = {"FEEDS": {str(tmp_path / "export.jsonl"): {"format": "jsonlines"}},
                 "NEWSBOT_INCREMENTAL_EXPORTS": True}  # fmt: skip

    async def scenario():
        first = make_crawler(tmp_path)
        miss_article(first, LOST, "server_error", section="SUPERPOWERS")
        seen_store(first).close()
        second = make_crawler(tmp_path, settings=exporting)
        [request, _] = await _start(second)
        second.signals.send_catch_log(
            signal=signals.item_scraped,
            item={"url": LOST, "site": "spacewar.com", "content_hash": "0" * 64},
            response=Request(LOST, meta=request.meta),
            spider=second.spider,
        )
        seen_store(second).close()  # and the export is never stored
        third = make_crawler(tmp_path)
        assert LOST in urls(await _start(third))

    run(scenario())


def test_a_feed_article_another_worker_writes_leaves_the_ledger(tmp_path):
    """In a cluster one worker reads the feed (its articles go into the ledger) and any worker may
    write them: the writer's ledger did not load them at its start, yet they are had."""
    from tests.components import snapshot_response

    feed = "https://www.spacedaily.com/spacedaily.xml"

    async def scenario():
        reader = make_crawler(tmp_path / "reader", spider="spacedaily", source="feed",
                              settings={"NEWSBOT_STATE": str(tmp_path / "seen.sqlite")})  # fmt: skip
        writer = make_crawler(tmp_path / "writer", spider="spacedaily", source="feed",
                              settings={"NEWSBOT_STATE": str(tmp_path / "seen.sqlite")})  # fmt: skip
        await _start(writer)
        response = snapshot_response(Request(feed, meta={KIND_META_KEY: RequestKind.FEED.value}))
        [first, *_] = await through(reader.get_spider_middleware(WalkPolicyMiddleware), response,
                                    reader.spider.parse_feed(response))  # fmt: skip
        writer.signals.send_catch_log(
            signal=signals.item_scraped,
            item={"url": first.url, "site": "spacedaily.com"},
            response=snapshot_response(first.replace()),
            spider=writer.spider,
        )
        assert first.url not in {e.url for e in seen_store(writer).ledger_pending("spacedaily.com")}

    run(scenario())


def test_a_runs_report_counts_what_its_own_site_still_owes(tmp_path):
    """The summary's "ledger: N still owed" is what this spider's next run asks for again, not the
    entries every other spider of the store owes."""
    from newsbot.extensions.report import RunReport

    async def scenario():
        crawler = make_crawler(tmp_path)
        miss_article(crawler, LOST, "server_error", section="SUPERPOWERS")
        seen_store(crawler).ledger_add(
            "https://www.spacedaily.com/reports/X_999.html",
            site="spacedaily.com",
            section=None,
            reason="gone",
        )
        report = crawler.get_extension(RunReport)._build(crawler.spider, "finished")
        assert (report["ledger"]["pending"], report["ledger"]["given_up_total"]) == (1, 0)

    run(scenario())


def test_an_article_missed_twice_in_a_run_is_one_missing_article(tmp_path):
    """A resumed JOBDIR run asks again for what its queue holds (its duplicate filter starts empty):
    a gone article failed twice and the summary said "2 missing (2 gone)"."""
    from newsbot.extensions.report import RunReport, summary_line

    async def scenario():
        crawler = make_crawler(tmp_path)
        miss_article(crawler, LOST, "gone", section="SUPERPOWERS")
        miss_article(crawler, LOST, "gone", section="SUPERPOWERS")
        report = crawler.get_extension(RunReport)._build(crawler.spider, "finished")
        assert report["missing_articles"] == {"gone": [LOST]}
        assert ", 1 missing (1 gone), " in summary_line(report, None)

    run(scenario())
