"""`newsbot rebuild` on the archives of a demo crawl, `newsbot import` on WARC files built from the
snapshot in the Wayback Machine's and Common Crawl's forms, and bad archives."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import os
import shutil
from pathlib import Path
from unittest.mock import Mock

import pyarrow.dataset
import pytest
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from newsbot.cli.main import main
from newsbot.extensions.archive import CONTEXT_HEADER
from newsbot.extensions.store import hold_store_or_close
from newsbot.parsing.article import parse_article
from newsbot.parsing.article.layouts import Layout2022
from newsbot.registry import load_registry
from newsbot.store.base import StoreError, known_article
from newsbot.store.sqlite import SqliteSeenStore
from tests import processes, warcs
from tests.conftest import ROOT, snapshot_path
from tests.crawling import expected_articles
from tests.warcs import common_crawl_warc, wayback_warc


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    result = processes.run(["newsbot", "demo", "--out", str(out)], ROOT, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def _items(*paths: Path) -> dict[str, dict]:
    lines = [line for path in paths for line in path.read_text(encoding="utf-8").splitlines()]
    return {item["url"]: item for item in map(json.loads, lines)}


def _demo_items(demo: Path) -> dict[str, dict]:
    return _items(*sorted(demo.glob("*.jsonl")))


def _capture_times(archives: list[Path]) -> dict[str, str]:
    """Each URL's latest capture (sister sites' runs fetch some articles of one another too)."""
    times: dict[str, str] = {}
    for archive in archives:
        with archive.open("rb") as file:
            for record in ArchiveIterator(file):
                uri, date = record.rec_headers["WARC-Target-URI"], record.rec_headers["WARC-Date"]
                times[uri] = max(times.get(uri, date), date)
    return times


def _captured_urls(archive: Path) -> list[str]:
    with archive.open("rb") as file:
        return [record.rec_headers["WARC-Target-URI"] for record in ArchiveIterator(file)]


def _rebuild(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["rebuild", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_rebuild_of_a_demo_crawls_archive_gives_the_demos_items(demo, tmp_path, capsys):
    archives = sorted(demo.glob("*.warc.gz"))
    assert len(archives) == len(load_registry().sites)  # a crawl, and an archive, of each site
    out, store = tmp_path / "rebuilt.jsonl", demo / "seen.sqlite"
    status, report, errors = _rebuild(
        capsys, *map(str, archives), "--out", str(out), "--state", str(store), "--against", str(demo)
    )
    assert (status, errors) == (0, "")
    crawled, rebuilt = _demo_items(demo), _items(out)
    singles, groups = expected_articles(json.loads((ROOT / "tests" / "site" / "manifest.json").read_text()))
    assert len(crawled) == len(singles) + len(groups)
    assert rebuilt.keys() == crawled.keys()
    for url, item in rebuilt.items():
        assert {**item, "scraped_at": None, "parsed_at": None} == {
            **crawled[url],
            "scraped_at": None,
            "parsed_at": None,
        }
        assert item["parsed_at"] >= crawled[url]["parsed_at"]  # the later parse of one fetch
    captured = _capture_times(archives)  # scraped_at: when the page came
    assert all(item["scraped_at"] == captured[url] for url, item in rebuilt.items())
    assert "no field changed" in report
    assert "new: 0 article(s); gone: 0" in report
    # Every capture of an article the crawl did not write (another URL's body in the store) is a copy again.
    articles = {
        a["url"] for a in json.loads((ROOT / "tests" / "site" / "manifest.json").read_text())["articles"]
    }
    copies = [
        url for archive in archives for url in _captured_urls(archive) if url in articles - crawled.keys()
    ]
    assert copies and f"{len(copies)} syndicated copies" in report
    assert not list(tmp_path.glob("*.part"))


def test_after_a_parser_change_the_rebuild_reports_the_field_and_how_many_changed(
    demo, tmp_path, capsys, monkeypatch
):
    title = Layout2022.title

    def new_title(self):  # "China" is now "PRC", and a page titled "Putin ..." is no article
        text = title(self) or ""
        return None if text.startswith("Putin") else text.replace("China", "PRC")

    monkeypatch.setattr(Layout2022, "title", new_title)
    crawled = _demo_items(demo)
    changed = sorted(url for url, item in crawled.items() if "China" in item["title"])
    gone = sorted(url for url, item in crawled.items() if item["title"].startswith("Putin"))
    assert len(changed) >= 3 and gone
    out = tmp_path / "rebuilt.jsonl"
    archives = map(str, sorted(demo.glob("*.warc.gz")))
    status, report, _ = _rebuild(
        capsys, *archives, "--out", str(out), "--state", str(demo / "seen.sqlite"), "--against", str(demo)
    )
    assert status == 0
    assert f"  title: {len(changed)} article(s) changed\n" in report
    assert "China" in report and "-> " in report and "PRC" in report
    assert "content_hash" not in report and "body:" not in report
    assert f"gone: {len(gone)} article(s) no longer made an item" in report
    assert f"      gone: {gone[0]}" in report
    rebuilt = _items(out)
    assert sorted(url for url in rebuilt if "PRC" in rebuilt[url]["title"]) == changed
    assert rebuilt.keys() == crawled.keys() - set(gone)


@pytest.mark.parametrize("store", ["the crawl's store", "no store"])
def test_after_a_parser_fix_the_dataset_of_the_output_folder_holds_the_rebuilt_items(
    demo, tmp_path, capsys, monkeypatch, store
):
    """With the crawl's store, or without it (the demo's is in its folder; archives taken to another
    machine): a syndicated story is rebuilt under the URL the crawl delivered, not under the copy an
    archive holds first, whose row the dataset would fold into the crawl's old parse."""
    title = Layout2022.title
    monkeypatch.setattr(Layout2022, "title", lambda self: (title(self) or "") + " (fixed)")
    folder = tmp_path / "output"
    shutil.copytree(demo, folder)
    monkeypatch.chdir(tmp_path)  # a project with no store of its own
    archives = map(str, sorted(folder.glob("*.warc.gz")))
    words = ["--out", str(folder / "rebuild.jsonl")]
    words += ["--state", str(folder / "seen.sqlite")] if store == "the crawl's store" else []
    status, report, _ = _rebuild(capsys, *archives, *words, "--against", str(folder))
    assert status == 0 and "new: 0 article(s); gone: 0 article(s)" in report
    assert main(["dataset", str(tmp_path / "dataset"), str(folder)]) == 0
    capsys.readouterr()
    titles = pyarrow.dataset.dataset(tmp_path / "dataset", format="parquet").to_table(columns=["title"])
    assert titles.num_rows == len(_demo_items(demo))
    assert [title for title in titles.column("title").to_pylist() if not title.endswith("(fixed)")] == []


