"""The default seen-articles store: one sqlite file (NEWSBOT_STATE), shared by processes in WAL mode;
its schema version (PRAGMA user_version) is migrated up when older, refused when newer."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import astuple, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from newsbot.clock import utc_now_iso
from newsbot.reasons import DEFERRED
from newsbot.store.base import (
    Forgotten,
    KnownArticle,
    LedgerEntry,
    SeenStore,
    StoreError,
    store_path_from_setting,
)

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

# 1: articles, copies, walks, outputs. 2: the ledger of articles not yet had. 3: the ledger's teasers.
# 4: the delivery each article was written to. 5: the first page's entries of the walks.
SCHEMA_VERSION = 5
_OUR_TABLES = {"articles", "copies", "walks", "outputs", "ledger"}
# sqlite's own wait on a lock is silent; it waits this long, then the store logs and waits again.
_LOCK_POLL_SECONDS = 0.5
_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    url TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    site TEXT NOT NULL,
    section TEXT,
    date_published TEXT,
    first_seen TEXT NOT NULL,
    delivery TEXT  -- NULL: a feed export, or before version 4
);
CREATE INDEX IF NOT EXISTS articles_by_hash ON articles (content_hash);
-- Pages not written because their body was already written under `copy_of`.
CREATE TABLE IF NOT EXISTS copies (
    url TEXT PRIMARY KEY,
    copy_of TEXT NOT NULL,
    site TEXT NOT NULL,
    first_seen TEXT NOT NULL
);
-- top: the entries of the first page of the last complete walk (JSON), next_top those of the walk
-- under way. A later walk stops at a page whose entries are all known only once it has met two of
-- `top`'s lower half, in their order there: past them every page was walked to its end; before them,
-- what other runs wrote vouches for nothing.
CREATE TABLE IF NOT EXISTS walks (
    site TEXT NOT NULL,
    section TEXT NOT NULL,
    started_at TEXT NOT NULL,
    completed_at TEXT,
    top TEXT,
    next_top TEXT,
    PRIMARY KEY (site, section)
);
CREATE TABLE IF NOT EXISTS outputs (
    path TEXT PRIMARY KEY,
    reconciled_bytes INTEGER NOT NULL
);
-- Articles a listing or feed named that no run could write yet.
CREATE TABLE IF NOT EXISTS ledger (
    url TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    section TEXT,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    first_attempt TEXT NOT NULL,
    last_attempt TEXT NOT NULL,
    given_up INTEGER NOT NULL DEFAULT 0,
    summary TEXT
);
"""


