"""The add-on that makes a crawl a cluster worker when NEWSBOT_REDIS_URL is set, on scrapy-redis.

Workers of a spider share scrapy-redis's priority queue and duplicate filter (`<spider>:requests`,
`<spider>:dupefilter`) and the store (newsbot.cluster.store). Deliveries are at least once: a
worker checks the store before writing and marks after its fsync, as one process does; no claims,
leases or heartbeats. A run's walks are recorded complete only by its last worker, when every
worker of the run finished ok and the frontier is empty: a run that lost a worker leaves them
incomplete, so the next run walks on and finds whatever the lost worker held.
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
from newsbot.cluster.store import (
    COMPLETED,
    STARTED,
    URL_SETTING,
    WORKER_SETTING,
    RedisSeenStore,
    redis_params,
    walk_field,
)
from newsbot.extensions.store import seen_store
from newsbot.keys import ARTICLE_META_KEY, FINISH_STORE_UNUSABLE, STATS_STORE_ERROR
from newsbot.signals import run_judged

logger = logging.getLogger(__name__)
STATS_REFUSED = "newsbot/redis/refused_payloads"

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
    """The queue, duplicate filter, run (worker -> verdict) and walks-ended keys of a spider."""
    return f"{spider}:requests", f"{spider}:dupefilter", f"{spider}:run", f"{spider}:walks:ended"


class RedisAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get(URL_SETTING):
            return
        worker = f"newsbot-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        settings.set(WORKER_SETTING, worker, "addon")
        for name, value in {
            "SCHEDULER": f"{__name__}.ClusterScheduler",
            "DUPEFILTER_CLASS": f"{__name__}.DupeFilter",
            "SCHEDULER_SERIALIZER": "newsbot.cluster.codec",
            "SCHEDULER_PERSIST": True,  # a worker that finishes leaves the frontier to the others
            "REDIS_URL": settings[URL_SETTING],
            "REDIS_PARAMS": redis_params(settings),
            "NEWSBOT_SHARED_FRONTIER": True,  # the spider's requests go through the duplicate filter
        }.items():
            settings.set(name, value, "addon")
        # At the project's priority: settings.py's default yields to it, a -s on the command line wins.
        settings.set("NEWSBOT_STORE_CLASS", f"{RedisSeenStore.__module__}.RedisSeenStore", "project")
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", RunMember, 5)  # sees every output


class DupeFilter(RFPDupeFilter):  # type: ignore[misc]
    """scrapy-redis's duplicate filter on Scrapy's own request fingerprint."""

    @classmethod
    def from_spider(cls, spider: Spider) -> DupeFilter:
        dupefilter = super().from_spider(spider)
        dupefilter.fingerprinter = spider.crawler.request_fingerprinter
        return dupefilter  # type: ignore[no-any-return]

    def request_fingerprint(self, request: Request) -> str:
        return str(self.fingerprinter.fingerprint(request).hex())


class ClusterScheduler(Scheduler):  # type: ignore[misc]
    """scrapy-redis's Scheduler; it joins the spider's run as it opens, and a Redis call that fails
    for good stops the worker (one line, exit 1) through the store."""

    waiting_for: list[str]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterScheduler:
        store, scheduler = seen_store(crawler), None
        if isinstance(store, RedisSeenStore):  # else refused at start: the store extension said why
            # scrapy-redis pings Redis here: under the store's guard, like every call of the frontier.
            scheduler = store.call(lambda _: super(ClusterScheduler, cls).from_crawler(crawler))
        scheduler = cls(server=None) if scheduler is None else scheduler
        if not isinstance(store, RedisSeenStore):
            crawler.signals.connect(scheduler.refuse_to_start, signal=signals.spider_opened)
        scheduler.crawler, scheduler.store, scheduler.stats = crawler, store, crawler.stats
        scheduler.worker, scheduler.idle, scheduler.waiting_for = crawler.settings[WORKER_SETTING], False, []
        # The engine looks at an idle scheduler every 5 s; a waiting worker looks every 0.5 s.
        scheduler.wake = create_looping_call(scheduler._look_again)
        crawler.signals.connect(scheduler.spider_idle, signal=signals.spider_idle)
        return scheduler

    def _redis(self, command: Callable[[], Any]) -> Any:
        return None if self.server is None else self.store.call(lambda _: command())

    def refuse_to_start(self, spider: Spider) -> None:
        if self.stats.get_value(STATS_STORE_ERROR) is None:  # else the store extension said why
            logger.error("A cluster worker needs its Redis store (a complete feed export -o/-O has none)")
        raise CloseSpider(FINISH_STORE_UNUSABLE)

    def open(self, spider: Spider) -> None:
        self._redis(lambda: self._join(spider))

    def _join(self, spider: Spider) -> None:
        queue, dupefilter, self.run, ended = run_keys(spider.name)
        with self.server.lock(f"{spider.name}:join", timeout=600, blocking_timeout=600):
            if self.store.rebuild_if_empty(self._deliveries(spider)):
                logger.warning("The store was empty (a new Redis, or lost data): rebuilt from the deliveries")
            alive = {client["name"] for client in self.server.client_list()} - {self.worker}
            if not alive.intersection(bytes(name).decode() for name in self.server.hkeys(self.run)):
                # No worker of the last run is alive: it finished, or died. What a dead one held is found
                # again by the walks it left incomplete, so the new run starts with an empty frontier.
                self.server.delete(queue, dupefilter, self.run, ended)
            self.server.hset(self.run, self.worker, "running")
        super().open(spider)

    def _deliveries(self, spider: Spider) -> list[Path]:
        template = self.crawler.settings.get("NEWSBOT_OUTPUT")
        return sorted(Path(template.format(spider=spider.name)).parent.glob("*.jsonl")) if template else []

    def has_pending_requests(self) -> bool:
        return bool(self._redis(lambda: len(self.queue) > 0))

    def enqueue_request(self, request: Request) -> bool:
        seen = not request.dont_filter and self._redis(lambda: self.df.request_seen(request)) is not False
        if seen or self._redis(lambda: self.queue.push(request) or True) is None:
            self.stats.inc_value("dupefilter/filtered" if seen else "scheduler/unqueued/redis")
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def spider_idle(self, spider: Spider) -> None:
        """An idle worker stays while another live worker of its run may still queue requests."""

        def running(client: Any) -> list[str]:
            client.hset(self.run, self.worker, "idle")
            alive = {client["name"] for client in client.client_list()} - {self.worker}
            run = client.hgetall(self.run)
            return sorted(alive.intersection(w.decode() for w, v in run.items() if v == b"running"))

        self.idle = True
        if waiting_for := self._redis(lambda: running(self.server)):
            if waiting_for != self.waiting_for:
                logger.info("Frontier empty; waiting for worker(s) still running: %s", ", ".join(waiting_for))
            self.waiting_for = waiting_for
            if not self.wake.running:
                self.wake.start(0.5, now=False)
            raise DontCloseSpider
        if self.wake.running:
            self.wake.stop()

    def close(self, reason: str) -> None:
        if self.wake.running:
            self.wake.stop()

    def _look_again(self) -> None:
        if (nextcall := getattr(getattr(self.crawler.engine, "_slot", None), "nextcall", None)) is not None:
            nextcall.schedule()

    def next_request(self) -> Request | None:
        while True:
            try:
                request = self._redis(lambda: self.queue.pop())
            except ValueError as refusal:  # codec.Refused, or a callback this spider does not have
                self.stats.inc_value(STATS_REFUSED)
                # A WARNING: junk planted in Redis must not fail the run (NEWSBOT_MAX_ERRORS).
                logger.warning(
                    "Refused an entry of %s that is not a newsbot request: %s", self.queue.key, refusal
                )
                continue
            if request is not None:
                self.stats.inc_value("scheduler/dequeued/redis")
                if self.idle:  # busy again: the others wait for what this request may queue
                    self.idle = (
                        self._redis(lambda: self.server.hset(self.run, self.worker, "running")) is None
                    )
            return request  # type: ignore[no-any-return]


class RunMember:
    """This worker's part in its run: it notes a section walk whose last page it fetched (a section
    page whose output asks for no page but articles), and gives its verdict at the end."""

    def __init__(self, crawler: Crawler, store: RedisSeenStore) -> None:
        self.crawler, self.store, self.worker = crawler, store, crawler.settings[WORKER_SETTING]
        self._finish = store.redis.register_script(_FINISH)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunMember:
        if not isinstance(store := seen_store(crawler), RedisSeenStore):
            raise NotConfigured
        member = cls(crawler, store)
        crawler.signals.connect(member.run_judged, signal=run_judged)
        return member

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        more = False
        async for output in result:
            more = more or (isinstance(output, Request) and ARTICLE_META_KEY not in output.meta)
            yield output
        slug = response.request.cb_kwargs.get("slug") if response.request is not None else None
        site = getattr(getattr(self.crawler.spider, "site", None), "host", None)
        if isinstance(slug, str) and isinstance(site, str) and not more and self.crawler.spider is not None:
            ended = run_keys(self.crawler.spider.name)[3]
            self.store.call(lambda client: client.sadd(ended, walk_field(site, slug)))

    def run_judged(self, spider: Spider, outcome: str) -> None:
        queue, _, run, ended = run_keys(spider.name)
        keys, args = [run, queue, ended, STARTED, COMPLETED], [self.worker, outcome, utc_now_iso()]
        completed = self.store.call(lambda _: self._finish(keys=keys, args=args))
        if completed is not None and completed >= 0:
            logger.info("Last worker of the run: the %d walk(s) that ended in it are complete", completed)
