"""The memory of articles already written, shared by every spider and every run.

A scheduled crawl asks it two questions: "is this URL known?" (then the page is not downloaded
again) and "was this body already written under another URL?" (a syndicated copy: dropped). An
article becomes known only once its JSON line is durably on disk; see JsonLinesWriterPipeline and
`reconcile_output`, which close the gap a crash between the two would leave.

The default store is one sqlite file (NEWSBOT_STATE, default `~/.local/share/newsbot/seen.sqlite`,
honouring XDG_DATA_HOME); sqlite's WAL mode and busy timeout let several `scrapy crawl` processes
share it.
"""

from __future__ import annotations

import datetime
import os
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    url TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    site TEXT NOT NULL,
    section TEXT,
    date_published TEXT,
    first_seen TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles (content_hash);
CREATE INDEX IF NOT EXISTS articles_by_site_section ON articles (site, section);
-- URLs whose page was fetched but not written because its body was already written under `copy_of`.
CREATE TABLE IF NOT EXISTS copies (
    url TEXT PRIMARY KEY,
    copy_of TEXT NOT NULL,
    site TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
-- Section walks: a walk completes when the run that made it finishes normally. Only after a
-- completed walk may the next one stop at the first page whose entries are all known; after a
-- killed one the next walk goes to the end, since older pages may hold articles never fetched.
CREATE TABLE IF NOT EXISTS walks (
    site TEXT NOT NULL,
    section TEXT NOT NULL,
    started_at TEXT NOT NULL,
    completed_at TEXT,
    PRIMARY KEY (site, section)
);
-- How far each output file has been reconciled with this store, in bytes.
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY,
    reconciled_bytes INTEGER NOT NULL
);
"""


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


class SqliteSeenStore:
    """Articles written (and syndicated copies skipped), in one sqlite file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit: every write is its own transaction unless `transaction()` groups them.
        self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL (WAL): a power cut may take the last marks back, never corrupt the file. That is
        # safe here: the JSON Lines are fsynced first, and reconcile_output marks again, at the next
        # start, every line past the reconciled offset the store kept. It saves one fsync a mark.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    # --- questions -------------------------------------------------------------------------

    def is_known_url(self, url: str) -> bool:
        return bool(self.known_urls([url]))

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` were written, or skipped as copies of something written."""
        wanted = list(dict.fromkeys(urls))
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for table in ("articles", "copies"):
                rows = self._db.execute(f"SELECT url FROM {table} WHERE url IN ({marks})", chunk)
                known.update(url for (url,) in rows)
        return known

    def owner_of_hash(self, content_hash: str) -> str | None:
        """The URL under which this body was written, if it was."""
        row = self._db.execute(
            "SELECT url FROM articles WHERE content_hash = ? LIMIT 1", (content_hash,)
        ).fetchone()
        return row[0] if row else None

    # --- marks -----------------------------------------------------------------------------

    def record(self, article: KnownArticle, *, output: str | None = None, reconciled_bytes: int = 0) -> None:
        """Mark an article written and, with `output`, how far that file is reconciled: one transaction."""
        with self._transaction():
            self._insert_article(article)
            if output is not None:
                self._set_reconciled(output, reconciled_bytes)

    def record_many(self, articles: Iterable[KnownArticle], *, output: str, reconciled_bytes: int) -> int:
        with self._transaction():
            count = sum(self._insert_article(article) for article in articles)
            self._set_reconciled(output, reconciled_bytes)
        return count

    def record_copy(self, url: str, copy_of: str, site: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO copies (url, copy_of, site, first_seen) VALUES (?, ?, ?, ?)",
            (url, copy_of, site, _now()),
        )

    def reconciled_bytes(self, output: str) -> int:
        row = self._db.execute("SELECT reconciled_bytes FROM outputs WHERE path = ?", (output,)).fetchone()
        return row[0] if row else 0

    def set_reconciled_bytes(self, output: str, size: int) -> None:
        with self._transaction():
            self._set_reconciled(output, size)

    def last_walk_completed(self, site: str, section: str) -> bool:
        row = self._db.execute(
            "SELECT completed_at FROM walks WHERE site = ? AND section = ?", (site, section)
        ).fetchone()
        return bool(row and row[0])

    def begin_walk(self, site: str, section: str) -> None:
        self._db.execute(
            "INSERT INTO walks (site, section, started_at, completed_at) VALUES (?, ?, ?, NULL) "
            "ON CONFLICT(site, section) DO UPDATE SET started_at = excluded.started_at, completed_at = NULL",
            (site, section, _now()),
        )

    def complete_walks(self, site: str, sections: Iterable[str]) -> None:
        with self._transaction():
            for section in sections:
                self._db.execute(
                    "UPDATE walks SET completed_at = ? WHERE site = ? AND section = ?",
                    (_now(), site, section),
                )

    # --- the `newsbot state` command -------------------------------------------------------

    def summary(self) -> list[SectionSummary]:
        rows = self._db.execute(
            "SELECT site, section, COUNT(*), MAX(date_published), MAX(first_seen) FROM articles "
            "GROUP BY site, section ORDER BY site, section"
        )
        return [SectionSummary(*row) for row in rows]

    def counts(self) -> dict[str, int]:
        return {
            table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("articles", "copies")
        }

    def forget(self, *, site: str | None = None, section: str | None = None) -> int:
        """Forget the articles of a site, of a section (of one site or all), or all; returns how many."""
        clauses, values = [], []
        if site is not None:
            clauses.append("site = ?")
            values.append(site)
        if section is not None:
            clauses.append("UPPER(section) = UPPER(?)")
            values.append(section)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._transaction():
            deleted = self._db.execute(f"DELETE FROM articles {where}", values).rowcount
            # What was forgotten must be walked to the end again to be found.
            if site is None:
                self._db.execute("DELETE FROM walks")
            else:
                self._db.execute("DELETE FROM walks WHERE site = ?", (site,))
            # A copy is skipped because of the article it copies; with that article gone, so is it.
            self._db.execute("DELETE FROM copies WHERE copy_of NOT IN (SELECT url FROM articles)")
            if site is not None and section is None:
                self._db.execute("DELETE FROM copies WHERE site = ?", (site,))
        return deleted

    # --- internals -------------------------------------------------------------------------

    def _insert_article(self, article: KnownArticle) -> bool:
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO articles (url, content_hash, site, section, date_published, first_seen) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                article.url,
                article.content_hash,
                article.site,
                article.section,
                article.date_published,
                _now(),
            ),
        )
        return cursor.rowcount == 1

    def _set_reconciled(self, output: str, size: int) -> None:
        self._db.execute(
            "INSERT INTO outputs (path, reconciled_bytes) VALUES (?, ?) "
            "ON CONFLICT(path) DO UPDATE SET reconciled_bytes = excluded.reconciled_bytes",
            (output, size),
        )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_complete_lines(path: Path, start: int) -> Iterator[tuple[bytes, int]]:
    """Each complete line of `path` from byte `start`, with the offset just past it."""
    with path.open("rb") as handle:
        handle.seek(start)
        offset = start
        for line in handle:
            if not line.endswith(b"\n"):
                return
            offset += len(line)
            yield line, offset


def store_path_from_setting(value: str | None) -> Path | None:
    """NEWSBOT_STATE: unset means the default file, an empty string means no persistent store."""
    if value is None:
        return default_state_path()
    return Path(os.path.expanduser(value)) if value else None


def store_for(crawler: object) -> SeenStore | None:
    """The crawler's store, opened once and closed when the engine stops; None when disabled."""
    cached = getattr(crawler, "_newsbot_store", False)
    if cached is not False:
        return cached
    from scrapy import signals

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
