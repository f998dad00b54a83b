"""A hostile web: a crawl through the fault-injecting server loses nothing it could have had.

Every article the server serves correctly at least once within the retry policy is written once,
with the same item as without faults; every other one is in the run report under its reason.
"""

from __future__ import annotations

import re
import statistics

import pytest

from tests.conftest import SNAPSHOT
from tests.crawling import expected_for_sections, run_crawl
from tests.faultserver import FaultPlan, FaultServer, faults

SECTIONS = {"superpowers", "missile-defense", "military-space"}
COMPARED_FIELDS = (
    "url",
    "site",
    "title",
    "dateline",
    "date_published",
    "paragraphs",
    "images",
    "related_links",
)
# Fast retries for the test; the shipped defaults are 2 s doubling (README, "Politeness").
FAULT_SETTINGS = {
    "DOWNLOAD_TIMEOUT": "1",
    "RETRY_TIMES": "3",
    "NEWSBOT_RETRY_BACKOFF": "0.2",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "4",
    "NEWSBOT_MAX_ERRORS": "100",
}


def _path(url: str) -> str:
    return faults.mirror_path(url)


@pytest.fixture(scope="module")
def spacewar_articles(manifest) -> list[str]:
    """Articles of spacewar's own sections on www.spacewar.com itself, in a fixed order."""
    listed, _ = expected_for_sections(manifest, "spacewar.com", SECTIONS)
    return sorted(url for url in listed if url.startswith("https://www.spacewar.com/reports/"))


def test_a_crawl_through_faults_writes_what_could_be_had_and_reports_the_rest(
    manifest, spacewar_articles, tmp_path
):
    a = spacewar_articles
    recovered = {  # faulty at first, served correctly within the retry policy
        "burst_503": a[0],
        "retry_after": a[1],
        "stall_once": a[2],
        "drop_once": a[3],
        "redirect_chain": a[4],
    }
    lost = {  # never served correctly: missing, with the reason the report must give
        a[5]: "server_error",
        a[6]: "timeout",
        a[7]: "connection",
        a[8]: "connection",
        a[9]: "gone",
        a[10]: "redirect_loop",
        a[11]: "off_network",
        a[12]: "robots",
        a[13]: "too_large",
        a[14]: "not_html",
        a[15]: "not_html",
        a[16]: "blocked",
        a[17]: "blocked",
        a[18]: "connection",
    }
    detour = "https://www.spacewar.com/reports/Moved_Elsewhere_999.html"
    plan = FaultPlan(
        [
            faults.errors(_path(recovered["burst_503"]), status=503, times=2),
            faults.retry_after(_path(recovered["retry_after"]), status=429, seconds=1, times=1),
            faults.stall(_path(recovered["stall_once"]), seconds=3, times=1),
            faults.drop(_path(recovered["drop_once"]), after=300, times=1),
            faults.redirect(_path(recovered["redirect_chain"]), detour, times=1),
            faults.redirect(_path(detour), recovered["redirect_chain"]),
            faults.errors(_path(a[5]), status=502),
            faults.stall(_path(a[6]), seconds=3),
            faults.drop(_path(a[7]), after=300),
            faults.truncate(_path(a[8]), after=300),
            faults.not_found(_path(a[9])),
            *faults.redirect_loop(a[10], "https://www.spacewar.com/reports/Loop_Back_999.html"),
            faults.redirect(_path(a[11]), "http://evil.example/phish.html"),
            faults.robots("www.spacewar.com", disallow=[re.sub(r"^https://www\.spacewar\.com", "", a[12])]),
            faults.huge(_path(a[13])),
            faults.garbage(_path(a[14])),
            faults.empty(_path(a[15])),
            faults.blocked(_path(a[16])),
            faults.captcha(_path(a[17])),
            faults.truncate(_path(a[18]), after=3000, declare_length=False),  # ended by the close
        ]
    )
    with FaultServer(SNAPSHOT, plan) as server:
        result = run_crawl("spacewar", server.url, tmp_path, settings=FAULT_SETTINGS, timeout=300)
        burst_statuses = server.statuses(_path(recovered["burst_503"]))
        burst_times = [r.started for r in server.requests_for(_path(recovered["burst_503"]))]
        retry_after_times = [r.started for r in server.requests_for(_path(recovered["retry_after"]))]
        off_network_requests = server.count(host="evil.example")

    listed, _ = expected_for_sections(manifest, "spacewar.com", SECTIONS)
    written = {item["url"]: item for item in result.items}
    report = result.report

    # Written: every article that could be had, once, and the same item as without faults.
    assert len(result.items) == len(written)
    for url in recovered.values():
        assert url in written, url
    for url, item in written.items():
        for name in COMPARED_FIELDS:
            assert item[name] == listed[url][name], (url, name)
        assert item["notes"] == []

    # Missing: every other one, under its reason, with its URL, in the report and the log.
    missing = {url: reason for reason, urls in report["missing_articles"].items() for url in urls}
    assert missing == lost
    for url, reason in lost.items():
        assert f"Missing article {url} ({reason})" in result.log
        assert report["stats"][f"newsbot/missing/{reason}"] >= 1
    assert set(written) | set(missing) == set(listed), "an article is neither written nor reported"

    # Retries back off, and Retry-After is honoured.
    assert burst_statuses == [503, 503, 200]
    assert burst_times[1] - burst_times[0] >= 0.2 * 0.9
    assert burst_times[2] - burst_times[1] >= 0.4 * 0.9
    assert retry_after_times[1] - retry_after_times[0] >= 0.95
    assert report["stats"]["newsbot/retry/retry_after_honoured"] >= 1
    # Off-network redirects are not followed; block pages are never parsed and fail the run.
    assert off_network_requests == 0
    assert report["blocked_responses"] == 2
    assert result.returncode == 1
    assert any("block pages" in failure for failure in report["failures"])


