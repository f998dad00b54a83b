"""The memory of articles already written, shared by every spider and every run.

A scheduled crawl asks it two questions: "is this URL known?" (then the page is not downloaded
again) and "was this body already written under another URL?" (a syndicated copy: dropped). An
article becomes known only once its JSON line is durably on disk (see `newsbot.store.reconcile`).

`base` declares the records and the SeenStore protocol; `sqlite` is the default store (NEWSBOT_STATE),
the Redis store serves a cluster (NEWSBOT_REDIS_URL). `store_for` opens the one a crawl uses.
"""

from __future__ import annotations

from scrapy import signals

from newsbot.store.base import (
    KnownArticle,
    SectionSummary,
    SeenStore,
    default_state_path,
    store_path_from_setting,
)
from newsbot.store.sqlite import SqliteSeenStore

__all__ = [
    "KnownArticle",
    "SectionSummary",
    "SeenStore",
    "SqliteSeenStore",
    "default_state_path",
    "store_for",
    "store_path_from_setting",
]


def store_for(crawler: object) -> SeenStore | None:
    """The crawler's store, opened once and closed when the engine stops; None when disabled."""
    cached = getattr(crawler, "_newsbot_store", False)
    if cached is not False:
        return cached
    settings = crawler.settings  # type: ignore[attr-defined]
    if settings.get("NEWSBOT_REDIS_URL"):
        # A cluster's workers share one store in Redis (newsbot/store/redis.py), with the same
        # methods; NEWSBOT_STATE is not used then.
        from newsbot.store.redis import RedisSeenStore

        store: SeenStore | None = RedisSeenStore.from_crawler(crawler)  # type: ignore[arg-type]
    else:
        path = store_path_from_setting(settings.get("NEWSBOT_STATE"))
        store = SqliteSeenStore(path) if path else None
    crawler._newsbot_store = store  # type: ignore[attr-defined]
    if store is not None:
        crawler.signals.connect(store.close, signal=signals.engine_stopped)  # type: ignore[attr-defined]
    return store
