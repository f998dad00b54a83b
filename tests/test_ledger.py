"""The ledger of articles not yet had: an article that failed deep in a section is had by a later run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from newsbot.store import SqliteSeenStore
from tests.conftest import ROOT, SNAPSHOT
from tests.crawling import run_crawl
from tests.faultserver import FaultPlan, FaultServer, faults

REPORTS = "https://www.spacewar.com/reports/"
PAGE_2 = REPORTS + "IAEA_says_Iran_nuclear_diplomacy_at_a_difficult_juncture_999.html"
PAGE_3_GONE = REPORTS + "China_warns_PNG_over_Australian_defence_deal_999.html"
PAGE_3_DROPPED = REPORTS + "Philippines_China_move_to_avoid_miscalculation_in_disputed_sea_999.html"
FAST_FAULTS = {"RETRY_TIMES": "1", "NEWSBOT_RETRY_BACKOFF": "0.05", "DOWNLOAD_TIMEOUT": "5"}
ARTICLE_PATHS = re.compile(r"^/www\.spacewar\.com/reports/")
SUPERPOWERS = {"sections": "superpowers"}


def _crawl(server: FaultServer, tmp_path, **kwargs):
    return run_crawl("spacewar", server.url, tmp_path, args=SUPERPOWERS, settings=FAST_FAULTS, **kwargs)


def test_an_article_that_failed_deep_in_a_section_is_written_once_by_the_next_run(tmp_path):
    failing = FaultPlan(
        [
            faults.errors(faults.mirror_path(PAGE_2), status=503),
            faults.not_found(faults.mirror_path(PAGE_3_GONE)),
            faults.drop(faults.mirror_path(PAGE_3_DROPPED), after=200),
        ]
    )
    with FaultServer(SNAPSHOT, failing) as server:
        first = _crawl(server, tmp_path)
    assert first.report["finish_reason"] == "finished", first.log[-3000:]
    written = {item["url"] for item in first.items}
    assert not written & {PAGE_2, PAGE_3_GONE, PAGE_3_DROPPED}
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    pending = {entry.url: entry for entry in store.ledger_pending("spacewar.com")}
    store.close()
    assert set(pending) == {PAGE_2, PAGE_3_GONE, PAGE_3_DROPPED}
    assert pending[PAGE_2].reason == "server_error" and pending[PAGE_2].section == "SUPERPOWERS"
    assert pending[PAGE_3_GONE].reason == "gone" and pending[PAGE_3_DROPPED].reason == "connection"

    # The site serves them again. The walk stops at page 1 (all known), yet the three are had.
    with FaultServer(SNAPSHOT, FaultPlan()) as server:
        second = _crawl(server, tmp_path)
        second_articles = sorted(r.path for r in server.requests_for(ARTICLE_PATHS))
    assert second.returncode == 0, second.log[-3000:]
    urls = [item["url"] for item in second.items]
    assert len(urls) == len(set(urls)), "an article was written twice"
    assert {PAGE_2, PAGE_3_GONE, PAGE_3_DROPPED} <= set(urls)
    assert second.report["articles_written"] == 3
    assert second.report["section_pages"] == 1
    assert second_articles == sorted(faults.mirror_path(u) for u in (PAGE_2, PAGE_3_GONE, PAGE_3_DROPPED))
    assert second.report["ledger"]["recovered"] == sorted([PAGE_2, PAGE_3_GONE, PAGE_3_DROPPED])
    assert second.report["ledger"]["pending"] == 0
    assert "3 asked for again, 3 recovered" in second.log

    with FaultServer(SNAPSHOT, FaultPlan()) as server:
        third = _crawl(server, tmp_path)
        third_articles = server.count(ARTICLE_PATHS)
    assert third.returncode == 0
    assert third_articles == 0
    assert third.report["articles_written"] == 0


def test_a_gone_article_is_asked_for_a_bounded_number_of_times_and_the_state_command_shows_it(tmp_path):
    gone = FaultPlan([faults.not_found(faults.mirror_path(PAGE_3_GONE))])
    bounded = {**FAST_FAULTS, "NEWSBOT_LEDGER_GONE_ATTEMPTS": "2"}
    requests = []
    for _ in range(3):
        with FaultServer(SNAPSHOT, gone) as server:
            run_crawl("spacewar", server.url, tmp_path, args=SUPERPOWERS, settings=bounded)
            requests.append(server.count(faults.mirror_path(PAGE_3_GONE)))
    # Run 1 lists it (page 3), run 2 asks the ledger (attempt 2 of 2), run 3 no more.
    assert requests == [1, 1, 0]

    store_path = tmp_path / "seen.sqlite"
    show = _state("--path", str(store_path), "--json")
    assert show.returncode == 0, show.stderr
    ledger = json.loads(show.stdout)["ledger"]
    assert ledger == [
        {
            "site": "spacewar.com",
            "section": "SUPERPOWERS",
            "pending": 1,
            "given_up": 0,
            "reasons": {"gone": 1},
            "urls": [PAGE_3_GONE],
        }
    ]
    table = _state("--path", str(store_path))
    assert "Ledger (articles listed but not had): 1" in table.stdout

    refused = _state("--path", str(store_path), "--forget-section", "superpowers")
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0 and "--all-sites" in refused.stderr
    forgot = _state("--path", str(store_path), "--forget-section", "superpowers", "--site", "spacewar")
    assert forgot.returncode == 0, forgot.stderr
    assert "SUPERPOWERS" in forgot.stdout
    assert json.loads(_state("--path", str(store_path), "--json").stdout)["ledger"] == []


def _state(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "newsbot.cli", "state", *arguments],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ},
    )


def test_an_entry_out_of_attempts_and_old_enough_is_given_up_with_an_error_naming_it(tmp_path):
    page_1 = REPORTS + "Chinas_premier_to_visit_North_Korea_this_week_999.html"
    failing = FaultPlan([faults.errors(faults.mirror_path(page_1), status=503)])
    # Two attempts, and no day to wait (the shipped default waits a day before giving up).
    quick = {**FAST_FAULTS, "NEWSBOT_LEDGER_MAX_ATTEMPTS": "2", "NEWSBOT_LEDGER_GIVE_UP_DAYS": "0"}
    results, requests = [], []
    for _ in range(3):
        with FaultServer(SNAPSHOT, failing) as server:
            results.append(run_crawl("spacewar", server.url, tmp_path, args=SUPERPOWERS, settings=quick))
            requests.append(server.count(faults.mirror_path(page_1)))
    first, second, third = results
    # An article of the ledger failing again is not a section whose articles all fail.
    assert second.returncode == 0, second.log[-3000:]
    assert first.report["given_up"] == 0
    assert second.report["given_up"] == 1
    assert second.report["ledger"]["given_up"] == [page_1]
    assert f"Gave up on article {page_1} (server_error): 2 attempt(s)" in second.log
    assert "1 given up" in second.log
    # Given up: the third run does not ask for it, though page 1 lists it, and stops at page 1.
    assert requests[2] == 0
    assert third.report["given_up"] == 0 and third.report["section_pages"] == 1
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    assert store.ledger_counts() == {"pending": 0, "given_up": 1}
    store.close()
