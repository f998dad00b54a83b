"""This process's part in the cluster: joining, its heartbeat, its in-flight requests, recovery.

A worker joins under the run marker (`newsbot:epoch`), refreshes a heartbeat key from a thread, and
releases each request it took once the request's outcome is final. An idle worker recovers the
work of a worker whose heartbeat stayed gone for a whole TTL on its own clock: it first reads that
worker's output file, when it can see it, so that the lines it wrote and had not marked are
marked and a line cut short is cut off; only then are its claims released and its requests queued
again. A worker never finishes while another still holds requests.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.defer import deferred_from_coro

from newsbot.clock import utc_now_iso
from newsbot.cluster import keys
from newsbot.cluster.connection import (
    DataLost,
    RedisGone,
    connect,
    json_object,
    outage_of,
    redacted_url,
    text,
)
from newsbot.cluster.frontier import Frontier, released_by
from newsbot.extensions.store import seen_store
from newsbot.store.reconcile import mark_unmarked_lines, reconcile_output
from newsbot.store.redis import RedisSeenStore

logger = logging.getLogger(__name__)


def cluster_worker(crawler: Crawler) -> ClusterWorker:
    """The crawler's worker, made once (scheduler, middlewares, pipeline and extension share it)."""
    worker = getattr(crawler, "_newsbot_cluster_worker", None)
    if worker is None:
        worker = ClusterWorker(crawler)
        crawler._newsbot_cluster_worker = worker  # type: ignore[attr-defined]
    return worker


