"""The memory of articles already written, shared by every spider and every run.

A scheduled crawl asks it two questions: "is this URL known?" (then the page is not downloaded
again) and "was this body already written under another URL?" (a syndicated copy: dropped). An
article becomes known only once its JSON line is durably on disk (see `newsbot.store.reconcile`).

`base` declares the records and the SeenStore protocol; `sqlite` is the default store (NEWSBOT_STATE),
the Redis store serves a cluster (NEWSBOT_REDIS_URL). `store_for` opens the one a crawl uses.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider
from scrapy.utils.defer import deferred_from_coro

from newsbot.exporters import export_is_complete
from newsbot.report.keys import FINISH_STORE_BUSY, FINISH_STORE_UNUSABLE, STATS_STORE_ERROR
from newsbot.store.base import (
    KnownArticle,
    LedgerEntry,
    LedgerStore,
    SectionSummary,
    SeenStore,
    StoreBusyError,
    StoreError,
    default_state_path,
    store_path_from_setting,
)
from newsbot.store.sqlite import SqliteSeenStore

__all__ = [
    "KnownArticle",
    "LedgerEntry",
    "LedgerStore",
    "SectionSummary",
    "SeenStore",
    "SqliteSeenStore",
    "StoreBusyError",
    "StoreError",
    "default_state_path",
    "ledger_of",
    "store_for",
    "store_path_from_setting",
]

logger = logging.getLogger(__name__)


def store_for(crawler: object) -> SeenStore | None:
    """The crawler's store, opened once and closed when the engine stops; None when disabled."""
    cached: SeenStore | bool | None = getattr(crawler, "_newsbot_store", False)
    if cached is not False:
        return cached  # type: ignore[return-value]  # False is the only bool stored: "not opened yet"
    settings = crawler.settings  # type: ignore[attr-defined]  # a Crawler, or a test double of one
    if settings.get("NEWSBOT_REDIS_URL"):
        # A cluster's workers share one store in Redis (newsbot/store/redis.py), with the same
        # methods; NEWSBOT_STATE is not used then.
        from newsbot.store.redis import RedisSeenStore

        store: SeenStore | None = RedisSeenStore.from_crawler(crawler)  # type: ignore[arg-type]
    else:
        # A feed export (-o/-O) is a complete copy: no store skips or marks for it.
        path = (
            None if export_is_complete(settings) else store_path_from_setting(settings.get("NEWSBOT_STATE"))
        )
        try:
            busy = settings.getfloat("NEWSBOT_STATE_BUSY_TIMEOUT", 60.0)
            sqlite_store = SqliteSeenStore(path, busy_timeout=busy) if path else None
        except StoreError as error:
            _refuse_to_start(crawler, error)
            sqlite_store = None
        if sqlite_store is not None:
            sqlite_store.on_busy = _stop_when_busy(crawler)
        store = sqlite_store
    crawler._newsbot_store = store  # type: ignore[attr-defined]  # one store per crawler, kept on it
    if store is not None:
        crawler.signals.connect(store.close, signal=signals.engine_stopped)  # type: ignore[attr-defined]  # as above
    return store


def ledger_of(store: SeenStore | None) -> LedgerStore | None:
    """The store's ledger of articles not yet had, when this kind of store keeps one."""
    return store if isinstance(store, LedgerStore) else None


def _refuse_to_start(crawler: Any, error: StoreError) -> None:
    """A store that cannot be used ends the run as it opens, before any request (exit status 2).

    Components that asked for the store get None; the spider closes before they could write: an
    output written without its store would be written again by the next run.
    """
    logger.error("newsbot cannot use its store: %s", error)
    crawler.stats.set_value(STATS_STORE_ERROR, str(error))

    def close_at_once(spider: object) -> None:
        raise CloseSpider(FINISH_STORE_UNUSABLE)

    crawler.signals.connect(close_at_once, signal=signals.spider_opened, weak=False)


def _stop_when_busy(crawler: Any) -> Callable[[StoreBusyError], None]:
    """Ends the run (finish reason store_busy, exit 1) the first time the store stays locked too long.

    Whatever mark failed changed nothing (a locked write is not half-done); a line written but not
    marked is marked at the next start. Stopping keeps later marks from moving past it.
    """

    def stop(error: StoreBusyError) -> None:
        if crawler.stats.get_value(STATS_STORE_ERROR):
            return
        logger.error("%s; stopping the run", error)
        crawler.stats.set_value(STATS_STORE_ERROR, str(error))
        engine = getattr(crawler, "engine", None)
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=FINISH_STORE_BUSY))

    return stop
