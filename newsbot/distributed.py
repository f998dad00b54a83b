"""Scale out on scrapy-redis: several `scrapy crawl` workers share one frontier and one store in Redis.

With the setting `NEWSBOT_REDIS_URL` (`redis://host:6379/0`), `RedisAddon` switches a crawl to:

- scrapy-redis's scheduler and duplicate filter, so that every worker of one spider, on any machine,
  takes its next request from one shared queue (`<spider>:requests`, a sorted set by priority) and
  no page is requested twice (`<spider>:dupefilter`, a set of request fingerprints);
- `RedisSeenStore`, the seen-articles store of newsbot/state.py kept in Redis (`newsbot:seen:*`), so
  that an article written by one worker is known to all of them.

Without the setting nothing changes: Scrapy's own scheduler and the sqlite store.

Requests travel through Redis as JSON, never pickle: whoever can write to Redis must not be able to
run code in the crawlers. A queue entry that is not newsbot's JSON, or names a request class or a
callback outside the small allowed set, is refused: logged as an ERROR with a hex preview, counted
(`newsbot/redis/refused_payloads`), moved to `<spider>:refused` for inspection, and the worker goes
on with the next request. Nothing in it is ever unpickled, imported or called.

A worker killed mid-run loses nothing. Taking a request moves it, in one Lua script, from the queue
into the worker's in-flight hash (`<spider>:inflight:<worker>`); it leaves that hash when its outcome
is final (its items written or dropped, its callback done, its download given up, or handed back to
the queue as a retry). Each worker refreshes a heartbeat key (`newsbot:worker:<worker>`, a few
seconds' TTL) from a thread. An idle worker moves the in-flight requests of workers whose heartbeat
expired back into the queue, and does not close while another worker still holds requests. Articles
are marked known only once their line is written, so a recovered request for an article the dead
worker wrote is skipped, not written again; a line the dead worker wrote but had not yet marked is
read from its output file (same machine) and marked before its requests are recovered.

Two workers may hold two syndicated copies of one story at once; `ClaimArticlesPipeline` claims an
article's URL and body in Redis, atomically, before the writer writes it, so one of them writes it.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import datetime
import hashlib
import json
import logging
import math
import os
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from itemadapter import ItemAdapter
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider, DropItem, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import create_looping_call
from scrapy.utils.asyncio import sleep as async_sleep
from scrapy.utils.misc import load_object
from scrapy.utils.python import to_unicode
from scrapy.utils.request import request_from_dict
from scrapy_redis.connection import get_redis_from_settings
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from w3lib.url import canonicalize_url

from newsbot.store import KnownArticle, SectionSummary
from newsbot.store.reconcile import mark_unmarked_lines

logger = logging.getLogger(__name__)

SETTING = "NEWSBOT_REDIS_URL"
# Seconds a worker's heartbeat lives; it is refreshed five times in that span. A worker silent for
# longer is taken for dead and its in-flight requests are queued again.
HEARTBEAT_TTL_SETTING = "NEWSBOT_REDIS_HEARTBEAT_TTL"
DEFAULT_HEARTBEAT_TTL = 5.0
HEARTBEAT_PREFIX = "newsbot:worker:"
STORE_PREFIX = "newsbot:seen"
# How many refused payloads `<spider>:refused` keeps for inspection.
REFUSED_KEPT = 100
STATS_PREFIX = "newsbot/redis/"


# --- the add-on ------------------------------------------------------------------------------------


class RedisAddon:
    """Switches a crawl to the shared frontier and store in Redis when NEWSBOT_REDIS_URL is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        url = settings.get(SETTING)
        if not url:
            return
        module = __name__
        for name, value in {
            "REDIS_URL": url,
            "SCHEDULER": f"{module}.ClusterScheduler",
            "SCHEDULER_QUEUE_CLASS": f"{module}.ReliableQueue",
            # Never pickle: scrapy-redis's default serializer. Our queue encodes with this module's
            # dumps/loads too, but a swapped queue class would then still not unpickle anything.
            "SCHEDULER_SERIALIZER": module,
            "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
            # The frontier outlives each worker: the others (or a restarted one) go on with it.
            "SCHEDULER_PERSIST": True,
            "SCHEDULER_FLUSH_ON_START": False,
            # The spider's requests go through the shared duplicate filter (see NetworkSpider).
            "NEWSBOT_SHARED_FRONTIER": True,
        }.items():
            settings.set(name, value, "addon")
        settings.set_in_component_priority_dict("EXTENSIONS", ClusterExtension, 100)
        # Outermost spider middleware: it sees the final output of every callback.
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", InFlightSpiderMiddleware, 5)
        # process_exception runs from the highest priority down: at 5 it runs after the retry
        # middleware (550) has given up, so only a final failure releases the request.
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", InFlightDownloaderMiddleware, 5)
        # After DedupePipeline (200), before the writer (900): one writer per article across workers.
        settings.set_in_component_priority_dict("ITEM_PIPELINES", ClaimArticlesPipeline, 250)


# --- requests as JSON ------------------------------------------------------------------------------

ENVELOPE = "newsbot_request"
ENVELOPE_VERSION = 1
_MARKERS = ("__bytes__", "__tuple__", "__dict__")
# Request classes a payload may name (request_from_dict imports whatever `_class` says).
ALLOWED_REQUEST_CLASSES = frozenset(
    {"scrapy.http.request.form.FormRequest", "scrapy.http.request.json_request.JsonRequest"}
)
_REQUEST_KEYS = frozenset(
    {
        "url", "callback", "errback", "headers", "body", "cookies", "meta", "encoding", "flags",
        "cb_kwargs", "dont_filter", "method", "priority", "_class",
    }
)  # fmt: skip
# Callbacks and errbacks a payload may name: the spider's parse methods and failure handlers, never
# `closed`, `start` or another method that a planted request could call with its own arguments.
_CALLBACK_NAME = re.compile(r"parse(_[a-z0-9_]+)?")
_ERRBACK_NAME = re.compile(r"(parse|errback)(_[a-z0-9_]+)?|[a-z][a-z0-9_]*_failed")
_FINGERPRINT = re.compile(rb"[0-9a-f]{40}")


