"""The add-on that makes a crawl a cluster worker when NEWSBOT_REDIS_URL is set, on scrapy-redis.

Workers of a spider share scrapy-redis's priority queue and duplicate filter keys and the store
(newsbot.cluster.store). Deliveries are at least once: a worker checks the store before writing and
marks after its fsync, as one process does. A run's walks are recorded complete by its last worker
only, when every worker of the run finished ok and nothing is queued: a run that lost a worker leaves
them incomplete, so the next run walks on and finds what the lost worker held.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, DontCloseSpider, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import create_looping_call
from scrapy_redis.dupefilter import RFPDupeFilter  # type: ignore[import-untyped]
from scrapy_redis.scheduler import Scheduler  # type: ignore[import-untyped]

from newsbot.clock import utc_now_iso
from newsbot.cluster import store as cluster
from newsbot.extensions.store import seen_store
from newsbot.keys import ARTICLE_META_KEY, FINISH_STORE_UNUSABLE, STATS_STORE_ERROR
from newsbot.signals import run_judged

logger = logging.getLogger(__name__)
# Requests a worker takes from the queue at once: fewer round trips; what a killed worker held is found
# again by the walks it left incomplete.
TAKEN_AT_ONCE = 4

# KEYS: duplicate filter, queue, run. ARGV: worker, how many to take, then fingerprint ('' for none), score
# and entry of each request held since the last call. A page's requests are queued (scrapy-redis's
# seen-check and push) and the next ones taken in one call; a worker that takes any is running.
_FRONTIER = """
local queued = 0
for i = 3, #ARGV, 3 do
  if ARGV[i] == '' or redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    queued = queued + redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
  end
end
local taken = redis.call('ZPOPMIN', KEYS[2], ARGV[2])
if #taken > 0 then redis.call('HSET', KEYS[3], ARGV[1], 'running') end
return {queued, taken}
"""
# KEYS: run, queue, walks ended, walks started, walks completed. ARGV: worker, its verdict, time.
# The run's last worker, all verdicts ok and nothing queued, completes the walks that ended in the run.
_FINISH = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
for _, verdict in ipairs(redis.call('HVALS', KEYS[1])) do if verdict ~= 'ok' then return -1 end end
if redis.call('ZCARD', KEYS[2]) > 0 then return -1 end
local walks = redis.call('SMEMBERS', KEYS[3])
for _, walk in ipairs(walks) do
  if redis.call('HEXISTS', KEYS[4], walk) == 1 then redis.call('HSET', KEYS[5], walk, ARGV[3]) end
end
redis.call('DEL', KEYS[3])
return #walks
"""


def run_keys(spider: str) -> tuple[str, str, str, str]:
    """scrapy-redis's queue and duplicate filter, the run (worker -> state), the walks ended in it."""
    return f"{spider}:requests", f"{spider}:dupefilter", f"{spider}:run", f"{spider}:walks:ended"


class RedisAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get(cluster.URL_SETTING):
            return
        worker = f"newsbot-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        settings.set(cluster.WORKER_SETTING, worker, "addon")
        settings.set("SCHEDULER", f"{__name__}.ClusterScheduler", "addon")
        settings.set("SCHEDULER_SERIALIZER", "newsbot.cluster.codec", "addon")
        # At the project's priority: settings.py's defaults yield to these, a -s on the command line wins.
        settings.set("NEWSBOT_STORE_CLASS", "newsbot.cluster.store.RedisSeenStore", "project")
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", RunMember, 5)  # sees every output


class ClusterScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's Scheduler on the store's client (its calls fail as the store's do, stopping the
    worker), with Scrapy's request fingerprint. It joins its run as it opens, and waits while idle for
    the run's live workers."""

    held: list[Any]
    taken: list[bytes]
    waiting_for: list[str]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterScheduler:
        store = seen_store(crawler)
        if not isinstance(store, cluster.RedisSeenStore):  # refused at start, or a feed export (-o)
            crawler.signals.connect(cls.refuse_to_start, signal=signals.spider_opened)
        server, name = getattr(store, "redis", None), crawler.spidercls.name
        scheduler = cls(
            server,
            persist=True,  # the queue is the run's, never emptied by one worker's close
            serializer=importlib.import_module(crawler.settings["SCHEDULER_SERIALIZER"]),
            dupefilter=RFPDupeFilter(server, key=run_keys(name)[1]),  # its key; Scrapy's fingerprint
        )
        scheduler.crawler, scheduler.store, scheduler.stats = crawler, store, crawler.stats
        scheduler.worker, scheduler.held, scheduler.taken = crawler.settings[cluster.WORKER_SETTING], [], []
        scheduler.waiting_for = []
        # The engine looks at an idle scheduler every 5 s; a worker waiting for others, every 0.5 s.
        scheduler.wake = create_looping_call(scheduler._look_again)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    @staticmethod
    def refuse_to_start(spider: Spider) -> None:
        if spider.crawler.stats.get_value(STATS_STORE_ERROR) is None:  # else the store extension said why
            logger.error("A cluster worker needs its Redis store (a complete feed export -o/-O has none)")
        raise CloseSpider(FINISH_STORE_UNUSABLE)

    def _redis(self, command: Any) -> Any:
        return None if self.server is None else self.store.call(lambda _: command())

    def open(self, spider: Spider) -> None:
        self._redis(lambda: self._join(spider))

    def _join(self, spider: Spider) -> None:
        queue, dupefilter, self.run, ended = run_keys(spider.name)
        with self.server.lock(f"{spider.name}:join", timeout=600, blocking_timeout=600):
            if self.server.set(cluster.MARKER, utc_now_iso(), nx=True):  # the writers mark the deliveries
                logger.warning(
                    "The store was empty (a new Redis, or lost data): the deliveries are marked again"
                )
            if not self._alive().intersection(name.decode() for name in self.server.hkeys(self.run)):
                # No worker of the last run is alive: it finished, or died. What a dead one held is found
                # again by the walks it left incomplete: the new run starts with an empty frontier.
                self.server.delete(queue, dupefilter, self.run, ended)
            self.server.hset(self.run, self.worker, "running")
        super().open(spider)
        self._frontier = self.server.register_script(_FRONTIER)

    def _alive(self) -> set[str]:
        """The other workers connected to Redis: a killed process's connections are closed."""
        return {client["name"] for client in self.server.client_list()} - {self.worker}

    def has_pending_requests(self) -> bool:
        return bool(self.held or self.taken or self._redis(lambda: self.server.zcard(self.queue.key)))

    def enqueue_request(self, request: Request) -> bool:
        # Held until the engine next asks for a request: a page's requests reach Redis in one call.
        # The hops of a redirect chain pass, as newsbot.middlewares.downloader.RedirectChainDupeFilter.
        if self.server is None:
            return False
        unfiltered = request.dont_filter or request.meta.get("redirect_urls")
        fingerprint = "" if unfiltered else self.crawler.request_fingerprinter.fingerprint(request).hex()
        self.held += [fingerprint, -request.priority, self.queue._encode_request(request)]
        return True

    def next_request(self) -> Request | None:
        if self.server is not None and (not self.taken or self.held):
            args, self.held = [self.worker, TAKEN_AT_ONCE - len(self.taken), *self.held], []
            keys = [self.df.key, self.queue.key, self.run]
            queued, taken = self._redis(lambda: self._frontier(keys=keys, args=args)) or (0, [])
            self.stats.inc_value("scheduler/enqueued/redis", queued)
            self.stats.inc_value("dupefilter/filtered", (len(args) - 2) // 3 - queued)
            self.taken += taken[::2]
        while self.taken:
            try:
                request = self.queue._decode_request(self.taken.pop(0))
            except ValueError as refusal:  # codec.Refused, or a callback this spider does not have
                self.stats.inc_value("newsbot/redis/refused_payloads")
                # A WARNING: junk planted in Redis must not fail the run (NEWSBOT_MAX_ERRORS).
                logger.warning(
                    "Refused an entry of %s that is not a newsbot request: %s", self.queue.key, refusal
                )
                continue
            self.stats.inc_value("scheduler/dequeued/redis")
            return request  # type: ignore[no-any-return]
        return None

    def spider_idle(self, spider: Spider) -> None:
        """An idle worker stays while another live worker of its run may still queue requests."""

        def running() -> list[str]:
            pipe = self.server.pipeline()
            pipe.hset(self.run, self.worker, "idle")
            run = pipe.hgetall(self.run).execute()[1]
            return sorted(self._alive().intersection(w.decode() for w, v in run.items() if v == b"running"))

        if waiting_for := self._redis(running):
            if waiting_for != self.waiting_for:
                logger.info("Frontier empty; waiting for worker(s) still running: %s", ", ".join(waiting_for))
            self.waiting_for = waiting_for
            if not self.wake.running:
                self.wake.start(0.5, now=False)
            raise DontCloseSpider
        self.close("no worker of the run left to wait for")

    def close(self, reason: str) -> None:
        if self.wake.running:
            self.wake.stop()

    def _look_again(self) -> None:
        # Private: Scrapy has no public way to have the engine ask the scheduler again before its 5 s.
        if (nextcall := getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)) is not None:
            nextcall.schedule()


class RunMember:
    """Notes a walk whose last page this worker fetched (a section page answered 2xx whose output
    asks for no page but articles), and gives the worker's verdict to its run at the end."""

    def __init__(self, crawler: Crawler, store: cluster.RedisSeenStore) -> None:
        self.crawler, self.store, self.worker = crawler, store, crawler.settings[cluster.WORKER_SETTING]
        self._finish = store.redis.register_script(_FINISH)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunMember:
        if not isinstance(store := seen_store(crawler), cluster.RedisSeenStore):
            raise NotConfigured
        crawler.signals.connect((member := cls(crawler, store)).run_judged, signal=run_judged)
        return member

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        more = False
        async for output in result:
            more = more or (isinstance(output, Request) and ARTICLE_META_KEY not in output.meta)
            yield output
        slug = response.request.cb_kwargs.get("slug") if response.request is not None else None
        site, spider = getattr(getattr(self.crawler.spider, "site", None), "host", None), self.crawler.spider
        # An error page ends no walk: its errback's output comes through here too.
        if (
            isinstance(slug, str)
            and isinstance(site, str)
            and spider
            and 200 <= response.status < 300
            and not more
        ):
            ended = run_keys(spider.name)[3]
            self.store.call(lambda client: client.sadd(ended, cluster.walk_field(site, slug)))

    def run_judged(self, spider: Spider, outcome: str) -> None:
        queue, _, run, ended = run_keys(spider.name)
        keys = [run, queue, ended, cluster.STARTED, cluster.COMPLETED]
        args = [self.worker, outcome, utc_now_iso()]
        if (completed := self.store.call(lambda _: self._finish(keys=keys, args=args))) not in (None, -1):
            logger.info("Last worker of the run: the %s walk(s) that ended in it are complete", completed)
