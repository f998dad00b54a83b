"""The item pipelines (newsbot.pipelines), built from a crawler and driven in-process."""

from __future__ import annotations

import dataclasses
import errno
import fcntl
import json
import os
import re
from urllib.parse import urlsplit

import pytest
from scrapy.exceptions import CloseSpider, DropItem

from newsbot import keys
from newsbot.extensions.store import seen_store
from newsbot.pipelines import writer as writer_module
from newsbot.pipelines.judge import DedupePipeline, ValidatePipeline
from newsbot.pipelines.writer import JsonLinesWriterPipeline
from newsbot.reasons import InvalidItem, NotWritten
from newsbot.store.base import KnownArticle, StoreError, known_article
from tests.components import article_item, make_crawler, run
from tests.conftest import SNAPSHOT

REPORTS = "https://www.spacewar.com/reports/"
ONE = REPORTS + "Chinas_premier_to_visit_North_Korea_this_week_999.html"
TWO = REPORTS + "Gaza_war_second_anniversary_could_reopen_path_to_Palestinian_statehood_999.html"


@pytest.fixture(autouse=True)
def _fresh_dedupe_memory(monkeypatch):
    # The within-process memory is shared by every crawler of a process (the demo runs several).
    monkeypatch.setattr(DedupePipeline, "_seen_urls", set())
    monkeypatch.setattr(DedupePipeline, "_seen_hashes", {})


