"""og:url claims and misdirected answers (newsbot.middlewares.claims, the ledger), in-process: a page
naming another article is written under no wrong URL, and becomes a copy only when served so twice."""

from __future__ import annotations

from scrapy import signals

from newsbot.extensions.store import seen_store
from newsbot.keys import MISDIRECTED_META_KEY
from newsbot.middlewares.claims import OgUrlClaimsMiddleware
from newsbot.middlewares.walk import WalkPolicyMiddleware
from newsbot.spiders.priorities import RequestKind
from newsbot.store.base import KnownArticle
from tests.components import make_crawler, run, section_page, snapshot_response, through, urls
from tests.conftest import snapshot_path

REPORTS = "https://www.spacewar.com/reports/"
VICTIM = REPORTS + "Chinas_premier_to_visit_North_Korea_this_week_999.html"
THIEF = REPORTS + "Gaza_war_second_anniversary_could_reopen_path_to_Palestinian_statehood_999.html"
ALIAS = REPORTS + "Gaza_war_anniversary_renamed_999.html"


def _article(crawler, url, og_url=None, again=False):
    """The snapshot page at `url`, its og:url changed to `og_url`, as the spider answers it; `again`:
    asked for by the ledger after an earlier misdirected answer."""
    spider = crawler.spider
    meta = {MISDIRECTED_META_KEY: True} if again else {}
    request = spider.article_request(
        url, section="SUPERPOWERS", summary="the listing's teaser", origin="superpowers",
        kind=RequestKind.SECTION_ARTICLE, **meta,
    )  # fmt: skip
    body = snapshot_path(url).read_bytes()
    if og_url:
        body = body.replace(
            f'property="og:url" content="{url}"'.encode(), f'property="og:url" content="{og_url}"'.encode()
        )
    response = snapshot_response(request, body=body)
    return response, list(spider.parse_article(response, **request.cb_kwargs))


async def _judged(crawler, url, og_url=None, again=False):
    response, items = _article(crawler, url, og_url, again)
    return await through(crawler.get_spider_middleware(OgUrlClaimsMiddleware), response, items), response


def _ledger(crawler):
    return {(e.url, e.reason) for e in seen_store(crawler).ledger_pending("spacewar.com")}


def test_a_page_naming_an_article_this_run_wrote_or_asked_for_is_misdirected_at_its_first_answer(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        [victim], _ = await _judged(crawler, VICTIM)
        assert victim.summary == "the listing's teaser"  # its own listing: its teaser
        thief, _ = await _judged(crawler, THIEF, og_url=VICTIM)
        assert thief == []  # written under neither URL
        assert (THIEF, "misdirected") in _ledger(crawler)
        assert crawler.stats.get_value("newsbot/missing/misdirected") >= 1

        asked = make_crawler(tmp_path / "asked")
        asked.get_spider_middleware(WalkPolicyMiddleware).asked.add(VICTIM)
        thief, _ = await _judged(asked, THIEF, og_url=VICTIM)
        assert thief == [] and (THIEF, "misdirected") in _ledger(asked)

    run(scenario())


def test_answered_so_again_on_a_later_run_the_page_keeps_its_listed_url_with_a_note(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        seen_store(crawler).record(KnownArticle(url=VICTIM, content_hash="another body", site="spacewar.com"))
        [thief], _ = await _judged(crawler, THIEF, og_url=VICTIM, again=True)
        assert thief.url == THIEF
        assert any("og:url names an article written by an earlier run" in note for note in thief.notes)
        assert crawler.stats.get_value("newsbot/og_url_claims_refused") == 1

    run(scenario())


def test_an_alias_is_written_under_its_url_without_the_listings_teaser_and_a_copy_only_the_second_time(
    tmp_path,
):
    async def scenario():
        crawler = make_crawler(tmp_path)
        [item], response = await _judged(crawler, THIEF, og_url=ALIAS)
        assert item.url == ALIAS and item.summary is None
        crawler.signals.send_catch_log(
            signal=signals.item_scraped, item=item, response=response, spider=crawler.spider
        )
        assert not seen_store(crawler).is_known_url(THIEF)
        assert (THIEF, "misdirected") in _ledger(crawler)
        # The next run asks again and hears the same: the listed URL is a copy, had.
        [item], response = await _judged(crawler, THIEF, og_url=ALIAS, again=True)
        crawler.signals.send_catch_log(
            signal=signals.item_scraped, item=item, response=response, spider=crawler.spider
        )
        assert seen_store(crawler).is_known_url(THIEF)
        assert (THIEF, "misdirected") not in _ledger(crawler)

    run(scenario())


def test_a_page_naming_an_article_a_paused_job_asked_for_is_misdirected_when_it_resumes(tmp_path):
    """JOBDIR: a job asked for an article and was paused with it queued, not yet written. Resumed, a
    page queued beside it, naming it, came before the walk listed it again: written under its URL,
    and the article itself then dropped as a duplicate URL of this run. Another body under its URL."""
    from scrapy.extensions.spiderstate import SpiderState

    async def scenario():
        job = {"JOBDIR": str(tmp_path / "job")}
        paused, resumed = (make_crawler(tmp_path, settings=job) for _ in range(2))
        paused.signals.send_catch_log(signal=signals.spider_opened, spider=paused.spider)
        listing = section_page(paused, "superpowers", "https://www.spacewar.com/superpowers.html")
        assert VICTIM in urls(await through(paused.get_spider_middleware(WalkPolicyMiddleware), *listing))
        paused.get_extension(SpiderState).spider_closed(paused.spider)  # paused: its state saved
        resumed.signals.send_catch_log(signal=signals.spider_opened, spider=resumed.spider)
        thief, _ = await _judged(resumed, THIEF, og_url=VICTIM)
        assert thief == [] and (THIEF, "misdirected") in _ledger(resumed)

    run(scenario())
