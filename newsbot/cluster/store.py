"""The seen-articles store in Redis, shared by a cluster's workers: SqliteSeenStore's answers.

Keys (prefix newsbot:seen): `:articles` (URL -> JSON record), `:hashes` (content hash -> URL), `:copies`
(URL -> JSON), `:walks:started` and `:walks:completed` (JSON [site, section] -> time), `:outputs`
("<host>:<path>" -> bytes reconciled), `:ledger` (URL -> JSON). Every call is bounded by redis-py's
stock `Retry` and socket timeouts, on the server the process began with. When a call fails, the worker
stops (one line, exit 1) and asks Redis nothing more: a question answers "not known", a mark is not
made, and a later run delivers again; nothing is lost.
"""

from __future__ import annotations

import copy
import functools
import json
import logging
import os
import re
import socket
from collections import Counter
from collections.abc import Callable, Collection, Iterable
from typing import Any, TypeVar, cast

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.defer import deferred_from_coro

from newsbot.clock import utc_now_iso
from newsbot.store.base import Forgotten, KnownArticle, LedgerEntry, SectionSummary, StoreError

logger = logging.getLogger(__name__)
URL_SETTING, WORKER_SETTING = "NEWSBOT_REDIS_URL", "NEWSBOT_CLUSTER_WORKER"  # the add-on sets the worker
# Seconds per socket operation, and attempts after the first: together they bound a Redis call.
TIMEOUT_SETTING, RETRIES_SETTING = "NEWSBOT_REDIS_TIMEOUT", "NEWSBOT_REDIS_RETRIES"
FINISH_REDIS, STATS_TROUBLE = "redis_unreachable", "newsbot/redis/trouble"  # not a good finish: exit 1
MARKER, ARTICLES, HASHES, COPIES, OUTPUTS, LEDGER, STARTED, COMPLETED = (
    f"newsbot:seen:{k}"
    for k in (
        "marker",
        "articles",
        "hashes",
        "copies",
        "outputs",
        "ledger",
        "walks:started",
        "walks:completed",
    )
)
F = TypeVar("F", bound=Callable[..., Any])

# ARGV: output key ('' for none), its bytes reconciled, then URL, content hash and record of each article.
_RECORD = """
local added = 0
for i = 3, #ARGV, 3 do
  added = added + redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 2])
  redis.call('HSETNX', KEYS[2], ARGV[i + 1], ARGV[i])
end
if ARGV[1] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], ARGV[2]) end
return added
"""
# One more failed attempt at an article, atomic. ARGV: url, site, section, reason, time, summary.
_LEDGER_ADD = """
local e = cjson.decode(redis.call('HGET', KEYS[1], ARGV[1]) or '{"attempts": 0, "given_up": false}')
if (e.section or '') == '' then e.section = ARGV[3] end
if (e.summary or '') == '' then e.summary = ARGV[6] end
e.site, e.reason, e.attempts, e.last_attempt = e.site or ARGV[2], ARGV[4], e.attempts + 1, ARGV[5]
e.first_attempt = e.first_attempt or ARGV[5]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(e))
return cjson.encode(e)
"""


def redis_params(settings: BaseSettings) -> dict[str, Any]:
    retry = Retry(ExponentialBackoff(cap=1.0, base=0.1), max(settings.getint(RETRIES_SETTING), 0))
    timeout, name = settings.getfloat(TIMEOUT_SETTING), settings.get(WORKER_SETTING)
    return {"socket_timeout": timeout, "socket_connect_timeout": timeout, "retry": retry, "client_name": name}


def redacted(url: str) -> str:
    return re.sub(r"//[^@/]*@", "//", url)


def _guarded(default: Any = StoreError) -> Callable[[F], F]:
    """Once Redis failed, the store answers `default` without asking it (alone, or with no default:
    StoreError); the first failure stops the worker."""

    def wrap(method: F) -> F:
        @functools.wraps(method)
        def guarded(self: RedisSeenStore, *args: Any, **kwargs: Any) -> Any:
            try:
                if self.trouble is None:
                    return method(self, *args, **kwargs)
            except redis.RedisError as error:
                self.trouble = f"Redis at {self.url} failed: {error}".replace("\n", " ")
                if self.crawler is not None:
                    _stop(self.crawler, self.trouble)
            if default is StoreError or self.crawler is None:
                raise StoreError(self.trouble)
            return copy.copy(default)

        return cast(F, guarded)

    return wrap


