"""URLs a page cannot steal: when a page's og:url names another article than the listed URL.

The parser takes a page's og:url as the item's URL when it is a network article URL (a redirect, or
an alias, names the same article under its real URL). A page whose og:url names *another* article
(a template bug, a copy-paste, a hostile page) would take that article's place: the real one
dropped as a duplicate when it comes, the page's own URL fetched again every run. So the claim is
kept only when no other article has that URL: not one written by an earlier run with another body,
not one this run yielded, not one this run asked for (it will come under its own URL). Otherwise the
item keeps the listed URL, with a note. The listed URL is marked known once the item is written
(newsbot.middlewares.ledger), so it is not fetched every run either way.

A spider middleware rather than a pipeline stage: the listed URL is the response's, which an item
pipeline does not see.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from itemadapter import ItemAdapter, is_item
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from newsbot.extensions.store import seen_store
from newsbot.keys import ARTICLE_META_KEY, STATS_OG_URL_CLAIMS_REFUSED
from newsbot.middlewares.walk import WalkPolicyMiddleware
from newsbot.registry import load_registry


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
        listed = response.meta.get(ARTICLE_META_KEY)
        async for output in result:
            if is_item(output):
                self._judge(ItemAdapter(output), listed)
            yield output

    def _judge(self, item: ItemAdapter, listed: str | None) -> None:
        claimed, digest = item["url"], item["content_hash"]
        rival = self._rival(claimed, digest) if listed and claimed != listed else None
        if rival is not None and listed:
            site = load_registry().site_for_url(listed)
            item["url"] = listed
            if site is not None:
                item["site"] = site.host
            item["notes"] = [
                *(item.get("notes") or []),
                f"url: og:url names {rival}, kept the listed URL '{claimed}'",
            ]
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(STATS_OG_URL_CLAIMS_REFUSED)
        self.claimed.setdefault(item["url"], digest)

    def _rival(self, claimed: str, digest: str) -> str | None:
        walk = self.crawler.get_spider_middleware(WalkPolicyMiddleware)
        store = seen_store(self.crawler)
        if self.claimed.get(claimed, digest) != digest:
            return "an article this run wrote"
        if walk is not None and claimed in walk.asked:
            return "an article this run asked for"
        if store is not None and store.is_known_url(claimed) and store.owner_of_hash(digest) != claimed:
            return "an article written by an earlier run"
        return None
