"""End to end: real `scrapy crawl` subprocesses against the snapshot served on loopback."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
from jsonschema import Draft202012Validator

from newsbot.item import shipped_schema
from newsbot.registry import load_registry
from tests import processes
from tests.conftest import ROOT, SNAPSHOT
from tests.crawling import assert_exact_set, assert_items_match_manifest, expected_for_sections, run_crawl


def test_section_crawl_writes_every_listed_article_once_with_the_manifests_fields(
    manifest, snapshot_server, tmp_path
):
    site = load_registry().site("spacewar")
    result = run_crawl("spacewar", snapshot_server.url, tmp_path)
    assert result.returncode == 0, result.log[-3000:]
    slugs = {section.slug for section in site.sections}
    listed, groups = expected_for_sections(manifest, "spacewar.com", slugs)
    assert_exact_set(result.items, listed, groups)
    assert_items_match_manifest(result.items, listed, "spacewar.com")
    # Sister-site entries are followed and attributed to their own site.
    assert {item["site"] for item in result.items} > {"spacewar.com"}
    pages = sum(
        len(s["pages"]) for s in manifest["sections"] if s["site"] == "spacewar.com" and s["slug"] in slugs
    )
    stats = result.stats
    assert stats["finish_reason"] == "finished"
    assert stats["newsbot/section_pages"] == pages
    assert stats["newsbot/items_written"] == len(result.items)
    dropped = sum(v for k, v in stats.items() if k.startswith("newsbot/items_dropped/"))
    # Every article parsed is written or dropped for a reason newsbot counts.
    assert stats["item_scraped_count"] == len(result.items) and stats.get("item_dropped_count", 0) == dropped
    assert not any(k.startswith("newsbot/items_invalid/") for k in stats)
    assert stats.get("downloader/response_status_count/404", 0) == 0


def test_unregistered_section_is_found_in_the_navigation_and_a_bogus_one_fails_loudly(
    manifest, snapshot_server, tmp_path
):
    found = run_crawl("spacewar", snapshot_server.url, tmp_path / "found", args={"sections": "CYBER WARS"})
    assert found.returncode == 0, found.log[-3000:]
    listed, _ = expected_for_sections(manifest, "spacewar.com", {"cyber-wars"})
    assert {item["url"] for item in found.items} == set(listed)
    assert {item["summary"] for item in found.items} <= {
        e["teaser"] for a in listed.values() for e in a["listed_in"]
    }

    bogus = run_crawl(
        "spacewar",
        snapshot_server.url,
        tmp_path / "bogus",
        args={"sections": "superpowers,nonesuch,LAUNCH PAD"},
    )
    assert bogus.returncode == 2
    assert bogus.items == []
    assert "unknown section(s) 'nonesuch', 'LAUNCH PAD'" in bogus.log
    assert "; 'LAUNCH PAD' is spacedaily's: scrapy crawl spacedaily" in bogus.log  # another site's
    assert "superpowers (SUPERPOWERS)" in bogus.log and "missile-defense (MISSILE DEFENSE)" in bogus.log
    # The run ended at once: only robots.txt and the home page were fetched.
    assert bogus.stats["downloader/response_count"] == 2
    # Two lines that agree: the refusal, then `scrapy crawl`'s (no summary saying "failed" between).
    assert "newsbot spacewar: failed - " not in bogus.log
    assert bogus.log.strip().splitlines()[-1].startswith("newsbot spacewar: could not start (exit 2)")


def test_max_pages_and_since_bound_the_walk(manifest, snapshot_server, tmp_path):
    section = next(
        s for s in manifest["sections"] if s["site"] == "spacewar.com" and s["slug"] == "superpowers"
    )
    first_page = [
        a for a in manifest["articles"] if any(e["page_url"] == section["pages"][0] for e in a["listed_in"])
    ]
    one_page = run_crawl(
        "spacewar", snapshot_server.url, tmp_path / "one", args={"sections": "superpowers", "max_pages": "1"}
    )
    assert one_page.returncode == 0
    assert {i["url"] for i in one_page.items} == {a["url"] for a in first_page}
    assert one_page.stats["newsbot/section_pages"] == 1

    dates = sorted(a["date_published"] for a in manifest["articles"] if a["url"] in section["article_urls"])
    since = dates[len(dates) // 2]
    recent = run_crawl(
        "spacewar", snapshot_server.url, tmp_path / "since", args={"sections": "superpowers", "since": since}
    )
    assert recent.returncode == 0
    expected = {
        a["url"] for a in manifest["articles"]
        if a["url"] in section["article_urls"] and (a["date_published"] or "9999") >= since
    }  # fmt: skip
    assert {i["url"] for i in recent.items} == expected
    assert recent.stats["newsbot/section_pages"] < len(section["pages"])


def test_feed_source_reads_the_feed_and_carries_its_teasers(manifest, snapshot_server, tmp_path):
    feed_url = load_registry().site("spacedaily").feed
    result = run_crawl("spacedaily", snapshot_server.url, tmp_path, args={"source": "feed"})
    assert result.returncode == 0, result.log[-3000:]
    in_feed = [a for a in manifest["articles"] if feed_url in a["in_feeds"]]
    assert {i["url"] for i in result.items} == {a["url"] for a in in_feed}
    assert {i["site"] for i in result.items} >= {"spacedaily.com", "marsdaily.com"}
    assert all(i["summary"] for i in result.items)
    assert result.stats.get("newsbot/section_pages", 0) == 0


def test_dash_o_writes_to_the_given_file_as_in_any_scrapy_project(snapshot_server, tmp_path):
    target = tmp_path / "superpowers.jsonl"
    result = run_crawl(
        "spacewar",
        snapshot_server.url,
        tmp_path,
        args={"sections": "superpowers", "max_pages": "1"},
        extra=["-O", str(target)],
    )
    assert result.returncode == 0, result.log[-3000:]
    assert result.items == []  # NEWSBOT_OUTPUT stepped aside
    lines = target.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 5
    assert all(Draft202012Validator(shipped_schema()).is_valid(json.loads(line)) for line in lines)


def test_a_file_mirror_works_like_an_http_one(tmp_path):
    result = run_crawl(
        "spacewar", SNAPSHOT.as_uri(), tmp_path, args={"sections": "superpowers", "max_pages": "1"}
    )
    assert result.returncode == 0, result.log[-3000:]
    assert len(result.items) == 5


def test_bad_spider_arguments_are_clear_errors():
    # As `scrapy crawl` meets them (exit status 2, one line): tests/test_usage_errors.py.
    from scrapy.exceptions import UsageError

    from newsbot.spiders.args import SpiderArguments

    for args in ({"max_pages": "zero"}, {"since": "yesterday"}, {"source": "sitemap"}):
        with pytest.raises(UsageError, match="expected"):
            SpiderArguments.parse(args)
    with pytest.raises(UsageError, match="a day in the future"):
        SpiderArguments.parse({"since": "2999-01-01"})
    for args in ({"sections": ""}, {"source": " "}, {"max_articles": ""}):
        with pytest.raises(UsageError, match="empty; give a value, or leave the argument out"):
            SpiderArguments.parse(args)
    with pytest.raises(UsageError, match="has no known feed"):
        SpiderArguments.parse({"source": "feed"}).check_site(load_registry().site("marsdaily"))


def test_a_demo_whose_sites_failed_says_which_and_exits_1(tmp_path):
    # A snapshot of marsdaily and of an empty winddaily: its crawl fails at its first pages (404s).
    snapshot = tmp_path / "site"
    (snapshot / "www.winddaily.com").mkdir(parents=True)
    (snapshot / "www.marsdaily.com").symlink_to(SNAPSHOT / "www.marsdaily.com")
    out = tmp_path / "out"
    result = processes.run(
        ["newsbot", "demo", "--snapshot", str(snapshot), "--out", str(out)], ROOT, timeout=120
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{out / 'marsdaily.jsonl'}: " in result.stdout
    (failed,) = [line for line in result.stdout.splitlines() if line.startswith("FAILED: ")]
    assert failed == f"FAILED: winddaily; why is in their run reports in {out}"
    assert result.stdout.startswith("Crawling marsdaily, winddaily from")  # the sites it holds


def test_demo_writes_valid_lines_with_no_repeated_url_or_content_hash(tmp_path):
    result = processes.run(["newsbot", "demo", "--out", str(tmp_path)], ROOT, timeout=180)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"^Total: [1-9]\d* articles\.$", result.stdout, re.M), result.stdout
    assert "winddaily.jsonl: 1 article\n" in result.stdout  # not "1 articles"
    items = [json.loads(line) for path in tmp_path.glob("*.jsonl") for line in path.read_text().splitlines()]
    validator = Draft202012Validator(shipped_schema())
    assert items and all(validator.is_valid(item) for item in items)
    assert max(Counter(i["url"] for i in items).values()) == 1
    assert max(Counter(i["content_hash"] for i in items).values()) == 1
    assert {i["site"] for i in items} == {site.host for site in load_registry().sites}
