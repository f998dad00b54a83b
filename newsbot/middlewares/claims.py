"""Whether a page's og:url (or a redirect's end) may name its item: not when another article has
that URL (written before with another body, yielded or asked for this run). Such an answer is first
`misdirected`, no item, asked for again by the ledger; a second one, on a later run, keeps the listed
URL with a note. A spider middleware, not a pipeline stage: an item pipeline does not see the listed URL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from newsbot.extensions.store import seen_store
from newsbot.keys import ARTICLE_META_KEY, MISDIRECTED_META_KEY, STATS_OG_URL_CLAIMS_REFUSED
from newsbot.middlewares.walk import WalkPolicyMiddleware
from newsbot.reasons import MISDIRECTED
from newsbot.registry import load_registry
from newsbot.signals import miss_article


class OgUrlClaimsMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # URL -> content hash of every item this crawl yielded.
        self.claimed: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> OgUrlClaimsMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        async for output in result:
            if not is_item(output) or self._judge(ItemAdapter(output), response):
                yield output

    def _judge(self, item: ItemAdapter, response: Response) -> bool:
        claimed, digest = item["url"], item["content_hash"]
        listed = response.meta.get(ARTICLE_META_KEY) or claimed
        rival = self._rival(claimed, digest) if claimed != listed else None
        if claimed != listed:
            # The listing's teaser describes the listed article, not the one the page says it is.
            item["summary"] = None
        if rival is not None and not response.meta.get(MISDIRECTED_META_KEY):
            # Another article's page, or a page naming another: once is a mix-up as far as anyone
            # can tell. Nothing is written under either URL; the listed one is asked for again.
            teaser, detail = response.cb_kwargs.get("summary"), f"og:url names {rival}"
            miss_article(
                self.crawler, listed, MISDIRECTED, section=item.get("section"), summary=teaser, detail=detail
            )
            return False
        if rival is not None:  # answered so again, on a later run: how the site serves it
            site = load_registry().site_for_url(listed)
            item["url"], item["site"] = listed, site.host if site else item["site"]
            note = f"url: og:url names {rival}, kept the listed URL '{claimed}'"
            item["notes"] = [*(item.get("notes") or []), note]
            self.crawler.stats.inc_value(STATS_OG_URL_CLAIMS_REFUSED)
        self.claimed.setdefault(item["url"], digest)
        return True

    def _rival(self, claimed: str, digest: str) -> str | None:
        walk = self.crawler.get_spider_middleware(WalkPolicyMiddleware)
        store = seen_store(self.crawler)
        if self.claimed.get(claimed, digest) != digest:
            return "an article this run wrote"
        if walk is not None and claimed in walk.asked:
            return "an article this run asked for"
        if store is not None and store.is_known_url(claimed) and store.owner_of_hash(digest) != claimed:
            return "an article written by an earlier run"
        if self._taken(claimed):
            return "an article this run asked for, or another page named"
        return None

    def _taken(self, url: str) -> bool:
        """A cluster's other workers: asked for it, or wrote another page under it, not yet marked."""
        take = getattr(self.crawler.engine and self.crawler.engine.scheduler, "take", None)
        return bool(take and take(url))
