"""Scheduled runs: only what is new is fetched, nothing is written twice, crashes lose nothing."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import threading
import time
from collections import Counter

import pytest

from newsbot.snapshot_server import SnapshotServer
from newsbot.store.sqlite import SqliteSeenStore
from tests import processes
from tests.conftest import ROOT
from tests.crawling import FAST_SETTINGS, article_requests, expected_for_sections, run_crawl
from tests.snapshot_copies import copy_snapshot, remove_entries


def _section(manifest: dict, site: str, slug: str) -> dict:
    return next(s for s in manifest["sections"] if s["site"] == site and s["slug"] == slug)


def _spacewar_expected(manifest: dict) -> tuple[set[str], int]:
    """Articles listed in spacewar's registry sections, and how many lines a full crawl writes."""
    listed, groups = expected_for_sections(
        manifest, "spacewar.com", {"superpowers", "missile-defense", "military-space"}
    )
    return set(listed), len(listed) - sum(len(group) - 1 for group in groups)


@pytest.fixture(scope="module")
def spacewar_crawled(snapshot_server, tmp_path_factory):
    """One full spacewar crawl, shared: each test starts from a copy of its output and store."""
    folder = tmp_path_factory.mktemp("spacewar-crawled")
    result = run_crawl("spacewar", snapshot_server.url, folder)
    assert result.returncode == 0, result.log[-2000:]
    return folder, result


def _from(crawled, tmp_path):
    folder, result = crawled
    shutil.copytree(folder, tmp_path, dirs_exist_ok=True)
    return result


def test_second_run_with_nothing_new_downloads_no_article_and_writes_no_line(
    spacewar_crawled, snapshot_server, tmp_path
):
    first = _from(spacewar_crawled, tmp_path)
    written = len(first.items)
    assert written > 0

    second = run_crawl("spacewar", snapshot_server.url, tmp_path)
    assert second.returncode == 0, second.log[-2000:]
    assert len(second.items) == written  # same file: nothing appended
    assert second.report["articles_written"] == 0
    assert article_requests(second) == 0
    # One page per section: the first page is all known, so the walk stops there.
    assert second.report["section_pages"] == 3
    assert second.report["known_skipped"] == second.report["listed_entries"] > 0
    assert second.report["outcome"] == "ok"


def test_after_k_new_articles_a_run_downloads_and_writes_exactly_those_k(manifest, tmp_path):
    section = _section(manifest, "spacewar.com", "superpowers")
    listings = {
        a["url"]: [e for e in a["listed_in"] if e["site"] == "spacewar.com"] for a in manifest["articles"]
    }
    only_here = [url for url in section["article_urls"][:5] if len(listings[url]) == 1]
    new = only_here[:3]
    assert len(new) == 3
    before = copy_snapshot(tmp_path / "before")
    remove_entries(before, section["pages"][0], new)

    with SnapshotServer(before) as server:
        first = run_crawl("spacewar", server.url, tmp_path / "out")
    assert first.returncode == 0, first.log[-2000:]
    assert not set(new) & {item["url"] for item in first.items}

    with SnapshotServer(copy_snapshot(tmp_path / "after")) as server:
        second = run_crawl("spacewar", server.url, tmp_path / "out")
    assert second.returncode == 0, second.log[-2000:]
    new_lines = second.items[len(first.items) :]
    assert sorted(item["url"] for item in new_lines) == sorted(new)
    assert article_requests(second) == len(new)
    assert second.report["articles_written"] == len(new)
    # The ideal: the three first pages, plus page 2 of the section whose first page had news.
    assert second.report["section_pages"] == 4


def test_a_syndicated_copy_written_in_an_earlier_run_is_not_written_again(
    spacewar_crawled, snapshot_server, tmp_path, manifest
):
    spacewar = _from(spacewar_crawled, tmp_path)
    terradaily = run_crawl("terradaily", snapshot_server.url, tmp_path)
    assert spacewar.returncode == terradaily.returncode == 0
    png = {a["url"] for a in manifest["articles"] if a["syndication_group"] == "png-defence-2025"}
    written = [i["url"] for i in spacewar.items + terradaily.items]
    assert len(png & set(written)) == 1
    assert terradaily.report["duplicates_dropped"].get("duplicate_content", 0) >= 1
    hashes = Counter(i["content_hash"] for i in spacewar.items + terradaily.items)
    assert max(hashes.values()) == 1
    # The copy is remembered: the next terradaily run does not even download it.
    again = run_crawl("terradaily", snapshot_server.url, tmp_path)
    assert article_requests(again) == 0 and again.report["articles_written"] == 0