class NotCarriable(TypeError):
    """A request holds a value that cannot travel through Redis as JSON."""


class RefusedPayload(ValueError):
    """A queue entry that is not a request newsbot wrote."""


def dumps(obj: dict[str, Any]) -> bytes:
    """A request dict (`Request.to_dict()`) as newsbot's JSON. Raises NotCarriable, naming the value."""
    envelope = {ENVELOPE: ENVELOPE_VERSION, "request": _encode(obj, "request")}
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


def loads(data: bytes) -> dict[str, Any]:
    """The request dict in newsbot's JSON, checked for shape. Raises RefusedPayload for anything else."""
    try:
        envelope = json.loads(bytes(data).decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RefusedPayload("not JSON") from None
    if not isinstance(envelope, dict) or envelope.get(ENVELOPE) != ENVELOPE_VERSION:
        raise RefusedPayload("JSON, but not a newsbot request envelope")
    try:
        request = _decode(envelope.get("request"))
    except (ValueError, TypeError, binascii.Error) as error:
        raise RefusedPayload(f"bad encoded value: {error}") from None
    _check_request_dict(request)
    return request


def _encode(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NotCarriable(f"{path}: {value!r} cannot travel through Redis as JSON")
        return value
    if isinstance(value, bytes | bytearray):
        return {"__bytes__": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, list):
        return [_encode(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(item, f"{path}[{index}]") for index, item in enumerate(value)]}
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value) and not any(key in _MARKERS for key in value):
            return {key: _encode(item, f"{path}[{key!r}]") for key, item in value.items()}
        return {
            "__dict__": [
                [_encode(key, f"{path} key {key!r}"), _encode(item, f"{path}[{key!r}]")]
                for key, item in value.items()
            ]
        }
    raise NotCarriable(
        f"{path}: a {type(value).__name__} cannot travel through Redis as JSON; requests of a shared "
        "frontier carry plain values only (str, int, float, bool, None, bytes, lists, tuples, dicts)"
    )


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(item) for item in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (marker, inner), *_ = value.items()
        if marker == "__bytes__":
            if not isinstance(inner, str):
                raise TypeError("__bytes__ holds no string")
            return base64.b64decode(inner, validate=True)
        if marker == "__tuple__":
            if not isinstance(inner, list):
                raise TypeError("__tuple__ holds no list")
            return tuple(_decode(item) for item in inner)
        if marker == "__dict__":
            if not isinstance(inner, list) or not all(isinstance(p, list) and len(p) == 2 for p in inner):
                raise TypeError("__dict__ holds no list of pairs")
            return {_decode(key): _decode(item) for key, item in inner}
    return {key: _decode(item) for key, item in value.items()}


def _check_request_dict(request: Any) -> None:
    if not isinstance(request, dict):
        raise RefusedPayload("the request is not an object")
    unknown = set(request) - _REQUEST_KEYS
    if unknown:
        raise RefusedPayload(f"unknown request fields {sorted(unknown)}")
    if not isinstance(request.get("url"), str):
        raise RefusedPayload("no URL")
    if "_class" in request and request["_class"] not in ALLOWED_REQUEST_CLASSES:
        raise RefusedPayload(f"request class {request['_class']!r} is not allowed")
    expected = {
        "method": str, "headers": dict, "body": bytes, "cookies": dict | list, "meta": dict,
        "encoding": str, "flags": list, "cb_kwargs": dict, "dont_filter": bool, "priority": int,
    }  # fmt: skip
    for name, kind in expected.items():
        if name in request and not isinstance(request[name], kind):
            raise RefusedPayload(f"field {name!r} has the wrong type")
    for name in ("meta", "cb_kwargs"):
        if not all(isinstance(key, str) for key in request.get(name) or {}):
            raise RefusedPayload(f"field {name!r} has a key that is not a string")


def _check_spider_method(spider: Spider, name: Any, pattern: re.Pattern[str], what: str) -> None:
    if name is None:
        return
    if not isinstance(name, str) or not pattern.fullmatch(name) or not callable(getattr(spider, name, None)):
        raise RefusedPayload(f"{what} {name!r} is not allowed for spider {spider.name!r}")


def request_fingerprint(request: Request) -> str:
    """scrapy-redis's RFPDupeFilter fingerprint: the duplicate filter's and the in-flight hashes' key."""
    data = {
        "method": to_unicode(request.method),
        "url": canonicalize_url(request.url),
        "body": (request.body or b"").hex(),
    }
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _redirected_from(request: Request) -> list[str]:
    """Fingerprints of the requests a redirected request replaces (GET, as our spiders send)."""
    fingerprints = []
    for url in request.meta.get("redirect_urls") or ():
        try:
            fingerprints.append(request_fingerprint(Request(url)))
        except (TypeError, ValueError):
            continue  # not a URL: nothing of ours to release
    return fingerprints


def _preview(data: bytes, size: int = 24) -> str:
    return bytes(data[:size]).hex() + ("..." if len(data) > size else "")


# --- Lua: each step of a request's life is one atomic script ---------------------------------------

# KEYS: dupefilter, queue, own in-flight. ARGV: fingerprint, score, member, dont_filter, released...
# Seen-check and push are one step: a worker killed between them would leave a fingerprint marked
# seen for a request that is nowhere. A retry (dont_filter, same fingerprint) hands its in-flight
# entry back in the same step; a redirect releases the requests it replaces.
_PUSH = """
if ARGV[4] == '0' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
if ARGV[4] == '1' then redis.call('HDEL', KEYS[3], ARGV[1]) end
for i = 5, #ARGV do redis.call('HDEL', KEYS[3], ARGV[i]) end
return 1
"""

# KEYS: queue, own in-flight. The best request leaves the queue for the in-flight hash, keyed by its
# fingerprint (the member's first 40 bytes), its value "<score> <member>" to queue it again.
_POP = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #popped == 0 then return false end
redis.call('ZREM', KEYS[1], popped[1])
redis.call('HSET', KEYS[2], string.sub(popped[1], 1, 40), popped[2] .. ' ' .. popped[1])
return popped[1]
"""

# KEYS: own in-flight, refused list. ARGV: field, member. Drops a refused entry, keeps a copy.
_REFUSE = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value then
  local space = string.find(value, ' ', 1, true)
  if space and string.sub(value, space + 1) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, ARGV[3] - 1)
return 1
"""

# KEYS: heartbeat, in-flight, queue, workers. ARGV: worker, force. Unless forced, only a worker
# whose heartbeat expired is recovered (-1 otherwise): the check and the move are one step, so two
# idle workers never both move one request.
_REQUEUE = """
if ARGV[2] ~= '1' and redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local entries = redis.call('HGETALL', KEYS[2])
local moved = 0
for i = 2, #entries, 2 do
  local value = entries[i]
  local space = string.find(value, ' ', 1, true)
  local score = space and tonumber(string.sub(value, 1, space - 1))
  if score then
    redis.call('ZADD', KEYS[3], score, string.sub(value, space + 1))
    moved = moved + 1
  end
end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[4], ARGV[1])
return moved
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


# --- the worker: one per crawler -------------------------------------------------------------------


def cluster_worker(crawler: Crawler) -> ClusterWorker:
    """The crawler's worker, made once (the queue, middlewares and extension share it)."""
    worker = getattr(crawler, "_newsbot_cluster_worker", None)
    if worker is None:
        worker = ClusterWorker(crawler)
        crawler._newsbot_cluster_worker = worker  # type: ignore[attr-defined]
    return worker


class ClusterWorker:
    """This process's part in the cluster: its in-flight requests, heartbeat and idle decisions."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        assert crawler.spidercls is not None
        self.crawler = crawler
        self.server: redis.Redis = get_redis_from_settings(settings)
        self.spider_name: str = crawler.spidercls.name
        self.host = socket.gethostname()
        self.id = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.ttl = max(settings.getfloat(HEARTBEAT_TTL_SETTING, DEFAULT_HEARTBEAT_TTL), 0.5)
        queue_key = settings.get("SCHEDULER_QUEUE_KEY") or "%(spider)s:requests"
        dupefilter_key = settings.get("SCHEDULER_DUPEFILTER_KEY") or "%(spider)s:dupefilter"
        self.queue_key = queue_key % {"spider": self.spider_name}
        self.dupefilter_key = dupefilter_key % {"spider": self.spider_name}
        self.workers_key = f"{self.spider_name}:workers"
        self.refused_key = f"{self.spider_name}:refused"
        self.lock_key = f"{self.spider_name}:lock"
        self.inflight_key = self.inflight_key_of(self.id)
        self.heartbeat_key = heartbeat_key(self.id)
        template = settings.get("NEWSBOT_OUTPUT")
        output = None
        if template and not settings.getdict("FEEDS"):
            output = str(Path(template.format(spider=self.spider_name)).resolve())
        self.info = json.dumps(
            {"host": self.host, "pid": os.getpid(), "output": output, "started_at": _now()}, sort_keys=True
        )
        self.waiting = False
        self._waiting_for: tuple[str, ...] = ()
        self._outputs: dict[str, list[int]] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._nudge = create_looping_call(self._nudge_engine)
        self._push = self.server.register_script(_PUSH)
        self._pop = self.server.register_script(_POP)
        self._refuse = self.server.register_script(_REFUSE)
        self._requeue = self.server.register_script(_REQUEUE)
        self._unlock = self.server.register_script(_UNLOCK)

    def inflight_key_of(self, worker: str) -> str:
        return f"{self.spider_name}:inflight:{worker}"

    @property
    def stats(self) -> Any:
        return self.crawler.stats

    # --- life cycle --------------------------------------------------------------------------------

    def open(self) -> None:
        """Join the cluster; the first worker of a new run resets a frontier an earlier run drained."""
        with self._locked():
            workers = _decode_hash(self.server.hgetall(self.workers_key))
            alive = [w for w in workers if self.server.exists(heartbeat_key(w))]
            holding = [w for w in workers if self.server.hlen(self.inflight_key_of(w))]
            if not alive and not holding and not self.server.zcard(self.queue_key):
                # Everything an earlier run queued was done: its fingerprints would only stop this
                # run from walking the sections again. An unfinished frontier is resumed instead.
                seen = self.server.scard(self.dupefilter_key)
                if seen:
                    self.server.delete(self.dupefilter_key)
                    self.stats.set_value(f"{STATS_PREFIX}frontier_reset", seen)
                    logger.info(
                        "The frontier of %s was drained by an earlier run: cleared its duplicate "
                        "filter (%d fingerprints) so that this run walks the sections again",
                        self.spider_name,
                        seen,
                    )
                if workers:
                    self.server.hdel(self.workers_key, *workers)
            elif self.server.zcard(self.queue_key) or holding:
                logger.info(
                    "Joining the frontier of %s: %d request(s) queued, %d worker(s) alive",
                    self.spider_name,
                    self.server.zcard(self.queue_key),
                    len(alive),
                )
            with self.server.pipeline() as pipe:
                pipe.hset(self.workers_key, self.id, self.info)
                pipe.set(self.heartbeat_key, self.info, px=int(self.ttl * 1000))
                pipe.execute()
        logger.info(
            "Cluster worker %s on %s (heartbeat TTL %.1f s)",
            self.id,
            redacted_url(self.crawler.settings.get(SETTING) or ""),
            self.ttl,
        )
        self._thread = threading.Thread(target=self._beat_forever, name="newsbot-heartbeat", daemon=True)
        self._thread.start()
        self._nudge.start(min(1.0, self.ttl / 5), now=False)

    def close(self, reason: str) -> None:
        """Leave the cluster; anything still in flight (nothing, after a normal finish) is queued again."""
        if self._nudge.running:
            self._nudge.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        keys = [self.heartbeat_key, self.inflight_key, self.queue_key, self.workers_key]
        moved = self._requeue(keys=keys, args=[self.id, "1"])
        self.server.delete(self.heartbeat_key)
        if moved:
            self.stats.set_value(f"{STATS_PREFIX}requeued_at_close", moved)
            logger.info("Closing (%s): %d unfinished request(s) went back to the shared queue", reason, moved)

    def _beat_forever(self) -> None:
        interval = self.ttl / 5
        while not self._stop.wait(interval):
            try:
                self._beat()
            except redis.RedisError as error:
                logger.warning("Heartbeat to Redis failed: %s", error)

    def _beat(self) -> None:
        previous = self.server.set(self.heartbeat_key, self.info, px=int(self.ttl * 1000), get=True)
        if previous is not None or self._stop.is_set():
            return
        # More than a TTL without a beat (a stalled machine, a paused VM): the others may have taken
        # this worker for dead and queued its requests again.
        if self.server.hexists(self.workers_key, self.id):
            consequence = "no other worker took it for dead"
        else:
            consequence = (
                "another worker took it for dead and queued its requests again: an article in "
                "progress here may be written twice"
            )
            self.server.hset(self.workers_key, self.id, self.info)
        logger.error(
            "This worker's heartbeat lapsed (more than %.1f s without one); %s. Raise %s if this "
            "machine stalls that long.",
            self.ttl,
            consequence,
            HEARTBEAT_TTL_SETTING,
        )

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """A short Redis lock (SET NX PX, released only by its holder) around joining the cluster."""
        token = uuid.uuid4().hex
        deadline = time.monotonic() + 30
        while not self.server.set(self.lock_key, token, nx=True, px=10_000):
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not take the Redis lock {self.lock_key} in 30 s")
            time.sleep(0.05)
        try:
            yield
        finally:
            self._unlock(keys=[self.lock_key], args=[token])

    # --- the queue's steps -----------------------------------------------------------------------

    def push(self, request: Request, member: bytes, fingerprint: str) -> bool:
        released = _redirected_from(request)
        args = [fingerprint, -request.priority, member, "1" if request.dont_filter else "0", *released]
        keys = [self.dupefilter_key, self.queue_key, self.inflight_key]
        return bool(self._push(keys=keys, args=args))

    def pop(self) -> bytes | None:
        member = self._pop(keys=[self.queue_key, self.inflight_key])
        if member is not None:
            self.waiting = False
        return member

    def refuse(self, member: bytes, reason: str) -> None:
        self._refuse(keys=[self.inflight_key, self.refused_key], args=[member[:40], member, REFUSED_KEPT])
        self.stats.inc_value(f"{STATS_PREFIX}refused_payloads")
        logger.error(
            "Refused an entry of Redis key %s that is not a newsbot request (%s): %d bytes, starting %s; "
            "it was not unpickled or run, only moved to %s. Whoever can write to this Redis planted it.",
            self.queue_key,
            reason,
            len(member),
            _preview(member),
            self.refused_key,
        )

    # --- releasing requests whose outcome is final -------------------------------------------------

    def release(self, request: Request) -> None:
        fingerprints = [request_fingerprint(request), *_redirected_from(request)]
        self.server.hdel(self.inflight_key, *fingerprints)

    def output_started(self, request: Request) -> str:
        fingerprint = request_fingerprint(request)
        self._outputs.setdefault(fingerprint, [0, 0])
        return fingerprint

    def item_yielded(self, fingerprint: str) -> None:
        self._outputs.setdefault(fingerprint, [0, 0])[0] += 1

    def output_done(self, request: Request) -> None:
        state = self._outputs.get(request_fingerprint(request))
        if state is None:
            self.release(request)
            return
        state[1] = 1
        self._release_when_done(request, state)

    def item_done(self, response: Response | None) -> None:
        request = getattr(response, "request", None)
        if request is None:
            return
        state = self._outputs.get(request_fingerprint(request))
        if state is None:
            return
        state[0] -= 1
        self._release_when_done(request, state)

    def _release_when_done(self, request: Request, state: list[int]) -> None:
        if state[0] <= 0 and state[1]:
            self._outputs.pop(request_fingerprint(request), None)
            self.release(request)

    # --- idle: recover dead workers' requests, wait for live ones ------------------------------------

    def on_idle(self) -> None:
        # Idle means nothing this worker took is being processed: whatever is left in its in-flight
        # hash had its outcome already (a path no release covers, a block page say).
        leftover = self.server.hlen(self.inflight_key)
        if leftover:
            self.server.delete(self.inflight_key)
            self.stats.inc_value(f"{STATS_PREFIX}released_at_idle", leftover)
        self._outputs.clear()
        recovered = 0
        waiting_for = []
        for worker, info in _decode_hash(self.server.hgetall(self.workers_key)).items():
            if worker == self.id:
                continue
            if not self.server.exists(heartbeat_key(worker)):
                recovered += self._recover(worker, info)
            elif self.server.hlen(self.inflight_key_of(worker)):
                waiting_for.append(worker)
        if recovered or waiting_for or self.server.zcard(self.queue_key):
            if tuple(waiting_for) != self._waiting_for and waiting_for:
                logger.info(
                    "Frontier empty; waiting for %d other worker(s) still holding requests: %s",
                    len(waiting_for),
                    ", ".join(waiting_for),
                )
            self._waiting_for = tuple(waiting_for)
            self.waiting = True
            raise DontCloseSpider
        self.waiting = False

    def _recover(self, worker: str, info_text: str) -> int:
        info = _json_or_empty(info_text)
        self._mark_lines_of_dead_worker(worker, info)
        keys = [heartbeat_key(worker), self.inflight_key_of(worker), self.queue_key, self.workers_key]
        moved = self._requeue(keys=keys, args=[worker, "0"])
        if moved < 0:
            return 0
        released = self._release_claims_of(worker)
        if moved:
            self.stats.inc_value(f"{STATS_PREFIX}recovered_requests", moved)
            logger.warning(
                "Worker %s stopped beating (host %s, pid %s): its %d unfinished request(s) are queued "
                "again%s",
                worker,
                info.get("host", "?"),
                info.get("pid", "?"),
                moved,
                f"; released {released} article claim(s) it held" if released else "",
            )
        return moved

    def _mark_lines_of_dead_worker(self, worker: str, info: dict[str, Any]) -> None:
        """Mark known the complete lines the dead worker wrote but had not marked (its last instant).

        Only its own machine can read its output file; elsewhere those lines are marked when a
        worker starts again with that file (its pipeline reconciles it), and an article caught in
        that instant may meanwhile be written by another worker as well. The file is only read: a
        half-written last line is cut off by the worker that next writes to it.
        """
        output = info.get("output")
        store = _redis_store(self.crawler)
        if not output or store is None:
            return
        if info.get("host") != self.host:
            logger.warning(
                "Worker %s ran on %s: its output %s is not readable here; a line it wrote in its last "
                "instant is marked known when a worker starts again with that file",
                worker,
                info.get("host"),
                output,
            )
            return
        path = Path(output)
        if not path.exists():
            return
        _, marked = mark_unmarked_lines(path, store)
        if marked:
            self.stats.inc_value(f"{STATS_PREFIX}lines_marked_for_dead_workers", marked)
            logger.warning(
                "%s: %d line(s) written by dead worker %s are now marked known", output, marked, worker
            )

    def _release_claims_of(self, worker: str) -> int:
        store = _redis_store(self.crawler)
        return store.release_claims_of(worker) if store is not None else 0

    def _nudge_engine(self) -> None:
        """While waiting, look at the queue (and the other workers) every second, not every five.

        Scrapy re-runs its idle check on its own 5 s heartbeat; there is no public call to ask for
        it sooner, so this schedules the engine's next loop the way the engine itself does.
        """
        if not self.waiting:
            return
        slot = getattr(self.crawler.engine, "_slot", None)
        nextcall = getattr(slot, "nextcall", None)
        if nextcall is not None:
            nextcall.schedule()

    # --- status --------------------------------------------------------------------------------------

    def is_alive(self, worker: str) -> bool:
        return worker == self.id or bool(self.server.exists(heartbeat_key(worker)))


def heartbeat_key(worker: str) -> str:
    return f"{HEARTBEAT_PREFIX}{worker}"


def _decode_hash(raw: dict[bytes, bytes]) -> dict[str, str]:
    return {key.decode(): value.decode() for key, value in raw.items()}


def _json_or_empty(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def redacted_url(url: str) -> str:
    """A Redis URL fit for a log: without its password."""
    return re.sub(r"//[^@/]*@", "//", url)


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- scheduler and queue ---------------------------------------------------------------------------


class ClusterScheduler(Scheduler):
    """scrapy-redis's scheduler with an atomic seen-check-and-push, minus its deprecated calls.

    scrapy-redis 0.9.1 passes `spider=` to the stats collector and calls `Spider.log()`, both of
    which Scrapy 2.19 deprecates; `open`, `enqueue_request` and `next_request` are its only such
    callers, so overriding them removes the warnings at their source (no warning filter needed).
    """

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.queue = load_object(self.queue_cls)(
            server=self.server,
            spider=spider,
            key=self.queue_key % {"spider": spider.name},
            serializer=self.serializer,
        )
        if not self.df:
            self.df = load_object(self.dupefilter_cls).from_spider(spider)
        if not isinstance(self.df, RFPDupeFilter) or not isinstance(self.queue, ReliableQueue):
            raise ValueError(
                "newsbot's cluster needs scrapy-redis's RFPDupeFilter and newsbot's ReliableQueue"
            )
        if self.flush_on_start:
            self.flush()

    def enqueue_request(self, request: Request) -> bool:
        if not self.queue.push_unless_seen(request):
            self.df.log(request, self.spider)
            return False
        if self.stats:
            self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None and self.stats:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue (a sorted set) with in-flight tracking and JSON-only entries.

    An entry is the request's fingerprint (40 hex digits) followed by newsbot's JSON. Taking an
    entry moves it into this worker's in-flight hash in the same Lua script.
    """

    def __init__(self, server: redis.Redis, spider: Spider, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer or sys.modules[__name__])
        self.worker = cluster_worker(spider.crawler)

    def _encode(self, request: Request) -> tuple[bytes, str]:
        fingerprint = request_fingerprint(request)
        try:
            body = dumps(request.to_dict(spider=self.spider))
        except NotCarriable as error:
            raise NotCarriable(f"{request.url}: {error}") from None
        return fingerprint.encode("ascii") + body, fingerprint

    def _encode_request(self, request: Request) -> bytes:
        return self._encode(request)[0]

    def _decode_request(self, encoded_request: bytes) -> Request:
        member = bytes(encoded_request)
        if not _FINGERPRINT.fullmatch(member[:40]):
            raise RefusedPayload("no request fingerprint in front")
        data = loads(member[40:])
        _check_spider_method(self.spider, data.get("callback"), _CALLBACK_NAME, "callback")
        _check_spider_method(self.spider, data.get("errback"), _ERRBACK_NAME, "errback")
        try:
            request = request_from_dict(data, spider=self.spider)
        except (TypeError, ValueError) as error:
            raise RefusedPayload(f"not a valid request: {error}") from None
        if request_fingerprint(request).encode("ascii") != member[:40]:
            raise RefusedPayload("the fingerprint in front does not match the request")
        return request

    def push(self, request: Request) -> None:
        self.push_unless_seen(request)

    def push_unless_seen(self, request: Request) -> bool:
        """Queue the request unless its fingerprint was seen (a dont_filter request always is)."""
        member, fingerprint = self._encode(request)
        return self.worker.push(request, member, fingerprint)

    def pop(self, timeout: int = 0) -> Request | None:
        while (member := self.worker.pop()) is not None:
            try:
                return self._decode_request(member)
            except RefusedPayload as refusal:
                self.worker.refuse(member, str(refusal))
        return None


# --- releasing requests: middlewares and signals ---------------------------------------------------


class InFlightSpiderMiddleware:
    """Releases a request once its callback's output is exhausted and the items it yielded are done."""

    def __init__(self, worker: ClusterWorker) -> None:
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InFlightSpiderMiddleware:
        if not crawler.settings.get(SETTING):
            raise NotConfigured
        return cls(cluster_worker(crawler))

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        request = response.request
        fingerprint = self.worker.output_started(request) if request is not None else None
        try:
            async for output in result:
                if fingerprint is not None and output is not None and not isinstance(output, Request):
                    self.worker.item_yielded(fingerprint)
                yield output
        finally:
            if request is not None:
                self.worker.output_done(request)

    def process_spider_exception(self, response: Response, exception: Exception) -> None:
        if response.request is not None:
            self.worker.output_done(response.request)


class InFlightDownloaderMiddleware:
    """Releases a request whose download failed for good (after retries), or was ignored."""

    def __init__(self, worker: ClusterWorker) -> None:
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InFlightDownloaderMiddleware:
        if not crawler.settings.get(SETTING):
            raise NotConfigured
        return cls(cluster_worker(crawler))

    def process_exception(self, request: Request, exception: Exception) -> None:
        self.worker.release(request)


class ClusterExtension:
    """Joins and leaves the cluster, keeps the heartbeat, decides at idle, releases dropped requests."""

    def __init__(self, crawler: Crawler, worker: ClusterWorker) -> None:
        self.crawler = crawler
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterExtension:
        if not crawler.settings.get(SETTING):
            raise NotConfigured
        extension = cls(crawler, cluster_worker(crawler))
        connect = crawler.signals.connect
        connect(extension.spider_opened, signal=signals.spider_opened)
        connect(extension.spider_idle, signal=signals.spider_idle)
        connect(extension.spider_closed, signal=signals.spider_closed)
        connect(extension.request_dropped, signal=signals.request_dropped)
        for signal in (signals.item_scraped, signals.item_dropped, signals.item_error):
            connect(extension.item_done, signal=signal)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self.worker.open()

    def spider_idle(self, spider: Spider) -> None:
        self.worker.on_idle()

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.worker.close(reason)

    def request_dropped(self, request: Request, spider: Spider | None = None) -> None:
        # A duplicate is dropped; if it was a redirect, the request it replaces is done.
        if released := _redirected_from(request):
            self.worker.server.hdel(self.worker.inflight_key, *released)

    def item_done(self, item: Any, response: Response | None = None, **kwargs: Any) -> None:
        self.worker.item_done(response)


# --- one writer per article across workers ---------------------------------------------------------


class ClaimArticlesPipeline:
    """Claims an article's URL and content hash in Redis before the writer writes it.

    DedupePipeline asks the store whether a URL or body is known; two workers holding two syndicated
    copies at once would both hear "no" and both write. The claim is atomic: the second worker waits
    until the first has written its line (then drops its copy, as DedupePipeline would) or has died
    (then writes it itself). Recording the article in the store releases the claim.
    """

    WAIT_LIMIT = 60.0

    def __init__(self, crawler: Crawler, worker: ClusterWorker, store: RedisSeenStore) -> None:
        self.crawler = crawler
        self.worker = worker
        self.store = store
        self._claimed: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClaimArticlesPipeline:
        if not crawler.settings.get(SETTING):
            raise NotConfigured
        store = _redis_store(crawler)
        if store is None:
            raise NotConfigured("no Redis store")
        pipeline = cls(crawler, cluster_worker(crawler), store)
        crawler.signals.connect(pipeline._written, signal=signals.item_scraped)
        crawler.signals.connect(pipeline._unclaim, signal=signals.item_dropped)
        crawler.signals.connect(pipeline._unclaim, signal=signals.item_error)
        return pipeline

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url, digest = adapter["url"], adapter["content_hash"]
        stats = self.crawler.stats
        deadline = time.monotonic() + self.WAIT_LIMIT
        waited = False
        while True:
            verdict, detail = self.store.claim(url, digest, self.worker.id)
            if verdict == "claimed":
                break
            if verdict == "content":
                stats.inc_value("newsbot/items_dropped/duplicate_content")
                self.store.record_copy(url, detail, adapter["site"])
                raise DropItem(f"same content as {detail}, written by another worker", log_level="INFO")
            if verdict == "url":
                stats.inc_value("newsbot/items_dropped/known_url")
                raise DropItem("already written by another worker", log_level="INFO")
            claimant = detail.split(" ", 1)[0]
            if claimant == self.worker.id or not self.worker.is_alive(claimant):
                self.store.release_claims_of(claimant, url=url, content_hash=digest)
                continue
            if time.monotonic() > deadline:
                logger.warning(
                    "%s: worker %s has held its claim for %.0f s; writing it here",
                    url,
                    claimant,
                    self.WAIT_LIMIT,
                )
                self.store.release_claims_of(claimant, url=url, content_hash=digest)
                continue
            if not waited:
                waited = True
                stats.inc_value(f"{STATS_PREFIX}claims_waited")
            await async_sleep(0.05)
        self._claimed[url] = digest
        return item

    def _written(self, item: Any, **kwargs: Any) -> None:
        # Recording the article in the store released its claims.
        self._claimed.pop(ItemAdapter(item).get("url"), None)

    def _unclaim(self, item: Any, **kwargs: Any) -> None:
        url = ItemAdapter(item).get("url")
        digest = self._claimed.pop(url, None)
        if digest is not None:
            self.store.release_claims_of(self.worker.id, url=url, content_hash=digest)

    def close_spider(self) -> None:
        for url, digest in self._claimed.items():
            self.store.release_claims_of(self.worker.id, url=url, content_hash=digest)
        self._claimed.clear()


def _redis_store(crawler: Crawler) -> RedisSeenStore | None:
    from newsbot.store import store_for

    store = store_for(crawler)
    return store if isinstance(store, RedisSeenStore) else None


# --- the seen-articles store in Redis --------------------------------------------------------------

# KEYS: articles, copies, hashes, url claims, hash claims. ARGV: url, content hash, worker.
_CLAIM = """
local owner = redis.call('HGET', KEYS[3], ARGV[2])
if owner then return {'content', owner} end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return {'url', ARGV[1]}
end
local by_url = redis.call('HGET', KEYS[4], ARGV[1])
if by_url and by_url ~= ARGV[3] then return {'held', by_url} end
local by_hash = redis.call('HGET', KEYS[5], ARGV[2])
if by_hash and by_hash ~= ARGV[3] .. ' ' .. ARGV[1] then return {'held', by_hash} end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[5], ARGV[2], ARGV[3] .. ' ' .. ARGV[1])
return {'claimed', ''}
"""

# KEYS: articles, hashes, outputs, url claims, hash claims.
# ARGV: output key ('' for none), reconciled bytes, then url, content hash, record per article.
# Marks articles written and how far the output file is reconciled, in one step; releases claims.
_RECORD = """
local added = 0
for i = 3, #ARGV, 3 do
  local url, digest = ARGV[i], ARGV[i + 1]
  added = added + redis.call('HSETNX', KEYS[1], url, ARGV[i + 2])
  redis.call('HSETNX', KEYS[2], digest, url)
  redis.call('HDEL', KEYS[4], url)
  local claim = redis.call('HGET', KEYS[5], digest)
  if claim and string.sub(claim, -(#url + 1)) == ' ' .. url then redis.call('HDEL', KEYS[5], digest) end
end
if ARGV[1] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
return added
"""

# KEYS: url claims, hash claims. ARGV: worker, then url and content hash pairs (none: all its claims).
_UNCLAIM = """
local released = 0
local function drop(key, field, prefix)
  local value = redis.call('HGET', key, field)
  if value and (value == prefix or string.sub(value, 1, #prefix + 1) == prefix .. ' ') then
    released = released + redis.call('HDEL', key, field)
  end
end
if #ARGV == 1 then
  for _, key in ipairs(KEYS) do
    local entries = redis.call('HGETALL', key)
    for i = 1, #entries, 2 do drop(key, entries[i], ARGV[1]) end
  end
else
  for i = 2, #ARGV, 2 do
    drop(KEYS[1], ARGV[i], ARGV[1])
    drop(KEYS[2], ARGV[i + 1], ARGV[1])
  end
end
return released
"""

# KEYS: started, completed. ARGV: fields, then the time. Completes the walks that were begun.
_COMPLETE_WALKS = """
for i = 1, #ARGV - 1 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then redis.call('HSET', KEYS[2], ARGV[i], ARGV[#ARGV]) end
end
return 1
"""


class RedisSeenStore:
    """SqliteSeenStore's questions and marks, in Redis, for workers on several machines.

    Keys (prefix `newsbot:seen`): `:articles` (hash URL -> JSON record), `:hashes` (content hash ->
    the URL written under it), `:copies` (URL -> JSON {copy_of, site, first_seen}), `:walks:started`
    and `:walks:completed` (JSON [site, section] -> time), `:outputs` ("<host>:<absolute path>" ->
    bytes reconciled: each worker has its own output file), and the writers' claims `:claims:urls`
    and `:claims:hashes`, empty between writes.
    """

    def __init__(self, url: str, *, prefix: str = STORE_PREFIX, host: str | None = None) -> None:
        self.url = url
        self.host = host or socket.gethostname()
        self._redis: redis.Redis = redis.Redis.from_url(
            url, socket_timeout=30, socket_connect_timeout=30, retry_on_timeout=True
        )
        self.articles_key = f"{prefix}:articles"
        self.hashes_key = f"{prefix}:hashes"
        self.copies_key = f"{prefix}:copies"
        self.outputs_key = f"{prefix}:outputs"
        self.walks_started_key = f"{prefix}:walks:started"
        self.walks_completed_key = f"{prefix}:walks:completed"
        self.url_claims_key = f"{prefix}:claims:urls"
        self.hash_claims_key = f"{prefix}:claims:hashes"
        self._claim = self._redis.register_script(_CLAIM)
        self._record = self._redis.register_script(_RECORD)
        self._unclaim = self._redis.register_script(_UNCLAIM)
        self._complete_walks = self._redis.register_script(_COMPLETE_WALKS)

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> RedisSeenStore:
        return cls(settings.get(SETTING))

    def close(self) -> None:
        self._redis.close()

    # --- questions ---------------------------------------------------------------------------------

    def is_known_url(self, url: str) -> bool:
        return bool(self.known_urls([url]))

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(urls))
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.hmget(self.articles_key, chunk)
                pipe.hmget(self.copies_key, chunk)
                written, copies = pipe.execute()
            known.update(url for url, a, c in zip(chunk, written, copies, strict=True) if a or c)
        return known

    def owner_of_hash(self, content_hash: str) -> str | None:
        owner = self._redis.hget(self.hashes_key, content_hash)
        return owner.decode() if owner else None

    # --- marks ---------------------------------------------------------------------------------------

    def record(self, article: KnownArticle, *, output: str | None = None, reconciled_bytes: int = 0) -> None:
        self._record_articles([article], output, reconciled_bytes)

    def record_many(self, articles: Iterable[KnownArticle], *, output: str, reconciled_bytes: int) -> int:
        return self._record_articles(list(articles), output, reconciled_bytes)

    def _record_articles(self, articles: list[KnownArticle], output: str | None, size: int) -> int:
        now = _now()
        args: list[Any] = [self._output_key(output) if output is not None else "", size]
        for article in articles:
            record = {
                "content_hash": article.content_hash,
                "site": article.site,
                "section": article.section,
                "date_published": article.date_published,
                "first_seen": now,
            }
            args += [article.url, article.content_hash, json.dumps(record, ensure_ascii=False)]
        keys = [
            self.articles_key, self.hashes_key, self.outputs_key, self.url_claims_key, self.hash_claims_key,
        ]  # fmt: skip
        return int(self._record(keys=keys, args=args))

    def record_copy(self, url: str, copy_of: str, site: str) -> None:
        record = {"copy_of": copy_of, "site": site, "first_seen": _now()}
        self._redis.hsetnx(self.copies_key, url, json.dumps(record, ensure_ascii=False))

    def reconciled_bytes(self, output: str) -> int:
        value = self._redis.hget(self.outputs_key, self._output_key(output))
        return int(value) if value else 0

    def set_reconciled_bytes(self, output: str, size: int) -> None:
        self._redis.hset(self.outputs_key, self._output_key(output), size)

    def _output_key(self, output: str) -> str:
        # Each worker appends to its own file, on its own machine: "/srv/out/spacewar.jsonl" on two
        # machines are two files.
        return f"{self.host}:{os.path.abspath(output)}"

    def last_walk_completed(self, site: str, section: str) -> bool:
        return bool(self._redis.hexists(self.walks_completed_key, _walk_field(site, section)))

    def begin_walk(self, site: str, section: str) -> None:
        field = _walk_field(site, section)
        with self._redis.pipeline() as pipe:
            pipe.hset(self.walks_started_key, field, _now())
            pipe.hdel(self.walks_completed_key, field)
            pipe.execute()

    def complete_walks(self, site: str, sections: Iterable[str]) -> None:
        fields = [_walk_field(site, section) for section in sections]
        if fields:
            keys = [self.walks_started_key, self.walks_completed_key]
            self._complete_walks(keys=keys, args=[*fields, _now()])

    # --- claims (ClaimArticlesPipeline) ------------------------------------------------------------

    def claim(self, url: str, content_hash: str, worker: str) -> tuple[str, str]:
        """Claim the right to write an article, atomically. The verdict and its detail:

        ("claimed", ""): write it; ("content", owner URL): its body was written under another URL;
        ("url", url): it was written; ("held", "<worker>" or "<worker> <url>"): another writer holds
        the claim on its URL or body and has not recorded it yet.
        """
        keys = [
            self.articles_key, self.copies_key, self.hashes_key, self.url_claims_key, self.hash_claims_key,
        ]  # fmt: skip
        verdict, detail = self._claim(keys=keys, args=[url, content_hash, worker])
        return verdict.decode(), detail.decode()

    def release_claims_of(
        self, worker: str, *, url: str | None = None, content_hash: str | None = None
    ) -> int:
        """Release the claims a worker holds: those on one article, or all of them."""
        args = [worker] if url is None else [worker, url, content_hash or ""]
        return int(self._unclaim(keys=[self.url_claims_key, self.hash_claims_key], args=args))

    # --- the `newsbot state` command ---------------------------------------------------------------

    def summary(self) -> list[SectionSummary]:
        groups: dict[tuple[str, str | None], list[Any]] = {}
        for _, record in self._articles():
            key = (record.get("site", ""), record.get("section"))
            group = groups.setdefault(key, [0, None, ""])
            group[0] += 1
            if record.get("date_published") and (group[1] is None or record["date_published"] > group[1]):
                group[1] = record["date_published"]
            group[2] = max(group[2], record.get("first_seen") or "")
        ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] is not None, kv[0][1] or ""))
        return [SectionSummary(site, section, *values) for (site, section), values in ordered]

    def counts(self) -> dict[str, int]:
        return {"articles": self._redis.hlen(self.articles_key), "copies": self._redis.hlen(self.copies_key)}

    def forget(self, *, site: str | None = None, section: str | None = None) -> int:
        """As SqliteSeenStore.forget. Run it with the workers stopped: it is not one transaction."""
        forgotten: list[str] = []
        forgotten_hashes: set[str] = set()
        kept_by_hash: dict[str, str] = {}
        for url, record in self._articles():
            matches = (site is None or record.get("site") == site) and (
                section is None or (record.get("section") or "").upper() == section.upper()
            )
            if section is not None and record.get("section") is None:
                matches = False
            if matches:
                forgotten.append(url)
                forgotten_hashes.add(record.get("content_hash", ""))
            else:
                kept_by_hash.setdefault(record.get("content_hash", ""), url)
        with self._redis.pipeline() as pipe:
            for start in range(0, len(forgotten), 500):
                pipe.hdel(self.articles_key, *forgotten[start : start + 500])
            for digest in forgotten_hashes:
                if digest in kept_by_hash:
                    pipe.hset(self.hashes_key, digest, kept_by_hash[digest])
                else:
                    pipe.hdel(self.hashes_key, digest)
            # What was forgotten must be walked to the end again to be found.
            for key in (self.walks_started_key, self.walks_completed_key):
                if site is None:
                    pipe.delete(key)
                else:
                    fields = [f for f in self._redis.hkeys(key) if json.loads(f)[0] == site]
                    if fields:
                        pipe.hdel(key, *fields)
            pipe.execute()
        # A copy is skipped because of the article it copies; with that article gone, so is it.
        stale = []
        for url, raw in self._redis.hscan_iter(self.copies_key):
            record = _json_or_empty(raw.decode())
            gone = not self._redis.hexists(self.articles_key, record.get("copy_of", ""))
            if gone or (site is not None and section is None and record.get("site") == site):
                stale.append(url)
        for start in range(0, len(stale), 500):
            self._redis.hdel(self.copies_key, *stale[start : start + 500])
        return len(forgotten)

    def _articles(self) -> Iterable[tuple[str, dict[str, Any]]]:
        for url, raw in self._redis.hscan_iter(self.articles_key, count=1000):
            yield url.decode(), _json_or_empty(raw.decode())


