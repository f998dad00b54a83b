"""The run's archive of fetched pages (newsbot.extensions.archive): its records and their context,
a killed run's archive and one cut short by a full disk published by the next run. (No archive when
it is turned off: tests/test_readme_commands.py, with the README's command.)"""

from __future__ import annotations

import fcntl
import json
import os
import signal
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newsbot import keys
from newsbot.cli.main import main
from newsbot.extensions.archive import CONTEXT_HEADER, PageArchive, settle
from newsbot.spiders.priorities import RequestKind
from tests import processes
from tests.components import make_crawler, run, snapshot_response
from tests.conftest import ROOT
from tests.crawling import FAST_SETTINGS

ARTICLE = "https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"


def _records(path: Path) -> list:
    with path.open("rb") as file:
        return [
            (record.rec_type, record.rec_headers, record.content_stream().read())
            for record in ArchiveIterator(file)
        ]


def _archive_pages(tmp_path: Path, delivery: Path) -> Path:
    """Three pages through the archive of an in-process crawl whose writer opened `delivery`."""

    async def pages() -> None:
        crawler = make_crawler(tmp_path)
        spider = crawler.spider
        delivery.parent.mkdir(exist_ok=True)  # as the writer makes it
        crawler.stats.set_value(keys.STATS_DELIVERY, str(delivery))
        archive = crawler.get_extension(PageArchive)
        archive.spider_opened(spider)
        assert delivery.with_name("run.warc.gz.part").exists()
        requests = [
            spider.home_request(),
            spider.article_request(
                ARTICLE,
                section="SUPERPOWERS",
                summary="Teaser",
                origin="superpowers",
                kind=RequestKind.SECTION_ARTICLE,
            ),
        ]
        for request in requests:
            archive.response_received(snapshot_response(request), request, spider)
        archive.spider_closed(spider)

    run(pages())
    return delivery.with_name("run.warc.gz")


def test_each_fetched_page_is_a_response_record_with_the_spiders_context(tmp_path):
    archive = _archive_pages(tmp_path, tmp_path / "out" / "run.jsonl")
    assert not archive.with_name("run.warc.gz.part").exists()
    records = _records(archive)
    assert [kind for kind, _, _ in records] == ["response"] * 2
    (_, home, _), (_, article, body) = records
    assert home["WARC-Target-URI"] == "https://www.spacewar.com/index.html"
    assert json.loads(home[CONTEXT_HEADER]) == {"kind": "home"}
    assert article["WARC-Target-URI"] == ARTICLE
    context = json.loads(article[CONTEXT_HEADER])
    assert context == {
        "kind": "article", "section": "SUPERPOWERS", "summary": "Teaser",
        "origin": "superpowers", "listed": ARTICLE,
    }  # fmt: skip
    assert body.startswith(b"<!DOCTYPE") or b"<html" in body[:500]


def test_a_killed_runs_half_written_record_is_cut_off_and_its_archive_published(tmp_path):
    archive = _archive_pages(tmp_path, tmp_path / "out" / "run.jsonl")
    whole = archive.read_bytes()
    part = tmp_path / "killed.warc.gz.part"
    part.write_bytes(whole + whole[:100])  # the kill came in the middle of a record
    held = tmp_path / "running.warc.gz.part"
    held.write_bytes(whole)
    with held.open("rb") as running:
        fcntl.flock(running, fcntl.LOCK_EX)  # a run still writing it
        settle(part)
        settle(held)
        assert held.exists()
    published = tmp_path / "killed.warc.gz"
    assert not part.exists() and published.read_bytes() == whole
    assert len(_records(published)) == 2


def _command(mirror: str, folder: Path, run: str, **settings: str) -> list[str]:
    """`scrapy crawl spacewar` delivering `<folder>/<run>.jsonl`, the runs of a folder sharing a store."""
    merged = {
        **FAST_SETTINGS,
        "NEWSBOT_MIRROR": mirror,
        "NEWSBOT_OUTPUT": str(folder / f"{run}.jsonl"),
        "NEWSBOT_STATE": str(folder / "seen.sqlite"),
        **settings,
    }
    return ["scrapy", "crawl", "spacewar", *(f"-s{k}={v}" for k, v in merged.items())]


def _crawl(mirror: str, folder: Path, run: str, env: dict[str, str] | None = None) -> tuple[int, str, list]:
    command = _command(mirror, folder, run)
    # A real interpreter when `env` has a sitecustomize (tests/processes.py): only its start imports it.
    result = processes.run(command, ROOT, {**os.environ, **(env or {})}, timeout=120)
    delivery = folder / f"{run}.jsonl"
    return result.returncode, result.stderr, delivery.read_text().splitlines() if delivery.exists() else []


def test_a_killed_runs_archive_is_published_by_the_next_run_and_readable(snapshot_server, tmp_path, capsys):
    slow = {"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
    command = _command(snapshot_server.url, tmp_path, "first", **slow)
    part = tmp_path / "first.warc.gz.part"
    crawl = processes.Process(command, ROOT)
    deadline = time.monotonic() + 60
    while crawl.poll() is None and time.monotonic() < deadline and _size(part) < 40_000:
        time.sleep(0.01)
    crawl.send_signal(signal.SIGKILL)
    crawl.wait()
    assert part.exists() and not (tmp_path / "first.warc.gz").exists(), "the crawl ended before the kill"

    status, log, _ = _crawl(snapshot_server.url, tmp_path, "second")
    assert status == 0, log[-2000:]
    assert "Published the archive of a killed run" in log
    assert not part.exists()
    first = tmp_path / "first.warc.gz"
    out = tmp_path / "rebuilt.jsonl"
    assert main(["rebuild", str(first), "--out", str(out), "--state", str(tmp_path / "seen.sqlite")]) == 0
    rebuilt = {json.loads(line)["url"] for line in out.read_text(encoding="utf-8").splitlines()}
    written = {json.loads(line)["url"] for line in (tmp_path / "first.jsonl").read_text().splitlines()}
    # Every article the killed run wrote has its page in the archive (kept before it was parsed).
    assert written and written <= rebuilt
    assert (tmp_path / "second.warc.gz").exists()


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def test_a_full_disk_under_the_archive_is_one_error_and_the_next_run_publishes_what_was_whole(
    snapshot_server, tmp_path
):
    part = tmp_path / "first.warc.gz.part"
    full = {"PYTHONPATH": str(ROOT / "tests" / "tools" / "disk_full"), "DISK_FULL_PATH": str(part)}
    status, log, items = _crawl(snapshot_server.url, tmp_path, "first", {**full, "DISK_FULL_BYTES": "30000"})
    assert status == 0, log[-2000:]
    assert log.count("Cannot write the archive") == 1 and "No space left on device" in log
    assert "Traceback" not in log
    assert len(items) == 35  # the delivery does not depend on its archive
    assert part.exists() and not (tmp_path / "first.warc.gz").exists()
    status, log, _ = _crawl(snapshot_server.url, tmp_path, "second")
    assert status == 0 and "cut off a record a killed run left half-written" in log
    published = tmp_path / "first.warc.gz"
    assert 0 < published.stat().st_size <= 30000
    rebuilt = tmp_path / "rebuilt.jsonl"
    assert (
        main(["rebuild", str(published), "--out", str(rebuilt), "--state", str(tmp_path / "seen.sqlite")])
        == 0
    )
