"""A cluster on scrapy-redis and a real Redis: workers share one frontier and one store, lose nothing.

The Redis is the one `.ci/run` starts (NEWSBOT_TEST_REDIS_URL), else a `redis-server` this module
starts on loopback. Without either the module is skipped, except in CI (CI=true), where it fails.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
import pickle
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import pytest
import scrapy

import newsbot.settings
from newsbot import distributed
from newsbot.distributed import (
    ClusterScheduler,
    NotCarriable,
    RedisSeenStore,
    RefusedPayload,
    ReliableQueue,
    request_fingerprint,
)
from newsbot.mirror import mirror_url
from newsbot.registry import load_registry
from newsbot.snapshot_server import _QuietHandler
from newsbot.spiders.loader import site_spiders
from newsbot.store import KnownArticle, SqliteSeenStore, store_for
from tests.conftest import ROOT, SNAPSHOT
from tests.crawling import FAST_SETTINGS, expected_for_sections

redis = pytest.importorskip("redis")

# Slow enough that both workers are up before the frontier is drained, and that a kill lands mid-run.
SHARED = {"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}


# --- Redis -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a Redis on loopback (no database number)."""
    given = os.environ.get("NEWSBOT_TEST_REDIS_URL")
    if given:
        _wait_for_redis(given.rstrip("/"))
        yield given.rstrip("/")
        return
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed (and NEWSBOT_TEST_REDIS_URL is not set)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{message}: CI must run the cluster tests; .ci/run installs and starts Redis")
        pytest.skip(message)
    port = _free_port()
    folder = tmp_path_factory.mktemp("redis")
    command = [
        binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
        "--dir", str(folder),
    ]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}"
    try:
        _wait_for_redis(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


_databases = itertools.cycle(range(1, 16))


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """An empty Redis database of its own for one test."""
    url = f"{redis_server}/{next(_databases)}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_redis(url: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            client.close()


# --- the snapshot, served with a count of every GET ------------------------------------------------


class _CountingHandler(_QuietHandler):
    def do_GET(self) -> None:
        with self.server.lock:  # type: ignore[attr-defined]
            self.server.requested[self.path] += 1  # type: ignore[attr-defined]
        super().do_GET()


@contextmanager
def counting_snapshot_server() -> Iterator[SimpleNamespace]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_CountingHandler, directory=str(SNAPSHOT))
    )
    server.requested = Counter()  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SimpleNamespace(url=f"http://127.0.0.1:{server.server_address[1]}", requested=server.requested)
    finally:
        server.shutdown()
        server.server_close()


def _path(url: str) -> str:
    """The path the mirror asks the snapshot server for, for a real URL."""
    return mirror_url("", url)