def _walk_field(site: str, section: str) -> str:
    return json.dumps([site, section], ensure_ascii=False)


# --- `python -m newsbot.distributed`: what the cluster is doing -------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m newsbot.distributed",
        description="Show a newsbot cluster's frontier, workers and store in Redis.",
    )
    parser.add_argument("--redis", required=True, help="the cluster's NEWSBOT_REDIS_URL")
    parser.add_argument("spiders", nargs="*", help="spider names (default: every frontier found)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args(argv)
    server = redis.Redis.from_url(args.redis)
    spiders = args.spiders or sorted(
        {key.decode().rsplit(":", 1)[0] for pattern in ("*:requests", "*:dupefilter", "*:workers")
         for key in server.scan_iter(match=pattern)}
    )  # fmt: skip
    report: dict[str, Any] = {"spiders": {}}
    for spider in spiders:
        workers = {}
        for worker in _decode_hash(server.hgetall(f"{spider}:workers")):
            workers[worker] = {
                "alive": bool(server.exists(heartbeat_key(worker))),
                "in_flight": server.hlen(f"{spider}:inflight:{worker}"),
            }
        report["spiders"][spider] = {
            "queued": server.zcard(f"{spider}:requests"),
            "seen": server.scard(f"{spider}:dupefilter"),
            "refused": server.llen(f"{spider}:refused"),
            "workers": workers,
        }
    store = RedisSeenStore(args.redis)
    report["store"] = store.counts()
    store.close()
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    for spider, data in report["spiders"].items():
        print(
            f"{spider}: {data['queued']} queued, {data['seen']} requests seen, "
            f"{data['refused']} refused payloads kept"
        )
        for worker, state in data["workers"].items():
            print(f"  {worker}: {'alive' if state['alive'] else 'DEAD'}, {state['in_flight']} in flight")
    print(
        f"store: {report['store']['articles']} articles written, {report['store']['copies']} copies skipped"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
