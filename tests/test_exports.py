"""Scrapy's feed exports (-O, -o, FEEDS) give complete files: the seen-articles store neither skips
nor marks a feed export's articles unless NEWSBOT_INCREMENTAL_EXPORTS asks; CSV keeps lists as JSON."""

from __future__ import annotations

import csv
import json
import os

import pytest
from scrapy.exceptions import CloseSpider, UsageError

from newsbot.cli.commands.crawl import lock_feed
from newsbot.extensions.store import StoreExtension
from tests.components import make_crawler, run
from tests.conftest import SNAPSHOT
from tests.crawling import run_crawl
from tests.redis_server import free_port

SECTION = {"sections": "superpowers"}
LIST_FIELDS = ("authors", "paragraphs", "images", "related_links", "notes")


def _export(tmp_path, target, settings=None, args=None):
    # One store for all the runs of a test, as on a user's machine.
    merged = {"NEWSBOT_STATE": str(tmp_path / "seen.sqlite"), **(settings or {})}
    return run_crawl(
        "spacewar",
        SNAPSHOT.as_uri(),
        tmp_path / "run",
        args={**SECTION, **(args or {})},
        settings=merged,
        extra=["-O", str(target)],
    )


def _urls(path):
    return sorted(json.loads(line)["url"] for line in path.read_text(encoding="utf-8").splitlines())


def test_two_identical_overwrite_exports_give_the_same_complete_file(tmp_path):
    target = tmp_path / "sp.jsonl"
    first = _export(tmp_path, target)
    assert first.returncode == 0, first.log[-3000:]
    exported = _urls(target)
    assert len(exported) == 13
    assert "13 articles written" in first.log
    second = _export(tmp_path, target)
    assert second.returncode == 0, second.log[-3000:]
    assert _urls(target) == exported
    assert "13 articles written" in second.log and "0 known skipped" in second.log
    assert second.report == {} and not list(tmp_path.glob("*.report.json"))  # no delivery: no report


def test_a_feed_file_another_run_is_writing_is_refused_in_one_line_and_left_as_it_was(tmp_path):
    """Two `-O` runs at once: the second truncated the file the first was writing, both exit 0 (two
    `-o` runs mixed their lines)."""
    target = tmp_path / "sp.jsonl"
    target.write_text('{"url": "a line the first run wrote"}\n', encoding="utf-8")
    first = lock_feed(target)  # the first run, still writing
    try:
        second = _export(tmp_path, target)
    finally:
        assert first is not None
        os.close(first)
    assert second.returncode == 2
    assert second.log.strip() == (
        f"scrapy crawl: {target} is being written by another run (pid {os.getpid()}); "
        f"its lock: {tmp_path / '.sp.jsonl.lock'}"
    )
    assert target.read_text(encoding="utf-8") == '{"url": "a line the first run wrote"}\n'
    assert _export(tmp_path, target).returncode == 0  # once the first has ended


def test_a_feed_file_that_cannot_be_written_is_refused_in_one_line_before_the_crawl(tmp_path):
    """It was a traceback per item in the log, a whole crawl, and a failed run (exit 1)."""
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "a-folder.jsonl").mkdir()
    with pytest.raises(UsageError) as refused:
        lock_feed(tmp_path / "a-file" / "sp.jsonl")
    assert (
        str(refused.value)
        == f"cannot write {tmp_path / 'a-file' / 'sp.jsonl'}: {tmp_path / 'a-file'}: File exists"
    )
    with pytest.raises(UsageError, match=f"^cannot write {tmp_path / 'a-folder.jsonl'}: a folder$"):
        lock_feed(tmp_path / "a-folder.jsonl")


def test_incremental_exports_skip_and_mark_like_the_writer(tmp_path):
    settings = {"NEWSBOT_INCREMENTAL_EXPORTS": "True"}
    first = _export(tmp_path, tmp_path / "one.jsonl", settings)
    assert len(_urls(tmp_path / "one.jsonl")) == 13, first.log[-3000:]
    second = _export(tmp_path, tmp_path / "two.jsonl", settings)
    assert second.returncode == 0, second.log[-3000:]
    assert _urls(tmp_path / "two.jsonl") == []
    assert "0 articles written" in second.log


