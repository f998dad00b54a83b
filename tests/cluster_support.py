"""What the cluster tests share: a real Redis per test module, workers as `scrapy crawl` processes,
the snapshot served with a count of every GET, and the at-least-once check."""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pyarrow.parquet as pq
import redis

from newsbot.cli.main import main
from newsbot.delivery import DELIVERY_SUFFIX, PART_SUFFIX, REPORT_SUFFIX, beside, part_path
from newsbot.mirror import mirror_url
from newsbot.registry import load_registry
from newsbot.snapshot_server import _QuietHandler
from tests import processes
from tests.conftest import ROOT, SNAPSHOT
from tests.crawling import FAST_SETTINGS, expected_for_sections
from tests.redis_server import RedisServer, wait_for

# Slow enough that both workers are up before the frontier is drained, and that a kill lands mid-run.
SHARED = {"DOWNLOAD_DELAY": "0.05", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}


@contextmanager
def redis_for_module(folder: Path, *, appendonly: bool = False) -> Iterator[RedisServer]:
    """NEWSBOT_TEST_REDIS_URL when given (never stopped), else a redis-server of our own."""
    server = RedisServer(folder, appendonly=appendonly)
    given = os.environ.get("NEWSBOT_TEST_REDIS_URL")
    if given and not appendonly:
        server.url = given.rstrip("/")
        wait_for(server.url)
        yield server
        return
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Database 0 is left alone; 1 to 15 are the test databases of a server with the default 16.
TEST_DATABASES = range(1, 16)


def databases_of_this_process() -> list[int]:
    """The test databases this pytest process may use on a shared server (NEWSBOT_TEST_REDIS_URL).

    Under pytest-xdist each worker (PYTEST_XDIST_WORKER gw0, gw1, ... of PYTEST_XDIST_WORKER_COUNT)
    takes every n-th database, so that two workers never flush or fill the same one.
    """
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    mine = [db for position, db in enumerate(TEST_DATABASES) if position % count == index]
    if not mine:
        raise RuntimeError(f"{count} pytest-xdist workers: more than {len(TEST_DATABASES)} test databases")
    return mine


def empty_database(url: str) -> redis.Redis:
    client = redis.Redis.from_url(url)
    client.flushdb()
    return client


