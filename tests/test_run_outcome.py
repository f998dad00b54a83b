"""What cron learns from a run: the report's verdict and `scrapy crawl`'s exit status."""

from __future__ import annotations

import re
import shutil
import socket
from urllib.parse import urlsplit

from newsbot.middlewares.downloader import looks_blocked
from newsbot.snapshot_server import SnapshotServer
from newsbot.store import SqliteSeenStore
from tests.conftest import SNAPSHOT
from tests.crawling import expected_for_sections, run_crawl
from tests.snapshot_copies import copy_snapshot

SNAPSHOT_URI = SNAPSHOT.as_uri()


def test_a_good_run_exits_0_and_reports_ok(snapshot_server, tmp_path):
    result = run_crawl(
        "spacewar", snapshot_server.url, tmp_path, args={"sections": "superpowers", "max_pages": "1"}
    )
    assert result.returncode == 0
    report = result.report
    assert report["outcome"] == "ok" and report["failures"] == []
    for key in (
        "pages_fetched", "articles_written", "known_skipped", "duplicates_dropped", "items_invalid",
        "fields_missing", "errors", "blocked_responses", "duration_seconds",
    ):  # fmt: skip
        assert key in report
    assert report["articles_written"] == 5
    assert "newsbot spacewar: ok - " in result.log and "5 articles written" in result.log


def test_a_section_whose_articles_all_fail_makes_the_run_fail(tmp_path):
    site = copy_snapshot(tmp_path / "site")
    shutil.rmtree(site / "www.spacewar.com" / "reports")
    shutil.rmtree(site / "www.spacedaily.com" / "reports")
    shutil.rmtree(site / "www.terradaily.com" / "reports")
    with SnapshotServer(site) as server:
        result = run_crawl(
            "spacewar", server.url, tmp_path / "out", args={"sections": "superpowers", "max_pages": "1"}
        )
    assert result.returncode == 1
    assert result.report["outcome"] == "failed"
    assert any(
        "section superpowers listed 5 new article(s) but none could be parsed" in f
        for f in result.report["failures"]
    )
    assert result.report["errors"]["http_404"] == 5
    assert "FAILED: section superpowers" in result.log


def test_errors_above_the_threshold_make_the_run_fail(tmp_path):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = run_crawl(
        "spacewar", dead, tmp_path, args={"sections": "superpowers"},
        settings={"NEWSBOT_MAX_ERRORS": "0", "RETRY_TIMES": "0"},
    )  # fmt: skip
    assert result.returncode == 1
    assert any("errors, more than NEWSBOT_MAX_ERRORS=0" in f for f in result.report["failures"])
    assert result.report["errors"]["DownloadConnectionRefusedError"] >= 1


def test_block_pages_are_never_parsed_and_fail_the_run(tmp_path):
    site = copy_snapshot(tmp_path / "site")
    page = site / "www.spacewar.com" / "superpowers.html"
    page.write_text(
        "<html><head><title>Attention Required! | Cloudflare</title></head>"
        "<body>Please complete the security check to access www.spacewar.com</body></html>"
    )
    with SnapshotServer(site) as server:
        result = run_crawl("spacewar", server.url, tmp_path / "out", args={"sections": "superpowers"})
    assert result.returncode == 1
    assert result.report["blocked_responses"] == 1
    assert result.items == []
    assert "1 response(s) were block pages" in " ".join(result.report["failures"])


def test_block_page_recognition():
    assert looks_blocked(403, b"<html>Forbidden</html>")
    assert looks_blocked(200, b"<html><head><title>Just a moment... captcha</title></head></html>")
    assert looks_blocked(503, b"<html><body>Access denied. You have been blocked.</body></html>")
    article = (
        b"<html><head><title>Why the captcha is dying</title></head><body><h1>Captchas</h1>"
        b"<!--body-2-incontainer.php-->\n<p>Access denied is what a captcha says."
    )
    assert not looks_blocked(200, article)
    assert not looks_blocked(200, b"<html><head><title>SUPERPOWERS</title></head><body>listing</body></html>")
    assert not looks_blocked(404, b"<html><title>Access denied</title></html>")


