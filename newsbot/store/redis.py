"""The seen-articles store in Redis, shared by a cluster's workers: the sqlite store's answers. Every
call is bounded by redis-py's Retry and socket timeouts; once one failed, a question answers "not
known" and a mark is not made (a later run delivers again), and the worker stops."""

from __future__ import annotations

import copy
import functools
import json
import logging
import math
import os
import re
import socket
from collections import Counter, deque
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any, TypeVar, cast

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import run_in_thread
from scrapy.utils.defer import deferred_from_coro

from newsbot.clock import utc_now_iso
from newsbot.keys import CLUSTER_WORKER_SETTING, REDIS_URL_SETTING, STATS_STORE_ERROR
from newsbot.reasons import DEFERRED
from newsbot.store.base import Forgotten, KnownArticle, LedgerEntry, SeenStore, StoreError

logger = logging.getLogger(__name__)
# Seconds per socket operation, and attempts after the first: together they bound a Redis call.
TIMEOUT_SETTING, RETRIES_SETTING = "NEWSBOT_REDIS_TIMEOUT", "NEWSBOT_REDIS_RETRIES"
# Hashes: URL -> JSON (articles, copies, ledger), content hash -> URL, walk -> [when it was completed,
# its first page's entries] ("" while it is not), walk -> the first page's entries of the walk under
# way, "<host>:<path>" of a delivery -> bytes reconciled. The marker: see the add-on.
MARKER, ARTICLES, COPIES, LEDGER, HASHES, WALKS, TOPS, OUTPUTS = (
    f"newsbot:seen:{key}"
    for key in ("marker", "articles", "copies", "ledger", "hashes", "walks", "tops", "outputs")
)
F = TypeVar("F", bound=Callable[..., Any])


def redacted(url: str) -> str:
    return re.sub(r"//[^@]*@", "//", url)  # a password's / too (not %-encoded, the URL is refused)


def walk_field(site: str, section: str) -> str:
    return json.dumps([site, section], ensure_ascii=False)


def _completed(value: Any) -> tuple[str | None, list[str]]:
    """When a walk completed and its first page's entries; a walk completed by a newsbot that kept
    only the time has none: the next walk goes on to the end."""
    if not value:
        return None, []
    return tuple(json.loads(value)) if value.startswith("[") else (value, [])


def _guarded(default: Any = StoreError) -> Callable[[F], F]:
    def wrap(method: F) -> F:
        @functools.wraps(method)
        def guarded(self: RedisSeenStore, *args: Any, **kwargs: Any) -> Any:
            try:
                if self.trouble is None:
                    return method(self, *args, **kwargs)
            except redis.RedisError as error:
                self.trouble = self.trouble or f"Redis at {self.url} failed: {error}".replace("\n", " ")
                if self.crawler is not None:
                    from twisted.internet import reactor  # a call may fail on a thread of the store's

                    reactor.callFromThread(self._stop)
            if default is StoreError or self.crawler is None:
                raise StoreError(self.trouble)
            return copy.copy(default)

        return cast(F, guarded)

    return wrap


