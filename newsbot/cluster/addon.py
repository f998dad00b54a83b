"""The add-on that makes a crawl a cluster worker when NEWSBOT_REDIS_URL is set, on scrapy-redis.

Workers of a spider share scrapy-redis's priority queue and duplicate filter and the store
(newsbot.cluster.store). Deliveries are at least once: a worker checks the store before writing and
marks after its fsync, as one process does. A run's walks are recorded complete by its last worker
only, when every worker of the run finished ok and nothing is queued: a run that lost a worker
leaves them incomplete, so the next run walks on and finds what the lost worker held.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
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
from newsbot.delivery import project_folder
from newsbot.extensions.store import seen_store
from newsbot.keys import ARTICLE_META_KEY, FINISH_STORE_UNUSABLE, STATS_STORE_ERROR
from newsbot.signals import run_judged

logger = logging.getLogger(__name__)

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


# KEYS: duplicate filter, queue. ARGV: fingerprint ('' for dont_filter), score and entry of each request.
# scrapy-redis's seen-check and push, for every request of a page in one call instead of two per request.
_ENQUEUE = """
local queued = 0
for i = 1, #ARGV, 3 do
  if ARGV[i] == '' or redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
    queued = queued + 1
  end
end
return queued
"""


def run_keys(spider: str) -> tuple[str, str, str, str]:
    """scrapy-redis's queue and duplicate filter, the run (worker -> state), the walks ended in it."""
    return f"{spider}:requests", f"{spider}:dupefilter", f"{spider}:run", f"{spider}:walks:ended"


class RedisAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get(cluster.URL_SETTING):
            return
        worker = f"newsbot-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        settings.set(cluster.WORKER_SETTING, worker, "addon")  # before redis_params(), which names it
        for name, value in {
            "SCHEDULER": f"{__name__}.ClusterScheduler",
            "SCHEDULER_SERIALIZER": "newsbot.cluster.codec",
            "REDIS_URL": settings[cluster.URL_SETTING],
            "REDIS_PARAMS": cluster.redis_params(settings),
        }.items():
            settings.set(name, value, "addon")
        # At the project's priority: settings.py's defaults yield to these, a -s on the command line wins.
        settings.set("DUPEFILTER_CLASS", f"{__name__}.DupeFilter", "project")
        settings.set("NEWSBOT_STORE_CLASS", "newsbot.cluster.store.RedisSeenStore", "project")
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", RunMember, 5)  # sees every output


class DupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's duplicate filter on Scrapy's own request fingerprint, letting the hops of a
    redirect chain through."""

    @classmethod
    def from_spider(cls, spider: Spider) -> DupeFilter:
        (dupefilter := super().from_spider(spider)).fingerprinter = spider.crawler.request_fingerprinter
        return dupefilter  # type: ignore[no-any-return]

    def request_fingerprint(self, request: Request) -> str:
        return str(self.fingerprinter.fingerprint(request).hex())

    def request_seen(self, request: Request) -> bool:
        # As newsbot.middlewares.downloader.RedirectChainDupeFilter: REDIRECT_MAX_TIMES bounds a chain.
        return False if request.meta.get("redirect_urls") else bool(super().request_seen(request))


class ClusterScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's Scheduler: it joins its run as it opens, waits while idle for the run's live
    workers, and makes its Redis calls through the store, which stops the worker when they fail."""

    waiting_for: list[str]
    idle: bool
    held: list[Any]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterScheduler:
        scheduler, store = None, seen_store(crawler)
        if isinstance(store, cluster.RedisSeenStore):  # scrapy-redis pings Redis here
            scheduler = store.call(lambda _: super(ClusterScheduler, cls).from_crawler(crawler))
            if scheduler is not None:  # one client, the store's: it watches for a restarted Redis
                scheduler.server.close()
                scheduler.server = store.redis
        else:  # refused at start, or a complete feed export (-o): the run must not start
            crawler.signals.connect(cls.refuse_to_start, signal=signals.spider_opened)
        scheduler = cls(server=None) if scheduler is None else scheduler
        scheduler.crawler, scheduler.store, scheduler.stats = crawler, store, crawler.stats
        scheduler.worker = crawler.settings[cluster.WORKER_SETTING]
        scheduler.idle, scheduler.waiting_for, scheduler.held = False, [], []
        # The engine looks at an idle scheduler every 5 s; a worker waiting for others, every 0.5 s.
        scheduler.wake = create_looping_call(scheduler._look_again)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    @staticmethod
    def refuse_to_start(spider: Spider) -> None:
        if spider.crawler.stats.get_value(STATS_STORE_ERROR) is None:  # else the store extension said why
            logger.error("A cluster worker needs its Redis store (a complete feed export -o/-O has none)")
        raise CloseSpider(FINISH_STORE_UNUSABLE)

    def _redis(self, command: Callable[[], Any]) -> Any:
        return None if self.server is None else self.store.call(lambda _: command())

    def open(self, spider: Spider) -> None:
        self._redis(lambda: self._join(spider))

    def _join(self, spider: Spider) -> None:
        queue, dupefilter, self.run, ended = run_keys(spider.name)
        with self.server.lock(f"{spider.name}:join", timeout=600, blocking_timeout=600):
            if self.store.rebuild_if_empty(self._deliveries(spider)):
                logger.warning("The store was empty (a new Redis, or lost data): rebuilt from the deliveries")
            if not self._alive().intersection(name.decode() for name in self.server.hkeys(self.run)):
                # No worker of the last run is alive: it finished, or died. What a dead one held is found
                # again by the walks it left incomplete: the new run starts with an empty frontier.
                self.server.delete(queue, dupefilter, self.run, ended)
            self.server.hset(self.run, self.worker, "running")
        super().open(spider)
        self._enqueue = self.server.register_script(_ENQUEUE)

    def _alive(self) -> set[str]:
        """The other workers connected to Redis: a killed process's connections are closed."""
        return {client["name"] for client in self.server.client_list()} - {self.worker}

    def _deliveries(self, spider: Spider) -> list[Path]:
        template = self.crawler.settings.get("NEWSBOT_OUTPUT")
        folder = (project_folder() / template.format(spider=spider.name)).parent
        return sorted(folder.glob("*.jsonl")) if template else []

    def has_pending_requests(self) -> bool:
        self._flush()
        return bool(self._redis(lambda: len(self.queue) > 0))

    def enqueue_request(self, request: Request) -> bool:
        # Held until the engine next looks at the frontier: a page's requests reach Redis in one call.
        if self.server is None:
            return False
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        self.held += [fingerprint, -request.priority, self.queue._encode_request(request)]
        return True

    def _flush(self) -> None:
        if self.held:
            args, self.held = self.held, []
            queued = self._redis(lambda: self._enqueue(keys=[self.df.key, self.queue.key], args=args)) or 0
            self.stats.inc_value("scheduler/enqueued/redis", queued)
            self.stats.inc_value("dupefilter/filtered", len(args) // 3 - queued)

    def next_request(self) -> Request | None:
        self._flush()
        while True:
            try:
                request = self._redis(lambda: self.queue.pop())
            except ValueError as refusal:  # codec.Refused, or a callback this spider does not have
                self.stats.inc_value("newsbot/redis/refused_payloads")
                # A WARNING: junk planted in Redis must not fail the run (NEWSBOT_MAX_ERRORS).
                logger.warning(
                    "Refused an entry of %s that is not a newsbot request: %s", self.queue.key, refusal
                )
                continue
            if request is not None:
                self.stats.inc_value("scheduler/dequeued/redis")
                if self.idle:  # busy again: the others wait for what its requests may queue
                    self.idle = (
                        self._redis(lambda: self.server.hset(self.run, self.worker, "running")) is None
                    )
            return request  # type: ignore[no-any-return]

    def spider_idle(self, spider: Spider) -> None:
        """An idle worker stays while another live worker of its run may still queue requests."""

        def running() -> list[str]:
            self.server.hset(self.run, self.worker, "idle")
            run = self.server.hgetall(self.run)
            return sorted(self._alive().intersection(w.decode() for w, v in run.items() if v == b"running"))

        self.idle = True
        if waiting_for := self._redis(running):
            if waiting_for != self.waiting_for:
                logger.info("Frontier empty; waiting for worker(s) still running: %s", ", ".join(waiting_for))
            self.waiting_for = waiting_for
            if not self.wake.running:
                self.wake.start(0.5, now=False)
            raise DontCloseSpider
        self.close("no worker of the run left to wait for")

    def close(self, reason: str) -> None:
        # Never empties the frontier, as scrapy-redis's does without SCHEDULER_PERSIST: it is the run's.
        self._flush()
        if self.wake.running:
            self.wake.stop()

    def _look_again(self) -> None:
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
