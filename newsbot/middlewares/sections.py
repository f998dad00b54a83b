"""Healing a section: the answer of a section's first page, when the navigation did not vouch for it.

A declared section the home page's navigation does not name is walked at its declared URL. When
that page is gone (404, 410) or lists no article, the section is looked up in the navigation by its
label and walked from there, once, keeping its identity (walk record, stored articles); the home
page is read again for it when the first read failed. Found nowhere, the section fails the run.
A navigation link the registry does not know that lists no article is not a section after all:
counted, not a failure.
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
from newsbot.registry import ResolvedSection, Section
from newsbot.registry.sections import find_by_label, page_name
from newsbot.spiders.priorities import RequestKind

logger = logging.getLogger(__name__)
NO_ARTICLES = "no_articles"


class SectionHealingMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.healing: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SectionHealingMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        key = response.meta.get(keys.HEAL_META_KEY)
        network_spider: Any = self.crawler.spider
        resolved = network_spider.resolved(key) if key and hasattr(network_spider, "resolved") else None
        if resolved is None:
            async for output in result:
                yield output
            return
        outputs = [output async for output in result]
        for output in self._answer(response, resolved, outputs):
            yield output

    def _answer(self, response: Response, resolved: ResolvedSection, outputs: list[Any]) -> Iterator[Any]:
        if response.meta.get(keys.KIND_META_KEY) == RequestKind.HOME.value:
            # The navigation, read again for this section.
            yield from self._healed_walk(resolved, response.meta[keys.HEAL_REASON_META_KEY])
            return
        lists_articles = any(is_article_request(output) for output in outputs)
        if resolved.declared and resolved.key not in self.healing:
            if response.status >= 400:
                logger.warning("Section %s: %s answered %s", resolved.label, response.url, response.status)
                yield from self._heal(resolved, GONE)
                return
            if not lists_articles:
                logger.warning("Section %s: %s lists no article link", resolved.label, response.url)
                yield from self._heal(resolved, NO_ARTICLES)
                return
        if not lists_articles and not resolved.declared:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(keys.STATS_SECTIONS_EMPTY)
            # By design (a photo gallery in the navigation, say): counted, nothing to act on.
            logger.info(
                "Navigation link %s (%s) lists no article; not a section", resolved.label, response.url
            )
        yield from outputs

    def _heal(self, resolved: ResolvedSection, reason: str) -> Iterator[Request]:
        self.healing.add(resolved.key)
        spider: Any = self.crawler.spider
        if spider.navigation is None:
            # The home page could not be had at the start: one more try, for this section only.
            yield spider.home_request(**{keys.HEAL_META_KEY: resolved.key, keys.HEAL_REASON_META_KEY: reason})
            return
        yield from self._healed_walk(resolved, reason)

    def _healed_walk(self, resolved: ResolvedSection, reason: str) -> Iterator[Request]:
        spider: Any = self.crawler.spider
        link = find_by_label(spider.navigation.sections, resolved.label) if spider.navigation else None
        why = "answered 404/410" if reason == GONE else "lists no article link"
        if link is None or link.url == resolved.url:
            spider.section_gone(
                resolved.key,
                reason,
                f"{resolved.url} {why} and the home page navigation names it nowhere else",
            )
            return
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(keys.STATS_SECTIONS_HEALED)
        logger.warning(
            "Section %s: its declared URL %s %s; the navigation links it at %s, walking it from there",
            resolved.label, resolved.url, why, link.url,
        )  # fmt: skip
        spider.section_page_names[resolved.key] = page_name(link.url)
        # Same identity, new first page: the walk record and the stored articles carry over.
        section = resolved.section
        healed = Section(
            slug=section.slug, label=section.label, site_host=section.site_host, page_url=link.url
        )
        yield spider.section_request(healed, link.url, 1)
