"""What cron learns from a run: the report's verdict and `scrapy crawl`'s exit status."""

from __future__ import annotations

import logging
import re

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.misc import build_from_crawler

from newsbot.logformatter import CrawlerLogCount
from newsbot.middlewares.downloader import BlockDetectionMiddleware, looks_blocked
from newsbot.reasons import Blocked
from newsbot.snapshot_server import SnapshotServer
from newsbot.store.sqlite import SqliteSeenStore
from tests.components import make_crawler, run
from tests.conftest import SNAPSHOT
from tests.crawling import run_crawl
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
    # The summary is the run's last line; Scrapy's stats are in the report, not on the console.
    last = result.log.strip().splitlines()[-1]
    assert "newsbot spacewar: ok - " in last and "5 articles written, 0 missing" in last
    assert "ledger: 0 still owed" in last
    assert "Dumping Scrapy stats" not in result.log and report["stats"]["downloader/response_count"] > 0
    # The run's times are ISO 8601 (a 'T' between date and time), as a consumer's parser wants them.
    for key in ("start_time", "finish_time"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00", report["stats"][key])
    # Nothing to act on: no WARNING.
    assert " WARNING: " not in result.log


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
    assert "date_published filled on" in warnings and "dateline" in warnings
    assert "date_published filled on" in drifted.log
    assert drifted.report["notes"].get("dateline: none found", 0) >= 5


def test_a_section_page_that_cannot_be_had_fails_the_run_and_leaves_its_walk_open(tmp_path, manifest):
    site = copy_snapshot(tmp_path / "site")
    (site / "www.spacewar.com" / "superpowers-02.html").unlink()
    with SnapshotServer(site) as server:
        broken = run_crawl("spacewar", server.url, tmp_path / "out", args={"sections": "superpowers"})
    assert broken.returncode == 1
    assert "1 section page(s) could not be had (1 gone)" in broken.report["failures"]
    # The summary, naming what failed and the report, is the last line: nothing after it.
    last = broken.log.strip().splitlines()[-1]
    assert " ERROR: newsbot spacewar: failed - " in last
    assert "FAILED: 1 section page(s) could not be had (1 gone)" in last and "spacewar.report.json" in last
    assert broken.report["section_pages"] == 1
    # The walk stopped at page 1: the next run walks the section to its end, not just to page 1.
    store = SqliteSeenStore(tmp_path / "out" / "seen.sqlite")
    assert not store.last_walk_completed("spacewar.com", "superpowers")
    store.close()


def _judged(stats: dict, reason: str = "finished", max_errors: int = 10) -> dict:
    from newsbot.extensions.report import build_report

    return build_report(
        {"log_count/ERROR": 0, **stats}, spider="spacewar", reason=reason, missing={},
        max_errors=max_errors, duration=1.0,
    )  # fmt: skip


def test_the_verdict_names_every_way_a_run_fails():
    assert _judged({"newsbot/items_written": 5})["failures"] == []
    assert _judged({}, reason="shutdown")["failures"] == ["finished with reason 'shutdown'"]
    # Scrapy's CLOSESPIDER_* limits end a run ok, but cut short: what they left unfetched is not
    # "0 missing, 0 still owed" and nothing more (the next run walks on to have it).
    limited = _judged({"newsbot/items_written": 5}, reason="closespider_itemcount")
    assert limited["outcome"] == "ok" and limited["bounds_hit"] == {"closespider_itemcount": 1}
    # A section that listed new articles and could parse none: its articles all failed.
    all_failed = _judged(
        {"newsbot/section_fetched/superpowers": 5, "downloader/response_status_count/404": 5}
    )
    assert all_failed["failures"] == [
        "section superpowers: none of its 5 new article(s) fetched could be parsed"
    ]
    assert all_failed["errors"]["http_404"] == 5
    # The ledger's articles failing again are the ledger's to report, not a section's.
    assert _judged({"newsbot/section_fetched/ledger": 3})["failures"] == []
    assert _judged({"newsbot/blocked": 1})["failures"] == ["1 response(s) were block pages"]
    # While the run goes (the interim report), what already failed shows, but the verdict waits.
    running = _judged({"newsbot/blocked": 1}, reason=None)
    assert running["outcome"] == "running" and running["failures"] == ["1 response(s) were block pages"]
    assert _judged({"log_count/ERROR": 11})["failures"] == ["11 errors, more than NEWSBOT_MAX_ERRORS=10"]
    assert _judged({"log_count/ERROR": 1}, max_errors=0)["outcome"] == "failed"
    assert _judged({"newsbot/section_pages_failed/gone": 1})["failures"] == [
        "1 section page(s) could not be had (1 gone)"
    ]
    assert _judged({"newsbot/robots_unreachable": 1})["failures"] == [
        "robots.txt of 1 host(s) could not be had: none of their pages was fetched"
    ]
    # A host that cannot be reached at all is said as such, first.
    unreachable = (
        "could not resolve www.spacewar.com: no network or DNS? (`newsbot demo` tries newsbot offline)"
    )
    assert _judged(
        {"newsbot/robots_unreachable": 2, "newsbot/hosts_unreachable": [unreachable], "newsbot/blocked": 1}
    )["failures"] == [
        unreachable,
        "robots.txt of 1 host(s) could not be had: none of their pages was fetched",
        "1 response(s) were block pages",
    ]
    # A feed run with no feed did nothing: not `ok` with 0 articles.
    assert _judged({"newsbot/errors/bad_feed": 1})["failures"] == [
        "the feed could not be had, or was not a feed"
    ]
    failed = _judged({"newsbot/blocked": 2, "newsbot/store_error": "the store is locked"})
    assert failed["outcome"] == "failed" and "the store is locked" in failed["failures"]


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


def test_a_section_fails_for_its_articles_only_where_they_were_fetched(tmp_path):
    # In a cluster the worker that lists a section's articles is often not the one that fetches them:
    # the lister alone parsed none of them, and that is no failure (it failed its workers at random).
    from newsbot.keys import KIND_META_KEY
    from newsbot.middlewares.walk import WalkPolicyMiddleware
    from tests.components import make_crawler, run, section_page, snapshot_response, through

    async def scenario():
        crawler = make_crawler(tmp_path)
        response, outputs = section_page(crawler, "superpowers", "https://www.spacewar.com/superpowers.html")
        await through(crawler.get_spider_middleware(WalkPolicyMiddleware), response, outputs)
        assert _judged(crawler.stats.get_stats())["failures"] == []
        article = next(o for o in outputs if o.meta.get(KIND_META_KEY) == "section_article")
        page = snapshot_response(article, body=b"<html><head><title>Moved</title></head><body></body></html>")
        assert list(crawler.spider.parse_article(page, **article.cb_kwargs)) == []
        assert _judged(crawler.stats.get_stats())["failures"] == [
            "section superpowers: none of its 1 new article(s) fetched could be parsed"
        ]

    run(scenario())


def test_a_section_whose_new_articles_are_gone_has_nothing_unparsed_to_fail_for(tmp_path):
    # A section whose one new article answered 404 (deleted since it was listed) failed the run with
    # "none of its 1 new article(s) fetched could be parsed": the parser had no page to fail on.
    from scrapy.spidermiddlewares.httperror import HttpError
    from twisted.python.failure import Failure

    from newsbot.keys import KIND_META_KEY
    from newsbot.middlewares.walk import WalkPolicyMiddleware
    from tests.components import make_crawler, run, section_page, snapshot_response, through

    async def scenario():
        crawler = make_crawler(tmp_path)
        response, outputs = section_page(crawler, "superpowers", "https://www.spacewar.com/superpowers.html")
        await through(crawler.get_spider_middleware(WalkPolicyMiddleware), response, outputs)
        article = next(o for o in outputs if o.meta.get(KIND_META_KEY) == "section_article")
        failure = Failure(HttpError(snapshot_response(article, status=404, body=b""), "Ignoring non-200"))
        failure.request = article  # type: ignore[attr-defined]  # as Scrapy sets it
        assert list(crawler.spider.failed(failure)) == []
        judged = _judged(crawler.stats.get_stats())
        assert judged["failures"] == [] and crawler.stats.get_value("newsbot/missing/gone") == 1

    run(scenario())


def test_each_crawler_of_a_process_counts_its_own_errors_and_those_that_name_no_crawler(tmp_path):
    # `scrapy crawlall`: a site blocked or failing must not fail the others on NEWSBOT_MAX_ERRORS.
    async def errors_counted() -> list[int]:
        crawlers = []
        for name in ("spacewar", "marsdaily"):
            (tmp_path / name).mkdir()
            crawlers.append(make_crawler(tmp_path / name, name))
        counters = [build_from_crawler(CrawlerLogCount, crawler) for crawler in crawlers]
        for counter, crawler in zip(counters, crawlers, strict=True):
            counter.spider_opened(crawler.spider)
        try:
            url = "https://www.spacewar.com/superpowers.html"
            with pytest.raises(Blocked):
                build_from_crawler(BlockDetectionMiddleware, crawlers[0]).process_response(
                    Request(url), HtmlResponse(url, status=403, body=b"<title>Access denied</title>")
                )
            crawlers[1].spider.logger.error("an error of marsdaily's spider")
            logging.getLogger("newsbot").error("an error naming no crawler")
        finally:
            for counter, crawler in zip(counters, crawlers, strict=True):
                counter.spider_closed(crawler.spider, "finished")
        return [crawler.stats.get_value("log_count/ERROR") for crawler in crawlers]

    assert run(errors_counted()) == [2, 2]
