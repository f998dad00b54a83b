"""The sqlite store on its own: schema versions, files that are not stores, locks, and the ledger."""

from __future__ import annotations

import datetime
import json
import logging
import math
import sqlite3
import threading

import pytest

from newsbot.middlewares.ledger import LedgerPolicy
from newsbot.store.base import (
    Forgotten,
    KnownArticle,
    LedgerEntry,
    StoreError,
    known_article,
    mark_unmarked_lines,
)
from newsbot.store.sqlite import SCHEMA_VERSION, SqliteSeenStore

URL = "https://www.spacewar.com/reports/Some_story_999.html"

# The schema of stores written before versions (user_version 0): no ledger.
VERSION_1_SCHEMA = """
CREATE TABLE articles (url TEXT PRIMARY KEY, content_hash TEXT NOT NULL, site TEXT NOT NULL,
    section TEXT, date_published TEXT, first_seen TEXT NOT NULL);
CREATE TABLE copies (url TEXT PRIMARY KEY, copy_of TEXT NOT NULL, site TEXT NOT NULL,
    first_seen TEXT NOT NULL);
CREATE TABLE walks (site TEXT NOT NULL, section TEXT NOT NULL, started_at TEXT NOT NULL, completed_at TEXT,
    PRIMARY KEY (site, section));
CREATE TABLE outputs (path TEXT PRIMARY KEY, reconciled_bytes INTEGER NOT NULL);
INSERT INTO articles VALUES ('https://www.spacewar.com/reports/Old_999.html', 'h1', 'spacewar.com',
    'SUPERPOWERS', '2025-01-01', '2025-01-02T00:00:00Z');
"""


def test_an_older_store_is_migrated_and_keeps_its_articles(tmp_path, caplog):
    path = tmp_path / "seen.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(VERSION_1_SCHEMA)
    with caplog.at_level(logging.INFO):
        store = SqliteSeenStore(path)
    assert store.is_known_url("https://www.spacewar.com/reports/Old_999.html")
    assert store.ledger_counts() == {"pending": 0, "given_up": 0}
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert f"from schema version 0 to {SCHEMA_VERSION}" in caplog.text


def test_a_store_of_a_newer_schema_is_refused_naming_the_file_and_both_versions(tmp_path):
    path = tmp_path / "seen.sqlite"
    SqliteSeenStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    with pytest.raises(StoreError) as caught:
        SqliteSeenStore(path)
    message = str(caught.value)
    assert (
        str(path) in message and f"version {SCHEMA_VERSION + 5}" in message and str(SCHEMA_VERSION) in message
    )
    assert "\n" not in message


@pytest.mark.parametrize(
    "content", [b"this is not a database at all\n" * 10, b"SQLite format 3\x00" + b"\xff" * 2000]
)
def test_a_file_that_is_not_a_store_is_refused_naming_it(tmp_path, content):
    path = tmp_path / "seen.sqlite"
    path.write_bytes(content)
    with pytest.raises(StoreError, match="is not a newsbot store") as caught:
        SqliteSeenStore(path)
    assert str(path) in str(caught.value)


def test_another_programs_sqlite_file_is_refused(tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StoreError, match="not a newsbot store"):
        SqliteSeenStore(path)


def test_a_read_only_store_is_refused_naming_it(tmp_path):
    path = tmp_path / "seen.sqlite"
    SqliteSeenStore(path).close()
    path.chmod(0o444)
    with pytest.raises(StoreError, match="cannot be written") as caught:
        SqliteSeenStore(path)
    assert str(path) in str(caught.value)


def test_a_busy_store_is_waited_for_with_a_log_line_then_refused(tmp_path, caplog):
    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path, busy_timeout=1.0)
    busy_seen: list[StoreError] = []
    store.on_failure = busy_seen.append
    locker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    locker.execute("BEGIN IMMEDIATE")
    with caplog.at_level(logging.WARNING), pytest.raises(StoreError, match="stayed locked"):
        store.record(KnownArticle(URL, "h", "spacewar.com"), output="out.jsonl", reconciled_bytes=10)
    assert "is locked by another process; waiting up to 1 s" in caplog.text
    assert len(busy_seen) == 1
    locker.execute("ROLLBACK")
    # Nothing half-done: neither the article nor the offset moved.
    assert not store.is_known_url(URL) and store.reconciled_bytes("out.jsonl") == 0

    # Once a wait ran out, later writes of that store do not wait again: the run is ending.
    locker.execute("BEGIN IMMEDIATE")
    with pytest.raises(StoreError, match="stayed locked"):
        store.record_copy(URL, "https://www.spacewar.com/reports/Other_999.html", "spacewar.com")
    store.close()

    # Released while waiting: the write goes through.
    store = SqliteSeenStore(path, busy_timeout=30)
    release = threading.Timer(0.3, lambda: locker.execute("ROLLBACK"))
    release.start()
    store.record(KnownArticle(URL, "h", "spacewar.com"), output="out.jsonl", reconciled_bytes=10)
    release.join()
    assert store.is_known_url(URL)
    store.close()
    locker.close()


