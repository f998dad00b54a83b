"""The walk policy, a spider middleware as Scrapy's DepthMiddleware is: of the article and next-page
requests the spider yields, which are fetched (known articles, `since`, `max_articles`, the
all-known stop, `max_pages`, the page and link bounds). A walk is recorded complete only when the
run was ok and finished (no CLOSESPIDER_* limit cut it), its export (if any) stored, no page failed
and no bound cut the walk short. A later walk stops at a page whose entries are all known only once
it has met two entries of the lower half of that walk's first page in their order there: older pages
were walked to their end; newer ones may hold what nothing wrote, however much of theirs other runs
wrote.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterable
from itertools import pairwise
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.http import Response

from newsbot import keys
from newsbot.extensions.exports import exports_failed
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
        # 0 is no limit, as in Scrapy's DEPTH_LIMIT and CLOSESPIDER_* settings.
        self.max_section_pages = settings.getint("NEWSBOT_MAX_SECTION_PAGES") or sys.maxsize
        self.max_links = settings.getint("NEWSBOT_MAX_LINKS_PER_PAGE") or sys.maxsize
        self.overshoot = settings.getint("NEWSBOT_KNOWN_PAGES_OVERSHOOT")
        # Walks of this run: slug -> all-known pages still to walk past, None without a completed walk.
        self.walks: dict[str, int | None] = {}
        # The lower half of each section's last complete walk's first page (entry: its place), and
        # the places of those each walk has met, in its order.
        self.tops: dict[str, dict[str, int]] = {}
        self.met: dict[str, list[int]] = {}
        # Walks that did not reach their end: a page failed, or a bound cut them short.
        self.incomplete: set[str] = set()
        # Entries each walk has listed so far, to tell a page that lists nothing new.
        self.listed: dict[str, set[str]] = {}
        # Articles this run asked for: what an og:url may not claim.
        self.asked: set[str] = set()
        self.finished_ok = False  # the verdict: ok, and no CLOSESPIDER_* limit cut the run

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WalkPolicyMiddleware:
        middleware = cls(crawler)
        crawler.signals.connect(middleware.section_page_failed, signal=section_page_failed)
        crawler.signals.connect(middleware.run_judged, signal=run_judged)
        crawler.signals.connect(middleware.feed_exporter_closed, signal=signals.feed_exporter_closed)
        crawler.signals.connect(middleware.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        # Kept over a JOBDIR pause (Scrapy's spider.state): what the job queued may come before a walk
        # lists it again, and a page naming it must not take its URL.
        self.asked = getattr(spider, "state", {}).setdefault("asked", self.asked)

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        async for output in start:
            if not is_article_request(output) or self._ask(output):
                yield output

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        outputs = [output async for output in result]
        walked = response.meta.get(keys.KIND_META_KEY) == RequestKind.SECTION_PAGE.value
        for output in self._section_page(response, outputs) if walked else self._articles(outputs):
            yield output

    def section_page_failed(self, slug: str, reason: str) -> None:
        self.stats.inc_value(f"{keys.STATS_SECTION_PAGES_FAILED_PREFIX}{reason}")
        self._begin(slug)  # not reached its end: the next run must not stop early on its account
        self.incomplete.add(slug)

    def request_dropped(self, request: Request) -> None:
        """A page the duplicate filter dropped (no errback) was walked already: a pager leading back."""
        if request.meta.get(keys.KIND_META_KEY) == RequestKind.SECTION_PAGE.value:
            slug = request.cb_kwargs["slug"]
            self.incomplete.add(slug)
            self.stats.inc_value(keys.STATS_BOUND_REPEAT)
            logger.warning(
                "%s was walked already (a pagination loop?); the walk of %s ends", request.url, slug
            )

    def run_judged(self, spider: Any, outcome: str, reason: str) -> None:
        # A CLOSESPIDER_* limit is an ok end, but a bound: pages and articles asked for were dropped.
        self.finished_ok = outcome == "ok" and reason == "finished"
        if not self.crawler.settings.getdict("FEEDS"):
            self._complete_walks()

    def feed_exporter_closed(self) -> None:
        """An export's articles are marked once it is stored (later than the verdict): its walks too."""
        if not exports_failed(self.stats.get_stats(), self.crawler.settings):
            self._complete_walks()

    def _complete_walks(self) -> None:
        store = seen_store(self.crawler)
        completed = [slug for slug in self.walks if slug not in self.incomplete]
        if self.finished_ok and store is not None and completed:
            store.complete_walks(self.crawler.spider.site.host, completed)  # type: ignore[union-attr]

    def _articles(self, outputs: list[Any]) -> Iterable[Any]:
        """Output of a page that is not a section page (a feed, `scrapy parse`): known articles out.
        What a feed lists is owed (the ledger) once asked for: no later walk lists it again, and a
        killed run's next feed may not either."""
        yield from (output for output in outputs if not is_article_request(output))
        chosen = self._chosen([output for output in outputs if is_article_request(output)])[0]
        if (ledger := self.crawler.get_spider_middleware(LedgerMiddleware)) is not None:
            for request in chosen:
                ledger.record(listed_url(request), DEFERRED, None, request.cb_kwargs.get("summary"))
        yield from chosen

    def _section_page(self, response: Response, outputs: list[Any]) -> Iterable[Any]:
        url, slug, page = response.url, response.cb_kwargs["slug"], response.cb_kwargs["page"]
        self._begin(slug)
        articles = [o for o in outputs if is_article_request(o)]
        next_pages = [o for o in outputs if _is_page(o, page + 1)]
        # Anything else (a healed section's first page) is not the walk's to judge.
        yield from (o for o in outputs if not is_article_request(o) and not _is_page(o, page + 1))
        listed = self.listed.setdefault(slug, set())
        entries = [listed_url(a) for a in articles]
        fresh = not listed.issuperset(entries)
        listed.update(entries)
        store = seen_store(self.crawler)
        if page == 1 and store is not None:
            store.note_walk_top(self.crawler.spider.site.host, slug, entries)  # type: ignore[union-attr]
        top, met = self.tops[slug], self.met.setdefault(slug, [])  # _begin read it
        met.extend(top[entry] for entry in entries if entry in top)
        taken = articles[: self.max_links]
        if len(taken) < len(articles):
            self.incomplete.add(slug)
            self.stats.inc_value(keys.STATS_BOUND_LINKS, len(articles) - len(taken))
            logger.warning(
                "%s lists %d article links; took the first %d (NEWSBOT_MAX_LINKS_PER_PAGE)",
                url, len(articles), self.max_links,
            )  # fmt: skip
        chosen, all_known, reached_since = self._chosen(taken)
        yield from chosen
        if reached_since:
            # Listings run newest first: past one entry older than `since`, every later page is older.
            self.incomplete.add(slug)
            logger.info("%s: entries older than %s; not walking further", url, self._arguments().since)
            return
        if not fresh:
            # A pagination loop, or a page repeating pages already walked. A page listing nothing
            # ends a walk too, but hits no bound: the spider counted it as an empty page. Either may
            # be a passing glitch with pages past it: not complete, the next run walks to the end.
            if not any(_is_page(o, 1) for o in outputs):  # unless healed: walked again from elsewhere
                self.incomplete.add(slug)
            if articles:
                self.stats.inc_value(keys.STATS_BOUND_REPEAT)
                logger.warning("%s lists nothing new to this walk (a pagination loop?); the walk ends", url)
            return
        overshoot = self.walks[slug]
        # Two in their order there: one alone may be featured, or re-listed atop from there (an update).
        in_place = any(earlier < later for earlier, later in pairwise(met))
        if all_known and overshoot is not None and in_place:
            # At or past the last complete walk's first page: every older page was walked to its end.
            if overshoot <= 0:
                logger.info("%s: every entry is known; not walking further", url)
                return
            self.walks[slug] = overshoot - 1
        max_pages = self._arguments().max_pages or sys.maxsize
        if next_pages and page >= min(self.max_section_pages, max_pages):
            self.incomplete.add(slug)
            if page < max_pages:
                self.stats.inc_value(keys.STATS_BOUND_PAGES)
                logger.warning(
                    "Section %s: walked %d pages, NEWSBOT_MAX_SECTION_PAGES; the walk ends", slug, page
                )
            elif not all_known:  # asked for (no warning), but new articles may wait past it: the summary says
                self.stats.inc_value(keys.STATS_BOUND_MAX_PAGES)
                logger.info(
                    "Section %s: page %d, the last max_pages allows, listed new articles; those past it "
                    "wait for a run with more pages", slug, page,
                )  # fmt: skip
            return
        yield from next_pages

    def _chosen(self, requests: list[Request]) -> tuple[list[Request], bool, bool]:
        """The requests asked for; whether every one is known; whether one is older than `since`."""
        urls = [listed_url(r) for r in requests]
        store, ledger = seen_store(self.crawler), self.crawler.get_spider_middleware(LedgerMiddleware)
        # Known: what the store has, and what the ledger gave up on.
        known = store.known_urls(urls) if store is not None and urls else set()
        known |= ledger.given_up.intersection(urls) if ledger is not None else set()
        since = self._arguments().since
        chosen, reached_since = [], False
        for request, url in zip(requests, urls, strict=True):
            day = request.meta.get(keys.LISTED_DATE_META_KEY)
            if since is not None and day is not None and day < since.isoformat():
                reached_since = True
                self.stats.inc_value(keys.STATS_SKIPPED_OLDER_THAN_SINCE)
            elif url in known:
                self.stats.inc_value(keys.STATS_SKIPPED_KNOWN)
            elif self._ask(request):
                chosen.append(request)
        return chosen, bool(urls) and set(urls) <= known, reached_since

    def _begin(self, slug: str) -> None:
        if slug in self.walks:
            return
        store = seen_store(self.crawler)
        host = self.crawler.spider.site.host  # type: ignore[union-attr]  # a NetworkSpider walks
        top = (store.begin_walk(host, slug) if store is not None else None) or []
        self.walks[slug] = self.overshoot if top else None
        # Its lower half (two entries at least): an entry featured atop every first page would vouch
        # for pages never walked.
        lower = top[min(len(top) // 2, len(top) - 2) :]
        self.tops[slug] = {url: place for place, url in enumerate(lower)}
        self.stats.inc_value(keys.STATS_WALKS_BEGUN)
        if not top:
            logger.info("Section %s: no completed walk on record, walking it to the end", slug)

    def _ask(self, request: Request) -> bool:
        """Within the run's `max_articles`: count the article as asked for, once."""
        url = listed_url(request)
        if url in self.asked:
            return True  # listed twice: Scrapy's duplicate filter drops the second request
        max_articles = self._arguments().max_articles
        # The process's count: `asked` may be a JOBDIR's of a job that finished (a folder used again).
        requested = self.stats.get_value(keys.STATS_ARTICLES_REQUESTED, 0)
        if max_articles is not None and requested >= max_articles:
            self.stats.inc_value(keys.STATS_SKIPPED_MAX_ARTICLES)
            self.incomplete.add(request.cb_kwargs.get("origin", ""))
            ledger = self.crawler.get_spider_middleware(LedgerMiddleware)
            if ledger is not None:
                teaser = request.cb_kwargs.get("summary")
                ledger.record(url, reason=DEFERRED, section=request.cb_kwargs.get("section"), summary=teaser)
            return False
        self.asked.add(url)
        self.stats.inc_value(keys.STATS_ARTICLES_REQUESTED)
        return True

    def _arguments(self) -> Any:
        return self.crawler.spider.arguments  # type: ignore[union-attr]  # a NetworkSpider walks


def _is_page(output: Any, page: int) -> bool:
    """A request for page `page` of a section walk."""
    return (
        isinstance(output, Request)
        and output.meta.get(keys.KIND_META_KEY) == RequestKind.SECTION_PAGE.value
        and output.cb_kwargs.get("page") == page
    )
