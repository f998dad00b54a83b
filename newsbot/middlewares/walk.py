"""The walk policy: which of the article and next-page requests a spider yields are fetched.

A spider middleware, as Scrapy's DepthMiddleware is: the spider lists every entry of a section page
and its next page; this decides, from the store, the settings and the spider's arguments:

- an article already written (the store), or given up by the ledger, is not fetched;
- `-a since`: entries older than that day are not fetched, and the walk stops there (listings run
  newest first);
- `-a max_articles`: the run asks for no more articles than that;
- the all-known stop: a page whose every entry is known ends the walk, if the section's last walk
  was complete (older pages hold older articles), after NEWSBOT_KNOWN_PAGES_OVERSHOOT more pages;
- `-a max_pages`, and the bounds no site can push a crawl past: NEWSBOT_MAX_SECTION_PAGES pages a
  walk, NEWSBOT_MAX_LINKS_PER_PAGE article links a page, and a page listing nothing new to its walk
  (a pagination loop) ends it.

A walk is recorded begun when its first page is read, and complete when the run's verdict is ok
(the `run_judged` signal), no page of it failed (`section_page_failed`) and no bound cut it short
(`since`, `max_pages`, `max_articles`, the page and link limits): only then may the next run stop at
its first all-known page. Articles `max_articles` left out go to the ledger (`deferred`), so the
next run has them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.http import Response

from newsbot import keys
from newsbot.extensions.store import seen_store
from newsbot.middlewares.ledger import LedgerMiddleware
from newsbot.reasons import DEFERRED
from newsbot.signals import run_judged, section_page_failed
from newsbot.spiders.priorities import ARTICLE_KINDS, RequestKind

logger = logging.getLogger(__name__)


def is_article_request(output: Any) -> bool:
    return isinstance(output, Request) and output.meta.get(keys.KIND_META_KEY) in ARTICLE_KINDS


def listed_url(request: Request) -> str:
    return str(request.meta.get(keys.ARTICLE_META_KEY) or request.url)


class WalkPolicyMiddleware:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_section_pages = max(1, settings.getint("NEWSBOT_MAX_SECTION_PAGES"))
        self.max_links = max(1, settings.getint("NEWSBOT_MAX_LINKS_PER_PAGE"))
        self.overshoot = settings.getint("NEWSBOT_KNOWN_PAGES_OVERSHOOT")
        # Walks of this run: slug -> whether the last walk of it on record was complete.
        self.walks: dict[str, bool] = {}
        # Walks that did not reach their end: a page failed, or a bound cut them short.
        self.incomplete: set[str] = set()
        self.overshoot_left: dict[str, int] = {}
        # Entries each walk has listed so far, to tell a page that lists nothing new.
        self.listed: dict[str, set[str]] = {}
        # Articles this run asked for: the `max_articles` budget, and what an og:url may not claim.
        self.asked: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WalkPolicyMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.section_page_failed, signal=section_page_failed)
        crawler.signals.connect(middleware.run_judged, signal=run_judged)
        return middleware

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in start:
            if not is_article_request(output) or self._ask(output):
                yield output

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        outputs = [output async for output in result]
        request = response.request
        if request is not None and request.meta.get(keys.KIND_META_KEY) == RequestKind.SECTION_PAGE.value:
            chosen = self._section_page(
                response.url, request.cb_kwargs["slug"], request.cb_kwargs["page"], outputs
            )
        else:
            chosen = self._articles(outputs)
        for output in chosen:
            yield output

    # --- signals ---------------------------------------------------------------------------------

    def section_page_failed(self, slug: str, reason: str) -> None:
        self._begin(slug)  # not reached its end: the next run must not stop early on its account
        self.incomplete.add(slug)

    def run_judged(self, spider: Spider, outcome: str) -> None:
        """A walk is complete when the run did its job and no page of the walk failed: a run that
        failed (blocks, errors, a store in trouble) may have missed pages."""
        store = seen_store(self.crawler)
        completed = [slug for slug in self.walks if slug not in self.incomplete]
        site = getattr(spider, "site", None)
        if outcome == "ok" and store is not None and site is not None and completed:
            store.complete_walks(site.host, completed)

    # --- the policy ------------------------------------------------------------------------------

    def _articles(self, outputs: list[Any]) -> Iterable[Any]:
        """Output of a page that is not a section page (a feed, `scrapy parse`): known articles out."""
        known = self._known(listed_url(o) for o in outputs if is_article_request(o))
        for output in outputs:
            if not is_article_request(output):
                yield output
            elif listed_url(output) in known:
                self.stats.inc_value(keys.STATS_SKIPPED_KNOWN)
            elif not self._older_than_since(output) and self._ask(output):
                yield output

    def _section_page(self, url: str, slug: str, page: int, outputs: list[Any]) -> Iterable[Any]:
        self._begin(slug)
        articles = [o for o in outputs if is_article_request(o)]
        next_pages = [o for o in outputs if _is_page(o, page + 1)]
        # Anything else (a healed section's first page) is not the walk's to judge.
        yield from (o for o in outputs if not is_article_request(o) and not _is_page(o, page + 1))
        fresh = self._new_to_walk(slug, [listed_url(a) for a in articles])
        taken = self._links_taken(url, articles)
        known = self._known(listed_url(a) for a in taken)
        reached_since = False
        for request in taken:
            if self._older_than_since(request):
                reached_since = True
            elif listed_url(request) in known:
                self.stats.inc_value(keys.STATS_SKIPPED_KNOWN)
            elif self._ask(request):
                yield request
        if len(taken) < len(articles):
            self.incomplete.add(slug)
        if reached_since:
            # Listings run newest first: past one entry older than `since`, every later page is older.
            self.incomplete.add(slug)
            logger.info("%s: entries older than %s; not walking further", url, self._arguments().since)
            return
        if not fresh:
            # A pagination loop, or a page repeating pages already walked: the walk has ended. A page
            # listing nothing ends it too, but hit no bound: the spider counted it as an empty page.
            if articles:
                self.stats.inc_value(keys.STATS_BOUND_REPEAT)
                logger.warning(
                    "%s lists nothing new to this walk (a pagination loop?); the walk ends here", url
                )
            return
        all_known = bool(taken) and {listed_url(a) for a in taken} <= known
        if all_known and self.walks.get(slug, False):
            # Everything here was written by earlier runs, and older pages hold older articles.
            if self.overshoot_left[slug] <= 0:
                logger.info("%s: every entry is known; not walking further", url)
                return
            self.overshoot_left[slug] -= 1
        max_pages = self._arguments().max_pages
        if next_pages and max_pages is not None and page >= max_pages:
            self.incomplete.add(slug)
            return
        if next_pages and page >= self.max_section_pages:
            self.incomplete.add(slug)
            self.stats.inc_value(keys.STATS_BOUND_PAGES)
            logger.warning(
                "Section %s: walked %d pages, NEWSBOT_MAX_SECTION_PAGES; the walk ends here", slug, page
            )
            return
        yield from next_pages

    def _begin(self, slug: str) -> None:
        if slug in self.walks:
            return
        store = seen_store(self.crawler)
        host = self._site_host()
        self.walks[slug] = bool(store and store.last_walk_completed(host, slug))
        self.overshoot_left[slug] = self.overshoot
        if store is not None:
            store.begin_walk(host, slug)
        self.stats.inc_value(keys.STATS_WALKS_BEGUN)
        if not self.walks[slug]:
            logger.info("Section %s: no completed walk on record, walking it to the end", slug)

    def _new_to_walk(self, slug: str, urls: list[str]) -> bool:
        listed = self.listed.setdefault(slug, set())
        fresh = not listed.issuperset(urls)
        listed.update(urls)
        return fresh

    def _links_taken(self, url: str, articles: list[Request]) -> list[Request]:
        if len(articles) <= self.max_links:
            return articles
        over = len(articles) - self.max_links
        self.stats.inc_value(keys.STATS_BOUND_LINKS, over)
        logger.warning(
            "%s lists %d article links; took the first %d (NEWSBOT_MAX_LINKS_PER_PAGE), left %d",
            url, len(articles), self.max_links, over,
        )  # fmt: skip
        return articles[: self.max_links]

    def _known(self, urls: Iterable[str]) -> set[str]:
        wanted = list(urls)
        store = seen_store(self.crawler)
        known = store.known_urls(wanted) if store is not None and wanted else set()
        ledger = self.crawler.get_spider_middleware(LedgerMiddleware)
        if ledger is not None:
            known |= ledger.given_up_among(wanted)
        return known

    def _older_than_since(self, request: Request) -> bool:
        since, day = self._arguments().since, request.meta.get(keys.LISTED_DATE_META_KEY)
        older = since is not None and day is not None and day < since.isoformat()
        if older:
            self.stats.inc_value(keys.STATS_SKIPPED_OLDER_THAN_SINCE)
        return older

    def _ask(self, request: Request) -> bool:
        """Within the run's `max_articles`: count the article as asked for, once."""
        url = listed_url(request)
        if url in self.asked:
            return True  # listed twice: Scrapy's duplicate filter drops the second request
        max_articles = self._arguments().max_articles
        if max_articles is not None and len(self.asked) >= max_articles:
            self.stats.inc_value(keys.STATS_SKIPPED_MAX_ARTICLES)
            self.incomplete.add(request.cb_kwargs.get("origin", ""))
            ledger = self.crawler.get_spider_middleware(LedgerMiddleware)
            if ledger is not None:
                teaser = request.cb_kwargs.get("summary")
                ledger.record(url, reason=DEFERRED, section=request.cb_kwargs.get("section"), summary=teaser)
            return False
        self.asked.add(url)
        self.stats.inc_value(keys.STATS_ARTICLES_REQUESTED)
        self.stats.inc_value(f"{keys.STATS_SECTION_REQUESTED_PREFIX}{request.cb_kwargs.get('origin')}")
        return True

    def _arguments(self) -> Any:
        return getattr(self.crawler.spider, "arguments", _NO_ARGUMENTS)

    def _site_host(self) -> str:
        return str(self.crawler.spider.site.host)  # type: ignore[union-attr]  # a NetworkSpider walks


def _is_page(output: Any, page: int) -> bool:
    """A request for page `page` of a section walk."""
    return (
        isinstance(output, Request)
        and output.meta.get(keys.KIND_META_KEY) == RequestKind.SECTION_PAGE.value
        and output.cb_kwargs.get("page") == page
    )


class _NoArguments:
    since = max_pages = max_articles = None


_NO_ARGUMENTS = _NoArguments()