def test_a_full_disk_under_the_store_is_a_store_error_and_changes_nothing(tmp_path):
    """The writer stops the run on a StoreError (exit 1); a raw sqlite3 error was an item's traceback,
    the article lost, and the run ok under NEWSBOT_MAX_ERRORS."""
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    failures: list[StoreError] = []
    store.on_failure = failures.append  # the store extension's: it stops the run, whoever wrote
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
    many = [KnownArticle(f"{URL}?{n}", "h" * 500, "spacewar.com") for n in range(50)]
    with pytest.raises(StoreError, match="cannot be written: database or disk is full"):
        store.record_many(many, output="out.jsonl", reconciled_bytes=10)
    assert not store.is_known_url(many[0].url) and store.reconciled_bytes("out.jsonl") == 0
    assert len(failures) == 1
    with pytest.raises(StoreError, match="cannot be written"):
        for article in many:
            store.record_copy(article.url, URL, "spacewar.com")
    store._db.execute("PRAGMA max_page_count = 1000000")  # room again: the store goes on
    store.record_many(many, output="out.jsonl", reconciled_bytes=10)
    assert store.is_known_url(many[-1].url)
    store.close()


def test_the_ledger_counts_attempts_and_forgets_what_was_written(tmp_path):
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    first = store.ledger_add(URL, site="spacewar.com", section="SUPERPOWERS", reason="server_error")
    again = store.ledger_add(URL, site="spacewar.com", section=None, reason="timeout")
    assert (first.attempts, again.attempts) == (1, 2)
    assert again.reason == "timeout" and again.section == "SUPERPOWERS"
    assert again.first_attempt == first.first_attempt <= again.last_attempt
    assert [e.url for e in store.ledger_pending("spacewar.com")] == [URL]
    assert store.ledger_pending("spacedaily.com") == []
    store.ledger_give_up(URL)
    assert store.ledger_pending("spacewar.com") == []
    assert store.ledger_counts() == {"pending": 0, "given_up": 1}
    assert store.ledger_resolve(URL) is True
    assert store.ledger_resolve(URL) is False
    store.ledger_add(URL, site="spacewar.com", section="SUPERPOWERS", reason="gone")
    assert store.forget(site="spacewar.com", sections=["superpowers"]) == Forgotten(0, 0, 1)
    assert store.ledger_counts() == {"pending": 0, "given_up": 0}
    store.close()


def _entry(reason: str, attempts: int, first: str) -> LedgerEntry:
    return LedgerEntry(URL, "spacewar.com", None, reason, attempts, first, first, False)


def test_the_ledger_policy_retries_transient_reasons_and_gives_up_only_after_a_day():
    policy = LedgerPolicy(max_attempts=4, bounded_attempts=2, give_up_after_days=1.0)
    now = datetime.datetime(2026, 1, 10, 12, tzinfo=datetime.UTC)
    an_hour_ago, two_days_ago = "2026-01-10T11:00:00Z", "2026-01-08T12:00:00Z"
    assert policy.retry_now(_entry("server_error", 3, an_hour_ago))
    # Out of attempts within the day: asked for again all the same, until it may be given up.
    assert policy.retry_now(_entry("server_error", 9, an_hour_ago))
    assert policy.retry_now(_entry("gone", 1, an_hour_ago))
    assert not policy.retry_now(_entry("gone", 2, an_hour_ago))
    assert not policy.retry_now(_entry("robots", 1, an_hour_ago))
    assert not policy.retry_now(_entry("off_network", 1, an_hour_ago))
    # Out of attempts within the day: not given up yet; a day later: given up.
    assert not policy.give_up(_entry("server_error", 9, an_hour_ago), now)
    assert policy.give_up(_entry("server_error", 4, two_days_ago), now)
    assert not policy.give_up(_entry("server_error", 3, two_days_ago), now)
    assert policy.give_up(_entry("gone", 2, two_days_ago), now)
    # "Never" (`-s NEWSBOT_LEDGER_GIVE_UP_DAYS=inf`, or a day count no timedelta holds) is never.
    for never in (math.inf, 1e12):
        forever = LedgerPolicy(max_attempts=4, bounded_attempts=2, give_up_after_days=never)
        assert not forever.give_up(_entry("server_error", 9, two_days_ago), now)


