"""A cluster worker's scheduler, on scrapy-redis: a spider's workers share its queue and duplicate
filter. A run that lost a worker leaves its walks incomplete: the next run walks on and finds what it held."""

from __future__ import annotations

import importlib
import logging
import uuid
from typing import Any

import redis
from scrapy import Request, Spider, signals
from scrapy.core.scheduler import BaseScheduler
from scrapy.crawler import Crawler
from scrapy.exceptions import DontCloseSpider
from scrapy.utils.misc import load_object
from scrapy.utils.request import request_from_dict
from scrapy_redis.scheduler import Scheduler  # type: ignore[import-untyped]

from newsbot import keys
from newsbot.clock import utc_now_iso
from newsbot.extensions.store import refuse_to_open, seen_store
from newsbot.signals import run_judged
from newsbot.store.redis import MARKER, RETRIES_SETTING, TIMEOUT_SETTING, TOPS, WALKS, RedisSeenStore

logger = logging.getLogger(__name__)
# Queues a page's requests (scrapy-redis's seen-check and push), takes the next ones and says which (from 1)
# the filter dropped, in one call; a worker that takes any is running. Sent again (Retry, a connection cut
# after Redis ran it), it gives the answer lost, not a second pop. KEYS: duplicate filter, queue, run, last
# answers. ARGV: worker, a token of this call, how many to take, then fingerprint ('' for none), score and
# entry of each request held.
_FRONTIER = """
local last = redis.call('HGET', KEYS[4], ARGV[1])
if last and cjson.decode(last)[1] == ARGV[2] then return cjson.decode(last)[2] end
local dropped = {}
for i = 4, #ARGV, 3 do
  if ARGV[i] == '' or redis.call('SADD', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
  else
    dropped[#dropped + 1] = (i - 1) / 3
  end
end
local taken = redis.call('ZPOPMIN', KEYS[2], ARGV[3])
if #taken > 0 then redis.call('HSET', KEYS[3], ARGV[1], 'running') end
redis.call('HSET', KEYS[4], ARGV[1], cjson.encode({ARGV[2], {dropped, taken}}))
return {dropped, taken}
"""
# KEYS: run, queue, the run's walks (-> how many workers left it incomplete), the store's walks, marker
# and first pages of the walks under way. ARGV: worker, its verdict, time, the marker it joined under, then
# each walk it began and 1 if it left it incomplete (a failed page, a bound), else 0. A marker gone or
# changed is a Redis that lost its data during the run: the run on it is not ok. Sent again, counts once.
_FINISH = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return -1 end
local verdict = redis.call('GET', KEYS[5]) == ARGV[4] and ARGV[2] or 'lost data'
redis.call('HSET', KEYS[1], ARGV[1], verdict)
for i = 5, #ARGV, 2 do redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1]) end
if verdict ~= ARGV[2] then return verdict end
for _, state in ipairs(redis.call('HVALS', KEYS[1])) do if state ~= 'ok' then return -1 end end
if redis.call('ZCARD', KEYS[2]) > 0 then return -1 end
local walks = redis.call('HGETALL', KEYS[3])
for i = 1, #walks, 2 do
  if walks[i + 1] == '0' then
    local top = redis.call('HGET', KEYS[6], walks[i]) or '[]'
    redis.call('HSET', KEYS[4], walks[i], '[' .. cjson.encode(ARGV[3]) .. ',' .. top .. ']')
  end