# --- workers ---------------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen
    output: Path
    report_path: Path
    log_path: Path

    def finish(self, timeout: float = 90) -> Worker:
        self.proc.wait(timeout=timeout)
        return self

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    @property
    def items(self) -> list[dict]:
        """Complete lines only: a worker killed mid-write leaves a partial last line."""
        if not self.output.exists():
            return []
        data = self.output.read_bytes()
        return [json.loads(line) for line in data[: data.rfind(b"\n") + 1].splitlines()]

    @property
    def stats(self) -> dict:
        return json.loads(self.report_path.read_text())["stats"] if self.report_path.exists() else {}

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def start_worker(
    name: str,
    mirror: str,
    out_dir: Path,
    redis_url: str,
    *,
    settings: dict[str, str] | None = None,
    output: Path | None = None,
    spider: str = "spacewar",
) -> Worker:
    out_dir.mkdir(parents=True, exist_ok=True)
    output = output or out_dir / f"{name}.jsonl"
    report = out_dir / f"{name}.report.json"
    log = out_dir / f"{name}.log"
    merged = {
        **FAST_SETTINGS,
        "NEWSBOT_MIRROR": mirror,
        "NEWSBOT_OUTPUT": str(output),
        "NEWSBOT_STATS_FILE": str(report),
        # Not used with Redis; set so that nothing can touch the user's own store.
        "NEWSBOT_STATE": str(out_dir / "unused.sqlite"),
        "NEWSBOT_REDIS_URL": redis_url,
        **(settings or {}),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    return Worker(name, proc, output, report, log)


def _spacewar_expected(manifest: dict) -> tuple[dict[str, dict], list[set[str]]]:
    slugs = {section.slug for section in load_registry().site("spacewar").sections}
    return expected_for_sections(manifest, "spacewar.com", slugs)


def _assert_every_article_once(items: list[dict], listed: dict[str, dict], groups: list[set[str]]) -> None:
    urls = [item["url"] for item in items]
    assert len(urls) == len(set(urls)), f"written twice: {[u for u, n in Counter(urls).items() if n > 1]}"
    hashes = [item["content_hash"] for item in items]
    assert len(hashes) == len(set(hashes)), "a body was written twice"
    for group in groups:
        assert len(group & set(urls)) == 1, f"syndicated copies {group} not written exactly once"
    assert set(urls) <= set(listed)
    missing = set(listed) - set(urls) - set().union(*groups)
    assert not missing, f"lost: {sorted(missing)}"
    assert len(urls) == len(listed) - sum(len(group) - 1 for group in groups)


def _line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def _wait_for_lines(worker: Worker, lines: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _line_count(worker.output) < lines and worker.proc.poll() is None:
        assert time.monotonic() < deadline, "the worker wrote nothing in time"
        time.sleep(0.005)


# --- end to end ------------------------------------------------------------------------------------


def test_two_workers_write_every_article_exactly_once_and_download_none_twice(redis_url, manifest, tmp_path):
    listed, groups = _spacewar_expected(manifest)
    with counting_snapshot_server() as server:
        workers = [
            start_worker(name, server.url, tmp_path, redis_url, settings=SHARED) for name in ("a", "b")
        ]
        for worker in workers:
            worker.finish()
        requested = Counter(server.requested)

    for worker in workers:
        assert worker.returncode == 0, worker.log[-3000:]
        assert worker.stats["finish_reason"] == "finished"
        # Every request a worker took was released by its outcome, none left for the idle sweep.
        assert worker.stats.get("newsbot/redis/released_at_idle", 0) == 0
        assert worker.stats.get("newsbot/redis/refused_payloads", 0) == 0
    a, b = workers
    assert a.items and b.items, "the frontier was not shared: one worker did everything"
    _assert_every_article_once(a.items + b.items, listed, groups)
    # Downloads, as the server saw them: every listed article and every section page exactly once.
    assert {url: requested[_path(url)] for url in listed} == dict.fromkeys(listed, 1)
    slugs = {section.slug for section in load_registry().site("spacewar").sections}
    pages = [
        page
        for section in manifest["sections"]
        if section["site"] == "spacewar.com" and section["slug"] in slugs
        for page in section["pages"]
    ]
    assert {page: requested[_path(page)] for page in pages} == dict.fromkeys(pages, 1)
    assert sum(worker.stats.get("newsbot/section_pages", 0) for worker in workers) == len(pages)

    # What is left in Redis: the store, the persisted duplicate filter, no queue, no worker.
    client = redis.Redis.from_url(redis_url)
    assert client.zcard("spacewar:requests") == 0
    assert not client.exists("spacewar:workers")
    assert not list(client.scan_iter(match="spacewar:inflight:*"))
    assert client.hlen("newsbot:seen:articles") == len(a.items) + len(b.items)
    assert client.hlen("newsbot:seen:claims:urls") == client.hlen("newsbot:seen:claims:hashes") == 0


def test_a_worker_killed_mid_run_loses_nothing_and_the_other_finishes(redis_url, manifest, tmp_path):
    listed, groups = _spacewar_expected(manifest)
    with counting_snapshot_server() as server:
        victim = start_worker("victim", server.url, tmp_path, redis_url, settings=SHARED)
        survivor = start_worker("survivor", server.url, tmp_path, redis_url, settings=SHARED)
        _wait_for_lines(victim, 3)
        victim.proc.send_signal(signal.SIGKILL)
        victim.finish()
        killed_at = len(victim.items)
        survivor.finish()
        requested = Counter(server.requested)

    assert survivor.returncode == 0, survivor.log[-3000:]
    assert killed_at < len(listed), "the victim finished before it could be killed"
    recovered = survivor.stats.get("newsbot/redis/recovered_requests", 0)
    assert recovered >= 1, "the victim held no request when killed: nothing was recovered"
    assert "stopped beating" in survivor.log
    _assert_every_article_once(victim.items + survivor.items, listed, groups)
    # An article the victim was fetching when killed is fetched again; no other one is.
    assert all(requested[_path(url)] >= 1 for url in listed)
    assert sum(requested[_path(url)] for url in listed) - len(listed) <= recovered


def test_a_killed_worker_is_finished_by_a_worker_started_again_with_its_output(redis_url, manifest, tmp_path):
    listed, groups = _spacewar_expected(manifest)
    output = tmp_path / "spacewar.jsonl"
    with counting_snapshot_server() as server:
        first = start_worker("first", server.url, tmp_path, redis_url, settings=SHARED, output=output)
        _wait_for_lines(first, 5)
        first.proc.send_signal(signal.SIGKILL)
        first.finish()
        before = len(first.items)
        # Nobody else runs: the frontier waits in Redis. A worker started again (same machine, same
        # output file) resumes it, and takes the dead worker's requests once its heartbeat expired.
        again = start_worker("again", server.url, tmp_path, redis_url, output=output).finish()

    assert again.returncode == 0, again.log[-3000:]
    assert before < len(listed), "the first worker finished before it could be killed"
    assert again.stats.get("newsbot/redis/recovered_requests", 0) >= 1
    assert "Joining the frontier of spacewar" in again.log
    items = again.items
    assert items[:before] == first.items[:before]
    _assert_every_article_once(items, listed, groups)
    assert again.stats.get("newsbot/items_written", 0) == len(items) - before


class _WritesAFile:
    """Unpickling this opens (creates) a file: what a planted pickle would do in a crawler."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple:
        return (open, (self.path, "w"))


def test_a_pickled_payload_planted_in_the_queue_is_refused_and_logged_never_run(
    redis_url, manifest, tmp_path
):
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_WritesAFile(proof))).close()
    assert proof.exists(), "the payload is not live: the test would prove nothing"

    marker = tmp_path / "MARKER-from-unpickling"
    planted = pickle.dumps(_WritesAFile(marker), protocol=pickle.HIGHEST_PROTOCOL)
    # Our own envelope, but naming a class to import and call: refused as well.
    forged = {
        "url": "https://www.spacewar.com/x.html",
        "_class": "subprocess.Popen",
        "callback": "parse_article",
    }
    forged_member = ("0" * 40).encode() + distributed.dumps(forged)
    client = redis.Redis.from_url(redis_url)
    # The best scores: these are the first entries any worker takes.
    client.zadd("spacewar:requests", {planted: -1000, forged_member: -999})

    with counting_snapshot_server() as server:
        worker = start_worker("worker", server.url, tmp_path, redis_url).finish()

    assert not marker.exists(), "the planted pickle was unpickled"
    assert worker.returncode == 0, worker.log[-3000:]
    assert worker.stats["newsbot/redis/refused_payloads"] == 2
    log = worker.log
    assert "ERROR: Refused an entry of Redis key spacewar:requests" in log
    assert planted[:8].hex() in log
    assert "request class 'subprocess.Popen' is not allowed" in log
    assert set(client.lrange("spacewar:refused", 0, -1)) == {planted, forged_member}
    # The crawl went on with its other requests.
    listed, groups = _spacewar_expected(manifest)
    _assert_every_article_once(worker.items, listed, groups)


# --- units -----------------------------------------------------------------------------------------


def _crawler(tmp_path: Path, **settings: str):
    from scrapy.utils.test import get_crawler

    project = {name: getattr(newsbot.settings, name) for name in dir(newsbot.settings) if name.isupper()}
    return get_crawler(
        site_spiders()["spacewar"], {**project, "NEWSBOT_STATE": str(tmp_path / "seen.sqlite"), **settings}
    )


def test_without_a_redis_url_nothing_changes(tmp_path):
    crawler = _crawler(tmp_path)
    settings = crawler.settings
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert settings["DUPEFILTER_CLASS"] == "scrapy.dupefilters.RFPDupeFilter"
    assert not settings.getbool("NEWSBOT_SHARED_FRONTIER")
    for name in ("EXTENSIONS", "SPIDER_MIDDLEWARES", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES"):
        components = settings.get_component_priority_dict_with_base(name)
        assert not [c for c in components if "distributed" in str(c)], name
    store = store_for(crawler)
    assert isinstance(store, SqliteSeenStore)
    store.close()


def test_a_redis_url_switches_scheduler_filter_serializer_and_store(tmp_path):
    crawler = _crawler(tmp_path, NEWSBOT_REDIS_URL="redis://127.0.0.1:1/0")
    settings = crawler.settings
    assert settings["SCHEDULER"] == "newsbot.distributed.ClusterScheduler"
    assert settings["SCHEDULER_QUEUE_CLASS"] == "newsbot.distributed.ReliableQueue"
    assert settings["SCHEDULER_SERIALIZER"] == "newsbot.distributed"
    assert settings["DUPEFILTER_CLASS"] == "scrapy_redis.dupefilter.RFPDupeFilter"
    assert settings["REDIS_URL"] == "redis://127.0.0.1:1/0"
    assert settings.getbool("SCHEDULER_PERSIST") and settings.getbool("NEWSBOT_SHARED_FRONTIER")
    assert issubclass(ClusterScheduler, distributed.Scheduler)
    assert isinstance(store_for(crawler), RedisSeenStore)


def test_requests_go_through_json_losslessly():
    request = scrapy.Request(
        "https://www.spacewar.com/a.html",
        headers={"X-Bytes": b"\xff\x00"},
        body=b"\x00\x01binary",
        meta={"tuple": (1, "two"), "keys": {1: "int key", b"b": "bytes key"}, "__bytes__": "plain", "f": 0.5},
        cb_kwargs={"section": "SUPERPOWERS", "summary": None, "origin": "superpowers"},
        priority=7,
    )
    data = request.to_dict()
    payload = distributed.dumps(data)
    assert b"pickle" not in payload and payload.startswith(b"{")
    assert distributed.loads(payload) == data


def test_a_value_json_cannot_carry_is_an_error_at_enqueue_naming_it():
    request = scrapy.Request("https://www.spacewar.com/a.html", meta={"seen": {"a", "b"}})
    with pytest.raises(NotCarriable, match=r"request\['meta'\]\['seen'\]: a set cannot travel"):
        distributed.dumps(request.to_dict())
    with pytest.raises(NotCarriable, match="nan"):
        distributed.dumps(
            scrapy.Request("https://www.spacewar.com/a.html", meta={"x": float("nan")}).to_dict()
        )


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (pickle.dumps({"url": "https://www.spacewar.com/"}), "no request fingerprint"),
        (b"0" * 40 + pickle.dumps({"url": "x"}), "not JSON"),
        (b"0" * 40 + b'{"url": "https://www.spacewar.com/"}', "not a newsbot request envelope"),
        (b"0" * 40 + distributed.dumps({"url": "u", "_class": "os.system"}), "'os.system' is not allowed"),
        (
            b"0" * 40 + distributed.dumps({"url": "u", "callback": "closed"}),
            "callback 'closed' is not allowed",
        ),
        (b"0" * 40 + distributed.dumps({"url": "u", "errback": "start"}), "errback 'start' is not allowed"),
        (b"0" * 40 + distributed.dumps({"url": "u", "eval": "1"}), "unknown request fields"),
        (b"0" * 40 + distributed.dumps({"url": "https://www.spacewar.com/"}), "does not match"),
    ],
)
def test_anything_but_our_json_is_refused(member, reason):
    queue = SimpleNamespace(spider=site_spiders()["spacewar"]())
    with pytest.raises(RefusedPayload, match=reason):
        ReliableQueue._decode_request(queue, member)


def test_a_request_of_ours_is_accepted():
    spider = site_spiders()["spacewar"]()
    request = scrapy.Request(
        "https://www.spacewar.com/superpowers.html",
        callback=spider.parse_section,
        errback=spider.section_failed,
        cb_kwargs={"slug": "superpowers", "label": "SUPERPOWERS", "page": 1, "overshoot": 0},
    )
    member = request_fingerprint(request).encode() + distributed.dumps(request.to_dict(spider=spider))
    decoded = ReliableQueue._decode_request(SimpleNamespace(spider=spider), member)
    assert decoded.to_dict(spider=spider) == request.to_dict(spider=spider)


def test_the_fingerprint_is_the_duplicate_filters():
    from scrapy_redis.dupefilter import RFPDupeFilter

    request = scrapy.Request("https://www.spacewar.com/a.html?b=2&a=1")
    assert request_fingerprint(request) == RFPDupeFilter(None, "k").request_fingerprint(request)


@pytest.fixture(params=["sqlite", "redis"])
def any_store(request, tmp_path):
    if request.param == "sqlite":
        store = SqliteSeenStore(tmp_path / "seen.sqlite")
    else:
        store = RedisSeenStore(request.getfixturevalue("redis_url"))
    yield store
    store.close()


def test_the_redis_store_answers_as_the_sqlite_one(any_store):
    store = any_store
    one = KnownArticle("https://www.spacewar.com/1.html", "h1", "spacewar.com", "SUPERPOWERS", "2025-10-01")
    two = KnownArticle("https://www.spacewar.com/2.html", "h2", "spacewar.com", "SUPERPOWERS", "2025-10-03")
    three = KnownArticle("https://www.terradaily.com/3.html", "h3", "terradaily.com", None, None)
    store.record(one, output="/out/a.jsonl", reconciled_bytes=10)
    assert store.record_many([one, two, three], output="/out/a.jsonl", reconciled_bytes=30) == 2
    store.record_copy("https://www.spacedaily.com/copy.html", one.url, "spacedaily.com")
    assert store.is_known_url(one.url) and store.is_known_url("https://www.spacedaily.com/copy.html")
    assert not store.is_known_url("https://www.spacewar.com/new.html")
    assert store.known_urls([one.url, "https://x/", three.url, one.url]) == {one.url, three.url}
    assert store.owner_of_hash("h2") == two.url and store.owner_of_hash("nope") is None
    assert store.reconciled_bytes("/out/a.jsonl") == 30 and store.reconciled_bytes("/out/b.jsonl") == 0
    store.set_reconciled_bytes("/out/b.jsonl", 5)
    assert store.reconciled_bytes("/out/b.jsonl") == 5
    assert not store.last_walk_completed("spacewar.com", "superpowers")
    store.begin_walk("spacewar.com", "superpowers")
    store.complete_walks("spacewar.com", ["superpowers", "never-begun"])
    assert store.last_walk_completed("spacewar.com", "superpowers")
    assert not store.last_walk_completed("spacewar.com", "never-begun")
    store.begin_walk("spacewar.com", "superpowers")
    assert not store.last_walk_completed("spacewar.com", "superpowers")
    rows = [(r.site, r.section, r.articles, r.newest_date) for r in store.summary()]
    assert rows == [("spacewar.com", "SUPERPOWERS", 2, "2025-10-03"), ("terradaily.com", None, 1, None)]
    assert store.counts() == {"articles": 3, "copies": 1}
    assert store.forget(site="spacewar.com", section="superpowers") == 2
    assert store.counts() == {"articles": 1, "copies": 0}  # the copy of a forgotten article goes too
    assert store.owner_of_hash("h1") is None and store.is_known_url(three.url)
    assert store.forget() == 1 and store.counts() == {"articles": 0, "copies": 0}


def test_reconciled_offsets_are_per_machine_and_file(redis_url):
    here, there = RedisSeenStore(redis_url, host="here"), RedisSeenStore(redis_url, host="there")
    here.set_reconciled_bytes("/srv/out/spacewar.jsonl", 100)
    assert there.reconciled_bytes("/srv/out/spacewar.jsonl") == 0
    assert here.reconciled_bytes("/srv/out/spacewar.jsonl") == 100


def test_two_writers_of_one_body_one_waits_then_drops_its_copy(redis_url):
    store = RedisSeenStore(redis_url)
    first, second = "https://www.spacewar.com/a.html", "https://www.terradaily.com/a.html"
    assert store.claim(first, "h", "w1") == ("claimed", "")
    assert store.claim(first, "h", "w1") == ("claimed", "")  # again, by its holder
    assert store.claim(second, "h", "w2") == ("held", f"w1 {first}")
    assert store.claim(first, "other", "w2") == ("held", "w1")
    store.record(KnownArticle(first, "h", "spacewar.com"), output="/o.jsonl", reconciled_bytes=1)
    assert store.claim(second, "h", "w2") == ("content", first)
    assert store.claim(first, "h", "w2") == ("content", first)
    # A dead holder's claims are released, and the article can be claimed again.
    assert store.claim("https://www.spacewar.com/b.html", "hb", "dead") == ("claimed", "")
    assert store.release_claims_of("dead") == 2
    assert store.claim("https://www.spacewar.com/b.html", "hb", "w2") == ("claimed", "")
    assert store.release_claims_of("w2", url="https://www.spacewar.com/b.html", content_hash="hb") == 2
    store.close()
