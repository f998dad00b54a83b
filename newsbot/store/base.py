"""What a seen-articles store is: the records it keeps and the protocol every store implements."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


def default_state_path() -> Path:
    from scrapy.utils.project import data_path  # the project's .scrapy/, like Scrapy's HTTP cache

    return Path(data_path("newsbot/seen.sqlite")).absolute()


@dataclass(frozen=True)
class KnownArticle:
    url: str
    content_hash: str
    site: str
    section: str | None = None
    date_published: str | None = None


@dataclass(frozen=True)
class Forgotten:
    """What `forget` forgot (or, on a dry run, would): articles, section walks, ledger entries."""

    articles: int
    walks: int
    ledger: int


@dataclass(frozen=True)
class SectionSummary:
    site: str
    section: str | None
    articles: int
    newest_date: str | None
    last_seen: str


class StoreError(Exception):
    """The store cannot be used (not a store, a newer schema, read-only, busy too long).

    The message is one line and names the path."""


class StoreBusyError(StoreError):
    """Another process held the store locked for longer than the crawl waits (NEWSBOT_STATE_BUSY_TIMEOUT)."""


@dataclass(frozen=True)
class LedgerEntry:
    """An article a listing or feed named that no run has written yet, and why."""

    url: str
    site: str
    section: str | None
    reason: str
    attempts: int
    first_attempt: str  # ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ"
    last_attempt: str
    given_up: bool
    # The teaser of the listing entry that named it: the item's `summary` when it is had at last.
    summary: str | None = None


class SeenStore(Protocol):
    """What the spider, the middlewares and the pipelines ask of a store: sqlite here, Redis in a
    cluster (newsbot.cluster.store.RedisSeenStore)."""

    def close(self) -> None: ...
    def is_known_url(self, url: str) -> bool: ...
    def known_urls(self, urls: Iterable[str]) -> set[str]: ...
    def owner_of_hash(self, content_hash: str) -> str | None: ...
    def record(
        self, article: KnownArticle, *, output: str | None = None, reconciled_bytes: int = 0
    ) -> None: ...
    def record_many(self, articles: Iterable[KnownArticle], *, output: str, reconciled_bytes: int) -> int: ...
    def record_copy(self, url: str, copy_of: str, site: str) -> None: ...
    def reconciled_bytes(self, output: str) -> int: ...
    def articles_by_delivery(self) -> dict[str, int]: ...
    def last_walk_completed(self, site: str, section: str) -> bool: ...
    def begin_walk(self, site: str, section: str) -> None: ...
    def complete_walks(self, site: str, sections: Iterable[str]) -> None: ...
    def summary(self) -> list[SectionSummary]: ...
    def counts(self) -> dict[str, int]: ...
    def forget(
        self, *, site: str | None = None, sections: Collection[str] | None = None, dry_run: bool = False
    ) -> Forgotten: ...
    # The ledger of articles not yet had (newsbot.middlewares.ledger decides what is asked for).
    def ledger_add(
        self, url: str, *, site: str, section: str | None, reason: str, summary: str | None = None
    ) -> LedgerEntry: ...
    def ledger_pending(self, site: str) -> list[LedgerEntry]: ...
    def ledger_resolve(self, url: str) -> bool: ...
    def ledger_give_up(self, url: str) -> None: ...
    def ledger_counts(self) -> dict[str, int]: ...
    def ledger_entries(self) -> list[LedgerEntry]: ...


def store_path_from_setting(value: str | None) -> Path | None:
    """NEWSBOT_STATE: unset means the default file, an empty string means no persistent store; a
    relative path is taken from the project's folder, as NEWSBOT_OUTPUT's."""
    if value is None:
        return default_state_path()
    if not value:
        return None
    from newsbot.delivery import project_folder  # a relative path, like NEWSBOT_OUTPUT's, is the project's

    return project_folder() / os.path.expanduser(value)
