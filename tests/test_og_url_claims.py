"""og:url claims (newsbot.middlewares.claims): a page naming another article keeps its listed URL."""

from __future__ import annotations

from newsbot.middlewares.claims import OgUrlClaimsMiddleware
from newsbot.middlewares.walk import WalkPolicyMiddleware
from newsbot.spiders.priorities import RequestKind
from newsbot.store import KnownArticle
from tests.components import make_crawler, run, snapshot_response, through
from tests.conftest import snapshot_path

REPORTS = "https://www.spacewar.com/reports/"
VICTIM = REPORTS + "Chinas_premier_to_visit_North_Korea_this_week_999.html"
THIEF = REPORTS + "Gaza_war_second_anniversary_could_reopen_path_to_Palestinian_statehood_999.html"


def _article(crawler, url, og_url=None):
    """The item of the snapshot page at `url`, its og:url changed to `og_url`, as the spider yields it."""
    spider = crawler.spider
    request = spider.article_request(
        url, section="SUPERPOWERS", summary=None, origin="superpowers", kind=RequestKind.SECTION_ARTICLE
    )
    body = snapshot_path(url).read_bytes()
    if og_url:
        body = body.replace(
            f'property="og:url" content="{url}"'.encode(), f'property="og:url" content="{og_url}"'.encode()
        )
    response = snapshot_response(request, body=body)
    return response, list(spider.parse_article(response, **request.cb_kwargs))


async def _judged(crawler, url, og_url=None):
    response, items = _article(crawler, url, og_url)
    [item] = await through(crawler.get_spider_middleware(OgUrlClaimsMiddleware), response, items)
    return item


def test_a_claim_on_an_article_this_run_wrote_or_asked_for_is_refused(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        await _judged(crawler, VICTIM)
        thief = await _judged(crawler, THIEF, og_url=VICTIM)
        assert thief.url == THIEF
        assert any("og:url names an article this run wrote" in note for note in thief.notes)

        crawler = make_crawler(tmp_path / "asked")
        walk = crawler.get_spider_middleware(WalkPolicyMiddleware)
        walk.asked.add(VICTIM)
        thief = await _judged(crawler, THIEF, og_url=VICTIM)
        assert thief.url == THIEF and any("an article this run asked for" in note for note in thief.notes)
        assert crawler.stats.get_value("newsbot/og_url_claims_refused") == 1

    run(scenario())


def test_a_claim_on_an_article_an_earlier_run_wrote_is_refused(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        from newsbot.extensions.store import seen_store

        seen_store(crawler).record(KnownArticle(url=VICTIM, content_hash="another body", site="spacewar.com"))
        thief = await _judged(crawler, THIEF, og_url=VICTIM)
        assert thief.url == THIEF
        assert any("an article written by an earlier run" in note for note in thief.notes)

    run(scenario())


def test_an_alias_no_other_article_has_is_taken(tmp_path):
    alias = REPORTS + "Gaza_war_anniversary_renamed_999.html"

    async def scenario():
        crawler = make_crawler(tmp_path)
        item = await _judged(crawler, THIEF, og_url=alias)
        assert item.url == alias and not any("og:url" in note for note in item.notes)

    run(scenario())
