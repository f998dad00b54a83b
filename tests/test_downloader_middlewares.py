"""The network's edge (newsbot.middlewares.downloader) in-process: refusals carry their reason."""

from __future__ import annotations

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.robotstxt import ProtegoRobotParser
from twisted.python.failure import Failure

from newsbot.middlewares.downloader import (
    BlockDetectionMiddleware,
    NetworkOffsiteMiddleware,
    RobotsMiddleware,
)
from newsbot.reasons import Blocked, OffNetwork, RobotsDisallowed, failure_reason
from newsbot.spiders.priorities import RequestKind
from tests.components import make_crawler, run

ARTICLE = "https://www.spacewar.com/reports/Chinas_premier_to_visit_North_Korea_this_week_999.html"


def _reason(error: Exception, request: Request | None = None) -> str:
    failure = Failure(error)
    failure.request = request or Request(ARTICLE)
    return failure_reason(failure)


def test_a_redirect_off_the_network_is_refused_and_reported_as_a_missing_article(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        offsite = crawler.get_downloader_middleware(NetworkOffsiteMiddleware)
        sister = Request("https://www.spacedaily.com/reports/x_999.html")
        assert offsite.process_request(sister) is None
        listed = crawler.spider.article_request(
            ARTICLE,
            section="SUPERPOWERS",
            summary=None,
            origin="superpowers",
            kind=RequestKind.SECTION_ARTICLE,
        )
        redirected = listed.replace(url="http://evil.example/phish.html")
        with pytest.raises(OffNetwork) as refused:
            offsite.process_request(redirected)
        assert _reason(refused.value) == "off_network"
        # Not dropped as it is scheduled (Scrapy would not tell its errback): refused as it is downloaded.
        offsite.request_scheduled(redirected, crawler.spider)
        failure = Failure(refused.value)
        failure.request = redirected
        list(redirected.errback(failure))
        assert crawler.stats.get_value("newsbot/missing/off_network") == 1

    run(scenario())


def test_robots_txt_and_block_pages_refuse_with_their_reasons(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        robots = crawler.get_downloader_middleware(RobotsMiddleware)
        parser = ProtegoRobotParser(b"User-agent: *\nDisallow: /reports/", crawler.spider)
        with pytest.raises(RobotsDisallowed) as refused:
            robots.process_request_2(parser, Request(ARTICLE))
        assert _reason(refused.value) == "robots"
        blocks = crawler.get_downloader_middleware(BlockDetectionMiddleware)
        page = HtmlResponse(
            ARTICLE, status=200, body=b"<html><head><title>Just a moment...</title></head></html>"
        )
        with pytest.raises(Blocked) as blocked:
            blocks.process_response(Request(ARTICLE), page)
        assert _reason(blocked.value) == "blocked" and crawler.stats.get_value("newsbot/blocked") == 1

    run(scenario())


def test_a_spent_redirect_budget_is_a_redirect_loop_and_other_refusals_are_http_errors():
    spent = Request(ARTICLE, meta={"redirect_ttl": 0, "redirect_times": 5})
    assert _reason(IgnoreRequest("max redirections reached"), spent) == "redirect_loop"
    assert _reason(IgnoreRequest("max redirections reached")) == "http_error"
    assert isinstance(Blocked("x"), IgnoreRequest) and isinstance(OffNetwork("x"), IgnoreRequest)


def test_the_duplicate_filter_lets_the_hops_of_a_redirect_chain_through(tmp_path):
    from scrapy.utils.misc import build_from_crawler

    from newsbot.middlewares.downloader import RedirectChainDupeFilter

    async def scenario():
        seen = build_from_crawler(RedirectChainDupeFilter, make_crawler(tmp_path))
        assert not seen.request_seen(Request(ARTICLE))
        assert seen.request_seen(Request(ARTICLE))  # listed twice: fetched once
        back = Request(ARTICLE, meta={"redirect_urls": [ARTICLE, ARTICLE + "?detour"]})
        assert not seen.request_seen(back)  # a page redirecting through another back to itself

    run(scenario())


def test_the_duplicate_filter_keeps_no_record_in_a_jobdir(tmp_path):
    from newsbot.middlewares.downloader import RedirectChainDupeFilter

    async def scenario():
        crawler = make_crawler(tmp_path, settings={"JOBDIR": str(tmp_path / "job")})
        seen = RedirectChainDupeFilter.from_crawler(crawler)
        seen.request_seen(Request(ARTICLE))
        seen.close("finished")
        assert not (tmp_path / "job" / "requests.seen").exists()

    run(scenario())


@pytest.mark.parametrize(
    ("answer", "fetched"),
    [(200, False), (404, True), (503, False), (429, False), ("unreachable", False)],
)
def test_robots_txt_is_read_as_rfc_9309_says(tmp_path, answer, fetched):
    """4xx: no rules, all allowed; 5xx, 429 or no answer: all disallowed for that host, and the run
    fails. (200 carries rules that disallow /reports/.) A 429 read as a 4xx allowed all: a rate-limited
    robots.txt's rules were crawled through, every path of the host fetched."""
    from scrapy.exceptions import IgnoreRequest as Ignored
    from scrapy.http import Response

    from newsbot.reasons import RobotsUnreachable

    async def scenario():
        crawler = make_crawler(tmp_path)
        robots = crawler.get_downloader_middleware(RobotsMiddleware)

        async def download(request):
            if answer == "unreachable":
                raise ConnectionRefusedError("refused")
            return Response(request.url, status=answer, body=b"User-agent: *\nDisallow: /reports/\n")

        crawler.engine.download_async = download
        try:
            await robots.process_request(Request(ARTICLE))
        except Ignored as refused:
            assert not fetched
            expected = RobotsUnreachable if answer in (503, 429, "unreachable") else RobotsDisallowed
            assert type(refused) is expected
        else:
            assert fetched
        unreachable = crawler.stats.get_value("newsbot/robots_unreachable")
        assert unreachable == (1 if answer in (503, 429, "unreachable") else None)

    run(scenario())


def test_a_run_told_to_stop_does_not_wait_out_a_retry_after(tmp_path):
    import time

    from scrapy.http import Response

    from newsbot.middlewares.downloader import PoliteRetryMiddleware
    from newsbot.reasons import Stopped

    async def scenario():
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_RETRY_BACKOFF": 0.05})
        retry = crawler.get_downloader_middleware(PoliteRetryMiddleware)
        busy = Response(ARTICLE, status=503, headers={"Retry-After": "240"})
        crawler.crawling = True
        again = await retry.process_response(Request(ARTICLE), Response(ARTICLE, status=503))
        assert isinstance(again, Request) and again.meta["retry_times"] == 1
        crawler.crawling = False  # what SIGTERM and SIGINT do (Crawler.stop)
        started = time.monotonic()
        with pytest.raises(Stopped) as stopped:
            await retry.process_response(Request(ARTICLE), busy)
        assert time.monotonic() - started < 2
        assert _reason(stopped.value) == "stopped"

    run(scenario())


def test_a_gzip_bomb_is_too_large(tmp_path):
    import gzip

    from scrapy.http import Response

    from newsbot.middlewares.downloader import DecompressionMiddleware
    from newsbot.reasons import TooLarge

    async def scenario():
        crawler = make_crawler(tmp_path, settings={"DOWNLOAD_MAXSIZE": 10_000})
        decompress = crawler.get_downloader_middleware(DecompressionMiddleware)
        bomb = gzip.compress(b"<html>" + b" " * 1_000_000)
        response = Response(
            ARTICLE, body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"}
        )
        with pytest.raises(TooLarge) as refused:
            decompress.process_response(Request(ARTICLE), response)
        assert _reason(refused.value) == "too_large"

    run(scenario())


def test_a_retry_after_longer_than_newsbot_retry_after_max_gives_the_page_up_at_once(tmp_path):
    from scrapy.http import Response

    from newsbot.middlewares.downloader import PoliteRetryMiddleware

    async def scenario():
        settings = {"NEWSBOT_RETRY_AFTER_MAX": 10, "NEWSBOT_RETRY_BACKOFF": 0.01}
        crawler = make_crawler(tmp_path, settings=settings)
        retry = crawler.get_downloader_middleware(PoliteRetryMiddleware)
        crawler.crawling = False  # a wait would end at once, Stopped: a give-up must not wait at all
        busy = Response(ARTICLE, status=503, headers={"Retry-After": "240"})
        assert await retry.process_response(Request(ARTICLE), busy) is busy
        crawler.crawling = True
        soon = Response(ARTICLE, status=503, headers={"Retry-After": "0"})
        assert isinstance(await retry.process_response(Request(ARTICLE), soon), Request)

    run(scenario())


def test_the_backoff_doubles_at_each_retry_up_to_newsbot_retry_backoff_max(tmp_path):
    import time

    from scrapy.http import Response

    from newsbot.middlewares.downloader import PoliteRetryMiddleware

    async def waited(settings, retry_times, retry_after=None):
        crawler = make_crawler(tmp_path / str(len(list(tmp_path.iterdir()))), settings=settings)
        retry = crawler.get_downloader_middleware(PoliteRetryMiddleware)
        crawler.crawling = True
        started = time.monotonic()
        again = await retry.process_response(
            Request(ARTICLE, meta={"retry_times": retry_times, "max_retry_times": 9}),
            Response(ARTICLE, status=429, headers={"Retry-After": retry_after} if retry_after else {}),
        )
        assert isinstance(again, Request)
        return time.monotonic() - started

    async def scenario():
        doubled = {"NEWSBOT_RETRY_BACKOFF": 0.05, "NEWSBOT_RETRY_BACKOFF_MAX": 10}
        assert await waited(doubled, 0) >= 0.05 * 0.9
        assert await waited(doubled, 2) >= 0.2 * 0.9  # 0.05 s, doubled twice
        # A Retry-After of 0 or in the past: retried at once, a 429 storm was a burst of retries.
        for now in ("0", "Wed, 21 Oct 2015 07:28:00 GMT"):
            assert await waited(doubled, 2, retry_after=now) >= 0.2 * 0.9, now
        capped = {"NEWSBOT_RETRY_BACKOFF": 0.05, "NEWSBOT_RETRY_BACKOFF_MAX": 0.05}
        assert await waited(capped, 5) < 0.5  # 1.6 s without the cap

    run(scenario())


def test_a_robots_txt_answering_5xx_is_retried_once_not_four_times(tmp_path):
    from scrapy.http import Response

    from newsbot.middlewares.downloader import PoliteRetryMiddleware

    async def scenario():
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_RETRY_BACKOFF": 0.01})
        robots = crawler.get_downloader_middleware(RobotsMiddleware)
        retry = crawler.get_downloader_middleware(PoliteRetryMiddleware)
        crawler.crawling = True
        request = Request("https://www.spacewar.com/robots.txt", meta={"dont_obey_robotstxt": True})
        for tries in range(2):
            await robots.process_request(request)
            answer = await retry.process_response(request, Response(request.url, status=503))
            if tries == 0:
                assert isinstance(answer, Request)
                request = answer
        assert isinstance(answer, Response) and answer.status == 503

    run(scenario())


def test_a_body_its_connection_cut_without_a_length_is_retried_then_missing_not_parsed(tmp_path):
    """Close-delimited (no Content-Length, not chunked), a body cut short reaches Scrapy as a whole
    response flagged "partial": the article was written with its last paragraph cut and no Related
    Links (a note only), marked known, never fetched again."""
    from scrapy.http import Response

    from newsbot.middlewares.downloader import PoliteRetryMiddleware
    from tests.conftest import snapshot_path

    page = snapshot_path(ARTICLE).read_bytes()
    cut = page[: page.index(b"<!--RELATED LINKS-->")]

    async def scenario():
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_RETRY_BACKOFF": 0.01, "RETRY_TIMES": 1})
        retry = crawler.get_downloader_middleware(PoliteRetryMiddleware)
        crawler.crawling = True
        whole = Response(ARTICLE, body=page, flags=["partial"])  # any close-delimited body says so
        assert await retry.process_response(Request(ARTICLE), whole) is whole
        gone = Response(ARTICLE, status=404, body=cut, flags=["partial"])  # an error page's end: no matter
        assert await retry.process_response(Request(ARTICLE), gone) is gone
        again = await retry.process_response(Request(ARTICLE), Response(ARTICLE, body=cut, flags=["partial"]))
        assert isinstance(again, Request) and again.meta["retry_times"] == 1
        with pytest.raises(IgnoreRequest) as refused:
            await retry.process_response(again, Response(ARTICLE, body=cut, flags=["partial"]))
        assert _reason(refused.value) == "connection"

    run(scenario())
