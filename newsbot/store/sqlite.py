"""The default seen-articles store: one sqlite file (NEWSBOT_STATE).

sqlite's WAL mode and busy timeout let several `scrapy crawl` processes share it.
"""

from __future__ import annotations

import datetime
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from newsbot.store.base import KnownArticle, SectionSummary

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
