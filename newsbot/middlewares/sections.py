"""Healing a section whose first page the navigation did not vouch for: a declared section gone (404,
410) or listing nothing at its declared URL is walked, once, where the navigation links its label,
keeping its identity; found nowhere, it fails the run. An undeclared link listing nothing is counted.
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
from newsbot.registry import ResolvedSection
from newsbot.registry.sections import find_by_label, page_name

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
        key = response.meta.get(keys.HEAL_META_KEY)
        resolved = self.crawler.spider.resolved(key) if key else None  # type: ignore[union-attr]
        for output in outputs if resolved is None else self._answer(response, resolved, outputs):
            yield output

    def _answer(self, response: Response, resolved: ResolvedSection, outputs: list[Any]) -> Iterator[Any]:
        lists_articles = any(is_article_request(output) for output in outputs)
        if resolved.declared and (response.status >= 400 or not lists_articles):
            yield from self._healed_walk(resolved, GONE if response.status >= 400 else NO_ARTICLES)
            return
        if not lists_articles:  # a navigation link the registry does not declare
            self.crawler.stats.inc_value(keys.STATS_SECTIONS_EMPTY)
            # By design (a photo gallery in the navigation, say): counted, nothing to act on.
            logger.info(
                "Navigation link %s (%s) lists no article; not a section", resolved.label, response.url
            )
        yield from outputs

    def _healed_walk(self, resolved: ResolvedSection, reason: str) -> Iterator[Request]:
        spider: Any = self.crawler.spider
        link = find_by_label(spider.navigation.sections, resolved.label) if spider.navigation else None
        why = "answered 404/410" if reason == GONE else "lists no article link"
        if link is None or link.url == resolved.url:
            why = f"{resolved.url} {why} and no navigation read names it elsewhere"
            spider.section_gone(resolved.key, reason, why)
            return
        self.crawler.stats.inc_value(keys.STATS_SECTIONS_HEALED)
        logger.warning(
            "Section %s: its declared URL %s %s; the navigation links it at %s, walking it from there",
            resolved.label, resolved.url, why, link.url,
        )  # fmt: skip
        spider.section_page_names[resolved.key] = page_name(link.url)
        # Same identity, new first page: the walk record and the stored articles carry over.
        yield spider.section_request(resolved.section, link.url, 1)