def test_an_item_that_breaks_the_schema_is_dropped_and_counted_by_reason(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        validate = crawler.get_item_pipeline(ValidatePipeline)
        item = article_item(crawler, ONE)
        assert validate.process_item(item) is item
        with pytest.raises(InvalidItem) as dropped:
            validate.process_item(dataclasses.replace(item, title="", word_count=-1))
        # Its drop line (the log formatter's, naming the URL) says what broke which rule.
        assert "'' should be non-empty" in str(dropped.value) and "-1 is less than" in str(dropped.value)
        stats = crawler.stats.get_stats()
        assert stats["newsbot/items_invalid/title:minLength"] == 1
        assert stats["newsbot/items_invalid/word_count:minimum"] == 1
        assert stats["newsbot/items_valid"] == 1

    run(scenario())


def test_a_second_copy_is_dropped_by_url_by_store_or_by_body_and_a_copy_is_recorded(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        dedupe = crawler.get_item_pipeline(DedupePipeline)
        one, two = article_item(crawler, ONE), article_item(crawler, TWO)
        assert await dedupe.process_item(one) is one
        with pytest.raises(DropItem, match="duplicate URL"):
            await dedupe.process_item(one)
        syndicated = dataclasses.replace(two, content_hash=one.content_hash)
        with pytest.raises(DropItem, match=f"same content as {ONE}"):
            await dedupe.process_item(syndicated)
        store = seen_store(crawler)
        assert store.is_known_url(TWO)  # the copy is recorded: no later run downloads it again
        earlier = REPORTS + "written_by_an_earlier_run_999.html"
        store.record(KnownArticle(url=earlier, content_hash="x" * 64, site="spacewar.com"))
        with pytest.raises(DropItem, match="earlier run"):
            await dedupe.process_item(dataclasses.replace(two, url=earlier))
        stats = crawler.stats.get_stats()
        assert [
            stats[f"newsbot/items_dropped/{k}"] for k in ("duplicate_url", "duplicate_content", "known_url")
        ] == [1, 1, 1]

    run(scenario())


def test_articles_whose_pages_hold_no_text_are_not_taken_for_copies_of_one_another(tmp_path):
    """A video's page has no paragraphs: hashed on the empty body, every such article was a
    "syndicated copy" of the first, dropped and marked known, never to be fetched again. With no
    body, the headline is what tells two stories apart (and a copy of one from its original)."""

    def without_text(url: str) -> bytes:
        page = (SNAPSHOT / urlsplit(url).hostname / urlsplit(url).path.lstrip("/")).read_bytes()
        start, end = page.index(b"<!--body-2-incontainer.php-->"), page.index(b"<!--RELATED LINKS-->")
        return (
            page[:start]
            + b'<!--body-2-incontainer.php-->\n<iframe src="/video.html"></iframe>\n'
            + page[end:]
        )

    async def scenario():
        crawler = make_crawler(tmp_path)
        dedupe = crawler.get_item_pipeline(DedupePipeline)
        one, two = (article_item(crawler, url, without_text(url)) for url in (ONE, TWO))
        assert one.body == two.body == ""
        assert await dedupe.process_item(one) is one
        assert await dedupe.process_item(two) is two

    run(scenario())


def test_the_writer_writes_its_part_marks_each_line_publishes_at_close_and_a_second_writer_is_refused(
    tmp_path,
):
    async def scenario():
        crawler = make_crawler(tmp_path)
        writer = crawler.get_item_pipeline(JsonLinesWriterPipeline)
        writer.open_spider()
        delivery, part = tmp_path / "out.jsonl", tmp_path / "out.jsonl.part"
        assert crawler.stats.get_value("newsbot/delivery") == str(delivery)
        item = article_item(crawler, ONE)
        writer.process_item(item)
        [line] = part.read_text(encoding="utf-8").splitlines()
        assert json.loads(line) == item.to_dict() and not delivery.exists()  # not a delivery yet
        store = seen_store(crawler)
        assert store.is_known_url(ONE) and store.reconciled_bytes(str(delivery)) == part.stat().st_size
        # Another run of the spider on the same folder: refused while this one holds it.
        rival = make_crawler(tmp_path / "rival", settings={"NEWSBOT_OUTPUT": str(tmp_path / "x.jsonl")})
        with pytest.raises(CloseSpider) as refused:
            rival.get_item_pipeline(JsonLinesWriterPipeline).open_spider()
        assert refused.value.reason == "output_locked"
        writer.close_spider()
        assert delivery.read_text(encoding="utf-8") == line + "\n" and not part.exists()
        assert store.articles_by_delivery() == {str(delivery): 1}
        assert crawler.stats.get_value("newsbot/items_written") == 1

    run(scenario())


def test_a_line_written_whose_mark_the_store_refuses_is_counted_written_as_it_is_delivered(tmp_path):
    """The line is on disk, published at close and marked by the next start: in the delivery and in the
    dataset. The report's articles_written left it out, one fewer than the lines its delivery holds."""

    async def scenario():
        crawler = make_crawler(tmp_path)
        writer = crawler.get_item_pipeline(JsonLinesWriterPipeline)
        writer.open_spider()
        writer.process_item(article_item(crawler, ONE))

        def refuse(*args, **kwargs):
            raise StoreError("the store cannot be written: database or disk is full")

        seen_store(crawler).record = refuse
        with pytest.raises(NotWritten, match="written but not marked"):
            writer.process_item(article_item(crawler, TWO))
        writer.close_spider()
        lines = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line)["url"] for line in lines] == [ONE, TWO]
        assert crawler.stats.get_value("newsbot/items_written") == len(lines)

    run(scenario())