class RedisSeenStore:
    def __init__(
        self, url: str, settings: BaseSettings | None = None, crawler: Crawler | None = None
    ) -> None:
        self.url, self.host, self.crawler = redacted(url), socket.gethostname(), crawler
        self.trouble: str | None = None
        self.server_id: bytes | None = None
        # Alone (`newsbot state`) it answers within seconds, or raises StoreError saying why not.
        settings = settings or BaseSettings({TIMEOUT_SETTING: 2, RETRIES_SETTING: 1})
        self.redis = redis.Redis.from_url(url, **redis_params(settings), redis_connect_func=self._connected)
        self._record, self._ledger_add = map(self.redis.register_script, (_RECORD, _LEDGER_ADD))

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisSeenStore:
        (store := cls(crawler.settings[URL_SETTING], crawler.settings)).call(redis.Redis.ping)
        store.crawler = crawler  # now a failure stops the worker; at start it is StoreError (exit 2)
        return store

    def _connected(self, connection: Any) -> None:
        """A new connection must reach the server this process began with: a restarted Redis (or a
        replica failed over to) may hold older data, on which a run cannot go on without loss."""
        connection.on_connect()
        connection.send_command("INFO", "server")
        server_id = re.search(rb"run_id:(\w+)", connection.read_response()).group(1)  # type: ignore[union-attr]
        if self.server_id not in (None, server_id):
            raise redis.RedisError("it restarted (its data may be older than this run)")
        self.server_id = server_id

    @_guarded(None)
    def call(self, command: Callable[[redis.Redis], Any]) -> Any:
        """`command(client)` under the store's guard: the frontier's calls, and the run's."""
        return command(self.redis)

    def close(self) -> None:
        self.redis.close()

    def is_known_url(self, url: str) -> bool:
        return url in self.known_urls([url])

    @_guarded(set())
    def known_urls(self, urls: Iterable[str]) -> set[str]:
        if not (wanted := list(dict.fromkeys(urls))):
            return set()
        pipe = self.redis.pipeline(transaction=False)
        pipe.hmget(ARTICLES, wanted)
        pipe.hmget(COPIES, wanted)
        written, copies = pipe.execute()
        return {url for url, a, c in zip(wanted, written, copies, strict=True) if a or c}

    @_guarded(None)
    def owner_of_hash(self, content_hash: str) -> str | None:
        owner = self.redis.hget(HASHES, content_hash)
        return owner.decode() if isinstance(owner, bytes) else None

    @_guarded(0)
    def reconciled_bytes(self, output: str) -> int:
        return int(self.redis.hget(OUTPUTS, f"{self.host}:{os.path.abspath(output)}") or 0)

    @_guarded(False)
    def last_walk_completed(self, site: str, section: str) -> bool:
        return bool(self.redis.hexists(COMPLETED, walk_field(site, section)))

    def record(self, article: KnownArticle, *, output: str | None = None, reconciled_bytes: int = 0) -> None:
        self.record_many([article], output=output, reconciled_bytes=reconciled_bytes)

    @_guarded(0)
    def record_many(
        self, articles: Iterable[KnownArticle], *, output: str | None, reconciled_bytes: int
    ) -> int:
        # Each worker appends to its own file on its own machine: one path on two machines is two files.
        delivery = f"{self.host}:{os.path.abspath(output)}" if output else None
        now, args = utc_now_iso(), [delivery or "", str(reconciled_bytes)]
        for a in articles:
            record = {"content_hash": a.content_hash, "site": a.site, "section": a.section,
                      "date_published": a.date_published, "first_seen": now,
                      "delivery": delivery}  # fmt: skip
            args += [a.url, a.content_hash, json.dumps(record, ensure_ascii=False)]
        return int(self._record(keys=[ARTICLES, HASHES, OUTPUTS], args=args))

    @_guarded({})
    def articles_by_delivery(self) -> dict[str, int]:
        """As SqliteSeenStore's; this machine's deliveries by path, other machines' as "<host>:<path>"."""
        counts = Counter(r.get("delivery") for _, r in self._records(ARTICLES))
        return {str(d).removeprefix(f"{self.host}:"): n for d, n in counts.items() if d}

    @_guarded(None)
    def record_copy(self, url: str, copy_of: str, site: str) -> None:
        record = {"copy_of": copy_of, "site": site, "first_seen": utc_now_iso()}
        self.redis.hsetnx(COPIES, url, json.dumps(record, ensure_ascii=False))

    @_guarded(None)
    def begin_walk(self, site: str, section: str) -> None:
        field = walk_field(site, section)
        pipe = self.redis.pipeline()
        pipe.hset(STARTED, field, utc_now_iso())
        pipe.hdel(COMPLETED, field)
        pipe.execute()

    def complete_walks(self, site: str, sections: Iterable[str]) -> None:
        """Nothing: one worker cannot tell that the run's walks are complete. The run's last worker
        completes those whose last page was fetched in the run (newsbot.cluster.addon)."""

    @_guarded()
    def summary(self) -> list[SectionSummary]:
        groups: dict[tuple[str, str | None], list[Any]] = {}
        for _, r in self._records(ARTICLES):
            group = groups.setdefault((r.get("site", ""), r.get("section")), [0, None, ""])
            group[0] += 1
            group[1] = max(filter(None, [group[1], r.get("date_published")]), default=None)
            group[2] = max(group[2], r.get("first_seen") or "")
        ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] is not None, kv[0][1] or ""))
        return [SectionSummary(site, section, *values) for (site, section), values in ordered]

    @_guarded()
    def counts(self) -> dict[str, int]:
        return {"articles": self.redis.hlen(ARTICLES), "copies": self.redis.hlen(COPIES)}

    @_guarded()
    def forget(
        self, *, site: str | None = None, sections: Collection[str] | None = None, dry_run: bool = False
    ) -> Forgotten:
        """As SqliteSeenStore.forget. Run it with the workers stopped: it is not one transaction."""
        labels = None if sections is None else {label.upper() for label in sections}

        def matches(r: dict[str, Any]) -> bool:
            wanted = labels is None or (r.get("section") or "\0").upper() in labels
            return (site is None or r.get("site") == site) and wanted

        records = dict(self._records(ARTICLES))
        doomed = {url for url, r in records.items() if matches(r)}
        # What was forgotten is walked to the end again, its copies and its ledger entries go too.
        walks = {
            (key, field)
            for key in (STARTED, COMPLETED)
            for field in self.redis.hkeys(key)
            if site is None or json.loads(field)[0] == site
        }
        ledger = [e.url for e in self.ledger_entries() if matches({"site": e.site, "section": e.section})]
        forgotten = Forgotten(len(doomed), len({field for _, field in walks}), len(ledger))
        if dry_run:
            return forgotten
        kept = {r.get("content_hash"): url for url, r in records.items() if url not in doomed}
        pipe = self.redis.pipeline()
        for url in doomed:
            digest = records[url].get("content_hash", "")
            pipe.hdel(ARTICLES, url)
            pipe.hset(HASHES, digest, kept[digest]) if digest in kept else pipe.hdel(HASHES, digest)
        for key, field in walks:
            pipe.hdel(key, field)
        for url, r in self._records(COPIES):
            if (
                r.get("copy_of") in doomed
                or r.get("copy_of") not in records
                or matches({**r, "section": None})
            ):
                pipe.hdel(COPIES, url)
        for url in ledger:
            pipe.hdel(LEDGER, url)
        pipe.execute()
        return forgotten

    @_guarded()
    def ledger_add(
        self, url: str, *, site: str, section: str | None, reason: str, summary: str | None = None
    ) -> LedgerEntry:
        raw = self._ledger_add(
            keys=[LEDGER], args=[url, site, section or "", reason, utc_now_iso(), summary or ""]
        )
        return _ledger_entry(url, json.loads(raw))

    def ledger_pending(self, site: str) -> list[LedgerEntry]:
        pending = [e for e in self.ledger_entries() if e.site == site and not e.given_up]
        return sorted(pending, key=lambda e: (e.first_attempt, e.url))

    @_guarded([])
    def ledger_entries(self) -> list[LedgerEntry]:
        entries = [_ledger_entry(url, record) for url, record in self._records(LEDGER)]
        return sorted(entries, key=lambda e: (e.site, e.section or "", e.url))

    @_guarded(False)
    def ledger_resolve(self, url: str) -> bool:
        return bool(self.redis.hdel(LEDGER, url))

    @_guarded(None)
    def ledger_give_up(self, url: str) -> None:
        if (raw := self.redis.hget(LEDGER, url)) is not None:
            self.redis.hset(LEDGER, url, json.dumps({**_json_object(raw), "given_up": True}))

    def ledger_counts(self) -> dict[str, int]:
        entries = self.ledger_entries()
        given_up = sum(entry.given_up for entry in entries)
        return {"pending": len(entries) - given_up, "given_up": given_up}

    def _records(self, key: str) -> Iterable[tuple[str, dict[str, Any]]]:
        for url, raw in self.redis.hscan_iter(key, count=1000):
            yield bytes(url).decode(), _json_object(raw)


def _stop(crawler: Crawler, message: str) -> None:
    """The worker stops: one line, finish reason redis_unreachable (exit 1)."""
    if crawler.stats is not None and crawler.stats.get_value(STATS_TROUBLE) is None:
        logger.error("%s; this worker stops", message)
        crawler.stats.set_value(STATS_TROUBLE, message)
        if (engine := crawler.engine) is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=FINISH_REDIS))


def walk_field(site: str, section: str) -> str:
    return json.dumps([site, section], ensure_ascii=False)


def _json_object(raw: bytes | str) -> dict[str, Any]:
    """A JSON object read from Redis, or {} for anything else (a value another writer garbled)."""
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _ledger_entry(url: str, r: dict[str, Any]) -> LedgerEntry:
    return LedgerEntry(url, str(r.get("site", "")), r.get("section") or None, str(r.get("reason", "")),
                       int(r.get("attempts", 0)), str(r.get("first_attempt", "")),
                       str(r.get("last_attempt", "")), bool(r.get("given_up", False)),
                       r.get("summary") or None)  # fmt: skip