def test_after_a_body_fix_the_rebuild_delivers_each_syndicated_story_under_the_url_the_crawl_did(
    demo, tmp_path, capsys, monkeypatch
):
    paragraphs = Layout2022.paragraphs

    def fixed(self):
        found = paragraphs(self)
        return [*found[:-1], found[-1] + " (fixed)"] if found else found

    monkeypatch.setattr(Layout2022, "paragraphs", fixed)
    out = tmp_path / "rebuilt.jsonl"
    archives = map(str, sorted(demo.glob("*.warc.gz")))
    assert main(["rebuild", *archives, "--out", str(out), "--state", str(demo / "seen.sqlite")]) == 0
    capsys.readouterr()
    assert _items(out).keys() == _demo_items(demo).keys()


def test_an_article_a_redirect_answered_again_keeps_the_item_of_its_own_request(tmp_path, manifest, capsys):
    """A crawl makes no item of an answer that landed on an article it asked for itself (a redirect from
    another listed URL: middlewares.claims); its own capture's item stands. The rebuild kept the later
    capture, the redirect's, whose teaser is the other article's: the summary went null in the rebuilt
    delivery and so in the dataset, exit 0."""
    own, other = [a["url"] for a in manifest["articles"] if not a["syndication_group"]][:2]
    with (archive := tmp_path / "run.warc.gz").open("wb") as file:
        writer = warcs._writer(file)
        for listed, date in ((other, "2026-12-07T03:59:51Z"), (own, "2026-12-07T03:59:50Z")):
            context = {"kind": "article", "section": "S", "summary": f"teaser of {listed}", "listed": listed}
            record = warcs._response(writer, own, snapshot_path(own).read_bytes(), date=date)
            record.rec_headers.add_header(CONTEXT_HEADER, json.dumps(context))
            writer.write_record(record)
    out = tmp_path / "rebuilt.jsonl"
    args = ["--out", str(out), "--against", str(tmp_path), "--state", str(tmp_path / "none.sqlite")]
    assert main(["rebuild", str(archive), *args]) == 0
    assert _items(out)[own]["summary"] == f"teaser of {own}"