def test_an_export_that_could_not_be_stored_fails_the_run_and_marks_nothing(tmp_path):
    """Scrapy logs a feed it cannot store and finishes: the run must not say ok, and an incremental
    export must not mark what no file holds (the next run would skip it: lost with exit 0)."""
    settings = {"NEWSBOT_INCREMENTAL_EXPORTS": "True"}
    # Scrapy uploads an FTP feed as the run ends: to a port where nothing listens, it cannot.
    failed = _export(
        tmp_path, f"ftp://user:pw@127.0.0.1:{free_port()}/sp.jsonl", settings, {"max_articles": "5"}
    )
    assert failed.returncode == 1, failed.log[-3000:]
    # The run's last line, its summary, says why (it said ok, and a line after it said failed).
    last = failed.log.strip().splitlines()[-1]
    assert (
        " ERROR: newsbot spacewar: failed - " in last and "FAILED: a feed export could not be stored" in last
    )
    assert "pages fetched, 0 articles written" in last  # none is in a stored file
    again = _export(tmp_path, tmp_path / "sp.jsonl", settings)
    assert again.returncode == 0, again.log[-3000:]
    assert len(_urls(tmp_path / "sp.jsonl")) == 13


def test_csv_export_round_trips_with_json_list_fields(tmp_path):
    target = tmp_path / "sp.csv"
    result = _export(tmp_path, target)
    assert result.returncode == 0, result.log[-3000:]
    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 13
    for row in rows:
        for name in LIST_FIELDS:
            assert isinstance(json.loads(row[name]), list), (name, row[name])
        assert row["schema_version"] == "3"
    images = [image for row in rows for image in json.loads(row["images"])]
    assert images and all(set(image) == {"url", "caption"} for image in images)
    paragraphs = json.loads(rows[0]["paragraphs"])
    assert paragraphs and "\n\n".join(paragraphs) == rows[0]["body"]


def test_a_second_incremental_export_of_a_spider_on_one_store_is_refused_until_the_first_has_marked(tmp_path):
    """Its marks come once the export is stored: a second run meanwhile exported the same articles again
    (two overlapping `-o` runs: every article of the first twice in the file, both exit 0)."""
    feeds = {
        "FEEDS": {str(tmp_path / "feed.jsonl"): {"format": "jsonlines"}},
        "NEWSBOT_INCREMENTAL_EXPORTS": True,
    }

    async def scenario():
        first, second = (make_crawler(tmp_path, settings=feeds) for _ in range(2))
        first_store = first.get_extension(StoreExtension)
        first_store.lock_exports(first.spider)
        with pytest.raises(CloseSpider) as refused:
            second.get_extension(StoreExtension).lock_exports(second.spider)
        assert refused.value.reason == "output_locked"
        first_store.feed_exporter_closed()  # stored and marked: the next run may start
        second.get_extension(StoreExtension).lock_exports(second.spider)

    run(scenario())


@pytest.mark.parametrize("overwrite", [False, True], ids=["-o", "-O"])
def test_the_lines_a_killed_incremental_export_appended_are_marked_as_the_next_one_starts(
    tmp_path, overwrite
):
    """`-o feed.jsonl` with NEWSBOT_INCREMENTAL_EXPORTS, killed: its lines are in the file, unmarked.
    The next run appended them again (6 of 35 twice, exit 0) after a half-written line. Its start marks
    them and cuts that line, as the writer settles a part; an `-O` run replaces the file: it marks none."""
    from itemadapter import ItemAdapter

    from newsbot.delivery import json_line
    from tests.components import article_item

    target = tmp_path / "feed.jsonl"
    feeds = {
        "FEEDS": {str(target): {"format": "jsonlines", "overwrite": overwrite}},
        "NEWSBOT_INCREMENTAL_EXPORTS": True,
    }
    url = "https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"

    async def scenario():
        crawler = make_crawler(tmp_path, settings=feeds)
        line = json_line(ItemAdapter(article_item(crawler, url)).asdict())
        target.write_bytes(line + line[:40])
        extension = crawler.get_extension(StoreExtension)
        extension.lock_exports(crawler.spider)
        assert extension.store.is_known_url(url) is not overwrite
        assert target.read_bytes() == (line if not overwrite else line + line[:40])
        extension.feed_exporter_closed()

    run(scenario())
