"""The ledger of articles a listing named that no run could write: recorded with their reason (the
article_missed signal, dropped items) and asked for again, first, by the next runs, until had or
given up (bounded attempts, spread over at least NEWSBOT_LEDGER_GIVE_UP_DAYS)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response

from newsbot import keys
from newsbot.extensions.store import seen_store
from newsbot.reasons import (
    DEFERRED,
    GONE,
    INVALID,
    MISDIRECTED,
    NOT_ARTICLE,
    OFF_NETWORK,
    ROBOTS,
    UNPARSED,
    WRITE_FAILED,
    InvalidItem,
    NotWritten,
)
from newsbot.registry import load_registry
from newsbot.signals import article_missed
from newsbot.spiders.priorities import RequestKind
from newsbot.store.base import LedgerEntry, SeenStore, StoreError

logger = logging.getLogger(__name__)
_T = TypeVar("_T")
_P = ParamSpec("_P")

# Reasons that say the page is not (or no longer) an article: retried a few times only.
_BOUNDED_REASONS = frozenset({GONE, NOT_ARTICLE, INVALID, UNPARSED})
# Reasons a retry cannot cure: the URL is off the network, or robots.txt forbids it.
_NEVER_RETRIED = frozenset({OFF_NETWORK, ROBOTS})


@dataclass(frozen=True)
class LedgerPolicy:
    max_attempts: int
    bounded_attempts: int
    give_up_after_days: float

    def attempts_allowed(self, reason: str) -> int:
        if reason in _NEVER_RETRIED:
            return 1
        if reason in _BOUNDED_REASONS:
            return self.bounded_attempts
        return self.max_attempts

    def retry_now(self, entry: LedgerEntry) -> bool:
        # A transient reason is asked for every run until given up: an outage is waited out asking.
        transient = entry.reason not in _BOUNDED_REASONS | _NEVER_RETRIED
        return transient or entry.attempts < self.attempts_allowed(entry.reason)

    def give_up(self, entry: LedgerEntry, now: datetime.datetime) -> bool:
        # Out of attempts and old enough: a passing outage of a day is waited out, however many runs.
        if entry.given_up or entry.reason == DEFERRED or entry.attempts < self.attempts_allowed(entry.reason):
            return False
        age = now - datetime.datetime.fromisoformat(entry.first_attempt)
        return age.total_seconds() >= self.give_up_after_days * 86400  # inf is never: no timedelta holds it


class LedgerMiddleware:
    def __init__(self, crawler: Crawler, store: SeenStore, policy: LedgerPolicy) -> None:
        self.crawler = crawler
        self.store = store
        self.policy = policy
        # URLs in the ledger (any site): only their articles cost a write to resolve.
        self._in_ledger: set[str] = set()
        # URLs given up: no run asks for them again, not even a walk that lists them.
        self.given_up: set[str] = set()
        # A feed export's items are had once it is stored, and marked known then: the next run's
        # start takes them out of the ledger. One not stored (or a killed run) leaves them owed.
        self.exporting = bool(crawler.settings.getdict("FEEDS"))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerMiddleware:
        store = seen_store(crawler)
        if store is None:
            raise NotConfigured
        settings = crawler.settings
        policy = LedgerPolicy(
            max_attempts=settings.getint("NEWSBOT_LEDGER_MAX_ATTEMPTS"),
            bounded_attempts=settings.getint("NEWSBOT_LEDGER_GONE_ATTEMPTS"),
            give_up_after_days=settings.getfloat("NEWSBOT_LEDGER_GIVE_UP_DAYS"),
        )
        keeper = cls(crawler, store, policy)
        crawler.signals.connect(keeper.record, signal=article_missed)
        crawler.signals.connect(keeper.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(keeper.item_dropped, signal=signals.item_dropped)
        return keeper

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        for request in self._pending_requests():
            yield request
        async for item_or_request in start:
            yield item_or_request

    def record(self, url: str, reason: str, section: str | None, summary: str | None = None) -> None:
        """One more failed attempt at an article a listing named: into the ledger, given up when due."""
        if load_registry().site_for_url(url) is None:
            return  # off the network altogether: nothing a later run could fetch
        if reason == DEFERRED and url in self._in_ledger:
            return  # owed already, for its own reason: left out is not one more attempt
        # Owed by the site whose listing named it (a sister site's article too): its runs ask again.
        site = self.crawler.spider.site.host  # type: ignore[union-attr]  # a NetworkSpider
        add, what = self.store.ledger_add, f"put {url} in the ledger ({reason})"
        entry = self._safely(what, add, url, site=site, section=section, reason=reason, summary=summary)
        if entry is None:
            return
        self._in_ledger.add(url)
        if self.policy.give_up(entry, datetime.datetime.fromisoformat(entry.last_attempt)):
            self._give_up(entry)

    def item_scraped(self, item: Any, response: Response) -> None:
        had = self._had(ItemAdapter(item), response, written=not self.exporting)
        if had and response.meta.get(keys.KIND_META_KEY) == RequestKind.LEDGER_ARTICLE.value:
            listed = response.meta.get(keys.ARTICLE_META_KEY) or ItemAdapter(item)["url"]
            self._count(keys.STATS_LEDGER_RECOVERED, keys.STATS_LEDGER_RECOVERED_URLS, listed)

    def item_dropped(self, item: Any, response: Response, exception: Exception) -> None:
        adapter = ItemAdapter(item)
        if isinstance(exception, NotWritten) and exception.in_output:
            return  # its line is on disk: the next start marks it
        if isinstance(exception, InvalidItem | NotWritten):
            reason = INVALID if isinstance(exception, InvalidItem) else WRITE_FAILED
            listed = response.meta.get(keys.ARTICLE_META_KEY) or adapter["url"]
            self.record(listed, reason, adapter.get("section"), adapter.get("summary"))
        else:
            self._had(adapter, response)  # known, or a copy of what is written: had, for the ledger

    def _had(self, item: ItemAdapter, response: Response, *, written: bool = True) -> bool:
        """Takes the item's URLs out of the ledger once `written`; whether one was in it.

        A listed URL answered by another (a redirect, an og:url alias) once is a passing mix-up as far
        as anyone can tell: it waits in the ledger (`misdirected`). Twice, on two runs, is how the site
        serves it: it is recorded as a copy of the other, and had."""
        url = item["url"]
        listed = response.meta.get(keys.ARTICLE_META_KEY) or url
        if listed != url:
            if not response.meta.get(keys.MISDIRECTED_META_KEY):
                self.record(listed, MISDIRECTED, item.get("section"), response.cb_kwargs.get("summary"))
                return False
            self.store.record_copy(listed, url, item["site"])
        # A feed's are owed since asked for, by whichever worker of a cluster read the feed.
        fed = response.cb_kwargs.get("origin") == "feed"
        return written and any([self._resolve(c) for c in {url, listed} if fed or c in self._in_ledger])

    def _pending_requests(self) -> list[Request]:
        spider: Any = self.crawler.spider
        entries = self._safely("read the ledger", self.store.ledger_entries) or []
        pending = self._safely("read the ledger", self.store.ledger_pending, spider.site.host) or []
        self._in_ledger = {entry.url for entry in entries}
        self.given_up = {entry.url for entry in entries if entry.given_up}
        known = self.store.known_urls(entry.url for entry in pending)
        now = datetime.datetime.now(datetime.UTC)
        requests = []
        for entry in pending:
            if entry.url in known:
                self._resolve(entry.url)
            elif self.policy.give_up(entry, now):
                self._give_up(entry)
            elif self.policy.retry_now(entry):
                self._count(keys.STATS_LEDGER_RETRIED, keys.STATS_LEDGER_RETRIED_URLS, entry.url)
                requests.append(
                    spider.article_request(
                        entry.url,
                        section=entry.section,
                        summary=entry.summary,
                        origin=keys.LEDGER_ORIGIN,
                        kind=RequestKind.LEDGER_ARTICLE,
                        **{keys.MISDIRECTED_META_KEY: entry.reason == MISDIRECTED},
                    )
                )
        if requests:
            logger.info("Ledger: asking again for %d article(s) earlier runs could not write", len(requests))
        return requests

    def _count(self, key: str, urls_key: str, url: str) -> None:
        """A count for the summary line, and its URLs for the run report."""
        stats = self.crawler.stats
        stats.inc_value(key)
        stats.set_value(urls_key, sorted({*stats.get_value(urls_key, []), url}))

    def _safely(
        self, what: str, operation: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T | None:
        """A store failing mid-run (busy, full) costs the ledger one line in the log, not the run."""
        try:
            return operation(*args, **kwargs)
        except StoreError as error:
            logger.error("Could not %s: %s", what, error)
            return None

    def _resolve(self, url: str) -> bool:
        self._in_ledger.discard(url)
        return bool(self._safely(f"take {url} out of the ledger", self.store.ledger_resolve, url))

    def _give_up(self, entry: LedgerEntry) -> None:
        try:
            self.store.ledger_give_up(entry.url)
        except StoreError as error:
            logger.error("Could not give up %s in the ledger: %s", entry.url, error)
            return
        self.given_up.add(entry.url)
        self._count(keys.STATS_LEDGER_GIVEN_UP, keys.STATS_LEDGER_GIVEN_UP_URLS, entry.url)
        logger.error(
            "Gave up on article %s (%s): %d attempt(s) since %s; no run will ask for it again",
            entry.url, entry.reason, entry.attempts, entry.first_attempt,
        )  # fmt: skip
