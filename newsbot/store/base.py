"""What a seen-articles store is: the records it keeps and the protocol every store implements."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


def default_state_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "newsbot" / "seen.sqlite"


@dataclass(frozen=True)
class KnownArticle:
    url: str
    content_hash: str
    site: str
    section: str | None = None
    date_published: str | None = None


@dataclass(frozen=True)
class SectionSummary:
    site: str
    section: str | None
    articles: int
    newest_date: str | None
    last_seen: str


class SeenStore(Protocol):
    """What the spider, the middlewares and the pipelines ask of a store: sqlite here, Redis in a
    cluster (newsbot.store.redis.RedisSeenStore)."""

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
    def last_walk_completed(self, site: str, section: str) -> bool: ...
    def begin_walk(self, site: str, section: str) -> None: ...
    def complete_walks(self, site: str, sections: Iterable[str]) -> None: ...
    def summary(self) -> list[SectionSummary]: ...
    def counts(self) -> dict[str, int]: ...
    def forget(self, *, site: str | None = None, section: str | None = None) -> int: ...


def store_path_from_setting(value: str | None) -> Path | None:
    """NEWSBOT_STATE: unset means the default file, an empty string means no persistent store."""
    if value is None:
        return default_state_path()
    return Path(os.path.expanduser(value)) if value else None
