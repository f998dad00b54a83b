"""The fault-injecting server (tests/faultserver.py): every fault, seen by a plain HTTP client.

Clients are urllib, http.client and raw sockets; stalls are short (0.5 s) so the module stays fast.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import threading
import time
import urllib.error
import urllib.request
import urllib.robotparser
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import pytest

from newsbot.registry import load_registry
from tests.conftest import SNAPSHOT
from tests.faultserver import CAPTCHA_PAGE, FaultPlan, FaultServer, RandomFaults, faults

ARTICLE = "/www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"
SECTION = "/www.spacewar.com/superpowers.html"
STALL = 0.5


def serve(*rules, random: RandomFaults | None = None) -> FaultServer:
    return FaultServer(SNAPSHOT, FaultPlan(list(rules), random=random))


def get(server: FaultServer, path: str, *, timeout: float = 5, method: str = "GET"):
    """(status, headers, body) over http.client, which follows no redirect and hides no error."""
    connection = http.client.HTTPConnection(*server.address, timeout=timeout)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def raw(server: FaultServer, path: str, *, timeout: float = 5) -> tuple[bytes, BaseException | None]:
    """Everything the server sent on a raw socket until it closed, and how the connection ended."""
    with socket.create_connection(server.address, timeout=timeout) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError as error:
            return received, error
    return received, None


def split_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, body


# --- serving the snapshot ----------------------------------------------------------------------


def test_serves_the_snapshot_in_mirror_layout():
    with serve() as server:
        status, headers, body = get(server, ARTICLE)
        assert status == 200
        assert headers["Content-Type"] == "text/html"
        assert body == (SNAPSHOT / ARTICLE.lstrip("/")).read_bytes()
        assert int(headers["Content-Length"]) == len(body)
        status, headers, _ = get(server, "/www.spacewar.com/spacewar.xml")
        assert (status, headers["Content-Type"]) == (200, "application/rss+xml")
        assert get(server, "/www.spacewar.com/")[0] == 200  # a folder is its index.html
        assert get(server, "/www.spacewar.com/nothing-here.html")[0] == 404
        assert get(server, "/www.spacewar.com/../../../etc/passwd")[0] == 404
        assert get(server, ARTICLE + "?utm=rss")[0] == 200
        assert get(server, ARTICLE, method="HEAD")[2] == b""
        assert [r.status for r in server.requests] == [200, 200, 200, 404, 404, 200, 200]
        assert server.count(ARTICLE) == 3  # the query is not part of the path


def test_urllib_reads_it_like_any_server():
    with serve() as server, urllib.request.urlopen(server.url + SECTION, timeout=5) as response:
        assert b"SUPERPOWERS" in response.read()


# --- the faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_error_bursts_end_after_their_count(status):
    with serve(faults.errors(SECTION, status=status, times=2)) as server:
        assert [get(server, SECTION)[0] for _ in range(4)] == [status, status, 200, 200]
        assert server.statuses(SECTION) == [status, status, 200, 200]
        assert [r.fault for r in server.requests] == ["status", "status", None, None]
        assert get(server, ARTICLE)[0] == 200  # other paths untouched


def test_a_regex_rule_counts_each_path_on_its_own():
    with serve(faults.errors(re.compile(r"^/www\.spacewar\.com/"), status=503, times=1)) as server:
        assert [get(server, p)[0] for p in (SECTION, ARTICLE, SECTION, ARTICLE)] == [503, 503, 200, 200]
        assert get(server, "/www.spacedaily.com/index.html")[0] == 200


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after(status):
    with serve(faults.retry_after(SECTION, status=status, seconds=3, times=1)) as server:
        got, headers, _ = get(server, SECTION)
        assert (got, headers["Retry-After"]) == (status, "3")
        assert get(server, SECTION)[0] == 200
    with serve(faults.retry_after(SECTION, seconds="Wed, 21 Oct 2015 07:28:00 GMT")) as server:
        assert get(server, SECTION)[1]["Retry-After"] == "Wed, 21 Oct 2015 07:28:00 GMT"


def test_a_stall_outlasts_a_client_timeout_and_blocks_no_other_request():
    with serve(faults.stall(SECTION, seconds=STALL)) as server:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            get(server, SECTION, timeout=STALL / 5)
        with ThreadPoolExecutor(2) as pool:
            stalled = pool.submit(get, server, SECTION)
            time.sleep(0.05)
            quick_started = time.monotonic()
            assert get(server, ARTICLE)[0] == 200
            assert time.monotonic() - quick_started < STALL / 2, "the stall blocked another request"
            assert stalled.result()[0] == 200
        assert time.monotonic() - started >= STALL
        stalls = [r for r in server.settled() if r.path == SECTION]
        assert all(
            r.finished is not None and r.finished - r.started >= STALL * 0.9
            for r in stalls
            if r.status == 200
        )


def test_a_dropped_connection_ends_mid_body_with_a_reset():
    with serve(faults.drop(ARTICLE, after=300)) as server:
        data, error = raw(server, ARTICLE)
        status, headers, body = split_response(data)
        assert status == 200
        assert len(body) == 300 < int(headers["Content-Length"])
        assert error is None or isinstance(error, ConnectionResetError)
        with pytest.raises((http.client.IncompleteRead, ConnectionResetError)):
            get(server, ARTICLE)
        (record, _) = server.requests
        assert (record.status, record.fault, record.bytes_sent) == (200, "drop", 300)


def test_a_truncated_body_promises_more_than_it_sends():
    with serve(faults.truncate(ARTICLE, after=1000, times=1)) as server:
        with pytest.raises(http.client.IncompleteRead) as caught:
            get(server, ARTICLE)
        assert len(caught.value.partial) == 1000
        assert caught.value.expected > 0
        assert get(server, ARTICLE)[0] == 200  # times=1: then the page


def test_not_found():
    with serve(faults.not_found(ARTICLE)) as server:
        assert get(server, ARTICLE)[0] == 404
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(server.url + ARTICLE, timeout=5)
        assert caught.value.code == 404


def _follow(server: FaultServer, path: str, limit: int = 10) -> list[str]:
    """Follow redirects by hand, mapping real network URLs to this server as the crawler does."""
    hops = []
    for _ in range(limit):
        status, headers, _ = get(server, path)
        if status not in (301, 302, 303, 307, 308):
            hops.append(str(status))
            return hops
        location = headers["Location"]
        hops.append(location)
        if not load_registry().is_network_host(urlsplit(location).hostname or ""):
            return hops  # off the network: not ours to fetch
        path = faults.mirror_path(location)
    hops.append("loop")
    return hops


def test_redirect_chains_loops_and_off_network_redirects():
    chain = faults.redirect_chain(
        "/www.spacewar.com/a.html",
        "https://www.spacewar.com/b.html",
        "https://spacewar.com/c.html",
        "https://www.spacewar.com/superpowers.html",
    )
    loop = faults.redirect_loop("https://www.spacewar.com/x.html", "https://www.spacewar.com/y.html")
    away = faults.redirect("/www.spacewar.com/away.html", "http://evil.example/phish", status=302)
    with serve(*chain, *loop, away) as server:
        assert _follow(server, "/www.spacewar.com/a.html") == [
            "https://www.spacewar.com/b.html",
            "https://spacewar.com/c.html",
            "https://www.spacewar.com/superpowers.html",
            "200",
        ]
        assert _follow(server, "/www.spacewar.com/x.html", limit=5) == [
            "https://www.spacewar.com/y.html",
            "https://www.spacewar.com/x.html",
        ] * 2 + ["https://www.spacewar.com/y.html", "loop"]
        assert _follow(server, "/www.spacewar.com/away.html") == ["http://evil.example/phish"]
        assert server.statuses("/www.spacewar.com/b.html") == [301]


@pytest.mark.parametrize(
    "location", ["/www.spacewar.com/b.html", "http://127.0.0.1:8000/www.spacewar.com/b.html", "b.html"]
)
def test_a_redirect_to_a_mirror_url_is_refused(location):
    with pytest.raises(ValueError):
        faults.redirect("/www.spacewar.com/a.html", location)


def test_robots_txt_disallows_a_path():
    rules = faults.robots("www.spacewar.com", disallow=["/reports/"])
    with serve(rules) as server:
        status, headers, body = get(server, "/www.spacewar.com/robots.txt")
        assert (status, headers["Content-Type"]) == (200, "text/plain")
        robots = urllib.robotparser.RobotFileParser()
        robots.parse(body.decode().splitlines())
        assert not robots.can_fetch("newsbot", "https://www.spacewar.com/reports/X_999.html")
        assert robots.can_fetch("newsbot", "https://www.spacewar.com/superpowers.html")
        # Other sites keep their own robots.txt from the snapshot.
        assert b"/reports/" not in get(server, "/www.spacedaily.com/robots.txt")[2]


def test_a_huge_page_is_streamed_to_the_end_or_abandoned_midway():
    size = 20 * 1024 * 1024
    with serve(faults.huge(ARTICLE, size=size)) as server:
        connection = http.client.HTTPConnection(*server.address, timeout=10)
        connection.request("GET", ARTICLE)
        response = connection.getresponse()
        assert int(response.getheader("Content-Length")) == size
        received, head = 0, b""
        while chunk := response.read(1024 * 1024):
            head = head or chunk
            received += len(chunk)
        connection.close()
        assert received == size
        assert head.startswith(b"<!DOCTYPE html>")
        # A client that gives up after 1 MB (a download size limit) does not upset the server.
        data, _ = _abandon_after(server, ARTICLE, 1024 * 1024)
        assert len(data) >= 1024 * 1024
        assert get(server, SECTION)[0] == 200
    with serve(faults.huge(ARTICLE, size=3 * 1024 * 1024, declare_length=False)) as server:
        status, headers, body = get(server, ARTICLE)
        assert status == 200 and "Content-Length" not in headers
        assert len(body) == 3 * 1024 * 1024 and body.endswith(b"</html>\n")


def _abandon_after(server: FaultServer, path: str, limit: int) -> tuple[bytes, None]:
    with socket.create_connection(server.address, timeout=5) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = b""
        while len(data) < limit:
            data += sock.recv(65536)
    return data, None


def test_garbage_and_empty_pages_come_as_text_html():
    with serve(faults.garbage(ARTICLE, size=5000, seed=3), faults.empty(SECTION)) as server:
        status, headers, body = get(server, ARTICLE)
        assert (status, headers["Content-Type"], len(body)) == (200, "text/html", 5000)
        assert body == get(server, ARTICLE)[2], "the same seed, the same garbage"
        assert not body.isascii()
        assert get(server, SECTION) == (200, {**get(server, SECTION)[1]}, b"")
        assert get(server, SECTION)[1]["Content-Length"] == "0"


def test_block_pages():
    with serve(faults.blocked(ARTICLE), faults.captcha(SECTION)) as server:
        status, _, body = get(server, ARTICLE)
        assert status == 403 and b"Access Denied" in body
        status, headers, body = get(server, SECTION)
        assert (status, headers["Content-Type"]) == (200, "text/html")
        assert b"<title>Attention Required! | Cloudflare</title>" in body
        assert b"Please complete the security check" in body
        assert body == CAPTCHA_PAGE


# --- random faults -----------------------------------------------------------------------------


def _statuses_under(random_faults: RandomFaults, paths: list[str]) -> list[int]:
    with serve(random=random_faults) as server:
        for path in paths:
            with contextlib.suppress(http.client.HTTPException, OSError):
                get(server, path)
        return [r.status for r in server.requests]


def test_random_faults_are_the_same_for_the_same_seed():
    paths = [ARTICLE, SECTION, "/www.spacewar.com/index.html"] * 20
    choices = [faults.errors(status=503), faults.not_found(), faults.drop(after=10)]
    first = _statuses_under(RandomFaults(seed=42, rate=0.3, choices=choices), paths)
    again = _statuses_under(RandomFaults(seed=42, rate=0.3, choices=choices), paths)
    other = _statuses_under(RandomFaults(seed=43, rate=0.3, choices=choices), paths)
    assert first == again
    assert first != other
    faulted = sum(status != 200 for status in first)
    assert 5 <= faulted <= 35, faulted  # about 30% of 60; the drops still answer 200 first
    assert set(first) <= {200, 404, 503}


def test_rules_win_over_random_faults_and_robots_txt_is_spared():
    random_faults = RandomFaults(seed=1, rate=1.0, choices=[faults.errors(status=500)])
    with serve(faults.not_found(ARTICLE), random=random_faults) as server:
        assert get(server, ARTICLE)[0] == 404
        assert get(server, SECTION)[0] == 500
        assert get(server, "/www.spacewar.com/robots.txt")[0] == 200


# --- the request log ----------------------------------------------------------------------------


def test_the_log_measures_concurrency_per_host():
    with serve(faults.stall(seconds=1.0)) as server:  # every request stalls: all 4 overlap
        barrier = threading.Barrier(4)

        def fetch(path: str) -> int:
            barrier.wait()
            return get(server, path)[0]

        with ThreadPoolExecutor(4) as pool:
            paths = [SECTION, ARTICLE, "/www.spacewar.com/index.html", "/www.spacedaily.com/index.html"]
            assert list(pool.map(fetch, paths)) == [200] * 4
        assert server.max_concurrency("www.spacewar.com") == 3
        assert server.max_concurrency("www.spacedaily.com") == 1
        assert server.max_concurrency() == 4
        assert server.count(host="www.spacewar.com") == 3


def test_the_log_records_each_request_and_the_gaps_between_them():
    with serve() as server:
        for _ in range(3):
            get(server, "/www.spacedaily.com/index.html")
            time.sleep(0.1)
        gaps = server.gaps("www.spacedaily.com")
        assert len(gaps) == 2 and all(gap >= 0.1 for gap in gaps)
        assert server.max_concurrency("www.spacedaily.com") == 1
        record = server.requests[0]
        assert (record.host, record.method, record.client[0]) == ("www.spacedaily.com", "GET", "127.0.0.1")
        assert (record.status, record.fault) == (200, None)
        assert record.started <= record.finished
        assert record.user_agent is None  # http.client sends none
        urllib.request.urlopen(server.url + "/www.spacedaily.com/index.html", timeout=5).close()
        assert server.requests[-1].user_agent.startswith("Python-urllib/")
        server.reset()
        assert server.requests == [] and server.max_concurrency() == 0


def test_stopping_the_server_ends_its_stalls():
    server = serve(faults.stall(SECTION, seconds=30))
    with server:
        thread = threading.Thread(target=lambda: _swallow(get, server, SECTION, timeout=60), daemon=True)
        thread.start()
        time.sleep(0.2)
        started = time.monotonic()
    thread.join(5)
    assert not thread.is_alive()
    assert time.monotonic() - started < 5


def _swallow(call, *args, **kwargs) -> None:
    with contextlib.suppress(http.client.HTTPException, OSError):
        call(*args, **kwargs)


def test_a_challenge_page_comes_with_any_status():
    with serve(faults.challenge(ARTICLE), faults.challenge(SECTION, status=503)) as server:
        status, _, body = get(server, ARTICLE)
        assert status == 200 and b"<title>Just a moment...</title>" in body and b"cf_chl" in body
        assert get(server, SECTION)[0] == 503


def test_endless_pagination_repeats_the_last_real_page_and_links_the_next_for_ever():
    with serve(faults.endless_pagination("www.spacewar.com", "superpowers", after=3)) as server:
        real_two = get(server, "/www.spacewar.com/superpowers-02.html")[2]
        assert real_two == (SNAPSHOT / "www.spacewar.com" / "superpowers-02.html").read_bytes()
        third = get(server, "/www.spacewar.com/superpowers-03.html")[2]
        page_77 = get(server, "/www.spacewar.com/superpowers-77.html")[2]
        assert b'<a href="superpowers-04.html">Older</a>' in third
        assert b'<a href="superpowers-78.html">Older</a>' in page_77
        entries = re.compile(rb'href="/reports/[^"]+"')
        assert entries.findall(page_77) == entries.findall(third) != []


def test_a_link_flood_lists_the_real_entries_then_the_generated_ones():
    with serve(faults.link_flood(SECTION, links=50_000)) as server:
        status, _, body = get(server, SECTION)
    real = (SNAPSHOT / "www.spacewar.com" / "superpowers.html").read_bytes()
    links = re.findall(rb'href="/reports/([^"]+)"', body)
    assert status == 200 and links[: len(re.findall(rb'href="/reports/', real))] == re.findall(
        rb'href="/reports/([^"]+)"', real
    )
    assert sum(link.startswith(b"Flood_") for link in links) == 50_000
    assert len(body) < 8 * 1024 * 1024, (
        "under DOWNLOAD_MAXSIZE: the bound under test is the links, not the size"
    )
