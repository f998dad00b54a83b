"""The network's edge: Scrapy's offsite, robots.txt and decompression rules with the reason of a
refusal in its exception's type; block pages; retries that wait."""

from __future__ import annotations

import email.utils
import logging
import re
import time
from urllib.parse import urlsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.offsite import OffsiteMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.dupefilters import RFPDupeFilter
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.robotstxt import RobotParser
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep
from scrapy.utils.httpobj import urlparse_cached

from newsbot import keys
from newsbot.parsing.article import is_article_page
from newsbot.reasons import (
    UNREACHABLE_ERRORS,
    Blocked,
    CutShort,
    OffNetwork,
    RobotsDisallowed,
    RobotsUnreachable,
    Stopped,
    TooLarge,
    unreachable_host,
)

logger = logging.getLogger(__name__)


class NetworkOffsiteMiddleware(OffsiteMiddleware):
    def process_request(self, request: Request, spider: Spider | None = None) -> None:
        try:
            super().process_request(request)
        except IgnoreRequest as error:
            raise OffNetwork(str(error)) from None

    def request_scheduled(self, request: Request, spider: Spider) -> None:
        """Scrapy drops an offsite request as it is scheduled, without its errback (a redirect off the
        network would be a silent loss): process_request refuses it instead, before any download."""


class RedirectChainDupeFilter(RFPDupeFilter):
    """Scrapy's, except for the hops of a redirect chain (a page redirecting through another back to
    itself: REDIRECT_MAX_TIMES bounds it). Never JOBDIR's memory: it would hold requests a killed job
    had in flight, never answered, that a resumed job would then not ask for."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedirectChainDupeFilter:
        return cls(
            None, crawler.settings.getbool("DUPEFILTER_DEBUG"), fingerprinter=crawler.request_fingerprinter
        )

    def request_seen(self, request: Request) -> bool:
        return not request.meta.get("redirect_urls") and super().request_seen(request)


class DecompressionMiddleware(HttpCompressionMiddleware):
    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as error:
            raise TooLarge(str(error)) from None


class RobotsMiddleware(RobotsTxtMiddleware):
    """Scrapy's, read as RFC 9309 (2.3.1) says: a robots.txt answering 4xx allows all; one answering
    5xx or 429 (as Google reads it: a rate limit, not a missing file), or not reached after one retry,
    disallows all of that host for this run."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.unreachable: dict[str, str] = {}  # host -> why its robots.txt could not be had

    async def process_request(self, request: Request, spider: Spider | None = None) -> None:
        if request.meta.get("dont_obey_robotstxt"):  # a robots.txt itself
            request.meta.setdefault("max_retry_times", 1)
            return
        await super().process_request(request)
        # Not where Scrapy finds no parser: a request that waited for another's robots.txt gets None.
        if (netloc := urlparse_cached(request).netloc) in self.unreachable:
            raise RobotsUnreachable(self.unreachable[netloc])

    def process_request_2(self, rp: RobotParser | None, request: Request) -> None:
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest as error:
            raise RobotsDisallowed(str(error)) from None

    def process_exception(self, request: Request, exception: Exception, spider: Spider | None = None) -> None:
        """A robots.txt not reached is a refusal, which Scrapy's robots.txt rules log without a traceback."""
        if not request.meta.get("dont_obey_robotstxt") or isinstance(exception, IgnoreRequest):
            return
        netloc = urlparse_cached(request).netloc
        # Through a mirror, the host that could not be reached is the mirror's.
        reached = urlsplit(self.crawler.settings.get("NEWSBOT_MIRROR") or request.url).netloc
        if (cause := unreachable_host(exception, reached or netloc)) is not None:
            causes = self._stats.get_value(keys.STATS_HOSTS_UNREACHABLE, [])
            self._stats.set_value(keys.STATS_HOSTS_UNREACHABLE, [*causes, cause])
        raise RobotsUnreachable(cause or _robots_line(netloc, f"{type(exception).__name__}: {exception}"))

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500 or response.status == 429:
            self._robots_error(
                RobotsUnreachable(_robots_line(netloc, f"it answered {response.status}")), netloc
            )
        else:  # 4xx: no rules, everything allowed (an error page is not a robots.txt)
            await super()._parse_robots(
                response.replace(body=b"" if response.status >= 400 else response.body), netloc, request
            )

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        """Not had, whatever the cause: RFC 9309 says disallow all."""
        unreachable = isinstance(exc, RobotsUnreachable)
        line = str(exc) if unreachable else _robots_line(netloc, f"{type(exc).__name__}: {exc}")
        self.unreachable[netloc] = line
        self._stats.inc_value(keys.STATS_ROBOTS_UNREACHABLE)
        logger.error("%s", line, extra={"crawler": self.crawler})
        super()._robots_error(exc, netloc)