class RedisProxy:
    """A Redis URL through 127.0.0.1:<port>: `cut()` closes the connection that next hears a reply (the
    server ran the command; the client never hears so), `rewrite` edits every reply on its way."""

    def __init__(self, url: str, rewrite: Callable[[bytes], bytes] = lambda reply: reply) -> None:
        self.target, self.rewrite, self.cutting = urlsplit(url), rewrite, threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"redis://127.0.0.1:{self.listener.getsockname()[1]}{self.target.path}"
        threading.Thread(target=self._accept, daemon=True).start()

    def cut(self) -> None:
        self.cutting.set()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection((self.target.hostname, self.target.port))
                threading.Thread(target=self._pipe, args=(client, upstream, False), daemon=True).start()
                threading.Thread(target=self._pipe, args=(upstream, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, replies: bool) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if replies and self.cutting.is_set():
                    self.cutting.clear()
                    break
                sink.sendall(self.rewrite(data) if replies else data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.listener.close()


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


def snapshot_request_path(url: str) -> str:
    """The path the mirror asks the snapshot server for, for a real URL."""
    return mirror_url("", url)


# --- workers ---------------------------------------------------------------------------------------


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen | processes.Process
    output: Path
    log_path: Path
    # The names in its output folder when it started: its delivery is the first one of its output free.
    taken: set[str]

    def finish(self, timeout: float = 90) -> Worker:
        self.proc.wait(timeout=timeout)
        return self

    @property
    def returncode(self) -> int | None:
        return self.proc.returncode

    @property
    def delivery(self) -> Path:
        """The delivery the worker chose: `<output>`, or `-2`, `-3`... when that was taken."""
        stem = self.output.name.removesuffix(DELIVERY_SUFFIX)
        names = (self.output.name if n == 1 else f"{stem}-{n}{DELIVERY_SUFFIX}" for n in itertools.count(1))
        return self.output.with_name(next(name for name in names if name not in self.taken))

    @property
    def report_path(self) -> Path:
        return beside(self.delivery, REPORT_SUFFIX)

    @property
    def items(self) -> list[dict]:
        """Complete lines only, of its delivery or its part: a worker killed mid-write leaves a partial
        last line in its part file (until a later run settles it)."""
        path = next((p for p in (self.delivery, part_path(self.delivery)) if p.exists()), None)
        data = path.read_bytes() if path else b""
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
    alone: bool = False,
) -> Worker:
    """`alone`: no other worker of its cluster runs while it does (a rerun after the others ended),
    so it is forked from tests/processes.py's server, its interpreter's start (~0.6 s of CPU) spared."""
    out_dir.mkdir(parents=True, exist_ok=True)
    output = output or out_dir / f"{name}.jsonl"
    taken = {
        path.name.removesuffix(PART_SUFFIX).replace(REPORT_SUFFIX, DELIVERY_SUFFIX)
        for path in output.parent.glob("*")
    }
    log = out_dir / f"{name}.log"
    merged = {
        **FAST_SETTINGS,
        "NEWSBOT_MIRROR": mirror,
        "NEWSBOT_OUTPUT": str(output),
        # Not used with Redis; set so that nothing can touch the user's own store.
        "NEWSBOT_STATE": str(out_dir / "unused.sqlite"),
        "NEWSBOT_REDIS_URL": redis_url,
        **(settings or {}),
    }
    # A real interpreter, not tests/processes.py's forkserver: workers of one cluster are machines of
    # their own, each with its own str hash seed (so its own set order), which processes forked from
    # one server share; with one seed, two workers walked in lockstep and met races together.
    command = [sys.executable, "-m", "scrapy", "crawl", spider]
    for key, value in merged.items():
        command += ["-s", f"{key}={value}"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if alone:
        return Worker(name, processes.Process(command, ROOT, env, stderr=log), output, log, taken)
    with log.open("w") as stderr:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            env=env,
        )
    return Worker(name, proc, output, log, taken)


def spacewar_expected(manifest: dict) -> tuple[dict[str, dict], list[set[str]]]:
    slugs = {section.slug for section in load_registry().site("spacewar").sections}
    return expected_for_sections(manifest, "spacewar.com", slugs)


def duplicates(items: list[dict]) -> int:
    """Lines beyond one per article body (a URL, or syndicated copies of it): at-least-once's cost."""
    return len(items) - len({item["content_hash"] for item in items})


def assert_every_article_delivered(
    items: list[dict], listed: dict[str, dict], groups: list[set[str]]
) -> None:
    """Every listed article written at least once (one copy of each syndication group), nothing else."""
    urls = {item["url"] for item in items}
    assert urls <= set(listed), f"not listed: {sorted(urls - set(listed))}"
    for group in groups:
        assert group & urls, f"no copy of {sorted(group)} was written"
    missing = set(listed) - urls - set().union(*groups)
    assert not missing, f"lost: {sorted(missing)}"


def assert_dataset_is_one_plain_crawl(
    folders: list[Path], out: Path, listed: dict[str, dict], groups
) -> None:
    """`newsbot dataset` of the deliveries in `folders` holds every article of a plain crawl exactly
    once, and nothing else (deliveries are at least once: a line delivered again is folded)."""
    assert main(["dataset", str(out), *map(str, folders)]) == 0
    urls = pq.read_table(out, partitioning=None, columns=["url"]).column("url").to_pylist()
    assert len(urls) == len(set(urls)), "an article is in the dataset twice"
    assert_every_article_delivered([{"url": url} for url in urls], listed, groups)


def completed_walks(redis_url: str) -> int:
    """The walks the store holds complete: the next run may stop early on them."""
    return sum(1 for completed in redis.Redis.from_url(redis_url).hvals("newsbot:seen:walks") if completed)


def line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


def wait_for_lines(worker: Worker, lines: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while line_count(part_path(worker.delivery)) < lines and worker.proc.poll() is None:
        assert time.monotonic() < deadline, "the worker wrote nothing in time"
        time.sleep(0.005)
