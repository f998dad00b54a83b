"""Pages that try to hold a crawl or take an article's place: endless pagination, a flood of links,
an og:url naming another article, a challenge page answered with 200."""

from __future__ import annotations

import re

from newsbot.store import SqliteSeenStore
from tests.conftest import SNAPSHOT, snapshot_path
from tests.crawling import run_crawl
from tests.faultserver import FaultPlan, FaultServer, faults

REPORTS = "https://www.spacewar.com/reports/"
VICTIM = REPORTS + "Chinas_premier_to_visit_North_Korea_this_week_999.html"
THIEF = REPORTS + "Gaza_war_second_anniversary_could_reopen_path_to_Palestinian_statehood_999.html"
SUPERPOWERS = {"sections": "superpowers"}
ARTICLE_PATHS = re.compile(r"^/www\.spacewar\.com/reports/")


def _superpowers_articles(manifest: dict) -> set[str]:
    section = next(
        s for s in manifest["sections"] if s["site"] == "spacewar.com" and s["slug"] == "superpowers"
    )
    return set(section["article_urls"])


def _with_og_url(url: str, og_url: str) -> bytes:
    page = snapshot_path(url).read_bytes()
    return page.replace(
        f'property="og:url" content="{url}"'.encode(), f'property="og:url" content="{og_url}"'.encode()
    )


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


def test_a_section_page_limit_ends_a_walk_with_a_warning_and_a_counter(tmp_path):
    with FaultServer(SNAPSHOT, FaultPlan()) as server:
        result = run_crawl(
            "spacewar", server.url, tmp_path, args=SUPERPOWERS, settings={"NEWSBOT_MAX_SECTION_PAGES": "2"}
        )
    assert result.returncode == 0, result.log[-3000:]
    assert result.report["section_pages"] == 2
    assert result.report["bounds_hit"] == {"section_page_limit": 1}
    assert "walked 2 pages, NEWSBOT_MAX_SECTION_PAGES" in result.log


def test_a_page_of_50000_links_is_taken_up_to_the_bound_and_the_rest_counted(manifest, tmp_path):
    plan = FaultPlan([faults.link_flood("/www.spacewar.com/superpowers.html", links=50_000)])
    bounded = {"NEWSBOT_MAX_LINKS_PER_PAGE": "15", "NEWSBOT_MAX_SECTION_PAGES": "1"}
    with FaultServer(SNAPSHOT, plan) as server:
        result = run_crawl("spacewar", server.url, tmp_path, args=SUPERPOWERS, settings=bounded, timeout=180)
        flood_requests = server.count(re.compile(r"/reports/Flood_"))
    assert result.report["listed_entries"] == 50_005
    assert flood_requests == 10  # the page's 5 real entries come first, then 10 of the flood
    assert result.report["bounds_hit"] == {"links_over_page_limit": 49_990, "section_page_limit": 1}
    assert "links_over_page_limit 49990" in result.log
    assert _superpowers_articles(manifest) & {item["url"] for item in result.items}


def test_a_page_claiming_another_articles_og_url_does_not_suppress_it(tmp_path):
    plan = FaultPlan([faults.respond(faults.mirror_path(THIEF), body=_with_og_url(THIEF, VICTIM))])
    with FaultServer(SNAPSHOT, plan) as server:
        first = run_crawl("spacewar", server.url, tmp_path, args={**SUPERPOWERS, "max_pages": "1"})
    assert first.returncode == 0, first.log[-3000:]
    written = {item["url"]: item for item in first.items}
    assert VICTIM in written and THIEF in written
    assert written[VICTIM]["content_hash"] != written[THIEF]["content_hash"]
    # Written or asked for already, as the two pages happened to come: the claim is refused either way.
    assert any("og:url names an article this run" in note for note in written[THIEF]["notes"])


def test_a_page_claiming_an_article_an_earlier_run_wrote_keeps_its_own_url(tmp_path):
    thief = REPORTS + "Trump_unlikely_to_win_Nobel_Peace_Prize_but_who_will_999.html"
    with FaultServer(SNAPSHOT, FaultPlan([faults.errors(faults.mirror_path(thief), status=503)])) as server:
        first = run_crawl("spacewar", server.url, tmp_path, args={**SUPERPOWERS, "max_pages": "1"})
    assert VICTIM in {item["url"] for item in first.items}
    plan = FaultPlan([faults.respond(faults.mirror_path(thief), body=_with_og_url(thief, VICTIM))])
    with FaultServer(SNAPSHOT, plan) as server:
        second = run_crawl("spacewar", server.url, tmp_path, args={**SUPERPOWERS, "max_pages": "1"})
    assert second.returncode == 0, second.log[-3000:]
    new = second.items[len(first.items) :]
    assert [item["url"] for item in new] == [thief]
    assert any("og:url names an article written by an earlier run" in note for note in new[0]["notes"])


def test_an_og_url_alias_is_taken_and_the_listed_url_is_not_fetched_again(tmp_path):
    alias = REPORTS + "Gaza_war_anniversary_renamed_999.html"
    plan = FaultPlan([faults.respond(faults.mirror_path(THIEF), body=_with_og_url(THIEF, alias))])
    with FaultServer(SNAPSHOT, plan) as server:
        first = run_crawl("spacewar", server.url, tmp_path, args={**SUPERPOWERS, "max_pages": "1"})
        second = run_crawl("spacewar", server.url, tmp_path, args={**SUPERPOWERS, "max_pages": "1"})
        thief_requests = server.count(faults.mirror_path(THIEF))
    assert first.returncode == second.returncode == 0
    assert alias in {item["url"] for item in first.items}
    assert thief_requests == 1
    assert second.report["articles_written"] == 0


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
