"""Without a network: a host that cannot be resolved or reached is one line naming it and the likely
cause, after one try, and the command ends at once (exit 1) instead of retrying with backoff."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError, DownloadConnectionRefusedError, DownloadTimeoutError
from twisted.internet.error import ConnectionLost, NoRouteError

from newsbot.cli.main import main
from newsbot.middlewares.downloader import PoliteRetryMiddleware
from tests import processes
from tests.components import make_crawler, run
from tests.conftest import ROOT
from tests.crawling import run_crawl

# What each command promises a newcomer without a network (README, Quick start): within 15 s. A
# subprocess's wall clock includes its start-up, which a test machine busy with other suites can
# stretch: it gets four times that; the crawl's own duration (its report's) gets the bound itself.
BOUND_SECONDS = 15
WALL_CLOCK_SECONDS = 4 * BOUND_SECONDS
UNRESOLVABLE = "http://nowhere.invalid"  # RFC 6761: never resolves
HINT = "`newsbot demo` tries newsbot offline"


@pytest.fixture(scope="module")
def closed_port_url() -> str:
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def _timed(command: list[str]) -> tuple[subprocess.CompletedProcess[str], float]:
    environ = {k: v for k, v in os.environ.items() if k not in ("NEWSBOT_MIRROR", "SCRAPY_SETTINGS_MODULE")}
    started = time.monotonic()
    result = processes.run(command, ROOT, environ, timeout=120)
    return result, time.monotonic() - started


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (CannotResolveHostError("DNS lookup failed"), False),
        (DownloadConnectionRefusedError("refused"), False),
        (NoRouteError(), False),
        (DownloadTimeoutError("took too long"), True),
        (ConnectionLost("reset"), True),
    ],
)
def test_a_host_that_cannot_be_reached_is_not_retried_and_transient_faults_are(tmp_path, error, retried):
    async def scenario():
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_RETRY_BACKOFF": 0})
        retry = crawler.get_downloader_middleware(PoliteRetryMiddleware)
        again = await retry.process_exception(Request("https://www.spacewar.com/superpowers.html"), error)
        assert isinstance(again, Request) is retried

    run(scenario())


@pytest.mark.parametrize(
    ("mirror", "line"),
    [
        (UNRESOLVABLE, "could not resolve nowhere.invalid: no network or DNS?"),
        (None, "refused the connection"),  # None: the closed port
    ],
)
def test_a_crawl_that_reaches_nothing_ends_at_once_in_one_line_and_exits_1(
    tmp_path, closed_port_url, mirror, line
):
    started = time.monotonic()
    result = run_crawl(
        "spacewar", mirror or closed_port_url, tmp_path, args={"sections": "superpowers"},
        settings={"NEWSBOT_RETRY_BACKOFF": "2"},  # the shipped backoff: no retry waits it out
    )  # fmt: skip
    assert time.monotonic() - started < WALL_CLOCK_SECONDS
    assert result.returncode == 1
    assert result.report["duration_seconds"] < BOUND_SECONDS
    assert "Traceback" not in result.log
    # One try of robots.txt, and nothing else asked of a host that cannot be reached.
    assert result.stats["downloader/request_count"] == 1
    assert "retry/count" not in result.stats
    (failure,) = result.report["failures"]
    assert line in failure and HINT in failure
    # The last line says it: the summary, naming the host and the offline way to try newsbot.
    last = result.log.strip().splitlines()[-1]
    assert "newsbot spacewar: failed - " in last and failure in last
    assert sum(line in text for text in result.log.splitlines()) == 2  # said where it happened, and summed up


def test_scrapy_parse_of_a_page_it_cannot_reach_exits_1_saying_why(closed_port_url):
    url = "https://www.spacewar.com/superpowers.html"
    command = ["scrapy", "parse", "--spider=spacewar", url]
    result, seconds = _timed([*command, "-s", f"NEWSBOT_MIRROR={closed_port_url}"])
    assert seconds < WALL_CLOCK_SECONDS
    assert result.returncode == 1
    assert "refused the connection" in result.stderr and HINT in result.stderr
    assert "Traceback" not in result.stderr


def test_newsbot_check_of_a_site_it_cannot_reach_exits_1_and_judges_nothing(closed_port_url):
    command = ["newsbot", "check", "spacewar", "--mirror", closed_port_url]
    result, seconds = _timed(command)
    assert seconds < WALL_CLOCK_SECONDS
    assert result.returncode == 1, result.stdout + result.stderr
    assert "VERDICT" not in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("NOT CHECKED spacewar: 127.0.0.1:") and "refused the connection" in last
    document = json.loads(_timed([*command, "--json"])[0].stdout)
    assert (document["verdict"], document["sites"][0]["verdict"], document["exit_status"]) == (None, None, 1)


def test_newsbot_sections_stops_at_the_first_host_it_cannot_reach(closed_port_url, capsys):
    started = time.monotonic()
    assert main(["sections", "--mirror", closed_port_url]) == 1
    assert time.monotonic() - started < BOUND_SECONDS
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith(
        f"newsbot sections: {closed_port_url.removeprefix('http://')} refused the connection"
    )
    assert HINT in err