class SqliteSeenStore(SeenStore):
    def __init__(self, path: str | Path, *, busy_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        # Told of a write that failed (locked too long, full, read-only) before it is raised, so that
        # the crawl fails whoever the caller was.
        self.on_failure: Callable[[StoreError], None] | None = None
        self._waited_in_vain = False
        # The write bits count even for root: a store someone made read-only is not to be written.
        if self.path.exists() and not (os.access(path, os.W_OK) and self.path.stat().st_mode & 0o222):
            raise StoreError(f"the store {path} cannot be written (read-only)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Autocommit: every write is its own transaction unless `_transaction()` groups them.
            # Any thread: `scrapy shell` runs the crawler in one thread and the user's prompt in another.
            self._db = sqlite3.connect(
                self.path, timeout=_LOCK_POLL_SECONDS, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as error:
            raise StoreError(f"cannot open the store {path}: {error}") from None
        try:
            self._retrying(lambda: self._db.execute("PRAGMA journal_mode=WAL"))
            # NORMAL (WAL): a power cut may take the last marks back, never corrupt the file. That is
            # safe here: the JSON Lines are fsynced first, and the writer marks again, at the
            # next start, every line past the reconciled offset the store kept. It saves one fsync a mark.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._retrying(self._migrate)
            # A damaged page would answer "not known" for articles written long ago, or fail mid-run.
            if (damage := " ".join(row[0] for row in self._db.execute("PRAGMA quick_check(3)"))) != "ok":
                raise sqlite3.DatabaseError(damage)
        except BaseException as error:
            self._db.close()
            if not isinstance(error, sqlite3.DatabaseError):
                raise
            raise StoreError(
                f"{self.path} is not a newsbot store or is damaged ({str(error)[:200]}): restore it from "
                "a backup, or give another NEWSBOT_STATE"
            ) from None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> SqliteSeenStore | None:
        path = store_path_from_setting(crawler.settings.get("NEWSBOT_STATE"))
        if path is None:
            return None
        return cls(path, busy_timeout=crawler.settings.getfloat("NEWSBOT_STATE_BUSY_TIMEOUT"))

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        tables = {name for (name,) in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the store {self.path} has schema version {version}, newer than this newsbot's "
                f"{SCHEMA_VERSION}: upgrade newsbot, or give another NEWSBOT_STATE"
            )
        if version == 0 and tables and not tables & _OUR_TABLES:
            raise StoreError(
                f"{self.path} is an sqlite file but not a newsbot store (tables: {sorted(tables)})"
            )
        if version == SCHEMA_VERSION:
            return
        # Every statement is CREATE ... IF NOT EXISTS, so any older version reaches the current schema by
        # running it and adding the columns that does not add to an older table, in one transaction.
        added = "".join(
            f"ALTER TABLE {table} ADD COLUMN {column} TEXT;"
            for table, column in (
                ("ledger", "summary"),
                ("articles", "delivery"),
                ("walks", "top"),
                ("walks", "next_top"),
            )
            if table in tables
            and column not in {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
        )
        self._db.executescript(
            f"BEGIN IMMEDIATE; {_SCHEMA} {added} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
        )
        if tables:
            logger.info(
                "Migrated the store %s from schema version %d to %d", self.path, version, SCHEMA_VERSION
            )

    def close(self) -> None:
        self._db.close()

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Which of `urls` were written, or skipped as copies of something written."""
        rows = self._db.execute(
            "SELECT url FROM articles WHERE url IN (SELECT value FROM json_each(?1)) "
            "UNION SELECT url FROM copies WHERE url IN (SELECT value FROM json_each(?1))",
            (json.dumps(list(urls)),),
        )
        return {url for (url,) in rows}

    def owner_of_hash(self, content_hash: str) -> str | None:
        return self._value("SELECT url FROM articles WHERE content_hash = ? LIMIT 1", content_hash)

    def copy_of(self, url: str) -> str | None:
        """The article `url` was skipped as a syndicated copy of, if it was."""
        return self._value("SELECT copy_of FROM copies WHERE url = ?", url)

    def record_many(
        self, articles: Iterable[KnownArticle], *, output: str | None, reconciled_bytes: int
    ) -> int:
        """Mark the articles written and how far `output` is reconciled, at once; how many were new."""
        now = utc_now_iso()
        with self._transaction():
            inserted: int = self._db.executemany(
                "INSERT OR IGNORE INTO articles (url, content_hash, site, section, date_published, "
                "first_seen, delivery) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(*astuple(article), now, output) for article in articles],
            ).rowcount
            if output is not None:
                self._db.execute(
                    "INSERT OR REPLACE INTO outputs (path, reconciled_bytes) VALUES (?, ?)",
                    (output, reconciled_bytes),
                )
        return inserted

    def record_copy(self, url: str, copy_of: str, site: str) -> None:
        self._write(
            "INSERT OR IGNORE INTO copies (url, copy_of, site, first_seen) VALUES (?, ?, ?, ?)",
            (url, copy_of, site, utc_now_iso()),
        )

    def reconciled_bytes(self, output: str) -> int:
        return self._value("SELECT reconciled_bytes FROM outputs WHERE path = ?", output) or 0

    def articles_by_delivery(self) -> dict[str, int]:
        """How many articles each delivery holds that no earlier one did."""
        rows = self._db.execute(
            "SELECT delivery, COUNT(*) FROM articles WHERE delivery IS NOT NULL GROUP BY delivery"
        )
        return dict(rows.fetchall())

    def last_walk_completed(self, site: str, section: str) -> str | None:
        return self._value("SELECT completed_at FROM walks WHERE site = ? AND section = ?", site, section)

    def begin_walk(self, site: str, section: str) -> list[str] | None:
        top = self._value(
            "SELECT top FROM walks WHERE site = ? AND section = ? AND completed_at IS NOT NULL", site, section
        )
        self._write(
            "INSERT INTO walks (site, section, started_at, completed_at) VALUES (?, ?, ?, NULL) "
            "ON CONFLICT(site, section) DO UPDATE SET started_at = excluded.started_at",
            (site, section, utc_now_iso()),
        )
        return json.loads(top) if top else None  # a walk of version 4 has none: walk on

    def note_walk_top(self, site: str, section: str, urls: list[str]) -> None:
        self._write(
            "UPDATE walks SET next_top = ? WHERE site = ? AND section = ?", (json.dumps(urls), site, section)
        )

    def complete_walks(self, site: str, sections: Iterable[str]) -> None:
        now = utc_now_iso()
        with self._transaction():
            self._db.executemany(
                "UPDATE walks SET completed_at = ?, top = next_top WHERE site = ? AND section = ?",
                [(now, site, section) for section in sections],
            )

    def article_dates(self) -> list[tuple[str, str | None, str | None, str]]:
        return self._db.execute("SELECT site, section, date_published, first_seen FROM articles").fetchall()

    def counts(self) -> dict[str, int]:
        return {
            table: self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("articles", "copies")
        }

    def forget(
        self, *, site: str | None = None, sections: Collection[str] | None = None, dry_run: bool = False
    ) -> Forgotten:
        """Forget the articles of a site, of sections (by label, of one site or all), or all, with
        their ledger entries and copies, and the site's walks; `dry_run`: only count them."""
        chosen = {"site": site, "sections": None if sections is None else json.dumps([*sections])}
        of_site = "(:site IS NULL OR site = :site)"
        where = (
            f"{of_site} AND (:sections IS NULL "
            "OR UPPER(section) IN (SELECT UPPER(value) FROM json_each(:sections)))"
        )
        # What was forgotten must be walked to the end again to be found; what was forgotten is
        # forgotten as not had too: the next walk lists it afresh.
        doomed = {"articles": where, "walks": of_site, "ledger": where}
        with self._transaction():
            counts = {
                table: self._db.execute(f"SELECT COUNT(*) FROM {table} WHERE {clause}", chosen).fetchone()[0]
                for table, clause in doomed.items()
            }
            if not dry_run:
                for table, clause in doomed.items():
                    self._db.execute(f"DELETE FROM {table} WHERE {clause}", chosen)
                # A copy is skipped because of the article it copies; with that article gone, so is it.
                self._db.execute(
                    "DELETE FROM copies WHERE copy_of NOT IN (SELECT url FROM articles) "
                    "OR (:sections IS NULL AND site = :site)",
                    chosen,
                )
        return Forgotten(**counts)

    def ledger_add(
        self, url: str, *, site: str, section: str | None, reason: str, summary: str | None = None
    ) -> LedgerEntry:
        """Record one more failed attempt at `url` (a new entry, or attempts + 1 and the new reason;
        the first attempt at a `deferred` one, never tried, is its first)."""
        now = utc_now_iso()
        with self._transaction():
            self._db.execute(
                "INSERT INTO ledger (url, site, section, reason, attempts, first_attempt, last_attempt, "
                "given_up, summary) VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5, 0, ?6) "
                "ON CONFLICT(url) DO UPDATE SET reason = excluded.reason, "
                "attempts = attempts + (ledger.reason <> ?7), last_attempt = excluded.last_attempt, "
                "section = COALESCE(ledger.section, excluded.section), "
                "summary = COALESCE(ledger.summary, excluded.summary)",
                (url, site, section, reason, now, summary, DEFERRED),
            )
            (entry,) = self._ledger("WHERE url = ?", url)
        return entry

    def ledger_entries(self) -> list[LedgerEntry]:
        return self._ledger("ORDER BY site, section, url")

    def ledger_resolve(self, url: str) -> bool:
        """The article was written (or is known): it leaves the ledger. True when it was in it."""
        return self._write("DELETE FROM ledger WHERE url = ?", (url,)) > 0

    def ledger_give_up(self, url: str) -> None:
        self._write("UPDATE ledger SET given_up = 1 WHERE url = ?", (url,))

    def _ledger(self, clauses: str, *values: str) -> list[LedgerEntry]:
        # The table's columns are LedgerEntry's fields, in order (a migrated `summary` is added last).
        rows = self._db.execute(f"SELECT * FROM ledger {clauses}", values)
        return [
            replace(entry, given_up=bool(entry.given_up)) for entry in (LedgerEntry(*row) for row in rows)
        ]

    def _value(self, sql: str, *values: str) -> Any | None:
        row = self._db.execute(sql, values).fetchone()
        return row[0] if row else None

    def _write(self, sql: str, values: tuple[Any, ...]) -> int:
        return self._retrying(lambda: self._db.execute(sql, values).rowcount)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._retrying(lambda: self._db.execute("BEGIN IMMEDIATE"))
        try:
            with self._db:  # commits, or rolls back (what SQLite has not rolled back after a full disk)
                yield
        except sqlite3.OperationalError as error:
            raise self._failed(f"cannot be written: {error}") from None

    def _failed(self, what: str) -> StoreError:
        # Read-only, a full disk, an I/O error, locked too long: the run stops (exit 1), the next run marks.
        failure = StoreError(f"the store {self.path} {what}")
        if self.on_failure is not None:
            self.on_failure(failure)
        return failure

    def _retrying(self, operation: Callable[[], _T]) -> _T:
        """Run `operation`, waiting (logged once) while another process holds the store locked, up to
        busy_timeout; then a StoreError (a locked write changed nothing)."""
        # Once a wait ran out the run is ending: later writes try once, not another full wait each.
        deadline = time.monotonic() + (0 if self._waited_in_vain else self.busy_timeout)
        logged = self._waited_in_vain
        while True:
            try:
                return operation()
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error):
                    raise self._failed(f"cannot be written: {error}") from None
                if time.monotonic() >= deadline:
                    self._waited_in_vain = True
                    raise self._failed(
                        f"stayed locked by another process for more than {self.busy_timeout:g} s "
                        "(NEWSBOT_STATE_BUSY_TIMEOUT)"
                    ) from None
                if not logged:
                    logger.warning(
                        "The store %s is locked by another process; waiting up to %g s",
                        self.path, self.busy_timeout,
                    )  # fmt: skip
                    logged = True