def test_a_killed_runs_file_loses_its_cut_last_line_and_every_line_past_the_offset_is_marked(tmp_path):
    output = tmp_path / "out.jsonl.part"
    marked = (
        b'{"url":"https://www.spacewar.com/reports/A_999.html","content_hash":"a","site":"spacewar.com"}\n'
    )
    unmarked = [
        b'{"url":"https://www.spacewar.com/reports/%s_999.html","content_hash":"%s","site":"spacewar.com"}\n'
        % (name, name)
        for name in (b"B", b"C")
    ]
    partial = b'{"url":"https://www.spacewar.com/reports/Cut_99'
    output.write_bytes(marked + b"".join(unmarked) + partial)
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    store.record(known_article(json.loads(marked)), output="out.jsonl", reconciled_bytes=len(marked))
    assert mark_unmarked_lines(output, store, "out.jsonl", cut=True) == (len(partial), 2)
    assert output.read_bytes() == marked + b"".join(unmarked)
    assert store.reconciled_bytes("out.jsonl") == output.stat().st_size
    assert store.known_urls(f"https://www.spacewar.com/reports/{n}_999.html" for n in "ABCD") == {
        f"https://www.spacewar.com/reports/{n}_999.html" for n in "ABC"
    }
    assert mark_unmarked_lines(output, store, "out.jsonl", cut=True) == (0, 0)  # settled: nothing to do
    store.close()


def test_a_damaged_store_is_refused_in_one_line(tmp_path):
    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path)
    for i in range(3000):
        url = f"https://www.spacewar.com/reports/a{i}_999.html"
        store.record(KnownArticle(url=url, content_hash=f"{i:064x}", site="spacewar.com"))
    store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    with path.open("r+b") as handle:  # a page of the articles' table overwritten, as a bad disk does
        handle.seek(path.stat().st_size // 2)
        handle.write(b"\x00\xff" * 2048)
    with pytest.raises(StoreError) as refused:
        SqliteSeenStore(path)
    message = str(refused.value)
    assert message.startswith(f"{path} is not a newsbot store or is damaged (") and "\n" not in message
    assert message.endswith("restore it from a backup, or give another NEWSBOT_STATE")


def test_a_version_2_store_gains_the_ledgers_teasers_and_keeps_its_entries(tmp_path):
    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path)
    store.ledger_add(
        "https://www.spacewar.com/reports/a_999.html", site="spacewar.com", section=None, reason="gone"
    )
    store.close()
    with sqlite3.connect(path) as db:  # as newsbot's schema 2 left it: no teaser column
        db.execute("ALTER TABLE ledger DROP COLUMN summary")
        db.execute("PRAGMA user_version = 2")
    store = SqliteSeenStore(path)
    [entry] = store.ledger_pending("spacewar.com")
    assert entry.reason == "gone" and entry.summary is None
    again = store.ledger_add(entry.url, site="spacewar.com", section=None, reason="gone", summary="a teaser")
    assert again.summary == "a teaser" and again.attempts == 2
    store.close()


def test_a_version_3_store_gains_the_delivery_of_each_article_and_counts_articles_per_delivery(tmp_path):
    path = tmp_path / "seen.sqlite"
    old = KnownArticle("https://www.spacewar.com/reports/old_999.html", "h1", "spacewar.com")
    SqliteSeenStore(path).close()
    with sqlite3.connect(path) as db:  # as newsbot's schema 3 left it: no delivery column
        db.execute("ALTER TABLE articles DROP COLUMN delivery")
        db.execute(
            "INSERT INTO articles VALUES (?, ?, ?, NULL, NULL, '2026-01-01T00:00:00Z')",
            (old.url, "h1", old.site),
        )
        db.execute("PRAGMA user_version = 3")
    store = SqliteSeenStore(path)
    assert (
        store.is_known_url(old.url) and store.articles_by_delivery() == {}
    )  # written before: not known where
    store.record(KnownArticle(URL, "h2", "spacewar.com"), output="/out/a.jsonl", reconciled_bytes=10)
    store.record_many(
        [old, KnownArticle(URL + "2", "h3", "spacewar.com")], output="/out/b.jsonl", reconciled_bytes=9
    )
    assert store.articles_by_delivery() == {
        "/out/a.jsonl": 1,
        "/out/b.jsonl": 1,
    }  # an article stays with its first
    store.close()


@pytest.mark.parametrize("path", ["nope", "newsbot.store.Nope", "newsbot.nope.Store"])
def test_a_store_class_that_cannot_be_loaded_refuses_the_run_without_a_traceback(tmp_path, path):
    from newsbot.extensions.store import seen_store
    from tests.components import make_crawler, run

    async def scenario():
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_STORE_CLASS": path})
        assert f"NEWSBOT_STORE_CLASS {path!r}" in crawler.stats.get_value("newsbot/store_error")
        assert seen_store(crawler) is None

    run(scenario())
