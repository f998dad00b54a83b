"""Healing a section whose first page the navigation did not vouch for: a declared section gone (404,
410) or listing nothing at its declared URL is walked, once, where the navigation links its label,
keeping its identity; found nowhere, it fails the run, as a page listing nothing where the
navigation, a heal or a pager links it does. An undeclared link listing nothing is counted.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from newsbot import keys
from newsbot.middlewares.walk import is_article_request
from newsbot.reasons import GONE
from newsbot.registry import Section
from newsbot.registry.sections import page_name
from newsbot.spiders.priorities import RequestKind

logger = logging.getLogger(__name__)
NO_ARTICLES = "no_articles"


class SectionHealingMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SectionHealingMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        outputs = [output async for output in result]
        heal = response.meta.get(keys.HEAL_META_KEY)
        walked = response.meta.get(keys.KIND_META_KEY) == RequestKind.SECTION_PAGE.value
        if heal is None and walked and response.status < 400:  # 4xx, 5xx: the errback's
            # Where the navigation, a heal or a pager links it (a soft 404, a portal's page): its
            # articles, and those of the pages past it, not had this run, it fails too.
            heal = "vouched"
        for output in outputs if heal is None else self._answer(response, heal, outputs):
            yield output

    def _answer(self, response: Response, heal: str, outputs: list[Any]) -> Iterator[Any]:
        lists_articles = any(is_article_request(output) for output in outputs)
        # Not "link": declared ("declared", or the key an earlier newsbot queued in a JOBDIR or Redis).
        if heal != "link" and (response.status >= 400 or not lists_articles):
            yield from self._healed_walk(response, GONE if response.status >= 400 else NO_ARTICLES)
            return
        if not lists_articles:  # a navigation link the registry does not declare
            self.crawler.stats.inc_value(keys.STATS_SECTIONS_EMPTY)
            # By design (a photo gallery in the navigation, say): counted, nothing to act on.
            label = response.cb_kwargs["label"]
            logger.info("Navigation link %s (%s) lists no article; not a section", label, response.url)
        yield from outputs

    def _healed_walk(self, response: Response, reason: str) -> Iterator[Request]:
        spider: Any = self.crawler.spider
        slug, label = response.cb_kwargs["slug"], response.cb_kwargs["label"]
        why = "answered 404/410" if reason == GONE else "lists no article link"
        if (link := response.meta.get(keys.HEAL_URL_META_KEY)) is None:
            nowhere = "no navigation read names it elsewhere"
            if (page := response.cb_kwargs["page"]) > 1:
                nowhere = f"the walk ends at page {page}, the pages past it not walked this run"
            spider.section_gone(slug, reason, f"{response.url} {why} and {nowhere}")
            return
        self.crawler.stats.inc_value(keys.STATS_SECTIONS_HEALED)
        logger.warning(
            "Section %s: its declared URL %s %s; the navigation links it at %s, walking it from there",
            label, response.url, why, link,
        )  # fmt: skip
        # Same identity, new first page: the walk record and the stored articles carry over.
        yield spider.section_request(Section(slug=slug, label=label), link, 1, page_name(link))