def test_a_half_line_the_writer_could_not_cut_is_never_published_the_next_start_cuts_it(
    tmp_path, monkeypatch
):
    """A write cut short, then a cut back that fails too (an I/O error): the part was published at
    close, half a line at the end of a finished delivery, which consumers take as complete."""

    async def scenario():
        crawler = make_crawler(tmp_path)
        writer = crawler.get_item_pipeline(JsonLinesWriterPipeline)
        writer.open_spider()
        writer.process_item(article_item(crawler, ONE))

        def half_then_full(fd, data):
            os.write(fd, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")

        def cannot_cut(fd, length):
            raise OSError(errno.EIO, "Input/output error")

        with monkeypatch.context() as patch:
            patch.setattr(writer_module, "write_all", half_then_full)
            patch.setattr(os, "ftruncate", cannot_cut)
            with pytest.raises(NotWritten, match="output disk full"):
                writer.process_item(article_item(crawler, TWO))
            writer.close_spider()
        assert not (tmp_path / "out.jsonl").exists()
        assert "left for the next run to cut" in crawler.stats.get_value(keys.STATS_OUTPUT_ERROR)
        again = make_crawler(tmp_path)
        again.get_item_pipeline(JsonLinesWriterPipeline).open_spider()  # the next start settles it
        [line] = (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()
        assert json.loads(line)["url"] == ONE

    run(scenario())


def test_a_taken_name_gets_the_next_number_and_a_run_that_writes_nothing_leaves_no_file(tmp_path):
    async def scenario():
        (tmp_path / "out.jsonl").write_text("")  # a finished delivery
        (tmp_path / "out-2.jsonl.part").write_text("")  # a run writing it (its lock is had below)
        (tmp_path / "out-3.report.json").write_text("{}")  # the report of a run that wrote nothing
        holder = os.open(tmp_path / "out-2.jsonl.part", os.O_RDONLY)
        fcntl.flock(holder, fcntl.LOCK_EX)
        try:
            crawler = make_crawler(tmp_path)
            writer = crawler.get_item_pipeline(JsonLinesWriterPipeline)
            writer.open_spider()
            assert writer.delivery == tmp_path / "out-4.jsonl"
            writer.close_spider()
        finally:
            os.close(holder)
        assert not (tmp_path / "out-4.jsonl").exists() and not (tmp_path / "out-4.jsonl.part").exists()
        assert (tmp_path / "out-2.jsonl.part").exists()  # a live writer's part is left alone

    run(scenario())


def test_a_killed_runs_part_is_settled_at_the_next_start_cut_marked_and_published(tmp_path, caplog):
    async def scenario():
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_OUTPUT": str(tmp_path / "{spider}.jsonl")})
        one, two = (json.dumps(article_item(crawler, url).to_dict()).encode() + b"\n" for url in (ONE, TWO))
        dead = tmp_path / "spacewar.jsonl"
        part = tmp_path / "spacewar.jsonl.part"
        part.write_bytes(one + two + b'{"url":"https://www.spacewar.com/reports/Half')
        # Its progress report, which counted one line of the two, and another killed run's, which had
        # written nothing.
        report, empty_report = tmp_path / "spacewar.report.json", tmp_path / "empty.report.json"
        for path in (report, empty_report):
            path.write_text(json.dumps({"outcome": "running", "failures": [], "articles_written": 1}))
        (tmp_path / "empty.jsonl.part").write_bytes(b"")
        # A third's, emptied by a power cut after its rename: no traceback at every start.
        damaged_report = tmp_path / "damaged.report.json"
        damaged_report.write_bytes(b"")
        (tmp_path / "damaged.jsonl.part").write_bytes(b"")
        # The killed run had marked its first line only; its second was written, not marked.
        store = seen_store(crawler)
        store.record(known_article(json.loads(one)), output=str(dead), reconciled_bytes=len(one))
        writer = crawler.get_item_pipeline(JsonLinesWriterPipeline)
        writer.open_spider()
        assert dead.read_bytes() == one + two and not part.exists()
        assert store.is_known_url(TWO) and store.articles_by_delivery() == {str(dead): 2}
        assert store.reconciled_bytes(str(dead)) == len(one + two)
        stats = crawler.stats.get_stats()
        assert stats["newsbot/deliveries_settled"] == 1
        assert stats["newsbot/output_repaired_bytes"] > 0
        assert writer.delivery == tmp_path / "spacewar-2.jsonl"  # the settled name is taken
        for path in (report, empty_report, damaged_report):  # a consumer reading reports: not running
            settled = json.loads(path.read_text())
            assert settled["outcome"] == "interrupted"
            assert settled["failures"] == ["interrupted before its end; settled by a later run"]
        assert json.loads(report.read_text())["articles_written"] == 2
        assert json.loads(empty_report.read_text())["articles_written"] == 0
        writer.close_spider()
        assert f"Settled {part}, left by an interrupted run: published as {dead}" in caplog.text

    run(scenario())


def test_a_killed_runs_part_in_another_folder_of_the_template_is_settled_too(tmp_path):
    """`{date}` in the folder: a run killed before midnight, the next one after it. Its marked lines
    are skipped from then on: left as a part no consumer takes, they were lost."""

    async def scenario():
        crawler = make_crawler(
            tmp_path, settings={"NEWSBOT_OUTPUT": str(tmp_path / "today" / "{spider}.jsonl")}
        )
        line = json.dumps(article_item(crawler, ONE).to_dict()).encode() + b"\n"
        yesterday = tmp_path / "yesterday" / "spacewar.jsonl"
        yesterday.parent.mkdir()
        yesterday.with_name("spacewar.jsonl.part").write_bytes(line)
        seen_store(crawler).record(
            known_article(json.loads(line)), output=str(yesterday), reconciled_bytes=len(line)
        )
        writer = crawler.get_item_pipeline(JsonLinesWriterPipeline)
        writer.open_spider()
        assert yesterday.read_bytes() == line and writer.delivery == tmp_path / "today" / "spacewar.jsonl"
        writer.close_spider()

    run(scenario())


def test_a_full_store_at_the_start_is_one_line_and_a_usage_error_before_any_request(tmp_path, caplog):
    """Marking what a killed run left needs the store: full, the start was a traceback."""

    async def scenario():
        crawler = make_crawler(tmp_path)
        record = article_item(crawler, ONE).to_dict()
        lines = [json.dumps({**record, "url": f"{ONE}?{n}", "content_hash": f"{n:0500}"}) for n in range(50)]
        (tmp_path / "out.jsonl.part").write_text("".join(line + "\n" for line in lines))
        store = seen_store(crawler)
        (pages,) = store._db.execute("PRAGMA page_count").fetchone()
        store._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "database or disk is full"
        with pytest.raises(CloseSpider) as refused:
            crawler.get_item_pipeline(JsonLinesWriterPipeline).open_spider()
        assert refused.value.reason == "store_unusable"
        assert "cannot be written: database or disk is full" in crawler.stats.get_value("newsbot/store_error")
        [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        assert "database or disk is full" in line

    run(scenario())


def test_an_output_that_cannot_be_written_is_one_line_and_a_usage_error_before_any_request(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")

    async def scenario():
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_OUTPUT": str(blocker / "out.jsonl")})
        with pytest.raises(CloseSpider) as refused:
            crawler.get_item_pipeline(JsonLinesWriterPipeline).open_spider()
        assert refused.value.reason == "output_unwritable"
        [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
        # The path at fault, not only the output: "out.jsonl: File exists" misled, as it does not.
        assert line.startswith(f"cannot write the output {blocker / 'out.jsonl'}: {blocker}: File exists")
        assert re.search(r"\(E[A-Z]+\)$", line), line  # the errno, by name

    run(scenario())


def test_a_store_made_anew_learns_every_delivery_beside_the_output_not_only_its_own(tmp_path):
    async def scenario():
        crawler = make_crawler(tmp_path)
        copy = article_item(crawler, TWO)
        # terradaily's delivery, written before the store was deleted: its articles are known again.
        (tmp_path / "terradaily.jsonl").write_text(json.dumps(copy.to_dict()) + "\n", encoding="utf-8")
        crawler.get_item_pipeline(JsonLinesWriterPipeline).open_spider()
        store = seen_store(crawler)
        assert store.is_known_url(TWO) and store.owner_of_hash(copy.content_hash) == TWO

    run(scenario())


def test_a_delivery_a_consumer_takes_away_while_the_writer_opens_is_not_an_error(tmp_path, monkeypatch):
    # Found by the consumer test of test_scheduled_runs: a delivery moved away between the folder's
    # listing and its reading made the run exit 2 ("cannot write the output ...: ENOENT").
    from newsbot.pipelines import writer as writer_module

    async def scenario():
        crawler = make_crawler(tmp_path)
        taken = tmp_path / "spacedaily-2026-12-06T000000.jsonl"
        taken.write_text(json.dumps(article_item(crawler, TWO).to_dict()) + "\n", encoding="utf-8")
        listed = writer_module.deliveries(tmp_path)
        taken.rename(tmp_path / "consumer.moved")  # after the listing, before the read
        monkeypatch.setattr(writer_module, "deliveries", lambda folder: listed)
        writer = crawler.get_item_pipeline(JsonLinesWriterPipeline)
        writer.open_spider()
        assert writer.fd is not None
        writer.close_spider()

    run(scenario())
