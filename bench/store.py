"""Part 5, the seen-articles store: insert and look up a million canonical URLs.

Each store runs in a child process of its own (`python -m bench.store --child ...`), so that the
memory it reports is its own.

Every store is driven through newsbot's store interface (newsbot/store/base.py): `record` (one
article, as the writer pipeline marks each), `record_many` (batches, as the writer marks the lines a
killed run left unmarked),
`is_known_url` (one URL, as the downloader middleware and the dedupe pipeline ask) and `known_urls`
(a section page's worth, as the spider asks). sqlite is `SqliteSeenStore`. Redis, when a
`redis-server` binary is on PATH, is newsbot's `RedisSeenStore` (newsbot/store/redis.py) where the
checkout has one, else a bare Redis set (SADD / SISMEMBER / SMISMEMBER, as scrapy-redis keeps its
seen fingerprints); the server runs on a unix socket in a temp folder, without persistence.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib
import importlib.util
import io
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from bench.common import ROOT, Options, Section, fmt, not_available, ratio

LABELS = ("insert, batched", "lookup, one URL", "resident memory")
QUICK_URLS = 2_000
SINGLE_INSERTS = 2_000  # one transaction (and fsync) each: a sample, not the whole million
SINGLE_LOOKUPS = 100_000
PAGE = 30  # entries of one section page: the batch the spider looks up
BATCH = 10_000

SITES = ("spacewar.com", "spacedaily.com", "terradaily.com", "marsdaily.com", "gpsdaily.com")


def canonical_url(i: int) -> str:
    """A canonical article URL of the network's shape, unique per i."""
    site = SITES[i % len(SITES)]
    words = ("Probe", "launch", "orbit", "Mars", "crew", "satellite", "defence", "China", "NASA", "drone")
    title = "_".join(words[(i >> s) % len(words)] for s in (0, 3, 6, 9, 12))
    return f"https://www.{site}/reports/{title}_{i}_999.html"


