"""`newsbot dataset`: the demo's deliveries compacted into one Parquet dataset, one row per article,
that the README's pyarrow, pandas and duckdb loaders read as written into one typed table; an
article delivered twice folds to its latest version, a bad line is skipped and counted, and a
dataset is replaced in one step, never half written."""

from __future__ import annotations

import copy
import datetime
import json
import os
import shutil
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsbot.cli import dataset
from newsbot.cli.main import main
from newsbot.delivery import deliveries, hold_lock
from newsbot.item import SCHEMA_VERSION, shipped_schema
from newsbot.parsing.article import content_hash
from tests.crawling import expected_articles
from tests.readme_commands import command_lines, fresh_checkout, readme_blocks, run_shell


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh checkout where `newsbot demo --out output` wrote its deliveries to output/."""
    folder = fresh_checkout(tmp_path_factory.mktemp("clone") / "newsbot")
    result = run_shell("newsbot demo --out output", cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


@pytest.fixture(scope="module")
def demo_lines(checkout: Path) -> list[dict]:
    return [json.loads(line) for path in deliveries(checkout / "output") for line in path.open()]


def compact(capsys, out: Path, *inputs: Path) -> tuple[int, str, str]:
    status = main(["dataset", str(out), *map(str, inputs)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def write_delivery(path: Path, lines: list[dict | str]) -> Path:
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def read(out: Path) -> pa.Table:
    return pq.read_table(out, partitioning=None)


def test_readme_dataset_and_loaders_give_one_typed_row_per_article_as_written(
    checkout, manifest, monkeypatch, capsys
):
    (sh,) = [block for block in readme_blocks("sh", under="### Loading it")]
    for line in command_lines(sh):
        result = run_shell(line, cwd=checkout)
        assert result.returncode == 0 and not result.stderr, result.stdout + result.stderr
    singles, groups = expected_articles(manifest)
    rows = len(singles) + len(groups)
    assert f"{rows} rows written, 0 duplicates folded, 0 skipped" in result.stdout

    (loaders,) = [block for block in readme_blocks("python", under="### Loading it")]
    monkeypatch.chdir(checkout)
    namespace: dict = {"__name__": "readme"}
    exec(loaders, namespace)
    table, frame, relation = namespace["table"], namespace["frame"], namespace["articles"]
    assert capsys.readouterr().out == f"{rows} {rows} {rows}\n"

    urls = table.column("url").to_pylist()
    assert len(set(urls)) == len(urls) and singles <= set(urls)
    assert all(len(group & set(urls)) == 1 for group in groups)
    assert table.schema.field("date_published").type == pa.date32()
    assert table.schema.field("scraped_at").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("images").type == pa.list_(
        pa.struct([("url", pa.string()), ("caption", pa.string())])
    )
    assert table.schema.metadata[b"newsbot.schema_version"] == str(SCHEMA_VERSION).encode()
    assert str(frame["date_published"].dtype) == "date32[day][pyarrow]"
    assert str(frame["scraped_at"].dtype) == "timestamp[us, tz=UTC][pyarrow]"
    types = dict(zip(relation.columns, map(str, relation.types), strict=True))
    assert types["date_published"] == "DATE" and types["scraped_at"] == "TIMESTAMP WITH TIME ZONE"
    from_duckdb = relation.arrow()
    if not isinstance(from_duckdb, pa.Table):  # duckdb 2 gives a record batch reader
        from_duckdb = from_duckdb.read_all()
    by_url = table.sort_by("url")
    for other in (pa.Table.from_pandas(frame, preserve_index=False), from_duckdb):
        assert other.column_names == table.column_names
        assert other.sort_by("url").cast(table.schema).equals(by_url)  # the same rows and values
    row = by_url.slice(0, 1).to_pylist()[0]
    assert isinstance(row["date_published"], datetime.date) and row[
        "scraped_at"
    ].utcoffset() == datetime.timedelta(0)
    assert row["year"] == row["date_published"].year
    assert (checkout / "articles" / f"site={row['site']}" / f"year={row['year']}").is_dir()


def test_an_article_delivered_twice_gives_one_row_its_latest(tmp_path, demo_lines, capsys):
    later, earlier = (copy.deepcopy(demo_lines[i]) for i in (0, 1))
    later.update(title="Rewritten later", scraped_at="2999-01-01T00:00:00Z")
    earlier.update(title="Written earlier", scraped_at="2000-01-01T00:00:00Z")
    first = write_delivery(tmp_path / "in" / "spacewar-2026-01-01T000000.jsonl", demo_lines)
    # In a folder below the one named (NEWSBOT_OUTPUT's `{date}` folders): read, not left out.
    second = write_delivery(tmp_path / "in" / "2026-01-02" / "spacewar-T000000.jsonl", [later, earlier])
    status, printed, _ = compact(capsys, tmp_path / "out", first.parent)
    assert status == 0
    n = len(demo_lines)
    assert f"2 deliveries read, {n + 2} lines, {n} rows written, 2 duplicates folded, 0 skipped" in printed
    rows = {row["url"]: row for row in read(tmp_path / "out").to_pylist()}
    assert len(rows) == n
    assert rows[later["url"]]["title"] == "Rewritten later"
    assert rows[earlier["url"]]["title"] == demo_lines[1]["title"]
    # A delivery still being written is not read, nor taken when named; one named twice is read once.
    write_delivery(second.with_name(second.name + ".part"), [{**later, "title": "Unfinished"}])
    status, printed, _ = compact(capsys, tmp_path / "out", second, first.parent)
    assert status == 0 and f"2 deliveries read, {n + 2} lines, {n} rows written" in printed
    assert "Unfinished" not in read(tmp_path / "out").column("title").to_pylist()
    status, _, error = compact(capsys, tmp_path / "out", second.with_name(second.name + ".part"))
    assert status == 2 and "is not a finished delivery" in error


def test_lines_that_are_not_article_records_are_skipped_counted_and_logged(
    tmp_path, demo_lines, capsys, caplog
):
    good = demo_lines[:3]
    bad_day, negative, cut = (copy.deepcopy(demo_lines[i]) for i in (3, 4, 5))
    bad_day["date_published"] = "2022-13-45"  # the schema's pattern allows it; no day has it
    negative["word_count"] = -1
    huge = {**good[0], "url": good[0]["url"].replace(".html", "-huge.html"), "word_count": 2**64}
    path = write_delivery(
        tmp_path / "spacewar.jsonl", [*good, "{not json", "[1, 2]", bad_day, negative, huge, ""]
    )
    with path.open("ab") as handle:
        handle.write(b"\xff\xfe not UTF-8\n" + json.dumps(cut).encode()[:100])  # the last line cut
    status, printed, _ = compact(capsys, tmp_path / "out", path)
    assert status == 0
    assert "1 deliveries read, 11 lines, 3 rows written, 0 duplicates folded, 8 skipped" in printed
    skipped = [record.getMessage() for record in caplog.records if record.name == dataset.__name__]
    assert [message.split(" ")[0] for message in skipped] == [f"{path}:{n}:" for n in range(4, 12)]
    assert "date_published" in skipped[2] and "word_count" in skipped[3] and "word_count" in skipped[4]
    assert {row["url"] for row in read(tmp_path / "out").to_pylist()} == {line["url"] for line in good}


def test_out_that_is_not_a_newsbot_dataset_is_refused(tmp_path, checkout, capsys):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    (tmp_path / "file").write_text("keep me too")
    for out in (tmp_path / "mine", tmp_path / "file"):
        status, printed, error = compact(capsys, out, checkout / "output")
        assert status == 2 and not printed
        assert error.count("\n") == 1 and "is not a newsbot dataset" in error
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"
    assert (tmp_path / "file").read_text() == "keep me too"
    (tmp_path / "empty").mkdir()
    assert compact(capsys, tmp_path / "empty", checkout / "output")[0] == 0
    status, _, error = compact(capsys, tmp_path / "other", checkout / "output" / "seen.sqlite")
    assert status == 2 and "is not a finished delivery" in error
    status, _, error = compact(capsys, tmp_path / "other", tmp_path / "empty")
    assert status == 2 and "no deliveries" in error and not (tmp_path / "other").exists()


def test_by_default_it_reads_the_projects_output_folder_from_a_subfolder_too(
    checkout, demo_lines, capsys, monkeypatch
):
    (checkout / "sub").mkdir(exist_ok=True)
    monkeypatch.chdir(checkout / "sub")
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "newsbot.settings")  # as scrapy.cfg says; undone after
    status, printed, _ = compact(capsys, Path("here"))
    assert status == 0 and f"{len(demo_lines)} rows written" in printed
    assert (checkout / "sub" / "here" / dataset.MARKER).is_file()


def test_a_rerun_replaces_the_dataset_in_one_step_and_a_failed_one_keeps_it(
    tmp_path, demo_lines, capsys, monkeypatch
):
    spacewar = [line for line in demo_lines if line["site"] == "spacewar.com"]
    write_delivery(tmp_path / "in" / "all.jsonl", demo_lines)
    out = tmp_path / "articles"
    assert compact(capsys, out, tmp_path / "in")[0] == 0
    before = sorted(path.relative_to(out) for path in out.rglob("*"))

    real_write = pq.write_table
    written: list[str] = []

    def disk_full_on_the_third_file(table, where, **kwargs):
        written.append(where.name)
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        real_write(table, where, **kwargs)

    monkeypatch.setattr(pq, "write_table", disk_full_on_the_third_file)
    status, printed, error = compact(capsys, out, tmp_path / "in")
    assert status == 1 and not printed and error.count("\n") == 1 and "No space left on device" in error
    assert sorted(path.relative_to(out) for path in out.rglob("*")) == before
    assert read(out).num_rows == len(demo_lines)
    monkeypatch.undo()

    shutil.rmtree(tmp_path / "in")
    write_delivery(tmp_path / "in" / "spacewar.jsonl", spacewar)
    inode = os.stat(out).st_ino
    assert compact(capsys, out, tmp_path / "in")[0] == 0
    assert os.stat(out).st_ino != inode  # another folder, swapped in
    assert {row["site"] for row in read(out).to_pylist()} == {"spacewar.com"}
    assert [path.name for path in out.iterdir() if path.name.startswith("site=")] == ["site=spacewar.com"]
    # Nothing left beside it but the lock that builds of it take turns by.
    assert sorted(path.name for path in tmp_path.iterdir()) == [".articles.lock", "articles", "in"]


def test_without_an_atomic_exchange_the_old_dataset_is_renamed_aside(
    tmp_path, demo_lines, capsys, monkeypatch
):
    write_delivery(tmp_path / "in" / "all.jsonl", demo_lines)
    out = tmp_path / "articles"
    assert compact(capsys, out, tmp_path / "in")[0] == 0

    monkeypatch.setattr(dataset.ctypes, "CDLL", lambda name: None)  # no renameat2: not Linux, say
    write_delivery(tmp_path / "in" / "all.jsonl", demo_lines[:5])
    assert compact(capsys, out, tmp_path / "in")[0] == 0
    assert read(out).num_rows == 5
    assert sorted(path.name for path in tmp_path.iterdir()) == [".articles.lock", "articles", "in"]


def test_lines_of_an_older_schema_version_load_beside_newer_ones(tmp_path, demo_lines, capsys, monkeypatch):
    """Lines of an older version, without the fields added since (`source`, `parsed_at`), and lines of
    this one: one table, those fields null in the old rows. (A schema without `source` is made the
    version it will be.)"""
    schema, version = shipped_schema(), SCHEMA_VERSION
    if "source" not in schema["properties"]:
        schema, version = copy.deepcopy(schema), SCHEMA_VERSION + 1
        schema["properties"]["schema_version"].update(const=version, default=version)
        schema["properties"]["source"] = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
        schema["required"].append("source")
        monkeypatch.setattr(dataset, "shipped_schema", lambda: schema)
        monkeypatch.setattr(dataset, "SCHEMA_VERSION", version)
    old = [
        {
            key: value
            for key, value in {**line, "schema_version": version - 1}.items()
            if key not in ("source", "parsed_at")
        }
        for line in demo_lines[:4]
    ]
    new = [
        {**line, "schema_version": version, "source": "https://web.archive.org/"} for line in demo_lines[4:8]
    ]
    status, printed, _ = compact(
        capsys, tmp_path / "out", write_delivery(tmp_path / "mixed.jsonl", old + new)
    )
    assert status == 0 and "8 rows written, 0 duplicates folded, 0 skipped" in printed
    table = read(tmp_path / "out")
    assert table.schema.field("source").type == pa.string()
    assert table.schema.metadata[b"newsbot.schema_version"] == str(version).encode()
    rows = {row["url"]: row for row in table.to_pylist()}
    assert {
        (rows[line["url"]]["schema_version"], rows[line["url"]]["source"], rows[line["url"]]["parsed_at"])
        for line in old
    } == {(version - 1, None, None)}
    assert {(rows[line["url"]]["schema_version"], rows[line["url"]]["source"]) for line in new} == {
        (version, "https://web.archive.org/")
    }
    # A line of a version newer than this newsbot's is not read as if it were one it knows, nor left
    # out with exit 0 (every article a newer crawler writes): the dataset stays as it was until an upgrade.
    newer = write_delivery(tmp_path / "newer.jsonl", [{**new[0], "schema_version": version + 1}])
    status, printed, error = compact(capsys, tmp_path / "out", tmp_path / "mixed.jsonl", newer)
    assert status == 1 and printed == ""
    assert f"{newer}:1: schema_version {version + 1} is newer than this newsbot's {version}" in error
    assert "upgrade newsbot" in error
    assert read(tmp_path / "out").num_rows == 8


def test_during_reruns_out_is_always_a_whole_dataset_never_missing(tmp_path, demo_lines, capsys):
    # The rename swaps the folders in one step (renameat2): OUT never goes missing between them. (A
    # reader walking OUT's folders during the swap may still see part of one: the README says so;
    # an earlier version of this test claimed otherwise and failed in CI with 3 of 5 rows.)
    few, every = write_delivery(tmp_path / "few.jsonl", demo_lines[:5]), tmp_path / "every.jsonl"
    write_delivery(every, demo_lines)
    out = tmp_path / "articles"
    assert compact(capsys, out, every)[0] == 0
    looks: list[bool] = []
    done = threading.Event()

    def watcher() -> None:
        while not done.is_set():
            looks.append((out / dataset.MARKER).is_file())

    thread = threading.Thread(target=watcher)
    thread.start()
    for rerun in range(8):
        assert compact(capsys, out, few if rerun % 2 == 0 else every)[0] == 0
    done.set()
    thread.join()
    assert looks and all(looks)
    assert read(out).num_rows == len(demo_lines)  # the last rerun's, whole


def test_a_tie_of_scraped_at_goes_to_the_later_parse_however_the_deliveries_were_copied(
    tmp_path, demo_lines, capsys
):
    """`newsbot rebuild` writes today's parse of a page with its capture time: the same `scraped_at`
    as the crawl's item. The dataset takes the later parse (`parsed_at`), though a copy of the
    deliveries (`cp`, an upload) wrote `spacewar-...jsonl` after `rebuild-...jsonl`; lines without
    `parsed_at` (before schema version 3) go to the delivery written last, whatever the names."""
    line = {**demo_lines[0], "parsed_at": demo_lines[0]["scraped_at"]}
    fixed = {**line, "title": "Fixed", "parsed_at": "2999-01-01T00:00:00Z"}
    unversioned = [
        {**{key: value for key, value in item.items() if key != "parsed_at"}, "schema_version": 2}
        for item in (line, fixed)
    ]
    for crawled, rebuilt, title_when_crawl_written_last in (
        (line, fixed, "Fixed"),
        (*unversioned, line["title"]),
    ):
        crawl = write_delivery(tmp_path / "in" / "spacewar-2026-01-01T000000.jsonl", [crawled])
        rebuild = write_delivery(tmp_path / "in" / "rebuild-2026-02-01T000000.jsonl", [rebuilt])
        for first, then, title in (
            (crawl, rebuild, "Fixed"),
            (rebuild, crawl, title_when_crawl_written_last),
        ):
            os.utime(first, (1_000_000, 1_000_000))
            os.utime(then, (2_000_000, 2_000_000))
            status, printed, _ = compact(capsys, tmp_path / "out", tmp_path / "in")
            assert status == 0 and "1 rows written, 1 duplicates folded" in printed
            assert read(tmp_path / "out").column("title").to_pylist() == [title]


def test_syndicated_copies_delivered_apart_are_one_row_the_first_fetched(tmp_path, demo_lines, capsys):
    """One story is one row, whichever sites carried it (docs/ANATOMY.md): a copy under another URL
    in another delivery (a rebuild or an import without the store, a second output folder) folds to
    the URL fetched first. Bodies that are empty (nothing extracted) say nothing about the story."""
    first, other = demo_lines[0], demo_lines[1]
    later = {
        **first,
        "url": first["url"].replace(".html", "_copy.html"),
        "scraped_at": "2999-01-01T00:00:00Z",
    }
    nothing = content_hash("")
    empty = [
        {**line, "paragraphs": [], "body": "", "word_count": 0, "content_hash": nothing}
        for line in (first, other)
    ]
    write_delivery(tmp_path / "in" / "a.jsonl", [later])
    write_delivery(tmp_path / "in" / "b.jsonl", [first])
    status, printed, _ = compact(capsys, tmp_path / "out", tmp_path / "in")
    assert status == 0 and "1 rows written, 1 duplicates folded" in printed
    assert read(tmp_path / "out").column("url").to_pylist() == [first["url"]]
    # The first URL delivered again after the copy (around a crash) is still the one fetched first.
    write_delivery(tmp_path / "in" / "c.jsonl", [{**first, "scraped_at": "3000-01-01T00:00:00Z"}])
    status, printed, _ = compact(capsys, tmp_path / "out", tmp_path / "in")
    assert status == 0 and "1 rows written, 2 duplicates folded" in printed
    assert read(tmp_path / "out").column("url").to_pylist() == [first["url"]]
    write_delivery(tmp_path / "empty" / "c.jsonl", empty)
    status, printed, _ = compact(capsys, tmp_path / "out2", tmp_path / "empty")
    assert status == 0 and "2 rows written, 0 duplicates folded" in printed


def test_the_dataset_folder_is_as_readable_as_any_folder_the_user_makes(tmp_path, demo_lines, capsys):
    """Built in a temporary folder, which is made private (0700): swapped in as it was, a reader
    running as another user (the warehouse's loader) could not list it."""
    out = tmp_path / "out"
    assert compact(capsys, out, write_delivery(tmp_path / "in.jsonl", demo_lines[:2]))[0] == 0
    (tmp_path / "made").mkdir()
    assert out.stat().st_mode == (tmp_path / "made").stat().st_mode


def test_a_line_with_a_lone_surrogate_escape_is_skipped_and_the_rest_is_built(
    tmp_path, demo_lines, capsys, caplog
):
    """`"\\ud800"` is valid JSON and a string to the schema, but no Unicode: no Parquet string holds
    it. It stopped the whole build with a traceback, every later hourly build too, until the line went."""
    bad = {**demo_lines[1], "title": "Moon\\ud800 landing"}
    good = {**demo_lines[0], "title": "Moon \U0001f315 landing"}  # a pair, escaped: Unicode
    text = json.dumps(good) + "\n" + json.dumps(bad).replace("\\\\ud800", "\\ud800") + "\n"
    (path := tmp_path / "in.jsonl").write_text(text, encoding="utf-8")
    status, printed, _ = compact(capsys, tmp_path / "out", path)
    assert status == 0 and "2 lines, 1 rows written, 0 duplicates folded, 1 skipped" in printed
    [skipped] = [record.getMessage() for record in caplog.records if record.name == dataset.__name__]
    assert skipped.startswith(f"{path}:2: skipped") and "surrogate" in skipped
    assert read(tmp_path / "out").column("title").to_pylist() == [good["title"]]


def test_a_dataset_of_no_rows_still_has_every_column_for_the_loaders(tmp_path, demo_lines, capsys):
    """Every line skipped (none an article record): the dataset held no file at all, so pyarrow
    and pandas loaded a table of no columns and duckdb's read_parquet failed ("No files found")."""
    import duckdb

    untitled = {**demo_lines[0], "title": ""}
    status, printed, _ = compact(
        capsys, out := tmp_path / "out", write_delivery(tmp_path / "in.jsonl", [untitled])
    )
    assert status == 0 and "0 rows written, 0 duplicates folded, 1 skipped" in printed
    assert read(out).schema == dataset.arrow_schema() and read(out).num_rows == 0
    relation = duckdb.read_parquet(f"{out}/**/*.parquet", hive_partitioning=False)
    assert relation.columns == dataset.arrow_schema().names and relation.shape[0] == 0


def test_a_video_page_syndicated_and_delivered_apart_is_one_row_as_the_crawl_keeps_it(
    tmp_path, demo_lines, capsys
):
    """A page without text hashes its headline (the crawl's dedupe drops a second site's copy by it);
    the dataset took every row without a body for a story of its own, and kept the copy too. Lines of
    newsbot before that hashed the empty body, alike for every video: those still stay apart."""
    video = {**demo_lines[0], "paragraphs": [], "body": "", "word_count": 0}
    video["content_hash"] = content_hash(video["title"])
    copy_ = {
        **video,
        "url": video["url"].replace(".html", "_copy.html"),
        "scraped_at": "2999-01-01T00:00:00Z",
    }
    write_delivery(tmp_path / "in" / "a.jsonl", [copy_])
    write_delivery(tmp_path / "in" / "b.jsonl", [video])
    status, printed, _ = compact(capsys, tmp_path / "out", tmp_path / "in")
    assert status == 0 and "1 rows written, 1 duplicates folded" in printed
    assert read(tmp_path / "out").column("url").to_pylist() == [video["url"]]


def test_an_out_that_is_a_symlink_has_the_dataset_it_points_to_replaced(tmp_path, demo_lines, capsys):
    """`articles -> /data/articles`: the swap put the new dataset in place of the link, so the folder
    it pointed to, where readers look, kept the old dataset, and a link was left in a `.building` name."""
    (tmp_path / "data").mkdir()
    target, link = tmp_path / "data" / "articles", tmp_path / "articles"
    assert compact(capsys, target, write_delivery(tmp_path / "one.jsonl", demo_lines[:1]))[0] == 0
    link.symlink_to(target)
    assert compact(capsys, link, write_delivery(tmp_path / "two.jsonl", demo_lines[:2]))[0] == 0
    assert link.is_symlink() and read(target).num_rows == 2
    assert sorted(path.name for path in tmp_path.iterdir()) == ["articles", "data", "one.jsonl", "two.jsonl"]
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == [".articles.lock", "articles"]


def test_what_a_killed_build_left_beside_out_goes_with_the_next_build_and_builds_take_turns(
    tmp_path, demo_lines, capsys
):
    """A build killed (a timeout, kill -9) leaves its folder beside OUT, a whole dataset's worth of
    disk; every hourly build killed so left another, for good, until the disk was full."""
    out, delivery = tmp_path / "articles", write_delivery(tmp_path / "in.jsonl", demo_lines[:2])
    killed = tmp_path / ".articles.building"
    (killed / "site=spacewar.com").mkdir(parents=True)
    (killed / "site=spacewar.com" / "part-0.parquet").write_bytes(b"PAR1")
    lock = hold_lock(tmp_path / ".articles.lock")  # another build of OUT, running
    try:
        status, printed, error = compact(capsys, out, delivery)
        assert (status, printed) == (2, "") and "is being built by another newsbot dataset" in error
        assert killed.exists() and not out.exists()  # not another build's, while it may be running
    finally:
        os.close(lock)
    assert compact(capsys, out, delivery)[0] == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == [".articles.lock", "articles", "in.jsonl"]
