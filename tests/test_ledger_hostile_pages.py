"""Pages that try to hold a crawl, end to end: endless pagination, a challenge page answered with 200.
The walk's bounds and og:url claims are tested in-process (test_walk_policy.py, test_og_url_claims.py)."""

from __future__ import annotations

import re

from newsbot.store.sqlite import SqliteSeenStore
from tests.conftest import SNAPSHOT
from tests.crawling import run_crawl
from tests.faultserver import FaultPlan, FaultServer, faults

REPORTS = "https://www.spacewar.com/reports/"
VICTIM = REPORTS + "Chinas_premier_to_visit_North_Korea_this_week_999.html"
SUPERPOWERS = {"sections": "superpowers"}
ARTICLE_PATHS = re.compile(r"^/www\.spacewar\.com/reports/")


def _superpowers_articles(manifest: dict) -> set[str]:
    section = next(
        s for s in manifest["sections"] if s["site"] == "spacewar.com" and s["slug"] == "superpowers"
    )
    return set(section["article_urls"])


def test_an_endless_pagination_ends_the_walk_on_its_own_with_every_real_article_written(manifest, tmp_path):
    plan = FaultPlan([faults.endless_pagination("www.spacewar.com", "superpowers", after=3)])
    with FaultServer(SNAPSHOT, plan) as server:
        result = run_crawl("spacewar", server.url, tmp_path, args=SUPERPOWERS, timeout=120)
        pages = server.count(re.compile(r"^/www\.spacewar\.com/superpowers"))
    assert result.returncode == 0, result.log[-3000:]
    assert {item["url"] for item in result.items} >= _superpowers_articles(manifest)
    assert pages == 4  # the three real pages and the first that repeats them
    assert result.report["bounds_hit"] == {"page_without_new_entries": 1}
    assert "bounds hit: page_without_new_entries 1" in result.log
    assert "lists nothing new to this walk" in result.log


def test_a_challenge_page_answered_with_200_is_a_block_in_the_ledger(tmp_path):
    plan = FaultPlan([faults.challenge(faults.mirror_path(VICTIM))])
    with FaultServer(SNAPSHOT, plan) as server:
        result = run_crawl("spacewar", server.url, tmp_path, args={**SUPERPOWERS, "max_pages": "1"})
    assert result.returncode == 1, result.log[-3000:]
    assert result.report["blocked_responses"] == 1
    assert result.report["missing_articles"] == {"blocked": [VICTIM]}
    assert any("block pages" in failure for failure in result.report["failures"])
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    assert [(e.url, e.reason) for e in store.ledger_pending("spacewar.com")] == [(VICTIM, "blocked")]
    store.close()
