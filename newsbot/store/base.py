"""A seen-articles store: its records, and the protocol of both stores (sqlite, the cluster's Redis)."""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Protocol

from pydantic import TypeAdapter

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class KnownArticle:
    url: str
    content_hash: str
    site: str
    section: str | None = None
    date_published: str | None = None


# A line's or an item's fields (others ignored); a ValueError for a record that is not an article's.
known_article = TypeAdapter(KnownArticle).validate_python


@dataclass(frozen=True)
class Forgotten:
    articles: int
    walks: int
    ledger: int


class StoreError(Exception):
    """The store cannot be used; the message is one line naming the path."""


@dataclass(frozen=True)
class LedgerEntry:
    url: str
    site: str
    section: str | None
    reason: str
    attempts: int
    first_attempt: str  # ISO 8601 UTC, "YYYY-MM-DDTHH:MM:SSZ"
    last_attempt: str
    given_up: bool
    summary: str | None = None


class SeenStore(Protocol):
    def close(self) -> None: ...
    def is_known_url(self, url: str) -> bool:
        return url in self.known_urls([url])

    def known_urls(self, urls: Iterable[str]) -> set[str]: ...
    def owner_of_hash(self, content_hash: str) -> str | None: ...
    async def judge(self, url: str, content_hash: str) -> tuple[bool, str | None]:
        """Whether the URL is known, and the URL written with this body: the dedupe's questions."""
        return self.is_known_url(url), self.owner_of_hash(content_hash)

    def record(self, article: KnownArticle, *, output: str | None = None, reconciled_bytes: int = 0) -> None:
        self.record_many([article], output=output, reconciled_bytes=reconciled_bytes)

    def record_many(
        self, articles: Iterable[KnownArticle], *, output: str | None, reconciled_bytes: int
    ) -> int: ...
    def record_copy(self, url: str, copy_of: str, site: str) -> None: ...
    def reconciled_bytes(self, output: str) -> int: ...
    def articles_by_delivery(self) -> dict[str, int]: ...
    def last_walk_completed(self, site: str, section: str) -> str | None: ...  # when, if it was
    # The first page's entries of the last complete walk; None: none, or none recorded.
    def begin_walk(self, site: str, section: str) -> list[str] | None: ...
    def note_walk_top(self, site: str, section: str, urls: list[str]) -> None: ...  # the walk's own
    def complete_walks(self, site: str, sections: Iterable[str]) -> None: ...
    # Site, section, date_published, first_seen of each article (~0.1 s for 100,000 in either store).
    def article_dates(self) -> Iterable[tuple[str, str | None, str | None, str]]: ...
    def summary(self) -> list[SimpleNamespace]:
        """Per site and section: articles, newest_date (published), last_seen (first seen, the latest)."""
        groups: dict[tuple[str, str | None], list[tuple[str | None, str]]] = defaultdict(list)
        for site, section, published, first_seen in self.article_dates():
            groups[site, section].append((published, first_seen))
        return [
            SimpleNamespace(
                site=site,
                section=section,
                articles=len(dates),
                newest_date=max(filter(None, (published for published, _ in dates)), default=None),
                last_seen=max(first_seen for _, first_seen in dates),
            )
            for (site, section), dates in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or ""))
        ]

    def counts(self) -> dict[str, int]: ...
    def forget(
        self, *, site: str | None = None, sections: Collection[str] | None = None, dry_run: bool = False
    ) -> Forgotten: ...
    def ledger_add(
        self, url: str, *, site: str, section: str | None, reason: str, summary: str | None = None
    ) -> LedgerEntry: ...
    def ledger_pending(self, site: str) -> list[LedgerEntry]:
        pending = [entry for entry in self.ledger_entries() if entry.site == site and not entry.given_up]
        return sorted(pending, key=lambda entry: (entry.first_attempt, entry.url))

    def ledger_resolve(self, url: str) -> bool: ...
    def ledger_give_up(self, url: str) -> None: ...
    def ledger_counts(self, site: str | None = None) -> dict[str, int]:
        given_up = [entry.given_up for entry in self.ledger_entries() if site in (None, entry.site)]
        return {"pending": given_up.count(False), "given_up": given_up.count(True)}

    def ledger_entries(self) -> list[LedgerEntry]: ...


def store_path_from_setting(value: str | None) -> Path | None:
    """NEWSBOT_STATE: unset is the default file, empty is no store, relative is the project folder's."""
    if value is None:
        from scrapy.utils.project import data_path  # the project's .scrapy/, like Scrapy's HTTP cache

        return Path(data_path("newsbot/seen.sqlite")).absolute()
    if not value:
        return None
    from newsbot.delivery import project_folder

    return project_folder() / os.path.expanduser(value)


def mark_unmarked_lines(
    path: Path, store: SeenStore | None, name: str | None = None, *, cut: bool = False
) -> tuple[int, int]:
    """Mark known, as `name` (by default the path), the lines past the offset the store reconciled (a
    crash between a line and its mark leaves some); `cut`: cut a half-written last line off (a killed
    run's). Returns (bytes cut off, lines newly marked)."""
    name = name or str(path)
    start = store.reconciled_bytes(name) if store is not None else 0
    with path.open("r+b" if cut else "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if start > size:
            logger.warning(
                "%s is shorter than when last reconciled (%d < %d bytes); re-reading it", path, size, start
            )
            start = 0
        handle.seek(start)
        articles, end = [], start
        for line in handle:
            if not line.endswith(b"\n"):
                break
            end += len(line)
            try:
                articles.append(known_article(json.loads(line)))
            except ValueError:
                logger.error(
                    "%s: the line at byte %d is not an article record; left alone", path, end - len(line)
                )
        cut_off = size - end if cut else 0
        if cut_off:
            handle.truncate(end)
            os.fsync(handle.fileno())
            logger.warning(
                "Repaired %s: cut off a half-written last line (%d bytes) of an interrupted run",
                path,
                cut_off,
            )
    if store is None or end == start:
        return cut_off, 0
    return cut_off, store.record_many(articles, output=name, reconciled_bytes=end)