def content_hash(i: int) -> str:
    return hashlib.sha256(str(i).encode()).hexdigest()


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def _probes(n: int, count: int, seed: int = 7) -> list[str]:
    """`count` URLs, half of them among the n inserted, half not, shuffled."""
    rng = random.Random(seed)
    known = [canonical_url(rng.randrange(n)) for _ in range(count // 2)]
    unknown = [canonical_url(n + rng.randrange(n)) for _ in range(count - count // 2)]
    probes = known + unknown
    rng.shuffle(probes)
    return probes


def _lookups(n: int, count: int, ask: Callable[[list[str]], int], group: int) -> tuple[float, int]:
    """Seconds spent in `ask` over `count` probe URLs in groups of `group`, and the hits it reported.

    Probes are made a chunk at a time, outside the timing, so that neither their cost nor their
    memory is charged to the store.
    """
    spent, hits = 0.0, 0
    for chunk_start in range(0, count, BATCH):
        chunk = _probes(n, min(BATCH, count - chunk_start), seed=chunk_start)
        start = time.perf_counter()
        for i in range(0, len(chunk), group):
            hits += ask(chunk[i : i + group])
        spent += time.perf_counter() - start
    return spent, hits


def rss_mib(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Backend(Protocol):
    """What the benchmark asks of a store: newsbot's store interface (newsbot/state.py)."""

    def record(self, article: Any) -> None: ...
    def record_many(self, articles: list[Any], *, output: str, reconciled_bytes: int) -> int: ...
    def is_known_url(self, url: str) -> bool: ...
    def known_urls(self, urls: list[str]) -> set[str]: ...
    def close(self) -> None: ...


class _PlainSet:
    """A bare Redis set of URLs, as scrapy-redis keeps its seen fingerprints: the floor for Redis."""

    def __init__(self, client: Any, key: str = "bench:seen") -> None:
        self.client, self.key = client, key

    def record(self, article: Any) -> None:
        self.client.sadd(self.key, article.url)

    def record_many(self, articles: list[Any], *, output: str, reconciled_bytes: int) -> int:
        return int(self.client.sadd(self.key, *(a.url for a in articles)))

    def is_known_url(self, url: str) -> bool:
        return bool(self.client.sismember(self.key, url))

    def known_urls(self, urls: list[str]) -> set[str]:
        return {url for url, hit in zip(urls, self.client.smismember(self.key, urls), strict=True) if hit}

    def close(self) -> None:
        self.client.close()


def measure_store(store: _Backend, n: int, label: str) -> dict:
    """Fill `store` with n articles, then time single records, single lookups and page lookups."""
    from newsbot.store.base import KnownArticle

    def article(i: int) -> KnownArticle:
        return KnownArticle(canonical_url(i), content_hash(i), SITES[i % len(SITES)], "SECTION", "2025-10-01")

    def fill() -> float:
        """Seconds inside `record_many`; the batches are built outside the timing."""
        spent = 0.0
        for start in range(0, n, BATCH):
            batch = [article(i) for i in range(start, min(n, start + BATCH))]
            began = time.perf_counter()
            store.record_many(batch, output="bench.jsonl", reconciled_bytes=start)
            spent += time.perf_counter() - began
        return spent

    profile_text = ""
    if os.environ.get("BENCH_STORE_PROFILE"):
        profiler = cProfile.Profile()
        profiler.enable()
        bulk = fill()
        profiler.disable()
        out = io.StringIO()
        out.write(f"{label}, record_many of {n:,} URLs in batches of {BATCH:,}, by own time:\n")
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
        profile_text = "\n".join(line.rstrip() for line in out.getvalue().splitlines() if line.strip()) + "\n"
    else:
        bulk = fill()
    filled_rss = rss_mib()
    singles = min(SINGLE_INSERTS, max(1, n // 10))
    extra = [article(n * 2 + i) for i in range(singles)]
    single = _timed(lambda: [store.record(a) for a in extra])
    lookups = min(SINGLE_LOOKUPS, n)
    lookup, hits = _lookups(n, lookups, lambda urls: store.is_known_url(urls[0]), 1)
    paged, _ = _lookups(n, n, lambda urls: len(store.known_urls(urls)), PAGE)
    return {
        "insert_batch_us": 1e6 * bulk / n,
        "insert_single_us": 1e6 * single / singles,
        "single_inserts": singles,
        "lookup_us": 1e6 * lookup / lookups,
        "lookups": lookups,
        "hit_share": hits / lookups,
        "lookup_page_us": 1e6 * paged / n,
        "page_lookups": n,
        "filled_rss_mib": filled_rss,
        "profile": profile_text,
    }


def child_sqlite(n: int, folder: Path) -> dict:
    from newsbot.store.sqlite import SqliteSeenStore

    store = SqliteSeenStore(folder / "seen.sqlite")
    base_rss = rss_mib()
    result = measure_store(store, n, "sqlite store")
    store.close()
    size = sum(p.stat().st_size for p in folder.iterdir() if p.name.startswith("seen.sqlite"))
    return {
        **result,
        "rss_mib": result["filled_rss_mib"] - base_rss,
        "peak_rss_mib": rss_mib("VmHWM"),
        "base_rss_mib": base_rss,
        "disk_mib": size / 2**20,
    }


def newsbot_redis_store() -> Any:
    """newsbot's Redis store class, when this checkout has one (newsbot/store/redis.py)."""
    if importlib.util.find_spec("redis") is None:
        return None
    try:
        module = importlib.import_module("newsbot.store.redis")
    except ImportError:
        return None
    return getattr(module, "RedisSeenStore", None)


def child_redis(n: int, folder: Path, *, plain: bool) -> dict:
    import redis

    sock = folder / "redis.sock"
    server = subprocess.Popen(
        ["redis-server", "--port", "0", "--unixsocket", str(sock), "--save", "", "--appendonly", "no"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(unix_socket_path=str(sock))
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        store_class = None if plain else newsbot_redis_store()
        store = _PlainSet(client) if store_class is None else store_class(f"unix://{sock}")
        result = measure_store(store, n, "Redis store")
        # The server holds the data; the client process holds none of it.
        memory = client.info("memory")["used_memory_rss"] / 2**20
        version = client.info("server")["redis_version"]
        store.close()
        return {
            **result,
            "rss_mib": memory,
            "peak_rss_mib": memory,
            "base_rss_mib": float("nan"),
            "disk_mib": 0.0,
            "version": version,
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


def run_child(kind: str, n: int, *, profile: bool = False) -> dict:
    env = {**os.environ, **({"BENCH_STORE_PROFILE": "1"} if profile else {})}
    with tempfile.TemporaryDirectory(prefix=f"newsbot-bench-store-{kind}-") as folder:
        proc = subprocess.run(
            [sys.executable, "-m", "bench.store", "--child", kind, str(n), folder],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"store child {kind} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(options: Options) -> Section:
    title = "5. The seen-articles store"
    if importlib.util.find_spec("newsbot.store") is None:
        return not_available("store", title, "newsbot.store (the persistent seen-articles store) is missing")
    n = QUICK_URLS if options.quick else options.store_urls
    results = {"sqlite (newsbot.store)": run_child("sqlite", n)}
    redis_missing, redis_name = "", ""
    if shutil.which("redis-server") is None:
        redis_missing = "no `redis-server` on PATH (e.g. `apt-get install redis-server`)"
    elif importlib.util.find_spec("redis") is None:
        redis_missing = "the `redis` Python client is not installed"
    elif newsbot_redis_store() is not None:
        redis_name = "Redis (newsbot.store.redis.RedisSeenStore)"
        results[redis_name] = run_child("redis", n)
    else:
        redis_name = "Redis set (no newsbot Redis store here: a bare SADD/SISMEMBER set)"
        results[redis_name] = run_child("redis-set", n)

    section = Section(
        "store",
        f"{title}: {n:,} canonical URLs",
        [
            "store",
            "insert, batched (us/URL)",
            "insert, one per transaction (us)",
            "lookup, one URL (us)",
            "lookup, a page of 30 (us/URL)",
            "resident memory",
            "on disk",
        ],
    )
    for name, r in results.items():
        section.rows.append(
            [
                name + (f" {r['version']}" if "version" in r else ""),
                fmt(r["insert_batch_us"]),
                fmt(r["insert_single_us"]),
                fmt(r["lookup_us"]),
                fmt(r["lookup_page_us"]),
                fmt(r["rss_mib"], "MiB"),
                fmt(r["disk_mib"], "MiB") if r["disk_mib"] else "-",
            ]
        )
    if redis_missing:
        section.rows.append(["Redis", "not available", "-", "-", "-", "-", f"({redis_missing})"])
    else:
        s, r = results["sqlite (newsbot.store)"], results[redis_name]
        section.ratios.append(
            f"sqlite takes {ratio(s['lookup_us'], r['lookup_us'])} the time of Redis per single lookup, "
            f"{ratio(s['insert_batch_us'], r['insert_batch_us'])} per batched insert, with "
            f"{ratio(s['rss_mib'], r['rss_mib'])} the resident memory"
        )
    sq = results["sqlite (newsbot.store)"]
    if options.profile:
        # A separate, smaller fill under the profiler, so the figures above stay unprofiled.
        section.profile = run_child("sqlite", min(n, 200_000), profile=True).get("profile", "")
    section.notes += [
        f"insert, batched: `record_many` in batches of {BATCH:,}, the {n:,} URLs (batches are built "
        "outside the timing); one per transaction: "
        f"`record`, as the writer pipeline marks each article, over {sq['single_inserts']:,} more URLs "
        "(each commit a write to the WAL: PRAGMA synchronous=NORMAL; the fsync comes at checkpoints).",
        f"lookup, one URL: `is_known_url` over {sq['lookups']:,} URLs, half known; a page of 30: "
        f"`known_urls` over all {sq['page_lookups']:,} URLs in groups of {PAGE}, as the spider asks per "
        "section page. Bound by sqlite's B-tree descent plus the Python call per statement (two tables "
        "are asked: articles and copies); for Redis by the round trip over its unix socket, one per call "
        "(a page is one pipelined round trip).",
        f"resident memory: sqlite: the growth of the child process's RSS while the store filled "
        f"({fmt(sq['base_rss_mib'], 'MiB')} before, with newsbot imported; peak of the whole child "
        f"{fmt(sq['peak_rss_mib'], 'MiB')}): sqlite's page cache is bounded and the URLs stay on disk; "
        "Redis: the server's used_memory_rss, everything in memory. Probe URLs are made outside "
        "the timings and a chunk at a time.",
        f"URLs look like `{canonical_url(12345)}`.",
    ]
    return section


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", choices=("sqlite", "redis", "redis-set"), required=True)
    parser.add_argument("n", type=int)
    parser.add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.child == "sqlite":
        result = child_sqlite(args.n, args.folder)
    else:
        result = child_redis(args.n, args.folder, plain=args.child == "redis-set")
    print(json.dumps(result))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