def test_the_rebuild_compares_with_the_output_folders_latest_items_by_default(
    demo, tmp_path, capsys, monkeypatch
):
    folder = tmp_path / "output"
    folder.mkdir()
    older = _demo_items(demo)
    newer = {url: {**item, "byline": "by Someone Else"} for url, item in list(older.items())[:5]}
    (folder / "a.jsonl").write_text("".join(json.dumps(i) + "\n" for i in older.values()), encoding="utf-8")
    (folder / "b.jsonl").write_text("".join(json.dumps(i) + "\n" for i in newer.values()), encoding="utf-8")
    os.utime(folder / "a.jsonl", (1, 1))
    monkeypatch.chdir(tmp_path)  # the project's output folder is output/
    status, report, _ = _rebuild(capsys, *map(str, sorted(demo.glob("*.warc.gz"))), "--out", "r.jsonl")
    assert status == 0
    assert "  byline: 5 article(s) changed" in report
    assert '"by Someone Else" -> ' in report
    # The later parse of a fetch (an earlier rebuild's) is the latest item, though copied first.
    reparsed = {url: {**item, "parsed_at": "2999-01-01T00:00:00Z"} for url, item in newer.items()}
    (folder / "b.jsonl").write_text(
        "".join(json.dumps(i) + "\n" for i in reparsed.values()), encoding="utf-8"
    )
    os.utime(folder / "b.jsonl", (1, 1))
    os.utime(folder / "a.jsonl", (2, 2))
    status, report, _ = _rebuild(capsys, *map(str, sorted(demo.glob("*.warc.gz"))), "--out", "r2.jsonl")
    assert status == 0 and "  byline: 5 article(s) changed" in report