def test_the_report_carries_fill_rates_and_warns_when_a_field_empties(snapshot_server, tmp_path):
    good = run_crawl("spacewar", snapshot_server.url, tmp_path / "good", args={"sections": "superpowers"})
    assert good.report["field_fill_rates"]["date_published"] == 1.0
    assert good.report["field_fill_rates"]["paragraphs"] == 1.0
    assert good.report["fill_warnings"] == []

    site = copy_snapshot(tmp_path / "site")
    for page in (site / "www.spacewar.com" / "reports").iterdir():
        html = page.read_bytes().decode("latin-1")
        page.write_bytes(re.sub(r'<span class="BHS">[^<]*\d{4}\s*</span>', "", html).encode("latin-1"))
    with SnapshotServer(site) as server:
        drifted = run_crawl("spacewar", server.url, tmp_path / "drifted", args={"sections": "superpowers"})
    assert drifted.returncode == 0  # a drift is a warning, not a failed run
    rates = drifted.report["field_fill_rates"]
    assert rates["date_published"] < 0.5 and rates["paragraphs"] == 1.0
    warnings = " ".join(drifted.report["fill_warnings"])
    assert "date_published was filled on" in warnings and "dateline" in warnings
    assert "date_published was filled on" in drifted.log
    assert drifted.report["notes"].get("dateline: none found", 0) >= 5


def test_a_section_page_that_cannot_be_had_fails_the_run_and_leaves_its_walk_open(tmp_path, manifest):
    site = copy_snapshot(tmp_path / "site")
    (site / "www.spacewar.com" / "superpowers-02.html").unlink()
    with SnapshotServer(site) as server:
        broken = run_crawl("spacewar", server.url, tmp_path / "out", args={"sections": "superpowers"})
    assert broken.returncode == 1
    assert "1 section page(s) could not be had (1 gone)" in broken.report["failures"]
    assert broken.report["section_pages"] == 1
    # The walk stopped at page 1: the next run walks the section to its end, not just to page 1.
    again = run_crawl("spacewar", SNAPSHOT_URI, tmp_path / "out", args={"sections": "superpowers"})
    assert again.returncode == 0, again.log[-2000:]
    assert again.report["section_pages"] == 3
    assert again.report["articles_written"] > 0


def test_a_run_that_failed_leaves_its_walks_open_though_it_finished(tmp_path, manifest):
    """Every section page was had, but a block page failed the run (finish reason `finished`, outcome
    failed): the walk is not recorded complete, so the next run walks to the end again."""
    site = copy_snapshot(tmp_path / "site")
    listed, _ = expected_for_sections(manifest, "spacewar.com", {"superpowers"})
    article = site / "www.spacewar.com" / urlsplit(sorted(listed)[0]).path.lstrip("/")
    article.write_text(
        "<html><head><title>Just a moment...</title></head><body>Checking your browser</body></html>"
    )
    with SnapshotServer(site) as server:
        failed = run_crawl("spacewar", server.url, tmp_path / "out", args={"sections": "superpowers"})
    assert failed.returncode == 1 and failed.report["section_pages"] == 3
    store = SqliteSeenStore(tmp_path / "out" / "seen.sqlite")
    assert not any(store.last_walk_completed("spacewar.com", key) for key in ("superpowers", "SUPERPOWERS"))
    store.close()
    again = run_crawl("spacewar", SNAPSHOT_URI, tmp_path / "out", args={"sections": "superpowers"})
    assert again.returncode == 0 and again.report["section_pages"] == 3
    store = SqliteSeenStore(tmp_path / "out" / "seen.sqlite")
    assert store.last_walk_completed("spacewar.com", "superpowers")
    store.close()


def test_a_run_that_reaches_nothing_fails(tmp_path):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    result = run_crawl(
        "spacewar", dead, tmp_path, args={"sections": "superpowers"}, settings={"RETRY_TIMES": "0"}
    )
    assert result.returncode == 1
    assert any("section page(s) could not be had" in f for f in result.report["failures"])


def test_a_run_without_a_verdict_is_not_ok():
    """The verdict comes from the run report; a report that failed before judging (its store gone,
    say) left none, and that must not read as success."""
    from scrapy.settings import Settings

    from newsbot.cli.commands.crawl import _outcome

    on, off = Settings({"NEWSBOT_RUN_REPORT": True}), Settings({"NEWSBOT_RUN_REPORT": False})
    assert _outcome({"finish_reason": "finished", "newsbot/outcome": "ok"}, on) == "ok"
    assert _outcome({"finish_reason": "finished", "newsbot/outcome": "failed"}, on) == "failed"
    assert _outcome({"finish_reason": "finished"}, on) == "failed"
    assert _outcome({"finish_reason": "finished"}, off) == "ok"
    assert _outcome({"finish_reason": "shutdown"}, off) == "failed"