class RedisSeenStore(SeenStore):
    def __init__(self, url: str, settings: BaseSettings | None = None) -> None:
        self.url, self.host = redacted(url), socket.gethostname()
        self.crawler: Crawler | None = None
        self.trouble: str | None = None
        self.stopping = False
        self.marking = ThreadPoolExecutor(1)  # in order, while the worker's downloads go on
        # Appended on the reactor thread, taken on the marking one: a deque's ends are thread-safe.
        self.unmarked: deque[tuple[KnownArticle, str | None, int]] = deque()
        self.server_id: str | None = None
        # The walks this worker began, and those it found complete: the run's verdict (the add-on).
        self.begun: set[str] = set()
        self.completed: set[str] = set()
        # Alone (`newsbot state`) it answers within seconds, or raises StoreError saying why not.
        settings = settings or BaseSettings({TIMEOUT_SETTING: 2, RETRIES_SETTING: 1})
        timeout = settings.getfloat(TIMEOUT_SETTING)
        if not 0 < timeout < math.inf:  # 0 makes redis-py's sockets non-blocking: no bound at all
            raise StoreError(f"{TIMEOUT_SETTING}={timeout}: expected a number of seconds above 0")
        try:
            self.redis = redis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                # Not after a timeout: the command may have run, and a pop run again loses what it took.
                retry=Retry(
                    ExponentialBackoff(cap=1.0, base=0.1),
                    max(settings.getint(RETRIES_SETTING), 0),
                    supported_errors=(redis.ConnectionError,),
                ),
                client_name=settings.get(CLUSTER_WORKER_SETTING),
                # Text; a byte that is not UTF-8 (a planted entry) kept as a surrogate, for the codec.
                decode_responses=True,
                encoding_errors="surrogateescape",
                redis_connect_func=self._connected,
            )
        except ValueError as error:  # redis-py's words quote a password's start before a / as the port
            said = error if self.url == url else "not a Redis URL (%-encode / # ? @ in its password)"
            raise StoreError(f"Redis at {self.url}: {said}") from None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisSeenStore:
        (store := cls(crawler.settings[REDIS_URL_SETTING], crawler.settings)).call(redis.Redis.ping)
        store.crawler = crawler  # now a failure stops the worker; at start it is StoreError (exit 2)
        # Before the run report's verdict (its extension is built after the store's): the marks still
        # queued are made, and a failure among them, too late to stop the worker, fails its run.
        crawler.signals.connect(store.settle, signal=signals.spider_closed)
        return store

    def settle(self) -> None:
        self.marking.submit(self._mark).result()
        if self.trouble is not None and self.crawler is not None and self.crawler.stats is not None:
            self.crawler.stats.set_value(STATS_STORE_ERROR, self.trouble)
            self._stop()

    def _connected(self, connection: Any) -> None:
        """A new connection must reach the server this process began with: a restarted Redis (or a
        replica failed over to) may hold older data, on which a run cannot go on without loss. One
        that evicts any key when full may drop the run's queue: its workers would end ok without it."""
        connection.on_connect()
        connection.send_command("INFO")  # its default sections: server and memory among them
        info = connection.read_response()
        if policy := re.search(r"maxmemory_policy:(allkeys-\S+)", info):
            raise redis.RedisError(
                f"its maxmemory-policy {policy.group(1)} may evict the run's keys (set noeviction)"
            )
        if not (found := re.search(r"run_id:(\w+)", info)):
            raise redis.RedisError("its INFO tells no run_id, by which a restart (older data) is told")
        if self.server_id not in (None, found.group(1)):
            raise redis.RedisError("it restarted (its data may be older than this run)")
        self.server_id = found.group(1)

    def _stop(self) -> None:
        if self.stopping:
            return
        self.stopping = True
        logger.error("%s; this worker stops", self.trouble)
        if (engine := self.crawler and self.crawler.engine) and engine.spider:
            deferred_from_coro(engine.close_spider_async(reason="redis_unreachable"))

    @_guarded(None)
    def call(self, command: Callable[[redis.Redis], Any]) -> Any:
        return command(self.redis)

    def close(self) -> None:
        self.marking.shutdown()
        self.redis.close()

    async def judge(self, url: str, content_hash: str) -> tuple[bool, str | None]:
        # On a thread, so that the worker's downloads go on while Redis answers.
        return await run_in_thread(self._judge, url, content_hash)

    @_guarded((False, None))
    def _judge(self, url: str, content_hash: str) -> tuple[bool, str | None]:
        pipe: Any = self.redis.pipeline(transaction=False)
        article, copy, owner = pipe.hget(ARTICLES, url).hget(COPIES, url).hget(HASHES, content_hash).execute()
        return bool(article or copy), owner

    @_guarded(set())
    def known_urls(self, urls: Iterable[str]) -> set[str]:
        if not (wanted := list(dict.fromkeys(urls))):
            return set()
        written, copies = self.redis.pipeline().hmget(ARTICLES, wanted).hmget(COPIES, wanted).execute()  # type: ignore[attr-defined]
        return {url for url, *records in zip(wanted, written, copies, strict=True) if any(records)}

    @_guarded(None)
    def owner_of_hash(self, content_hash: str) -> str | None:
        return self.redis.hget(HASHES, content_hash)  # type: ignore[return-value]

    @_guarded(0)
    def reconciled_bytes(self, output: str) -> int:
        return int(self.redis.hget(OUTPUTS, f"{self.host}:{os.path.abspath(output)}") or 0)

    def record(self, article: KnownArticle, *, output: str | None = None, reconciled_bytes: int = 0) -> None:
        # Not waited for: a mark a killed worker did not make is made by its folder's next start.
        self.unmarked.append((article, output, reconciled_bytes))
        self.marking.submit(self._mark)

    def _mark(self) -> None:
        """The marks not made yet, in one round trip (the offset: the last line's end)."""
        marks = [self.unmarked.popleft() for _ in range(len(self.unmarked))]
        if marks:
            self._record_many([article for article, _, _ in marks], *marks[-1][1:])

    def record_many(
        self, articles: Iterable[KnownArticle], *, output: str | None, reconciled_bytes: int
    ) -> int:
        return self.marking.submit(self._record_many, articles, output, reconciled_bytes).result()

    @_guarded(0)
    def _record_many(
        self, articles: Iterable[KnownArticle], output: str | None, reconciled_bytes: int
    ) -> int:
        # Each worker appends to its own file on its own machine: one path on two machines is two files.
        delivery = f"{self.host}:{os.path.abspath(output)}" if output else None
        pipe, now = self.redis.pipeline(), utc_now_iso()
        if delivery:
            pipe.hset(OUTPUTS, delivery, reconciled_bytes)
        for article in articles:
            record = {**asdict(article), "first_seen": now, "delivery": delivery}
            pipe.hsetnx(ARTICLES, article.url, json.dumps(record, ensure_ascii=False))
            pipe.hsetnx(HASHES, article.content_hash, article.url)
        return sum(pipe.execute()[bool(delivery) :: 2])

    @_guarded({})
    def articles_by_delivery(self) -> dict[str, int]:
        """This machine's deliveries by path, other machines' as "<host>:<path>"."""
        counts = Counter(record["delivery"] for _, record in self._records(ARTICLES))
        return {str(d).removeprefix(f"{self.host}:"): n for d, n in counts.items() if d}

    @_guarded(None)
    def record_copy(self, url: str, copy_of: str, site: str) -> None:
        record = {"copy_of": copy_of, "site": site, "first_seen": utc_now_iso()}
        self.redis.hsetnx(COPIES, url, json.dumps(record, ensure_ascii=False))

    @_guarded(None)
    def last_walk_completed(self, site: str, section: str) -> str | None:
        return _completed(self.redis.hget(WALKS, walk_field(site, section)))[0]

    @_guarded(None)
    def begin_walk(self, site: str, section: str) -> list[str] | None:
        self.begun.add(walk := walk_field(site, section))
        pipe: Any = self.redis.pipeline()  # begun ("" until completed) as sqlite keeps it: forget counts it
        return _completed(pipe.hget(WALKS, walk).hsetnx(WALKS, walk, "").execute()[0])[1] or None

    @_guarded(None)
    def note_walk_top(self, site: str, section: str, urls: list[str]) -> None:
        self.redis.hset(TOPS, walk_field(site, section), json.dumps(urls, ensure_ascii=False))

    def complete_walks(self, site: str, sections: Iterable[str]) -> None:
        """Noted only: the run's last worker completes the walks no worker of it left incomplete."""
        self.completed.update(walk_field(site, section) for section in sections)

    @_guarded()
    def article_dates(self) -> list[tuple[str, str | None, str | None, str]]:
        records = (record for _, record in self._records(ARTICLES))
        return [(r["site"], r["section"], r["date_published"], r["first_seen"]) for r in records]

    @_guarded()
    def counts(self) -> dict[str, int]:
        return {"articles": self.redis.hlen(ARTICLES), "copies": self.redis.hlen(COPIES)}

    @_guarded()
    def forget(
        self, *, site: str | None = None, sections: Collection[str] | None = None, dry_run: bool = False
    ) -> Forgotten:
        """As SqliteSeenStore.forget. Run it with the workers stopped: it is not one transaction."""
        labels = None if sections is None else {label.upper() for label in sections}
        articles, ledger = (
            {
                url: r
                for url, r in self._records(key)
                if site in (None, r["site"]) and (labels is None or (r["section"] or "").upper() in labels)
            }
            for key in (ARTICLES, LEDGER)
        )
        walks = [walk for walk in self.redis.hkeys(WALKS) if site in (None, json.loads(walk)[0])]
        if not dry_run:
            hashes = [record["content_hash"] for record in articles.values()]
            for key, fields in ((ARTICLES, articles), (HASHES, hashes), (LEDGER, ledger), (WALKS, walks)):
                if fields:
                    self.redis.hdel(key, *fields)
            # A copy is skipped because of the article it copies; with that article gone, so is it.
            kept = dict(self._records(ARTICLES))
            for url, record in self._records(COPIES):
                if record["copy_of"] not in kept or (record["site"] == site and sections is None):
                    self.redis.hdel(COPIES, url)
        return Forgotten(len(articles), len(walks), len(ledger))

    @_guarded()
    def ledger_add(
        self, url: str, *, site: str, section: str | None, reason: str, summary: str | None = None
    ) -> LedgerEntry:
        # Not atomic: two workers failing one article at the same moment may count one attempt.
        now, raw = utc_now_iso(), self.redis.hget(LEDGER, url)
        new = LedgerEntry(url, site, section, reason, 0, now, now, False)
        old = LedgerEntry(**json.loads(raw)) if raw else new
        entry = replace(
            old,
            section=old.section or section,
            summary=old.summary or summary,
            reason=reason,
            attempts=old.attempts + (raw is None or old.reason != DEFERRED),  # a deferred one: never tried
            last_attempt=now,
        )
        self.redis.hset(LEDGER, url, json.dumps(asdict(entry), ensure_ascii=False))
        return entry

    @_guarded([])
    def ledger_entries(self) -> list[LedgerEntry]:
        entries = [LedgerEntry(**record) for _, record in self._records(LEDGER)]
        return sorted(entries, key=lambda e: (e.site, e.section or "", e.url))

    @_guarded(False)
    def ledger_resolve(self, url: str) -> bool:
        return bool(self.redis.hdel(LEDGER, url))

    @_guarded(None)
    def ledger_give_up(self, url: str) -> None:
        if raw := self.redis.hget(LEDGER, url):
            self.redis.hset(
                LEDGER, url, json.dumps(asdict(replace(LedgerEntry(**json.loads(raw)), given_up=True)))
            )

    def _records(self, key: str) -> Iterator[tuple[str, dict[str, Any]]]:
        for field, raw in self.redis.hscan_iter(key, count=1000):
            yield field, json.loads(raw)
