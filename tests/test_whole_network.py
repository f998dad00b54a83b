"""Every site of the registry against the snapshot: `scrapy crawl <site>` for each, and `scrapy crawlall`
crawling them all in one process (as README's cron line does), compared with the manifest."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from newsbot.registry import load_registry
from tests import processes
from tests.conftest import ROOT
from tests.crawling import (
    CrawlResult,
    assert_exact_set,
    assert_items_match_manifest,
    default_sections,
    expected_for_sections,
    run_crawls,
)
from tests.snapshot_copies import copy_snapshot

SITES = {site.name: site.host for site in load_registry().sites}


@pytest.fixture(scope="module")
def every_site_crawled(tmp_path_factory) -> dict[str, CrawlResult]:
    """`scrapy crawl <site> -s NEWSBOT_MIRROR=tests/site` for every site, all at once."""
    return run_crawls(list(SITES), "tests/site", tmp_path_factory.mktemp("crawls"))


@pytest.mark.parametrize("name", SITES)
def test_every_spider_crawls_its_site_from_the_snapshot(name, every_site_crawled, manifest):
    result, host = every_site_crawled[name], SITES[name]
    assert result.returncode == 0, result.log[-3000:]
    listed, groups = expected_for_sections(manifest, host, default_sections(manifest, host))
    assert_exact_set(result.items, listed, groups)
    assert_items_match_manifest(result.items, listed, host)
    assert host in {item["site"] for item in result.items}
    assert result.report["outcome"] == "ok"


def crawlall(mirror: Path | str, out: Path, *words: str) -> subprocess.CompletedProcess[str]:
    command = ["scrapy", "crawlall", "-s", f"NEWSBOT_MIRROR={mirror}", *words]
    for name, value in {
        "NEWSBOT_OUTPUT": f"{out}/{{spider}}.jsonl",
        "NEWSBOT_STATE": f"{out}/seen.sqlite",
        "LOG_LEVEL": "INFO",
    }.items():
        command += ["-s", f"{name}={value}"]
    return processes.run(command, ROOT, timeout=180)


def delivered(out: Path) -> dict[str, list[dict]]:
    """Each spider's delivery, by spider name."""
    return {
        name: [json.loads(line) for line in (out / f"{name}.jsonl").read_text("utf-8").splitlines()]
        for name in SITES
        if (out / f"{name}.jsonl").exists()
    }


def assert_whole_network_written(deliveries: dict[str, list[dict]], manifest: dict) -> None:
    """Every article the sites' sections list, each story once whichever site wrote it; each spider
    only what its own sections list."""
    listed: dict[str, dict] = {}
    for name, host in SITES.items():
        own, _ = expected_for_sections(manifest, host, default_sections(manifest, host))
        assert {item["url"] for item in deliveries.get(name, [])} <= set(own), name
        listed |= own
    groups: dict[str, set[str]] = {}
    for article in listed.values():
        if article["syndication_group"]:
            groups.setdefault(article["syndication_group"], set()).add(article["url"])
    items = [item for lines in deliveries.values() for item in lines]
    assert_exact_set(items, listed, [urls for urls in groups.values() if len(urls) > 1])
    assert {item["site"] for item in items} == set(SITES.values())


def test_crawlall_crawls_every_site_in_one_process_with_its_own_delivery_and_report(tmp_path, manifest):
    result = crawlall("tests/site", tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert_whole_network_written(delivered(tmp_path), manifest)
    assert result.stderr.count("Scrapy 2.") == 1, "one process, one start-up"
    for name in SITES:
        report = json.loads((tmp_path / f"{name}.report.json").read_text())
        assert report["outcome"] == "ok", name
        assert result.stderr.count(f"newsbot {name}: ok - ") == 1, name


def test_one_failing_site_fails_crawlall_while_every_other_site_delivers(tmp_path, manifest):
    # moondaily's second section page is gone: that run fails; its one entry is listed elsewhere too.
    mirror = copy_snapshot(tmp_path / "site")
    (mirror / "www.moondaily.com" / "lunar-news-02.html").unlink()
    out = tmp_path / "out"
    # No error allowed: the failing site's errors are its own (they failed every site before).
    result = crawlall(mirror, out, "-s", "NEWSBOT_MAX_ERRORS=0")
    assert result.returncode == 1, result.stderr[-3000:]
    # Without LOG_FILE the failed run's summary, naming its report, is on the console already.
    [summary] = [line for line in result.stderr.splitlines() if "newsbot moondaily: failed - " in line]
    assert summary.endswith(f"; report {out / 'moondaily.report.json'}")
    for name in set(SITES) - {"moondaily"}:
        assert json.loads((out / f"{name}.report.json").read_text())["outcome"] == "ok", name
    assert_whole_network_written(delivered(out), manifest)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["-a", "sections=superpowers"], "-a sections names one site's sections: use `scrapy crawl SITE"),
        (["-s", "NEWSBOT_OUTPUT=all.jsonl"], "-s NEWSBOT_OUTPUT: one file for every spider; put {spider}"),
        (["-O", "all.jsonl"], "feed all.jsonl: one file for every spider; put %(name)s"),
        # Scrapy fills only its own placeholders in a feed's URI: each spider would overwrite the others'.
        (["-O", "{spider}.jsonl"], "feed {spider}.jsonl: one file for every spider; put %(name)s"),
        (["-s", 'FEEDS={"all.jsonl": {"format": "jsonlines"}}'], "feed all.jsonl: one file for every"),
        (["-a", "source=feed"], "marsdaily.com has no known feed"),
        # One JOBDIR shared by every crawler: one reading another's unflushed queue file lost requests.
        (["-s", "JOBDIR=job"], "-s JOBDIR: one spider's job folder; to pause and resume, `scrapy crawl"),
    ],
)
def test_crawlall_usage_errors_are_one_line_and_exit_2(words, message, tmp_path):
    command = ["scrapy", "crawlall", "-s", f"NEWSBOT_MIRROR={tmp_path}", *words]
    result = processes.run(command, ROOT, timeout=60)
    assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
    assert result.stderr.startswith("scrapy crawlall: ") and message in result.stderr


def test_a_spiders_feed_file_another_crawlall_is_writing_is_refused_in_one_line(tmp_path):
    """`-O out/%(name)s.jsonl` twice at once: each spider's file truncated by the second run."""
    import os

    from newsbot.cli.commands.crawl import lock_feed

    first = lock_feed(tmp_path / "marsdaily.jsonl")  # the first run, still writing
    try:
        command = [
            "scrapy",
            "crawlall",
            "-s",
            "NEWSBOT_MIRROR=tests/site",
            "-O",
            f"{tmp_path}/%(name)s.jsonl",
        ]
        result = processes.run(command, ROOT, timeout=60)
    finally:
        assert first is not None
        os.close(first)
    assert (result.returncode, result.stderr.count("\n")) == (2, 1), result.stderr
    assert f"{tmp_path / 'marsdaily.jsonl'} is being written by another run" in result.stderr