end
redis.call('DEL', KEYS[3])
"""


class ClusterScheduler(Scheduler):  # type: ignore[misc]
    """On the store's client (its calls fail as the store's do), with Scrapy's request fingerprint."""

    def __init__(self, crawler: Crawler, store: RedisSeenStore) -> None:
        name = crawler.spidercls.name
        super().__init__(
            store.redis,
            persist=True,  # the queue is the run's, never emptied by one worker's close
            queue_key=f"{name}:requests",
            dupefilter_key=f"{name}:dupefilter",  # its fingerprints: Scrapy's, in the frontier script
            serializer=importlib.import_module(crawler.settings["SCHEDULER_SERIALIZER"]),
        )
        self.crawler, self.store, self.stats = crawler, store, crawler.stats
        self.run, self.walks, self.answers = f"{name}:run", f"{name}:walks", f"{name}:answers"
        self.claims, self.arguments = f"{name}:claims", f"{name}:arguments"  # take(); _join()
        self.worker: str = crawler.settings[keys.CLUSTER_WORKER_SETTING]
        self.marker: bytes | str | None = None  # the store's, as the worker joined its run
        self.held: list[tuple[Request, tuple[str, int, str]]] = []  # since the last call, with its ARGV
        self.taken: list[str] = []
        # As many taken at once as are downloaded at once: the fewest a killed worker leaves to the next run.
        settings = crawler.settings
        self.taken_at_once = min(
            settings.getint("CONCURRENT_REQUESTS"), settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        )
        self.drained = False  # the queue had fewer than asked for at the last call
        self.waiting_for: list[str] = []
        # A join is a few calls of milliseconds: a worker holding the lock past two calls' whole bound
        # (timeout and retries) was stopped (SIGSTOP) or cut off, and the others join without it.
        self.join_bound = 2 * settings.getfloat(TIMEOUT_SETTING) * (settings.getint(RETRIES_SETTING) + 1)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BaseScheduler:
        if not isinstance(store := seen_store(crawler), RedisSeenStore):
            # Refused (the store extension stops the run), or none: a complete feed export's plain crawl.
            return load_object("scrapy.core.scheduler.Scheduler").from_crawler(crawler)  # type: ignore[no-any-return]
        # Scrapy's engine asks an idle scheduler again every 5 s, and has no public way to be asked sooner
        # (engine.crawl() needs a request): a worker waiting for the others' requests asks every 0.5 s.
        engine: Any = crawler.engine
        engine._SLOT_HEARTBEAT_INTERVAL = 0.5
        crawler.signals.connect((scheduler := cls(crawler, store)).spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(scheduler.run_judged, signal=run_judged)
        return scheduler

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.store.call(self._join)

    def _join(self, client: redis.Redis) -> None:
        bound = self.join_bound
        lock = client.lock(f"{self.spider.name}:join", timeout=bound, blocking_timeout=bound + 1)
        if not lock.acquire(blocking=False, token=self.worker):
            holder = client.get(lock.name) or "another worker"
            logger.warning("Waiting up to %g s for %s to join the run (it may be stopped)", bound, holder)
            if not lock.acquire(token=self.worker):
                raise redis.RedisError(f"the run's join lock was held over {bound:g} s")
        try:
            if client.set(MARKER, uuid.uuid4().hex, nx=True):  # the writers mark the deliveries again
                logger.warning("The store was empty (a new Redis, or lost data): deliveries are marked again")
            # Workers connected to Redis (a killed one's connection is closed); this new one is not in `run`.
            run, alive = client.hgetall(self.run), {link["name"] for link in client.client_list()}
            arguments, theirs = repr(getattr(self.spider, "arguments", None)), client.get(self.arguments)
            if not alive.intersection(run):
                # No worker of the last run is alive (it finished, or died): a new run, on an empty frontier.
                client.delete(
                    self.queue_key, self.dupefilter_key, self.claims, self.run, self.walks, self.answers
                )
                client.set(self.arguments, arguments)
            elif theirs != arguments:
                # Bounded otherwise, it would cut short the others' walks whose pages it takes.
                clash = f"the run in Redis crawls with {theirs!s}, this worker with {arguments}"
                refuse_to_open(
                    self.crawler, f"{clash}: start it with the same arguments, or once that run ended"
                )
                return
            elif "running" not in {run[worker] for worker in alive.intersection(run)} or any(
                state != "ok" for worker, state in run.items() if worker not in alive
            ):
                # Its live workers all idle (it is ending, or one was stopped): its filter would drop every
                # page of this one. Or one ended with requests in hand. Either way, walk every section again.
                client.delete(self.dupefilter_key, self.claims)
            client.hset(self.run, self.worker, "running")
            self.marker = client.get(MARKER)  # joined
        finally:
            if not lock.owned():  # it expired: another worker may have joined meanwhile
                self.store.trouble = f"Joining the run took over {bound:g} s (was this worker stopped?)"
            lock.release()

    def has_pending_requests(self) -> bool:
        return bool(self.held or self.taken or self.store.call(lambda client: client.zcard(self.queue_key)))

    def take(self, url: str) -> bool:
        """Takes `url` for a page that names it (og:url): whether a worker of the run had queued it (it
        may be fetching it now) or taken it for another page. Not into the filter: that page's item may
        yet be dropped, and a listing of `url` must still be fetched."""
        fingerprint = self.crawler.request_fingerprinter.fingerprint(Request(url)).hex()
        pipe: Any = self.store.redis.pipeline(transaction=False)
        pipe.sismember(self.dupefilter_key, fingerprint).sadd(self.claims, fingerprint)
        queued, added = self.store.call(lambda _: pipe.execute()) or (False, True)
        return bool(queued or not added)

    def enqueue_request(self, request: Request) -> bool:
        # Held until the engine next asks for a request: a page's requests reach Redis in one call.
        # The hops of a redirect chain pass, as newsbot.middlewares.downloader.RedirectChainDupeFilter.
        unfiltered = request.dont_filter or request.meta.get("redirect_urls")
        fingerprint = "" if unfiltered else self.crawler.request_fingerprinter.fingerprint(request).hex()
        entry = self.serializer.dumps(request.to_dict(spider=self.spider))
        self.held.append((request, (fingerprint, -request.priority, entry)))
        return True

    def next_request(self) -> Request | None:
        # A drained queue is asked again once this worker's pages in hand (they may yield requests) are done.
        engine: Any = self.crawler.engine
        if self.held or not (
            self.taken or (self.drained and (engine.downloader.active or not engine.scraper.slot.is_idle()))
        ):
            wanted = self.taken_at_once - len(self.taken)
            held, self.held = self.held, []
            args = [self.worker, uuid.uuid4().hex, wanted, *(arg for _, queued in held for arg in queued)]
            names = [self.dupefilter_key, self.queue_key, self.run, self.answers]
            answer = self.store.call(lambda client: client.eval(_FRONTIER, 4, *names, *args))
            dropped, taken = answer or ([], [])
            self.stats.inc_value("dupefilter/filtered", len(dropped))
            for place in dropped:  # as Scrapy's scheduler: a walk's next page dropped ends it incomplete
                request = held[place - 1][0]
                self.crawler.signals.send_catch_log(
                    signals.request_dropped, request=request, spider=self.spider
                )
            self.taken += taken[::2]
            self.drained = len(taken) < 2 * wanted
        while self.taken:
            try:
                return request_from_dict(self.serializer.loads(self.taken.pop(0)), spider=self.spider)
            except ValueError as refusal:  # the codec's, or a callback this spider does not have
                self.stats.inc_value(keys.STATS_REDIS_REFUSED)
                # A WARNING: junk planted in Redis must not fail the run (NEWSBOT_MAX_ERRORS).
                logger.warning(
                    "Refused an entry of %s that is not a newsbot request: %s", self.queue_key, refusal
                )
        return None

    def spider_idle(self, spider: Spider) -> None:
        """An idle worker stays while another live worker of its run may still queue requests."""
        pipe: Any = self.store.redis.pipeline(transaction=False)
        pipe.hset(self.run, self.worker, "idle").hgetall(self.run).client_list()
        _, run, connections = self.store.call(lambda _: pipe.execute()) or (0, {}, [])
        running = {worker for worker, state in run.items() if state == "running"}  # not this one: idle
        if waiting_for := sorted(running.intersection(link["name"] for link in connections)):
            if waiting_for != self.waiting_for:  # a worker left alone says why it does not finish
                logger.info("Frontier empty; waiting for worker(s) still running: %s", ", ".join(waiting_for))
            self.waiting_for = waiting_for
            raise DontCloseSpider
        if failed := [state for state in run.values() if keys.FINISH_UNKNOWN_SECTION in state]:  # usage error
            self.store.trouble = f"Another worker of this run ended {failed[0]!r}; see its line"

    def run_judged(self, spider: Spider, outcome: str, reason: str) -> None:
        if self.marker is None:  # never joined: refused, or stopped by Redis (the store says so)
            return
        # After the walk policy's own handler (connected as the spider middlewares were built, before
        # the engine built its scheduler): the store knows which walks this worker found complete.
        walks = [arg for walk in self.store.begun for arg in (walk, int(walk not in self.store.completed))]
        names = [self.run, self.queue_key, self.walks, WALKS, MARKER, TOPS]
        # A CLOSESPIDER_* limit is an ok end, but it dropped the requests this worker held; an entry
        # refused is a request nobody fetched (junk, or one a worker of another version wrote).
        refused = self.stats.get_value(keys.STATS_REDIS_REFUSED, 0)
        if (reason, refused) != ("finished", 0):
            outcome = f"{outcome}: {reason}, {refused} refused"
        args = [self.worker, outcome, utc_now_iso(), self.marker, *walks]
        self.store.settle()  # after the marks this worker made: one that failed stopped it, its run not ok
        if self.store.call(lambda client: client.eval(_FINISH, 6, *names, *args)) == "lost data":
            self.store.trouble = f"Redis at {self.store.url} lost its data during the run"
        if self.store.trouble is not None:  # its verdict not recorded, or lost: exit 1 (no walk completed)
            self.stats.set_value(keys.STATS_OUTCOME, "failed")
            self.store.settle()
