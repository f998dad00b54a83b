"""The ledger of articles not yet had: an article that failed deep in a section is had by a later run."""

from __future__ import annotations

import json
import re
import subprocess

from newsbot.store.sqlite import SqliteSeenStore
from tests import processes
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
    # The run's last line says what is missing and what the ledger still owes.
    last = first.log.strip().splitlines()[-1]
    assert "newsbot spacewar: " in last
    assert "3 missing (1 connection, 1 gone, 1 server_error)" in last and "ledger: 3 still owed" in last

    # The site serves them again. The walk stops at page 1 (all known), yet the three are had.
    with FaultServer(SNAPSHOT, FaultPlan()) as server:
        second = _crawl(server, tmp_path)
        second_articles = sorted(r.path for r in server.requests_for(ARTICLE_PATHS))
    assert second.returncode == 0, second.log[-3000:]
    urls = [item["url"] for item in second.items]
    assert len(urls) == len(set(urls)), "an article was written twice"
    assert {PAGE_2, PAGE_3_GONE, PAGE_3_DROPPED} <= set(urls)
    assert second.report["articles_written"] == 3
    # Had through the ledger, each keeps the teaser of the listing entry that named it.
    assert all(item["summary"] for item in second.items[len(first.items) :]), second.items
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


def test_the_state_command_shows_the_ledger_and_forgets_it_with_its_section(tmp_path):
    store_path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(store_path)
    store.ledger_add(PAGE_3_GONE, site="spacewar.com", section="SUPERPOWERS", reason="gone")
    store.close()
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
    forget = ("--path", str(store_path), "--forget-section", "superpowers", "--site", "spacewar")
    forgot = _state(*forget, "--yes")
    assert forgot.returncode == 0, forgot.stderr
    assert "1 ledger entry of SUPERPOWERS of spacewar.com" in forgot.stdout
    assert json.loads(_state("--path", str(store_path), "--json").stdout)["ledger"] == []


def _state(*arguments: str) -> subprocess.CompletedProcess[str]:
    return processes.run(["newsbot", "state", *arguments], ROOT)