def test_a_rebuild_writes_into_the_output_folder_and_makes_no_store(demo, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # a project with no output folder and no store yet
    status, report, errors = _rebuild(capsys, str(demo / "terradaily.warc.gz"))
    assert (status, errors) == (0, "")
    (delivery,) = (tmp_path / "output").glob("rebuild-*.jsonl")
    # Without the store, the copies of articles other sites wrote first are terradaily's own again.
    assert _items(delivery).keys() > _items(demo / "terradaily.jsonl").keys()
    assert f"into {delivery}" in report
    assert f"new: {len(_items(delivery))} article(s)" in report  # no earlier deliveries: every one new
    assert list(tmp_path.iterdir()) == [tmp_path / "output"]


def test_a_rebuilds_articles_the_store_lacks_are_marked_so_a_taken_rebuild_is_not_delivered_again(
    tmp_path, manifest, capsys
):
    """Pages the crawl could not parse, parsed by a fixed parser: the rebuild delivers them first. Only a
    crawl start finding its delivery still in the folder marked them known; a consumer that took it
    before (as README lets it) left them unknown, fetched and delivered a second time. And the taken
    name was used again, so a loader keyed on names skipped the next rebuild."""
    urls = [a["url"] for a in manifest["articles"] if not a["syndication_group"]][:2]
    common_crawl_warc(warc := tmp_path / "cc.warc.gz", urls)
    SqliteSeenStore(store := tmp_path / "seen.sqlite").close()  # the crawl's: neither page made an item
    out, taken = tmp_path / "output" / "rebuild.jsonl", tmp_path / "taken"
    out.parent.mkdir()
    args = ["rebuild", str(warc), "--out", str(out), "--state", str(store), "--against", str(out.parent)]
    assert main(args) == 0
    taken.mkdir()
    out.rename(taken / out.name)
    with contextlib.closing(SqliteSeenStore(store)) as seen:
        assert seen.known_urls(urls) == set(urls)
    assert main(args) == 0
    assert f"into {out.with_name('rebuild-2.jsonl')}" in capsys.readouterr().out


# --- import ------------------------------------------------------------------------------------


def test_an_import_of_wayback_and_common_crawl_warcs_writes_only_what_the_store_lacks(
    tmp_path, manifest, capsys
):
    articles = manifest["articles"]
    # Articles in no syndication group first: the checks below name some by their place.
    urls = [a["url"] for a in articles if not a["syndication_group"]]
    urls += [a["url"] for a in articles if a["syndication_group"]]
    wayback, common = tmp_path / "wayback.warc.gz", tmp_path / "cc-main.warc.gz"
    rewritten = {urls[1], urls[2]}
    wayback_warc(wayback, urls[::2] + urls[1:4], rewritten)
    common_crawl_warc(common, urls[1::2])
    # The store already has ten articles, one of them a syndicated copy's other URL.
    store_path = tmp_path / "seen.sqlite"
    groups: dict[str, list[str]] = {}
    for article in articles:
        if article["syndication_group"]:
            groups.setdefault(article["syndication_group"], []).append(article["url"])
    known = set(urls[10:19]) | {next(iter(groups.values()))[0]}
    store = SqliteSeenStore(store_path)
    for url in known:
        item = parse_article(url, snapshot_path(url).read_bytes())
        assert item is not None
        store.record(known_article(item.to_dict()))
    store.close()

    out = tmp_path / "import.jsonl"
    args = ["import", str(wayback), str(common), "--out", str(out), "--state", str(store_path)]
    assert main(args) == 0
    report = capsys.readouterr().out
    imported = _items(out)
    copies = {url for members in groups.values() for url in members}
    known_groups = [members for members in groups.values() if set(members) & known]
    expected = set(urls) - known - copies
    assert expected <= imported.keys()
    extra = imported.keys() - expected
    # One of each syndicated story the store does not have, none of one it has.
    assert len(extra) == len(groups) - len(known_groups)
    assert all(len(set(members) & extra) == 1 for members in groups.values() if members not in known_groups)
    truth = {article["url"]: article for article in articles}
    for url, item in imported.items():
        assert (item["title"], item["date_published"]) == (truth[url]["title"], truth[url]["date_published"])
    assert imported[urls[0]]["source"] == "import: wayback.warc.gz, 2026-01-15T09:30:00Z"
    assert imported[urls[0]]["scraped_at"] == "2026-01-15T09:30:00Z"
    assert imported[urls[1]]["source"] == "import: cc-main.warc.gz, 2026-03-02T08:15:00Z"
    # A page the Wayback Machine rewrote gives the item of the page as the site sent it.
    assert imported[urls[2]]["source"].startswith("import: wayback.warc.gz")
    for url in rewritten & imported.keys():
        original = parse_article(url, snapshot_path(url).read_bytes())
        assert original is not None
        assert imported[url]["related_links"] == original.to_dict()["related_links"]
        assert imported[url]["images"] == original.to_dict()["images"]
    assert f"Imported {len(imported)} article(s)" in report
    assert "1 article pages not 2xx" in report and "2 other pages" in report

    # Marked known: the same files again write nothing.
    again = tmp_path / "again.jsonl"
    assert main([*args[:3], "--out", str(again), "--state", str(store_path)]) == 0
    assert not again.exists()
    assert "Imported 0 article(s)" in capsys.readouterr().out


def test_a_warc_gzipped_as_one_whole_file_is_imported_as_its_per_record_form(tmp_path, manifest, capsys):
    """`gzip x.warc` (or a tool that compresses the whole stream) makes one gzip member, not one per
    record: warcio refuses it, and the import said "not a readable WARC file at its start", exit 1."""
    urls = [a["url"] for a in manifest["articles"] if not a["syndication_group"]][:6]
    common_crawl_warc(per_record := tmp_path / "cc.warc.gz", urls)
    whole = _write(tmp_path / "whole.warc.gz", gzip.compress(gzip.decompress(per_record.read_bytes())))
    for warc in (per_record, whole):
        out = tmp_path / f"{warc.name}.jsonl"
        assert (
            main(["import", str(warc), "--out", str(out), "--state", str(tmp_path / f"{warc.name}.db")]) == 0
        )
        assert capsys.readouterr().out.startswith(f"Imported 6 article(s) from 1 WARC file(s), into {out}")
    imported = [_items(tmp_path / f"{warc.name}.jsonl") for warc in (per_record, whole)]
    for item in imported[1].values():
        item["source"] = item["source"].replace("whole.warc.gz", "cc.warc.gz")
    for items in imported:  # the two parses' times, a second apart under load
        for item in items.values():
            item["parsed_at"] = None
    assert imported[0] == imported[1]
    cut = _write(tmp_path / "cut.warc.gz", whole.read_bytes()[: whole.stat().st_size * 3 // 4])
    args = [
        "import",
        str(cut),
        "--out",
        str(tmp_path / "from-cut.jsonl"),
        "--state",
        str(tmp_path / "cut.db"),
    ]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"newsbot import: {cut}: cut short in the record after https://"), err
    assert err.count("\n") == 1
    assert 1 <= len(_items(tmp_path / "from-cut.jsonl")) < 6


def test_a_copy_of_an_invalid_item_is_imported_as_the_crawl_keeps_it_not_dropped_as_its_copy(
    tmp_path, manifest, capsys
):
    """The crawl judges an item valid before it looks for copies: an invalid item owns no story. The
    import claimed the story for the first capture before judging it, so a valid copy of an invalid
    one was skipped as a "syndicated copy" of what was delivered nowhere."""
    groups: dict[str, list[str]] = {}
    for article in manifest["articles"]:
        if article["syndication_group"]:
            groups.setdefault(article["syndication_group"], []).append(article["url"])
    first, copy_ = next(members for members in groups.values() if len(members) > 1)[:2]
    with (warc := tmp_path / "captures.warc.gz").open("wb") as file:
        writer = warcs._writer(file)
        for url, date in ((first, "2026-03-02"), (copy_, "2026-03-02T08:15:00Z")):  # a date but no time
            writer.write_record(warcs._response(writer, url, snapshot_path(url).read_bytes(), date=date))
    out = tmp_path / "import.jsonl"
    assert main(["import", str(warc), "--out", str(out), "--state", str(tmp_path / "seen.sqlite")]) == 0
    printed = capsys.readouterr()
    assert f"skipped {first}" in printed.err and "Skipped: 1 invalid items\n" in printed.out
    assert list(_items(out)) == [copy_]


def test_of_two_captures_of_an_article_the_later_is_imported_whatever_their_order_in_the_files(
    tmp_path, manifest, capsys
):
    """A Wayback download or two Common Crawl files hold captures in any order: the one that came last
    in the files was imported, though an older page than another capture read."""
    url = next(a["url"] for a in manifest["articles"] if not a["syndication_group"])
    page = snapshot_path(url).read_bytes()
    with (warc := tmp_path / "captures.warc.gz").open("wb") as file:
        writer = warcs._writer(file)
        for date in ("2026-03-02T08:15:00Z", "2026-01-02T08:15:00Z"):
            writer.write_record(warcs._response(writer, url, page, date=date))
    out = tmp_path / "import.jsonl"
    assert main(["import", str(warc), "--out", str(out), "--state", str(tmp_path / "seen.sqlite")]) == 0
    assert _items(out)[url]["scraped_at"] == "2026-03-02T08:15:00Z"


def test_an_import_into_an_earlier_deliverys_name_takes_the_next_free_name_and_loses_nothing(
    tmp_path, manifest, capsys
):
    # The store marks every imported article known: a delivery replaced would be lost for good.
    urls = [a["url"] for a in manifest["articles"] if not a["syndication_group"]][:4]
    first, second = tmp_path / "first.warc.gz", tmp_path / "second.warc.gz"
    common_crawl_warc(first, urls[:2])
    common_crawl_warc(second, urls[2:])
    out, store = tmp_path / "import.jsonl", tmp_path / "seen.sqlite"
    for warc in (first, second):
        assert main(["import", str(warc), "--out", str(out), "--state", str(store)]) == 0
    delivered = [url for path in sorted(tmp_path.glob("*.jsonl")) for url in _items(path)]
    assert sorted(delivered) == sorted(urls)
    assert f"into {tmp_path / 'import-2.jsonl'}" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["import.json", "import.jsonl.part", "import"])
def test_an_out_that_is_not_a_jsonl_delivery_is_refused_before_the_store_marks_anything(
    tmp_path, manifest, capsys, name
):
    """Consumers take `*.jsonl` (README); so does `newsbot dataset`. An import into `import.json` marked
    its articles known and delivered them where no consumer looks, with exit 0: lost for good."""
    urls = [a["url"] for a in manifest["articles"] if not a["syndication_group"]][:2]
    common_crawl_warc(warc := tmp_path / "cc.warc.gz", urls)
    store = tmp_path / "seen.sqlite"
    for command in ("import", "rebuild"):
        assert main([command, str(warc), "--out", str(tmp_path / name), "--state", str(store)]) == 2
        assert capsys.readouterr().err == (
            f"newsbot {command}: --out {tmp_path / name} must end in .jsonl (consumers take *.jsonl)\n"
        )
    assert sorted(path.name for path in tmp_path.iterdir()) == ["cc.warc.gz"]


def test_an_import_whose_store_fails_delivers_nothing_and_its_rerun_delivers_each_article_once(
    tmp_path, manifest, capsys, monkeypatch
):
    # Delivered but not marked, its articles would be written again by the rerun (or the next crawl).
    urls = [a["url"] for a in manifest["articles"] if not a["syndication_group"]][:3]
    warc, store = tmp_path / "cc.warc.gz", tmp_path / "seen.sqlite"
    common_crawl_warc(warc, urls)
    args = ["import", str(warc), "--out", str(tmp_path / "import.jsonl"), "--state", str(store)]
    with monkeypatch.context() as patch:
        patch.setattr(SqliteSeenStore, "record_many", Mock(side_effect=StoreError("the store is busy")))
        assert main(args) == 2
    assert "the store is busy" in capsys.readouterr().err
    assert not list(tmp_path.glob("*.jsonl*"))
    assert main(args) == 0
    delivered = [url for path in sorted(tmp_path.glob("*.jsonl")) for url in _items(path)]
    assert sorted(delivered) == sorted(urls)


@pytest.mark.parametrize("command", ["import", "rebuild"])
def test_an_import_or_rebuild_while_a_crawl_writes_with_its_store_is_refused_in_one_line(
    tmp_path, manifest, capsys, command
):
    """A crawl holds its spider's lock beside the store while it judges and marks: an import judged
    against the store meanwhile delivered what both found unknown (the same story twice, exit 0)."""
    urls = [a["url"] for a in manifest["articles"] if not a["syndication_group"]][:2]
    warc, store, out = tmp_path / "cc.warc.gz", tmp_path / "seen.sqlite", tmp_path / "out.jsonl"
    common_crawl_warc(warc, urls)
    SqliteSeenStore(store).close()
    crawl = hold_store_or_close(SqliteSeenStore(store), "spacedaily", get_crawler().stats)
    assert crawl is not None
    args = [command, str(warc), "--out", str(out), "--state", str(store)]
    try:
        assert main(args) == 2
        assert capsys.readouterr().err == (
            f"newsbot {command}: a crawl of spacedaily (pid {os.getpid()}) is writing with the store "
            f"{store}; run again after it\n"
        )
        assert not list(tmp_path.glob("*.jsonl*"))
    finally:
        os.close(crawl)
    assert main(args) == 0
    assert sorted(_items(out)) == sorted(urls)
    fresh = ["--out", str(tmp_path / "fresh.jsonl"), "--state", str(tmp_path / "new" / "seen.sqlite")]
    assert main([command, str(warc), *fresh]) == 0  # a store in a folder not made yet: the store makes it


def test_an_import_into_a_relative_out_is_a_delivery_newsbot_state_warns_of_when_it_is_gone(
    tmp_path, manifest, capsys, monkeypatch
):
    urls = [a["url"] for a in manifest["articles"] if not a["syndication_group"]][:2]
    common_crawl_warc(tmp_path / "cc.warc.gz", urls)
    monkeypatch.chdir(tmp_path)
    assert main(["import", "cc.warc.gz", "--out", "import.jsonl", "--state", "seen.sqlite"]) == 0
    (tmp_path / "import.jsonl").unlink()  # deleted to start over: the next crawl would not fetch them
    capsys.readouterr()
    assert main(["state", "--path", "seen.sqlite"]) == 0
    assert (
        "newsbot state: 1 deliveries (2 articles) are not where they were written" in capsys.readouterr().err
    )


# --- bad input ---------------------------------------------------------------------------------


def _bad_archives(demo: Path, folder: Path) -> dict[str, Path]:
    good = (demo / "terradaily.warc.gz").read_bytes()
    html = folder / "page.warc.gz"
    html.write_bytes(snapshot_path("https://www.spacewar.com/index.html").read_bytes())
    truncated = folder / "truncated.warc.gz"
    truncated.write_bytes(good[: len(good) // 2])
    broken = folder / "broken.warc"
    broken.write_bytes(b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 5\r\n\r\nabc")
    return {
        "not a WARC": html,
        "truncated": truncated,
        "a record that does not parse": broken,
        "missing": folder / "missing.warc.gz",
        "gzip of a text": _write(folder / "text.warc.gz", gzip.compress(b"hello\n")),
    }


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("command", ["rebuild", "import"])
def test_bad_archives_are_one_line_each_and_exit_1(demo, tmp_path, capsys, command):
    for what, path in _bad_archives(demo, tmp_path).items():
        args = [command, str(path), "--out", str(tmp_path / f"{command}.jsonl")]
        args += ["--state", str(tmp_path / "s.sqlite")]
        assert main(args) == 1, what
        lines = capsys.readouterr().err.splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"newsbot {command}: {path}: "), (what, lines)


def test_the_pages_of_a_truncated_archive_before_the_cut_are_rebuilt(demo, tmp_path, capsys):
    archive = _bad_archives(demo, tmp_path)["truncated"]
    out = tmp_path / "r.jsonl"
    assert main(["rebuild", str(archive), "--out", str(out), "--state", str(demo / "seen.sqlite")]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"newsbot rebuild: {archive}: ")
    rebuilt = _items(out)
    assert 0 < len(rebuilt) < len(_items(demo / "terradaily.jsonl"))


SPACEWAR_REPORTS = ROOT / "tests" / "site" / "www.spacewar.com" / "reports"


def _two_articles(path: Path, *, gz: bool, rewrite) -> Path:
    """A WARC of two snapshot articles (a gzip member a record, or none), each record's bytes passed
    through `rewrite(record, index)`."""
    urls = [
        f"https://www.spacewar.com/reports/{page.name}" for page in sorted(SPACEWAR_REPORTS.iterdir())[:2]
    ]
    records = []
    for index, url in enumerate(urls):
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=False, warc_version="1.1")
        writer.write_record(
            warcs._response(writer, url, snapshot_path(url).read_bytes(), date="2026-01-01T00:00:00Z")
        )
        record = buffer.getvalue()
        records.append(rewrite(gzip.compress(record) if gz else record, index, record))
    path.write_bytes(b"".join(records))
    return path


def _content_length(record: bytes, delta: int) -> bytes:
    start = record.index(b"Content-Length: ") + len(b"Content-Length: ")
    end = record.index(b"\r\n", start)
    return record[:start] + str(int(record[start:end]) + delta).encode() + record[end:]


def _gzip_if(gz: bool, record: bytes) -> bytes:
    return gzip.compress(record) if gz else record


LAST_LINE = len(b"</body></html>\r\n")


@pytest.mark.parametrize(
    ("fault", "gz", "said", "delivered"),
    [
        # The first record's Content-Length a line short: its last line is read as junk before the next,
        # and its item, made of a cut page, is not delivered.
        *(("says_less", gz, "the record of https://www.spacewar.com/reports/", 0) for gz in (True, False)),
        # The first record says it is longer than the file holds: cut before anything was read.
        *(("says_more", gz, "cut short in the record after its start", 0) for gz in (True, False)),
        # The second record cut in its body (a disk that filled, a copy cut short).
        ("cut_in_body", False, "cut short in the record after https://www.spacewar.com/reports/", 1),
        # The second gzip member cut in its first lines, which warcio passes over as the end.
        ("cut_in_header", True, "cut short after the record of https://www.spacewar.com/reports/", 1),
    ],
)
def test_an_archive_whose_records_are_not_as_long_as_they_say_is_named_in_one_line(
    tmp_path, capsys, fault, gz, said, delivered
):
    def rewrite(stored: bytes, index: int, record: bytes) -> bytes:
        if fault == "says_less" and index == 0:
            return _gzip_if(gz, _content_length(record, -LAST_LINE))
        if fault == "says_more" and index == 0:
            return _gzip_if(gz, _content_length(record, 10**6))
        if fault == "cut_in_body" and index == 1:
            return stored[:-300]
        if fault == "cut_in_header" and index == 1:
            return stored[:20]
        return stored

    archive = _two_articles(tmp_path / "faulty.warc", gz=gz, rewrite=rewrite)
    out = tmp_path / "r.jsonl"
    assert main(["rebuild", str(archive), "--out", str(out), "--state", str(tmp_path / "s.sqlite")]) == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"newsbot rebuild: {archive}: {said}"), line
    assert len(_items(out) if out.exists() else []) == delivered
