"""The write path under faults: a full disk, a busy or unusable store, two runs on one file.

Each test runs real `scrapy crawl` subprocesses on the snapshot. The full disk is a `sitecustomize`
module put on the crawl's PYTHONPATH by the test (tests/tools/disk_full): it makes `os.write` on the
output file write short and then fail with ENOSPC past a byte budget, as a full file system does.
newsbot itself reads no test setting.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from newsbot.snapshot_server import SnapshotServer
from newsbot.store.sqlite import SCHEMA_VERSION
from tests import processes
from tests.conftest import ROOT, SNAPSHOT
from tests.crawling import FAST_SETTINGS, delivered, expected_for_sections, run_crawl

DISK_FULL_HOOK = ROOT / "tests" / "tools" / "disk_full"
SECTIONS = {"superpowers", "missile-defense", "military-space"}


def _expected_lines(manifest: dict) -> int:
    listed, groups = expected_for_sections(manifest, "spacewar.com", SECTIONS)
    return len(listed) - sum(len(group) - 1 for group in groups)


def _words(mirror: str, out_dir: Path, settings: dict[str, str] | None = None) -> list[str]:
    merged = {
        **FAST_SETTINGS,
        "NEWSBOT_MIRROR": mirror,
        "NEWSBOT_OUTPUT": str(out_dir / "spacewar.jsonl"),
        "NEWSBOT_STATE": str(out_dir / "seen.sqlite"),
        **(settings or {}),
    }
    words = ["crawl", "spacewar"]
    for name, value in merged.items():
        words += ["-s", f"{name}={value}"]
    return words


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines() if path.exists() else []


def _assert_every_article_once(folder: Path, expected: int) -> None:
    records = delivered(folder)  # every line valid JSON
    urls = [record["url"] for record in records]
    assert len(urls) == len(set(urls)), "an article was written twice"
    assert len({record["content_hash"] for record in records}) == len(records)
    assert len(urls) == expected


def test_a_full_disk_stops_the_run_cleanly_and_later_runs_lose_nothing(snapshot_server, tmp_path, manifest):
    output = (tmp_path / "spacewar.jsonl").resolve()
    budget = 40_000  # bytes: a handful of articles, then the disk is full, mid-line
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(DISK_FULL_HOOK), os.environ.get("PYTHONPATH")])),
        "DISK_FULL_PATH": str(output) + ".part",  # the run writes its part, published at its end
        "DISK_FULL_BYTES": str(budget),
    }
    # A real interpreter: the hook is a sitecustomize, which only an interpreter's start imports.
    full = subprocess.run(
        [sys.executable, "-m", "scrapy", *_words(snapshot_server.url, tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert full.returncode == 1, full.stderr[-3000:]
    assert "output disk full: " in full.stderr and str(output) in full.stderr
    assert "Traceback" not in full.stderr
    before = output.read_bytes()
    assert 0 < len(before) <= budget and before.endswith(b"\n"), "a partial line was left behind"
    assert not (tmp_path / "spacewar.jsonl.part").exists()  # what it had is delivered
    report = json.loads((tmp_path / "spacewar.report.json").read_text())
    assert report["outcome"] == "failed" and report["finish_reason"] == "output_write_failed"
    assert any("output disk full" in failure for failure in report["failures"])
    # Every line on disk is marked known, and not one more: the store agrees with the file.
    with sqlite3.connect(tmp_path / "seen.sqlite") as db:
        marked = {url for (url,) in db.execute("SELECT url FROM articles")}
        in_ledger = {url for (url,) in db.execute("SELECT url FROM ledger WHERE reason = 'write_failed'")}
    on_disk = {json.loads(line)["url"] for line in _lines(output)}
    assert marked == on_disk
    assert in_ledger and not in_ledger & on_disk

    # The disk has room again: the next run ends the job, and a third writes nothing.
    again = run_crawl("spacewar", snapshot_server.url, tmp_path)
    assert again.returncode == 0, again.log[-3000:]
    assert output.read_bytes() == before  # a delivery is never written again
    _assert_every_article_once(tmp_path, _expected_lines(manifest))
    assert again.report["ledger"]["pending"] == 0
    third = run_crawl("spacewar", snapshot_server.url, tmp_path)
    assert third.returncode == 0 and third.report["articles_written"] == 0
    _assert_every_article_once(tmp_path, _expected_lines(manifest))


@pytest.mark.parametrize("folder", ["", "2026-12-08"], ids=["the same folder", "another folder, one store"])
def test_a_second_run_on_the_same_folder_or_store_exits_2_naming_the_holder_writing_nothing_and_no_report(
    snapshot_server, tmp_path, tmp_path_factory, folder
):
    """Another folder on the same store (a `{date}` folder past midnight, another checkout sharing the
    store): both runs wrote the articles each judged before the other marked them (2 of 35, exit 0).
    The second logs to a file (cron, Scrapyd): stderr's one line named no pid, only `output_locked`."""
    output = tmp_path / "spacewar.jsonl.part"
    # Slow, and short: the first run holds the file while the second tries, then ends on its own.
    slow = {"DOWNLOAD_DELAY": "0.2", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", "CLOSESPIDER_PAGECOUNT": "12"}
    holder = processes.Process(["scrapy", *_words(snapshot_server.url, tmp_path, slow)], ROOT)
    try:
        deadline = time.monotonic() + 60
        while not _lines(output) and holder.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        # Paused mid-run (a stopped process keeps its lock): the first run holds the file for as
        # long as the second one takes, however slow a loaded machine makes that, and the file
        # stays as the first run left it unless the second one writes to it.
        holder.send_signal(signal.SIGSTOP)
        assert holder.poll() is None, "the first run ended before the second could start"
        size, before = output.stat().st_size, sorted(tmp_path.iterdir())
        log = tmp_path_factory.mktemp("log") / "second.log"
        elsewhere = {"NEWSBOT_OUTPUT": str(tmp_path / folder / "spacewar.jsonl"), "LOG_FILE": str(log)}
        second = processes.run(
            ["scrapy", *_words(snapshot_server.url, tmp_path, elsewhere)], ROOT, timeout=180
        )
        untouched_by_second = output.stat().st_size == size and sorted(tmp_path.iterdir()) == before
    finally:
        holder.send_signal(signal.SIGCONT)
        holder.wait(timeout=180)
    assert second.returncode == 2, second.stderr[-3000:]
    [line] = second.stderr.splitlines()
    assert line.startswith("newsbot spacewar: could not start (exit 2): spacewar's ")
    assert f"being written by another newsbot run (pid {holder.pid})" in line
    assert "no report written" in line
    assert untouched_by_second  # no file made, none changed: not the running run's report either
    assert holder.returncode == 0
    assert json.loads((tmp_path / "spacewar.report.json").read_text())["outcome"] == "ok"
    urls = [record["url"] for record in delivered(tmp_path)]
    assert len(urls) == len(set(urls))


def test_a_run_that_writes_nothing_leaves_no_empty_output_file(tmp_path):
    with SnapshotServer(SNAPSHOT) as server:
        first = run_crawl(
            "spacewar", server.url, tmp_path, args={"sections": "superpowers", "max_pages": "1"}
        )
        assert first.returncode == 0
        other = tmp_path / "other"
        other.mkdir()
        (other / "seen.sqlite").write_bytes((tmp_path / "seen.sqlite").read_bytes())
        again = run_crawl("spacewar", server.url, other, args={"sections": "superpowers", "max_pages": "1"})
    assert again.returncode == 0 and again.report["articles_written"] == 0
    assert not list(other.glob("*.jsonl*"))


def test_an_output_that_cannot_be_written_ends_the_run_before_any_request_with_exit_2_in_one_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("an output path under a file cannot be made")
    result = run_crawl(
        "spacewar", SNAPSHOT.as_uri(), tmp_path, settings={"NEWSBOT_OUTPUT": str(blocker / "spacewar.jsonl")}
    )
    assert result.returncode == 2, result.log[-3000:]
    assert "Traceback" not in result.log
    [line] = [line for line in result.log.splitlines() if "ERROR: cannot write the output" in line]
    assert str(blocker / "spacewar.jsonl") in line
    assert "no report written" in result.log  # it has no delivery to put one beside
    # A log file (cron, a cluster's workers): stderr's one line says why, not only where to look.
    log = tmp_path / "crawl.log"
    settings = {"NEWSBOT_OUTPUT": str(blocker / "spacewar.jsonl"), "LOG_FILE": str(log)}
    logged = run_crawl("spacewar", SNAPSHOT.as_uri(), tmp_path, settings=settings)
    why = line.partition("ERROR: ")[2]
    assert logged.log == f"newsbot spacewar: could not start (exit 2): {why}; no report written; log {log}\n"


@pytest.mark.parametrize("kind", ["newer_schema", "garbage", "read_only"])
def test_a_store_that_cannot_be_used_ends_the_run_before_any_request_with_exit_2(tmp_path, kind):
    store = tmp_path / "seen.sqlite"
    if kind == "garbage":
        store.write_bytes(b"these are not the bytes of a store\n" * 40)
        expected = f"{store} is not a newsbot store"
    else:
        from newsbot.store.sqlite import SqliteSeenStore

        SqliteSeenStore(store).close()
        if kind == "newer_schema":
            with sqlite3.connect(store) as db:
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
            expected = (
                f"{store} has schema version {SCHEMA_VERSION + 1}, newer than this newsbot's {SCHEMA_VERSION}"
            )
        else:
            store.chmod(0o444)
            expected = f"the store {store} cannot be written (read-only)"
    with SnapshotServer(SNAPSHOT) as server:
        result = run_crawl("spacewar", server.url, tmp_path)
    assert result.returncode == 2, result.log[-3000:]
    error_lines = [line for line in result.log.splitlines() if "newsbot cannot use its store" in line]
    assert len(error_lines) == 1 and expected in error_lines[0]
    assert "Traceback" not in result.log
    assert "no report written" in result.log and result.report == {}  # refused: no report
    assert not list(tmp_path.glob("spacewar*"))


@pytest.mark.parametrize("hold", ["released", "held"])
def test_a_store_locked_mid_run_is_waited_for_or_fails_the_run_without_loss_or_double(
    snapshot_server, tmp_path, manifest, hold
):
    output = tmp_path / "spacewar.jsonl.part"
    store = tmp_path / "seen.sqlite"
    slow = {"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    slow["NEWSBOT_STATE_BUSY_TIMEOUT"] = "60" if hold == "released" else "1"
    crawl = processes.Process(["scrapy", *_words(snapshot_server.url, tmp_path, slow)], ROOT)
    locked, release = threading.Event(), threading.Event()

    def lock_mid_run() -> None:
        deadline = time.monotonic() + 60
        while len(_lines(output)) < 5 and crawl.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        locker = sqlite3.connect(store, isolation_level=None, timeout=30)
        locker.execute("BEGIN IMMEDIATE")
        locked.set()
        release.wait(timeout=120)
        locker.execute("ROLLBACK")
        locker.close()

    thread = threading.Thread(target=lock_mid_run)
    thread.start()
    try:
        assert locked.wait(timeout=90)
        if hold == "released":
            time.sleep(1.5)  # the crawl meets the lock meanwhile; how long it waits is not asserted
            release.set()
        _, log = crawl.communicate(timeout=180)
    finally:
        release.set()
        thread.join()
        if crawl.poll() is None:
            crawl.kill()
    if hold == "released":
        assert crawl.returncode == 0, log[-3000:]
    else:
        assert crawl.returncode == 1, log[-3000:]
        assert "stayed locked by another process for more than 1 s" in log
        # Said once: the writer's stop repeated the store's.
        failures = json.loads((tmp_path / "spacewar.report.json").read_text())["failures"]
        assert len([why for why in failures if "stayed locked" in why]) == 1, failures
    assert "is locked by another process; waiting up to" in log
    again = run_crawl("spacewar", snapshot_server.url, tmp_path)
    assert again.returncode == 0, again.log[-3000:]
    _assert_every_article_once(tmp_path, _expected_lines(manifest))
