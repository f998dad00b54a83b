"""Downloader middlewares."""

from __future__ import annotations

import logging
import re

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response

from newsbot.spiders.network import ARTICLE_META_KEY
from newsbot.state import SqliteSeenStore, store_for

logger = logging.getLogger(__name__)


class SkipKnownArticlesMiddleware:
    """Skips an article request whose URL became known after it was scheduled.

    The spider checks the store when it lists an article; by the time the request is downloaded
    another process (a sister site's spider, a second worker) or a resumed job's queue may have
    written it already. One indexed lookup here saves the download.
    """

    def __init__(self, crawler: Crawler, store: SqliteSeenStore) -> None:
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
            self.crawler.stats.inc_value("newsbot/skipped/known_at_download")
            raise IgnoreRequest(f"already written: {request.url}")


# What block pages say (Cloudflare, Akamai, Sucuri and home-made ones), looked for only in the
# head of a page that is not an article: an article may well mention a captcha in its text.
_BLOCK_MARKERS = re.compile(
    r"attention required|access denied|captcha|are you a robot|unusual traffic|security check"
    r"|request blocked|you have been blocked|forbidden",
    re.I,
)
_ARTICLE_BODY_MARKER = b"<!--body-2-incontainer.php-->"


def looks_blocked(status: int, body: bytes) -> bool:
    """A block page: 403, or a 200/429/503 whose title or first lines say the client is blocked."""
    if status == 403:
        return True
    if status not in (200, 429, 503) or _ARTICLE_BODY_MARKER in body:
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
            self.crawler.stats.inc_value("newsbot/blocked")
            logger.error("Blocked: %s answered %d with a block page", request.url, response.status)
            raise IgnoreRequest(f"block page at {request.url}")
        return response