def _robots_line(netloc: str, why: str) -> str:
    return f"robots.txt of {netloc} could not be had ({why}): none of its pages is fetched this run"


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
    """403; a page that is not an article with a challenge's markers; a 200/429/503 saying so up top."""
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
    """A block page is refused (`blocked`, which fails the run), never parsed nor retried at once."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BlockDetectionMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if looks_blocked(response.status, response.body):
            self.crawler.stats.inc_value(keys.STATS_BLOCKED)
            logger.error(
                "Blocked: %s answered %d with a block page", request.url, response.status,
                extra={"crawler": self.crawler},
            )  # fmt: skip
            raise Blocked(f"block page at {request.url}")
        return response


def _cut_short(body: bytes) -> bool:
    """A page or feed without the end tag of its root."""
    root = re.search(rb"<(html|rss)\b", body[:4096], re.I)
    return root is not None and re.search(b"</" + root[1], body, re.I) is None


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    text = (value or b"").decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, each after what Retry-After asks (up to NEWSBOT_RETRY_AFTER_MAX, else the
    request is given up), or an exponential backoff: a 429 or 503 asks for less traffic, not more."""

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("NEWSBOT_RETRY_BACKOFF")
        self.backoff_max = settings.getfloat("NEWSBOT_RETRY_BACKOFF_MAX")
        self.retry_after_max = settings.getfloat("NEWSBOT_RETRY_AFTER_MAX")

    async def process_response(  # type: ignore[override]  # the downloader awaits a coroutine here
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status == 200 and "partial" in response.flags and _cut_short(response.body):
            # A body without a length, ended by its connection's close before its markup's end: a
            # server or middlebox cut it (Twisted cannot tell; Scrapy lets it through as "partial").
            if (again := self._retry(request, "cut short")) is None:
                raise CutShort(f"{request.url} was cut short: its connection closed before its end tag")
            await self._wait(request, None)
            return again
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        asked = retry_after_seconds(response.headers.get(b"Retry-After"))
        if asked is not None and asked > self.retry_after_max:
            logger.error(
                "Giving up %s: %d with Retry-After %.0f s, more than NEWSBOT_RETRY_AFTER_MAX=%.0f",
                request.url, response.status, asked, self.retry_after_max, extra={"crawler": self.crawler},
            )  # fmt: skip
            return response
        retry = super().process_response(request, response)
        if isinstance(retry, Request):
            await self._wait(request, asked)
        return retry

    async def process_exception(  # type: ignore[override]  # as process_response
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        if isinstance(exception, UNREACHABLE_ERRORS):
            return None  # the same answer a few seconds later: the run says so at once (reasons.UNREACHABLE)
        retry = super().process_exception(request, exception)
        if retry is not None:
            await self._wait(request, None)
        return retry

    async def _wait(self, request: Request, asked: float | None) -> None:
        attempt = request.meta.get("retry_times", 0)
        # A Retry-After of 0 or in the past (a server's clock behind ours) backs off: a storm of
        # them must not turn the retries into a burst.
        delay = asked or min(self.backoff_max, self.backoff * 2**attempt)
        if asked:
            self.crawler.stats.inc_value(keys.STATS_RETRY_AFTER_HONOURED)
        logger.debug("Waiting %.1f s before retrying %s", delay, request.url)
        # In steps of a second: a run told to stop (SIGTERM, SIGINT) stops within seconds, not after
        # a Retry-After of minutes; the request is then reported, and the ledger asks for it again.
        end = time.monotonic() + delay
        while (left := end - time.monotonic()) > 0:
            if not self.crawler.crawling:
                raise Stopped(f"the run stopped while {request.url} waited to be retried")
            await sleep(min(1.0, left))