class ClusterWorker:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        assert crawler.spidercls is not None and crawler.stats is not None
        self.crawler = crawler
        self.stats = crawler.stats
        self.url: str = settings.get(keys.REDIS_URL_SETTING)
        self.outage = outage_of(crawler)
        self.outage.on_trip = self._stop_crawl
        self.server = connect(self.url, self.outage)
        self.host: str = settings.get(keys.HOST_SETTING) or socket.gethostname()
        self.shared_output = settings.getbool(keys.SHARED_OUTPUT_SETTING)
        self.id = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.ttl = max(settings.getfloat(keys.HEARTBEAT_TTL_SETTING, keys.DEFAULT_HEARTBEAT_TTL), 0.5)
        self.frontier = Frontier(self.server, crawler.spidercls.name, self.id)
        template = settings.get("NEWSBOT_OUTPUT")
        self.output: Path | None = None
        if template and not settings.getdict("FEEDS"):
            self.output = Path(template.format(spider=crawler.spidercls.name)).resolve()
        output = self.output and str(self.output)
        self.info = json.dumps(
            {"host": self.host, "pid": os.getpid(), "output": output, "started_at": utc_now_iso()}
        )
        self.waiting = False
        self._waiting_for: tuple[str, ...] = ()
        self._missing_since: dict[str, float] = {}
        self._requeued_at_idle: set[str] = set()
        self._in_hand: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._nudge: Any = None

    @property
    def store(self) -> RedisSeenStore:
        store = seen_store(self.crawler)
        assert isinstance(store, RedisSeenStore)
        return store

    # --- joining and leaving ---------------------------------------------------------------------

    def join(self) -> None:
        """Join the frontier; the first worker of a new run resets a frontier an earlier run drained."""
        fkeys = self.frontier.keys
        with self.server.lock(fkeys.lock, timeout=600, blocking_timeout=900):
            epoch = self.server.get(keys.EPOCH_KEY)
            if epoch is None:
                # A new Redis, or one that lost its data: the output files are the truth.
                epoch = uuid.uuid4().hex.encode()
                self.server.set(keys.EPOCH_KEY, epoch)
                self.store.epoch = text(epoch)
                self._reconcile_visible_outputs()
            self.frontier.epoch = self.store.epoch = text(epoch)
            self._adopt_orphans()
            workers = _decode_hash(self.server.hgetall(fkeys.workers))
            alive = [w for w in workers if self.server.exists(keys.heartbeat_key(w))]
            holding = [w for w in workers if self.frontier.held(w)]
            if not alive and not holding and not self.frontier.queued():
                # Everything an earlier run queued was done: its fingerprints would only stop this
                # run from walking the sections again. An unfinished frontier is resumed instead.
                if seen := self.server.scard(fkeys.seen):
                    self.server.delete(fkeys.seen)
                    self.stats.set_value(keys.STAT_FRONTIER_RESET, seen)
                    logger.info("The frontier of %s was drained by an earlier run", fkeys.spider)
                if workers:
                    self.server.hdel(fkeys.workers, *workers)
            elif self.frontier.queued() or holding:
                logger.info(
                    "Joining the frontier of %s: %d request(s) queued, %d worker(s) alive",
                    fkeys.spider, self.frontier.queued(), len(alive),
                )  # fmt: skip
            with self.server.pipeline() as pipe:
                pipe.hset(fkeys.workers, self.id, self.info)
                pipe.set(keys.heartbeat_key(self.id), self.info, px=int(self.ttl * 1000))
                pipe.execute()
        logger.info("Cluster worker %s on %s (TTL %.1f s)", self.id, redacted_url(self.url), self.ttl)
        self._thread = threading.Thread(target=self._beat_forever, name="newsbot-heartbeat", daemon=True)
        self._thread.start()
        # Made here, not at init: building the crawler must not touch the reactor.
        self._nudge = create_looping_call(self._nudge_engine)
        self._nudge.start(min(1.0, self.ttl / 5), now=False)

    def _adopt_orphans(self) -> None:
        """Settle the claims of dead workers that wrote this worker's file, once it is read."""
        for worker, info in _decode_hash(self.server.hgetall(self.frontier.keys.orphans)).items():
            details = json_object(info)
            if self.output is None or (details.get("host"), details.get("output")) != (
                self.host,
                str(self.output),
            ):
                continue
            if self.output.exists():
                reconcile_output(self.output, self.store)
            released = self.store.release_claims_of(worker)
            self.server.hdel(self.frontier.keys.orphans, worker)
            logger.warning("Released %d claim(s) of dead worker %s, whose file this is", released, worker)

    def _reconcile_visible_outputs(self) -> None:
        """Mark known every article in the output files beside this worker's own."""
        if self.output is None or not self.output.parent.is_dir():
            return
        marked = 0
        for path in sorted(self.output.parent.glob("*.jsonl")):
            marked += mark_unmarked_lines(path, self.store)[1]
        if marked:
            self.stats.set_value(keys.STAT_OUTPUTS_RECONCILED, marked)
            logger.warning(
                "Redis holds no run marker (a new Redis, or one that lost its data): marked known the "
                "%d article(s) of the output files in %s", marked, self.output.parent,
            )  # fmt: skip

    def leave(self, reason: str) -> None:
        """Leave the frontier; anything still held (nothing, after a normal finish) is queued again."""
        if self._nudge is not None and self._nudge.running:
            self._nudge.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self.outage.cause is not None:
            return  # what this worker holds stays in Redis, for whoever recovers it
        try:
            if moved := self.frontier.requeue(self.id, force=True):
                self.stats.set_value(keys.STAT_REQUEUED_AT_CLOSE, moved)
                logger.info("Closing (%s): %d unfinished request(s) went back to the frontier", reason, moved)
            self.server.delete(keys.heartbeat_key(self.id))
        except redis.RedisError as error:
            self.gave_up(error)

    # --- giving up -----------------------------------------------------------------------------

    def gave_up(self, error: Exception) -> None:
        """A Redis call failed for good: stop, and let nothing count as done from here on."""
        if isinstance(error, DataLost):
            self.outage.trip(f"{error}; stopping", keys.REASON_DATA_LOST)
        elif not isinstance(error, RedisGone):
            self.outage.trip(f"Redis failed: {error}")

    def _stop_crawl(self, reason: str) -> None:
        # Imported here: at module level it would install a default reactor before Scrapy's own.
        from twisted.internet import reactor

        reactor.callFromThread(self._close_spider, reason)

    def _close_spider(self, reason: str) -> None:
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            self.stats.set_value(keys.STAT_OUTAGE, self.outage.cause)
            deferred_from_coro(engine.close_spider_async(reason=reason))

    # --- the heartbeat ---------------------------------------------------------------------------

    def _beat_forever(self) -> None:
        while not self._stop.wait(self.ttl / 5):
            try:
                self._beat()
            except redis.RedisError as error:
                self.gave_up(error)
                return

    def _beat(self) -> None:
        beat = keys.heartbeat_key(self.id)
        with self.server.pipeline(transaction=False) as pipe:
            pipe.set(beat, self.info, px=int(self.ttl * 1000), get=True)
            pipe.get(keys.EPOCH_KEY)
            previous, epoch = pipe.execute()
        if epoch is None or epoch.decode() != self.frontier.epoch:
            raise DataLost("Redis lost its data: the run marker this worker joined under is gone")
        if previous is None and not self._stop.is_set():
            # More than a TTL without a beat (a Redis outage, a stalled machine): another worker
            # that saw it gone for a whole TTL may have queued this worker's requests again.
            logger.warning(
                "This worker's heartbeat lapsed; raise %s if it recurs", keys.HEARTBEAT_TTL_SETTING
            )

    def _nudge_engine(self) -> None:
        """While waiting, look at the frontier every second rather than at Scrapy's 5 s heartbeat."""
        nextcall = getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)
        if self.waiting and nextcall is not None:
            nextcall.schedule()

    # --- requests taken and released -------------------------------------------------------------

    def took(self) -> None:
        self.waiting = False

    def release(self, request: Request) -> None:
        if self.outage.cause is None:
            self.frontier.release(released_by(request))

    def hold(self, request: Request) -> None:
        """One more thing of this request in hand: its callback, or an item it yielded."""
        key = released_by(request)[0]
        self._in_hand[key] = self._in_hand.get(key, 0) + 1

    def done(self, request: Request) -> None:
        """One thing done; with nothing of it left in hand, the request's outcome is final."""
        key = released_by(request)[0]
        if (left := self._in_hand.pop(key, 0) - 1) > 0:
            self._in_hand[key] = left
        else:
            self.release(request)

    # --- idle: recover dead workers, wait for live ones --------------------------------------------

    def on_idle(self) -> None:
        try:
            self._on_idle()
        except redis.RedisError as error:
            self.gave_up(error)
            raise DontCloseSpider from None

    def _on_idle(self) -> None:
        if self.server.get(keys.EPOCH_KEY) != self.frontier.epoch.encode():
            raise DataLost("Redis lost its data: the run marker this worker joined under is gone")
        # Idle: nothing this worker took is being processed. What it still holds met a path no
        # release covers; it is queued again once (a Redis reply lost mid-step, say), then dropped.
        if leftover := self.frontier.held():
            again = [f for f in leftover if f not in self._requeued_at_idle]
            self._requeued_at_idle.update(again)
            moved = self.frontier.requeue(self.id, force=True, fingerprints=again) if again else 0
            self.frontier.release([f for f in leftover if f not in again])
            self.stats.inc_value(keys.STAT_REQUEUED_AT_IDLE, moved)
            self.stats.inc_value(keys.STAT_RELEASED_AT_IDLE, len(leftover) - len(again))
        self._in_hand.clear()
        recovered, waiting_for = 0, []
        for worker, info in _decode_hash(self.server.hgetall(self.frontier.keys.workers)).items():
            if worker == self.id:
                continue
            if self.is_dead(worker):
                recovered += self.recover(worker, info)
            elif self.frontier.held(worker) or not self.server.exists(keys.heartbeat_key(worker)):
                waiting_for.append(worker)
        if recovered or waiting_for or self.frontier.queued():
            if waiting_for and tuple(waiting_for) != self._waiting_for:
                logger.info("Frontier empty; waiting for other worker(s): %s", ", ".join(waiting_for))
            self._waiting_for = tuple(waiting_for)
            self.waiting = True
            raise DontCloseSpider
        self.waiting = False

    def is_dead(self, worker: str) -> bool:
        """Gone for a whole TTL on this worker's clock: a Redis restart that let every heartbeat
        expire at once does not make the live workers look dead."""
        if worker == self.id or self.server.exists(keys.heartbeat_key(worker)):
            self._missing_since.pop(worker, None)
            return False
        since = self._missing_since.setdefault(worker, time.monotonic())
        return time.monotonic() - since >= self.ttl

    def recover(self, worker: str, info_text: str) -> int:
        """Finish what a dead worker left: its lines marked, a cut line cut off, its requests queued."""
        lock = self.server.lock(f"{self.frontier.keys.lock}:{worker}", timeout=600)
        if not lock.acquire(blocking=False):
            return 1  # another worker is recovering it: wait for that
        try:
            info = json_object(info_text)
            moved = self._recover(worker, info, info_text)
        finally:
            lock.release()
        if moved >= 0:
            self._missing_since.pop(worker, None)
            self.stats.inc_value(keys.STAT_RECOVERED, moved)
            logger.warning(
                "Worker %s stopped beating (host %s, pid %s): its %d unfinished request(s) are queued again",
                worker, info.get("host", "?"), info.get("pid", "?"), moved,
            )  # fmt: skip
        return max(moved, 1) if moved >= 0 else 0

    def _recover(self, worker: str, info: dict[str, Any], info_text: str) -> int:
        output, host = info.get("output"), info.get("host")
        readable = bool(output) and (host == self.host or self.shared_output)
        if self.server.exists(keys.heartbeat_key(worker)):
            return -1  # it beats again (a stalled machine): its file is its own
        # Its lines are marked before its requests are queued again, so none is written twice.
        if readable and output and Path(output).exists():
            cut, marked = reconcile_output(Path(output), self.store.for_host(host or self.host))
            self.stats.inc_value(keys.STAT_LINES_MARKED, marked)
            self.stats.inc_value(keys.STAT_LINES_CUT, cut)
        moved = self.frontier.requeue(worker, force=False)
        if moved < 0:
            return -1  # alive after all, or recovered by another worker meanwhile
        if readable:
            self.store.release_claims_of(worker)
        elif kept := self.store.claims_of(worker):
            self.server.hset(self.frontier.keys.orphans, worker, info_text)
            self.stats.inc_value(keys.STAT_CLAIMS_KEPT, kept)
            logger.warning(
                "Worker %s ran on %s: its output %s is not readable here, so its %d article "
                "claim(s) stay until a worker starts there with that file (or set %s)",
                worker, host, output, kept, keys.SHARED_OUTPUT_SETTING,
            )  # fmt: skip
        return moved


def _decode_hash(raw: dict[Any, Any]) -> dict[str, str]:
    return {text(key): text(value) for key, value in raw.items()}