def test_a_line_written_but_not_marked_before_a_crash_is_marked_at_the_next_start(snapshot_server, tmp_path):
    first = run_crawl(
        "spacewar", snapshot_server.url, tmp_path, args={"sections": "superpowers", "max_pages": "1"}
    )
    assert first.returncode == 0
    output = (tmp_path / "spacewar.jsonl").resolve()
    last_line = output.read_bytes().splitlines(keepends=True)[-1]
    unmarked = json.loads(last_line)["url"]
    # The state a crash between the fsync of the last line and the store's commit leaves behind.
    with sqlite3.connect(tmp_path / "seen.sqlite") as db:
        db.execute("DELETE FROM articles WHERE url = ?", (unmarked,))
        db.execute(
            "UPDATE outputs SET reconciled_bytes = ? WHERE path = ?",
            (output.stat().st_size - len(last_line), str(output)),
        )

    second = run_crawl(
        "spacewar", snapshot_server.url, tmp_path, args={"sections": "superpowers", "max_pages": "1"}
    )
    assert second.returncode == 0, second.log[-2000:]
    assert [i["url"] for i in second.items].count(unmarked) == 1
    assert second.report["articles_written"] == 0
    assert article_requests(second) == 0
    assert "1 line(s) of finished deliveries were not marked known" in second.log


def test_a_half_written_last_line_of_a_killed_runs_part_is_cut_off_and_logged_at_the_next_start(
    snapshot_server, tmp_path
):
    first = run_crawl(
        "spacewar", snapshot_server.url, tmp_path, args={"sections": "superpowers", "max_pages": "1"}
    )
    output = tmp_path / "spacewar.jsonl"
    intact = output.read_bytes()
    partial = b'{"url":"https://www.spacewar.com/reports/Half_wri'
    # The delivery as its run was killed writing it: still a part, its last line cut short.
    output.rename(tmp_path / "spacewar.jsonl.part")
    with (tmp_path / "spacewar.jsonl.part").open("ab") as handle:
        handle.write(partial)
    second = run_crawl("spacewar", snapshot_server.url, tmp_path, args={"sections": "superpowers"})
    assert second.returncode == 0, second.log[-2000:]
    assert "cut off a half-written last line" in second.log
    assert "left by an interrupted run: published as" in second.log
    assert second.report["output_repaired_bytes"] == len(partial)
    assert second.report["stats"]["newsbot/deliveries_settled"] == 1
    assert output.read_bytes() == intact
    urls = [item["url"] for item in second.items]
    assert len(urls) == len(set(urls)) == len(first.items) + second.report["articles_written"]


@pytest.mark.parametrize(
    ("lines_at_kill", "jobdir"), [(0, False), (3, False), (12, False), (25, False), (3, True)]
)
def test_a_crawl_killed_at_any_moment_and_started_again_writes_every_article_once(
    snapshot_server, tmp_path, manifest, lines_at_kill, jobdir
):
    """With a JOBDIR too: its kill leaves request queue files Scrapy cannot read back (one created but
    never flushed), and the same command again must not lose what it pushes to them."""
    expected, expected_lines = _spacewar_expected(manifest)
    output = tmp_path / "spacewar.jsonl.part"
    job = {"JOBDIR": str(tmp_path / "job")} if jobdir else {}
    slow = {"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1", **job}
    proc = processes.Process(["scrapy", *_crawl_words("spacewar", snapshot_server.url, tmp_path, slow)], ROOT)
    deadline = time.monotonic() + 60
    while _line_count(output) < lines_at_kill and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    if lines_at_kill == 0:
        time.sleep(0.5)  # killed while starting up or fetching the first pages
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _line_count(output)
    assert before < expected_lines, "the crawl finished before it could be killed"

    again = run_crawl("spacewar", snapshot_server.url, tmp_path, settings=job)
    assert again.returncode == 0, again.log[-2000:]
    assert "Traceback" not in again.log
    urls = [item["url"] for item in again.items]
    assert len(urls) == len(set(urls)), "an article was written twice"
    hashes = [item["content_hash"] for item in again.items]
    assert len(hashes) == len(set(hashes))
    assert set(urls) <= expected
    assert len(urls) == expected_lines
    assert again.report["articles_written"] == expected_lines - before