def test_politeness_settings_hold_per_domain(tmp_path):
    # The gaps are measured where the site sees them. A request reaches the wire some milliseconds
    # after its slot starts the delay, the first one (robots.txt, a new connection) the latest: on a
    # busy machine one gap fell 7-63 ms short of the delay. So the median gap must be the delay, and
    # no gap may be less than half of it (a delay not kept at all gives gaps of milliseconds).
    polite = {
        "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
        "DOWNLOAD_DELAY": "0.5",
        "RANDOMIZE_DOWNLOAD_DELAY": "False",
        "AUTOTHROTTLE_ENABLED": "False",
    }
    with FaultServer(SNAPSHOT, FaultPlan()) as server:
        result = run_crawl(
            "spacewar",
            server.url,
            tmp_path,
            args={"sections": "superpowers", "max_pages": "1"},
            settings=polite,
            timeout=120,
        )
        concurrency = server.max_concurrency("www.spacewar.com")
        gaps = server.gaps("www.spacewar.com")
        agents = {r.user_agent for r in server.requests}
    assert result.returncode == 0, result.log[-2000:]
    assert concurrency == 1
    assert gaps and statistics.median(gaps) >= 0.5 * 0.95 and min(gaps) >= 0.5 / 2, gaps
    (agent,) = agents
    assert agent.startswith("newsbot/") and "+http" in agent


def test_sigterm_ends_a_run_waiting_out_a_retry_after_within_seconds_and_loses_nothing(tmp_path):
    """systemd and Scrapyd stop with SIGTERM, then SIGKILL after 90 s: a run waiting on a
    `Retry-After: 240` must end within seconds, with the waiting article in the ledger."""
    import signal
    import time

    from newsbot.store.sqlite import SqliteSeenStore
    from tests import processes
    from tests.conftest import ROOT
    from tests.crawling import FAST_SETTINGS

    waiting = "https://www.spacewar.com/reports/Chinas_premier_to_visit_North_Korea_this_week_999.html"
    plan = FaultPlan([faults.retry_after(_path(waiting), status=503, seconds=240)])
    with FaultServer(SNAPSHOT, plan) as server:
        settings = {
            **FAST_SETTINGS,
            "NEWSBOT_MIRROR": server.url,
            "NEWSBOT_OUTPUT": str(tmp_path / "spacewar.jsonl"),
            "NEWSBOT_STATE": str(tmp_path / "seen.sqlite"),
        }
        command = ["scrapy", "crawl", "spacewar", "-a", "sections=superpowers"]
        command += [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]
        crawl = processes.Process(command, ROOT)
        deadline = time.monotonic() + 60
        while not server.count(_path(waiting)) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)  # the answer arrived: the crawl now waits out its Retry-After
        stopped_at = time.monotonic()
        crawl.send_signal(signal.SIGTERM)
        _, log = crawl.communicate(timeout=60)
    assert time.monotonic() - stopped_at < 15, log[-3000:]
    assert crawl.returncode == 1, log[-3000:]  # a shutdown is not a run that did its job
    assert "Traceback" not in log
    store = SqliteSeenStore(tmp_path / "seen.sqlite")
    assert (waiting, "stopped") in {(e.url, e.reason) for e in store.ledger_pending("spacewar.com")}
    assert not store.last_walk_completed("spacewar.com", "superpowers")
    store.close()


@pytest.mark.parametrize("answer", ["503", "html", "cut"])
def test_a_feed_run_whose_feed_cannot_be_had_or_is_no_feed_fails(tmp_path, answer):
    """A feed cut without a Content-Length (ended by the close) read as a short feed: ok, exit 0, the
    articles of its second half neither had nor owed."""
    feed = "https://www.spacedaily.com/spacedaily.xml"
    fault = {
        "503": faults.errors(_path(feed), status=503),
        "html": faults.respond(_path(feed), body=b"<html><body><p>Not a feed</p></body></html>"),
        "cut": faults.truncate(_path(feed), after=4000, declare_length=False),
    }[answer]
    with FaultServer(SNAPSHOT, FaultPlan([fault])) as server:
        result = run_crawl(
            "spacedaily", server.url, tmp_path, args={"source": "feed"}, settings=FAULT_SETTINGS
        )
    assert result.returncode == 1, result.log[-3000:]
    assert "the feed could not be had, or was not a feed" in result.report["failures"]
