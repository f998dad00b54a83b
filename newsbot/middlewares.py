"""Downloader middlewares."""

from __future__ import annotations

import email.utils
import logging
import re
import time

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import response_status_message
from twisted.internet import reactor
from twisted.internet.task import deferLater

from newsbot.parsing.article import is_article_page
from newsbot.registry import load_registry
from newsbot.report.keys import (
    ARTICLE_META_KEY,
    STATS_BLOCKED,
    STATS_OFF_NETWORK_REFUSED,
    STATS_RETRY_AFTER_HONOURED,
    STATS_RETRY_WAITED_SECONDS,
    STATS_RETRY_WAITS,
    STATS_SKIPPED_KNOWN_AT_DOWNLOAD,
)
from newsbot.store import SeenStore, store_for

logger = logging.getLogger(__name__)


class NetworkOnlyMiddleware:
    """Refuses every request off the Space Media Network, redirects included.

    Scrapy's OffsiteMiddleware lets through any request marked dont_filter, as the spider's are
    when it runs alone (see NetworkSpider.bypass_duplicate_filter); this guard has no exception.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.registry = load_registry()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NetworkOnlyMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        host = urlparse_cached(request).hostname or ""
        if not self.registry.is_network_host(host):
            self.crawler.stats.inc_value(STATS_OFF_NETWORK_REFUSED)
            raise IgnoreRequest(f"off the network: {request.url}")


class SkipKnownArticlesMiddleware:
    """Skips an article request whose URL became known after it was scheduled.

    The spider checks the store when it lists an article; by the time the request is downloaded
    another process (a sister site's spider, a second worker) or a resumed job's queue may have
    written it already. One indexed lookup here saves the download.
    """

    def __init__(self, crawler: Crawler, store: SeenStore) -> None:
        self.crawler = crawler
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SkipKnownArticlesMiddleware:
        store = store_for(crawler)
        if store is None:
            raise NotConfigured("no seen-articles store")
        return cls(crawler, store)

    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get(ARTICLE_META_KEY) and self.store.is_known_url(request.url):
            self.crawler.stats.inc_value(STATS_SKIPPED_KNOWN_AT_DOWNLOAD)
            raise IgnoreRequest(f"already written: {request.url}")


# What block pages say (Cloudflare, Akamai, Sucuri and home-made ones), looked for only in the
# head of a page that is not an article: an article may well mention a captcha in its text.
_BLOCK_MARKERS = re.compile(
    r"attention required|access denied|captcha|are you a robot|unusual traffic|security check"
    r"|request blocked|you have been blocked|forbidden|just a moment|checking your browser",
    re.I,
)
# What only a challenge page carries (a bot check's own markup and scripts): a block whatever the
# status and wherever in the head of the page, title or not.
_CHALLENGE_MARKERS = re.compile(
    rb"just a moment\.\.\.|checking your browser|cf-chl|cf_chl|challenge-platform|cf-challenge"
    rb"|g-recaptcha|h-captcha|hcaptcha|captcha-delivery|chk_captcha",
    re.I,
)


def looks_blocked(status: int, body: bytes) -> bool:
    """A block page: 403; any page that is not an article and carries a challenge's markers; or a
    200/429/503 whose title or first lines say the client is blocked."""
    if status == 403:
        return True
    if is_article_page(body):
        return False
    if _CHALLENGE_MARKERS.search(body[:16384]):
        return True
    if status not in (200, 429, 503):
        return False
    head = body[:4096].decode("latin-1")
    title = re.search(r"<title[^>]*>(.*?)</title", head, re.I | re.S)
    return bool(_BLOCK_MARKERS.search(title.group(1) if title else head))


class BlockDetectionMiddleware:
    """Recognises block pages so they are counted and reported, never parsed as articles.

    A block means the site refuses us: retrying at once would make it worse, so the response is
    dropped, counted (`newsbot/blocked`, which fails the run) and logged with its URL.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockDetectionMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if looks_blocked(response.status, response.body):
            self.crawler.stats.inc_value(STATS_BLOCKED)
            logger.error("Blocked: %s answered %d with a block page", request.url, response.status)
            raise IgnoreRequest(f"block page at {request.url}")
        return response


def retry_after_seconds(value: bytes | str | None, now: float | None = None) -> float | None:
    """Retry-After as seconds to wait: a number of seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, with a wait before each: what Retry-After asks for, else exponential backoff.

    A server that answers 429 or 503 is asking for less traffic; retrying at once would be the
    opposite. The wait is `NEWSBOT_RETRY_BACKOFF` seconds doubled at each retry (capped by
    `NEWSBOT_RETRY_BACKOFF_MAX`), or the Retry-After header when the response has one. A Retry-After
    longer than `NEWSBOT_RETRY_AFTER_MAX` is not waited for: the request is given up and reported.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("NEWSBOT_RETRY_BACKOFF", 2.0)
        self.backoff_max = settings.getfloat("NEWSBOT_RETRY_BACKOFF_MAX", 60.0)
        self.retry_after_max = settings.getfloat("NEWSBOT_RETRY_AFTER_MAX", 300.0)

    async def process_response(  # type: ignore[override]  # the downloader awaits a coroutine here
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None and asked > self.retry_after_max:
            logger.error(
                "Giving up %s: %d with Retry-After %.0f s, more than NEWSBOT_RETRY_AFTER_MAX=%.0f",
                request.url, response.status, asked, self.retry_after_max,
            )  # fmt: skip
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(request, asked)
        return retry

    async def process_exception(  # type: ignore[override]  # as process_response
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._wait(request, None)
        return retry

    async def _wait(self, request: Request, asked: float | None) -> None:
        attempt = request.meta.get("retry_times", 0)
        delay = asked if asked is not None else min(self.backoff_max, self.backoff * 2**attempt)
        if delay <= 0:
            return
        self.crawler.stats.inc_value(STATS_RETRY_WAITS)
        self.crawler.stats.inc_value(STATS_RETRY_WAITED_SECONDS, delay)  # type: ignore[arg-type]  # floats add up fine
        if asked is not None:
            self.crawler.stats.inc_value(STATS_RETRY_AFTER_HONOURED)
        logger.debug("Waiting %.1f s before retrying %s", delay, request.url)
        # A Deferred cannot be awaited directly in a coroutine run by the asyncio reactor.
        await maybe_deferred_to_future(deferLater(reactor, delay, lambda: None))