def _line_count(path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _crawl_words(spider, mirror, out_dir, settings):
    merged = {
        **FAST_SETTINGS,
        **settings,
        "NEWSBOT_MIRROR": mirror,
        "NEWSBOT_OUTPUT": str(out_dir / f"{spider}.jsonl"),
        "NEWSBOT_STATE": str(out_dir / "seen.sqlite"),
    }
    words = ["crawl", spider]
    for name, value in merged.items():
        words += ["-s", f"{name}={value}"]
    return words


def test_state_command_shows_and_forgets(snapshot_server, tmp_path):
    run_crawl("spacewar", snapshot_server.url, tmp_path, args={"sections": "superpowers", "max_pages": "1"})
    store_path = tmp_path / "seen.sqlite"
    show = processes.run(["newsbot", "state", "--path", str(store_path), "--json"], ROOT)
    assert show.returncode == 0, show.stderr
    summary = json.loads(show.stdout)
    assert summary["articles"] == 5
    superpowers = [row for row in summary["sections"] if row["section"] == "SUPERPOWERS"]
    assert superpowers and superpowers[0]["site"] == "spacewar.com" and superpowers[0]["newest_date"]
    delivery = str((tmp_path / "spacewar.jsonl").resolve())
    assert summary["deliveries"] == {delivery: 5} and summary["missing_deliveries"] == {}
    assert show.stderr == ""
    # Taken away (or deleted): the table says which, one line warns, and the next crawl says so too.
    (tmp_path / "spacewar.jsonl").rename(tmp_path / "taken.json")
    table = processes.run(["newsbot", "state", "--path", str(store_path)], ROOT)
    assert table.returncode == 0 and f"       5  {delivery}  (not there any more)" in table.stdout
    [warning] = table.stderr.splitlines()
    assert warning.startswith("newsbot state: 1 deliveries (5 articles) are not where they were written")
    assert "the next run will not fetch those articles again" in warning and "--forget-all" in warning
    again = run_crawl(
        "spacewar", snapshot_server.url, tmp_path, args={"sections": "superpowers", "max_pages": "1"}
    )
    assert again.log.count("1 earlier deliveries in") == 1 and "(5 articles) are no longer there" in again.log
    assert again.report["articles_written"] == 0
    forget = processes.run(
        ["newsbot", "state", "--path", str(store_path), "--forget-site", "spacewar", "--yes"], ROOT
    )
    assert forget.returncode == 0 and "forgot" in forget.stdout
    assert SqliteSeenStore(store_path).counts()["articles"] == sum(
        row["articles"] for row in summary["sections"] if row["site"] != "spacewar.com"
    )


def test_a_consumer_taking_finished_deliveries_around_a_killed_run_gets_every_article_exactly_once(
    snapshot_server, tmp_path, manifest
):
    """The issue's acceptance test: a consumer moves `*.jsonl` away the whole time (never `*.part`);
    the first run is killed mid-write, the second settles its part and finishes."""
    expected, expected_lines = _spacewar_expected(manifest)
    out, taken = tmp_path / "out", tmp_path / "taken"
    out.mkdir()
    taken.mkdir()
    stop = threading.Event()

    def consume() -> None:
        while True:
            for delivery in out.glob("*.jsonl"):
                delivery.rename(taken / delivery.name)
            if stop.wait(0.01):
                return

    consumer = threading.Thread(target=consume)
    consumer.start()
    try:
        slow = {"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
        first = processes.Process(["scrapy", *_crawl_words("spacewar", snapshot_server.url, out, slow)], ROOT)
        deadline = time.monotonic() + 60
        while _line_count(out / "spacewar.jsonl.part") < 8 and time.monotonic() < deadline:
            time.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        first.wait()
        killed_at = _line_count(out / "spacewar.jsonl.part")
        assert 8 <= killed_at < expected_lines and not list(taken.iterdir())  # nothing finished to take
        second = run_crawl("spacewar", snapshot_server.url, out)
        assert second.returncode == 0, second.log[-2000:]
        assert second.report["stats"]["newsbot/deliveries_settled"] == 1
    finally:
        stop.set()
        consumer.join()
    assert not list(out.glob("*.jsonl*"))  # the consumer took everything
    lines = [line for path in taken.iterdir() for line in path.read_bytes().splitlines()]
    urls = [json.loads(line)["url"] for line in lines]  # every line whole
    assert len(urls) == len(set(urls)) == expected_lines and set(urls) <= expected
    assert second.report["articles_written"] == expected_lines - killed_at
    assert sorted(path.name for path in taken.iterdir()) == ["spacewar-2.jsonl", "spacewar.jsonl"]
