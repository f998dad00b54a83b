"""The ledger of articles not yet had: what a listing named that no run could write, asked for again.

A walk stops at the first page it finds all known, so an article that failed once on page 2 would
never be listed to a later run again. Every article a listing or feed named that the run could not
write goes into the store's ledger (newsbot.store.SeenStore's ledger_*) with its reason; the next runs request
the pending entries first, before walking. Transient reasons are retried on every run; `gone` and
`not_article` a bounded number of times; `off_network` and `robots` not at all. An entry is given up
after a bounded number of attempts spread over at least a day: an ERROR with its URL, `given_up` in
the report.

`LedgerMiddleware` (a spider middleware) yields those requests before the spider's own start
requests, hears of every article that could not be had (newsbot.signals.article_missed) and follows
what became of every item (item_scraped, item_dropped).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.settings import BaseSettings

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
from newsbot.store import LedgerEntry, SeenStore, StoreError

logger = logging.getLogger(__name__)

# Reasons that say the page is not (or no longer) an article: retried a few times only.
_BOUNDED_REASONS = frozenset({GONE, NOT_ARTICLE, INVALID, UNPARSED})
# Reasons a retry cannot cure: the URL is off the network, or robots.txt forbids it.
_NEVER_RETRIED = frozenset({OFF_NETWORK, ROBOTS})


@dataclass(frozen=True)
class LedgerPolicy:
    """When an entry is asked for again, and when it is given up (settings NEWSBOT_LEDGER_*)."""

    max_attempts: int
    bounded_attempts: int
    give_up_after_days: float

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> LedgerPolicy:
        return cls(
            max_attempts=settings.getint("NEWSBOT_LEDGER_MAX_ATTEMPTS"),
            bounded_attempts=settings.getint("NEWSBOT_LEDGER_GONE_ATTEMPTS"),
            give_up_after_days=settings.getfloat("NEWSBOT_LEDGER_GIVE_UP_DAYS"),
        )

    def attempts_allowed(self, reason: str) -> int:
        if reason in _NEVER_RETRIED:
            return 1
        if reason in _BOUNDED_REASONS:
            return self.bounded_attempts
        return self.max_attempts

    def retry_now(self, entry: LedgerEntry) -> bool:
        return entry.reason == DEFERRED or entry.attempts < self.attempts_allowed(entry.reason)

    def give_up(self, entry: LedgerEntry, now: datetime.datetime) -> bool:
        """Out of attempts, and the first one at least `give_up_after_days` ago: a passing outage of
        a day is waited out, whatever the number of runs in it."""
        if entry.given_up or entry.reason == DEFERRED or entry.attempts < self.attempts_allowed(entry.reason):
            return False
        age = now - _parse_time(entry.first_attempt)
        return age >= datetime.timedelta(days=self.give_up_after_days)


class LedgerMiddleware:
    """Requests the ledger's pending entries first, records what could not be written, resolves
    what was."""

    def __init__(self, crawler: Crawler, store: SeenStore, policy: LedgerPolicy) -> None:
        self.crawler = crawler
        self.store = store
        self.policy = policy
        self.registry = load_registry()
        # URLs in the ledger (any site): only their articles cost a write to resolve.
        self._in_ledger: set[str] = set()
        # URLs given up: no run asks for them again, not even a walk that lists them.
        self._given_up: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LedgerMiddleware:
        store = seen_store(crawler)
        if store is None:
            raise NotConfigured
        keeper = cls(crawler, store, LedgerPolicy.from_settings(crawler.settings))
        crawler.signals.connect(keeper.article_missed, signal=article_missed)
        crawler.signals.connect(keeper.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(keeper.item_dropped, signal=signals.item_dropped)
        return keeper

    async def process_start(self, start: AsyncIterator[Any]) -> AsyncIterator[Any]:
        for request in self._pending_requests():
            yield request
        async for item_or_request in start:
            yield item_or_request

    # --- signals ---------------------------------------------------------------------------------

    def article_missed(self, url: str, reason: str, section: str | None, summary: str | None = None) -> None:
        self.record(url, reason=reason, section=section, summary=summary)

    def record(self, url: str, *, reason: str, section: str | None, summary: str | None = None) -> None:
        """One more failed attempt at an article a listing named: into the ledger, given up when due."""
        site = self.registry.site_for_url(url)
        if site is None:
            return  # off the network altogether: nothing a later run could fetch
        try:
            entry = self.store.ledger_add(
                url, site=site.host, section=section, reason=reason, summary=summary
            )
        except StoreError as error:
            logger.error("Could not put %s in the ledger (%s): %s", url, reason, error)
            return
        self._in_ledger.add(url)
        self.crawler.stats.inc_value(keys.STATS_LEDGER_ADDED)
        if self.policy.give_up(entry, _parse_time(entry.last_attempt)):
            self._give_up(entry)

    def given_up_among(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` were given up: a walk treats them as known (not fetched, not new)."""
        return self._given_up.intersection(urls)

    def item_scraped(self, item: Any, response: Any = None, spider: Any = None) -> None:
        url = _field(item, "url")
        listed = _listed_url(response) or url
        if listed != url and not self._answered_by_another(listed, url, item, response):
            return
        recovered = False
        for candidate in {url, listed}:
            if candidate in self._in_ledger and self._resolve(candidate):
                recovered = True
        if recovered and _from_ledger(response):
            self._count(keys.STATS_LEDGER_RECOVERED, keys.STATS_LEDGER_RECOVERED_URLS, listed)

    def item_dropped(
        self, item: Any, response: Any = None, exception: Any = None, spider: Any = None
    ) -> None:
        url = _field(item, "url")
        listed = _listed_url(response) or url
        if isinstance(exception, NotWritten) and exception.in_output:
            return  # its line is on disk: the next start marks it
        if isinstance(exception, InvalidItem | NotWritten):
            reason = INVALID if isinstance(exception, InvalidItem) else WRITE_FAILED
            self.record(
                listed, reason=reason, section=_field(item, "section"), summary=_field(item, "summary")
            )
            return
        # Known, or a copy of what is written: had, as far as the ledger goes.
        if listed != url and not self._answered_by_another(listed, url, item, response):
            return
        for candidate in {url, listed}:
            if candidate in self._in_ledger:
                self._resolve(candidate)

    def _answered_by_another(self, listed: str, url: str, item: Any, response: Any) -> bool:
        """The listed URL was answered by another (a redirect, an og:url alias). Once is a passing
        mix-up as far as anyone can tell: the listed URL waits in the ledger (`misdirected`) and is
        asked for again. Twice, on two runs, is how the site serves it: the listed URL is recorded
        as a copy of the other, and had. Returns whether the listed URL is had."""
        if not _meta(response, keys.MISDIRECTED_META_KEY):
            teaser = listing_teaser(response)
            self.record(listed, reason=MISDIRECTED, section=_field(item, "section"), summary=teaser)
            return False
        store = seen_store(self.crawler)
        if store is not None:
            store.record_copy(listed, url, _field(item, "site"))
        return True

    # --- internals -----------------------------------------------------------------------------

    def _pending_requests(self) -> list[Request]:
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        if site is None or not hasattr(spider, "article_request"):
            return []
        try:
            entries = self.store.ledger_entries()
            self._in_ledger = {entry.url for entry in entries}
            self._given_up = {entry.url for entry in entries if entry.given_up}
            pending = self.store.ledger_pending(site.host)
        except StoreError as error:
            logger.error("Could not read the ledger: %s", error)
            return []
        store = seen_store(self.crawler)
        known = store.known_urls(e.url for e in pending) if store is not None else set()
        now = datetime.datetime.now(datetime.UTC)
        requests = []
        for entry in pending:
            if entry.url in known:
                self._resolve(entry.url)
            elif self.policy.give_up(entry, now):
                self._give_up(entry)
            elif self.policy.retry_now(entry):
                requests.append(self._request(spider, entry))
        if requests:
            logger.info("Ledger: asking again for %d article(s) earlier runs could not write", len(requests))
        return requests

    def _request(self, spider: Any, entry: LedgerEntry) -> Request:
        self._count(keys.STATS_LEDGER_RETRIED, keys.STATS_LEDGER_RETRIED_URLS, entry.url)
        request: Request = spider.article_request(
            entry.url,
            section=entry.section,
            summary=entry.summary,
            origin=keys.LEDGER_ORIGIN,
            kind=RequestKind.LEDGER_ARTICLE,
            **{keys.LEDGER_META_KEY: True},
            **({keys.MISDIRECTED_META_KEY: True} if entry.reason == MISDIRECTED else {}),
        )
        return request

    def _count(self, key: str, urls_key: str, url: str) -> None:
        """A count for the summary line, and its URLs for the run report."""
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(key)
        stats.set_value(urls_key, sorted({*stats.get_value(urls_key, []), url}))

    def _resolve(self, url: str) -> bool:
        try:
            resolved = self.store.ledger_resolve(url)
        except StoreError as error:
            logger.error("Could not take %s out of the ledger: %s", url, error)
            return False
        self._in_ledger.discard(url)
        return resolved

    def _give_up(self, entry: LedgerEntry) -> None:
        try:
            self.store.ledger_give_up(entry.url)
        except StoreError as error:
            logger.error("Could not give up %s in the ledger: %s", entry.url, error)
            return
        self._given_up.add(entry.url)
        self._count(keys.STATS_LEDGER_GIVEN_UP, keys.STATS_LEDGER_GIVEN_UP_URLS, entry.url)
        logger.error(
            "Gave up on article %s (%s): %d attempt(s) since %s; no run will ask for it again",
            entry.url, entry.reason, entry.attempts, entry.first_attempt,
        )  # fmt: skip


def _listed_url(response: Any) -> str | None:
    meta = getattr(response, "meta", None) if response is not None else None
    try:
        return meta.get(keys.ARTICLE_META_KEY) if meta is not None else None
    except AttributeError:  # a response without a request
        return None


def listing_teaser(response: Any) -> str | None:
    """The teaser of the listing entry that named the response's article, if any."""
    request = getattr(response, "request", None)
    return request.cb_kwargs.get("summary") if request is not None else None


def _from_ledger(response: Any) -> bool:
    return _meta(response, keys.LEDGER_META_KEY)


def _meta(response: Any, key: str) -> bool:
    try:
        return bool(response.meta.get(key))
    except AttributeError:  # no response, or one without a request
        return False


def _field(item: Any, name: str) -> Any:
    try:
        return ItemAdapter(item).get(name)
    except TypeError:  # not an item at all
        return None


def _parse_time(value: str) -> datetime.datetime:
    return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.UTC)
