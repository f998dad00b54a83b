"""A long crawl says how far it is: a progress line every NEWSBOT_PROGRESS_INTERVAL seconds, and
the run report rewritten at that pace (outcome "running") until the final one replaces it."""

from __future__ import annotations

import re

from newsbot.extensions.report import progress_line
from tests.conftest import SNAPSHOT
from tests.crawling import run_crawl


def test_a_crawl_logs_progress_and_rewrites_its_report_while_it_runs(tmp_path):
    # Seven requests half a second apart: the crawl lasts 3 s or more, by construction, so ticks
    # every 0.2 s come, however slow the machine.
    result = run_crawl(
        "spacewar",
        SNAPSHOT.as_uri(),
        tmp_path,
        args={"sections": "superpowers", "max_pages": "1"},
        settings={"DOWNLOAD_DELAY": "0.5", "NEWSBOT_PROGRESS_INTERVAL": "0.2"},
    )
    assert result.returncode == 0, result.log[-3000:]
    lines = re.findall(r"newsbot spacewar progress: .*", result.log)
    assert lines, result.log[-3000:]
    assert re.search(r"sections 1/1 begun, \d+ section pages, \d+ articles written, 0 missing", lines[-1])
    assert f"report {tmp_path / 'spacewar.report.json'}" in lines[-1]  # beside its delivery
    # The final report replaced the interim ones.
    assert result.report["outcome"] == "ok" and result.report["finish_reason"] == "finished"


def test_the_progress_line_counts_from_the_stats():
    stats = {
        "newsbot/items_written": 30,
        "newsbot/section_pages": 4,
        "newsbot/sections_walked": ["superpowers", "cyber-wars"],
        "newsbot/walks_begun": 1,
        "newsbot/missing/gone": 2,
        "newsbot/missing/timeout": 1,
    }
    line = progress_line("spacewar", stats, elapsed=60.0, ledger=2)
    assert line == (
        "newsbot spacewar progress: sections 1/2 begun, 4 section pages, 30 articles written, "
        "3 missing, ledger 2 pending, 30.0 articles/min"
    )
    assert "ledger" not in progress_line("spacewar", stats, elapsed=60.0, ledger=None)


def test_a_report_that_can_no_longer_be_written_leaves_no_stale_running_one(tmp_path):
    """The last progress report said `running`; the final one did not fit (a full disk): left beside
    the published delivery, a consumer would take the finished run for a running one."""
    from newsbot.extensions.report import RunReport
    from tests.components import make_crawler, run

    async def scenario():
        crawler = make_crawler(tmp_path)
        report = crawler.get_extension(RunReport)
        report.path = path = tmp_path / "out.report.json"
        report._write({"outcome": "running"})
        (tmp_path / "out.report.json.tmp").mkdir()  # the next write fails, as on a full disk
        report._write({"outcome": "ok"})
        assert not path.exists() and report.path is None  # the summary names no report

    run(scenario())
