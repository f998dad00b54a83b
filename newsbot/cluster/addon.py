"""The add-on that turns a crawl into a cluster worker, and the components it installs.

With `NEWSBOT_REDIS_URL` set, the crawl takes its requests from the shared frontier
(newsbot/cluster/scheduler.py), keeps its memory in the Redis store (newsbot/store/redis.py),
releases each request it took once its outcome is final (the two middlewares and the extension
here), and claims each article in Redis before writing it (ClaimArticlesPipeline). Without the
setting nothing changes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterable
from typing import Any

import redis
from itemadapter import ItemAdapter
from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.asyncio import sleep as async_sleep
from twisted.python.failure import Failure

from newsbot.cluster import keys
from newsbot.cluster.connection import DataLost, redacted_url, text
from newsbot.cluster.frontier import released_by
from newsbot.cluster.worker import ClusterWorker, cluster_worker

logger = logging.getLogger(__name__)

# As for bad arguments: the run could not start (newsbot/commands/crawl.py).
EXIT_UNREACHABLE_AT_START = 2


class RedisAddon:
    """Switches a crawl to the shared frontier and store in Redis when NEWSBOT_REDIS_URL is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        if not settings.get(keys.REDIS_URL_SETTING):
            return
        settings.set("SCHEDULER", "newsbot.cluster.scheduler.ClusterScheduler", "addon")
        # At the project's priority: settings.py's default yields to it, a -s on the command line wins.
        settings.set("NEWSBOT_STORE_CLASS", "newsbot.store.redis.RedisSeenStore", "project")
        # The spider's requests go through the frontier's seen-set (see NetworkSpider).
        settings.set("NEWSBOT_SHARED_FRONTIER", True, "addon")
        settings.set_in_component_priority_dict("EXTENSIONS", ClusterExtension, 100)
        # Outermost spider middleware: it sees the final output of every callback.
        settings.set_in_component_priority_dict("SPIDER_MIDDLEWARES", InFlightSpiderMiddleware, 5)
        # process_exception runs from the highest priority down: at 5 it runs after the retry
        # middleware (550) has given up, so only a final failure releases the request.
        settings.set_in_component_priority_dict("DOWNLOADER_MIDDLEWARES", InFlightDownloaderMiddleware, 5)
        # First of all: once the worker gave up on Redis, no item goes further.
        settings.set_in_component_priority_dict("ITEM_PIPELINES", StopWhenRedisGonePipeline, 50)
        # After DedupePipeline (200), before the writer (900): one writer per article across workers.
        settings.set_in_component_priority_dict("ITEM_PIPELINES", ClaimArticlesPipeline, 250)


def _worker(crawler: Crawler) -> ClusterWorker:
    if not crawler.settings.get(keys.REDIS_URL_SETTING):
        raise NotConfigured
    return cluster_worker(crawler)


def unreachable(settings: BaseSettings) -> str | None:
    """Why Redis cannot be used (one line, password left out), or None when it answers a PING."""
    url = settings.get(keys.REDIS_URL_SETTING)
    deadline = time.monotonic() + settings.getfloat(keys.START_TIMEOUT_SETTING, keys.DEFAULT_START_TIMEOUT)
    while True:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
            return None
        except redis.AuthenticationError as error:
            return f"Redis at {redacted_url(url)} refused the password: {error}"
        except redis.RedisError as error:
            if time.monotonic() > deadline:
                return f"Redis at {redacted_url(url)} is unreachable: {error}"
            time.sleep(0.2)
        finally:
            client.close()


class InFlightSpiderMiddleware:
    """Releases a request once its callback's output is exhausted and the items it yielded are done."""

    def __init__(self, worker: ClusterWorker) -> None:
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InFlightSpiderMiddleware:
        return cls(_worker(crawler))

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        request = response.request
        if request is None:
            async for output in result:
                yield output
            return
        self.worker.hold(request)
        async for output in result:
            if output is not None and not isinstance(output, Request):
                self.worker.hold(request)  # released when the item is written or dropped
            yield output
        self.worker.done(request)

    def process_spider_exception(self, response: Response, exception: Exception) -> Iterable[Any] | None:
        if isinstance(exception, redis.RedisError):
            # The request stays held: whoever recovers this worker queues it again.
            self.worker.gave_up(exception)
            return []
        if response.request is not None:
            self.worker.done(response.request)
        return None


class InFlightDownloaderMiddleware:
    """Releases a request whose download failed for good (after retries), or was ignored."""

    def __init__(self, worker: ClusterWorker) -> None:
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> InFlightDownloaderMiddleware:
        return cls(_worker(crawler))

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, redis.RedisError):
            self.worker.gave_up(exception)
        else:
            self.worker.release(request)


class ClusterExtension:
    """Checks Redis at start, decides at idle, and settles items and dropped requests."""

    def __init__(self, crawler: Crawler, worker: ClusterWorker) -> None:
        self.crawler = crawler
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterExtension:
        if not crawler.settings.get(keys.REDIS_URL_SETTING):
            raise NotConfigured
        # Extensions are built before anything else touches Redis: the one place to stop cleanly.
        if cause := unreachable(crawler.settings):
            logger.critical("%s", cause)
            # Raised inside the crawl's asyncio task, SystemExit leaves the event loop and ends the
            # process with this status and no traceback, before the engine opens anything.
            raise SystemExit(EXIT_UNREACHABLE_AT_START)
        extension = cls(crawler, _worker(crawler))
        connect = crawler.signals.connect
        connect(extension.spider_idle, signal=signals.spider_idle)
        connect(extension.request_dropped, signal=signals.request_dropped)
        connect(extension.item_done, signal=signals.item_scraped)
        connect(extension.item_done, signal=signals.item_dropped)
        connect(extension.item_error, signal=signals.item_error)
        return extension

    def spider_idle(self, spider: Spider) -> None:
        self.worker.on_idle()

    def request_dropped(self, request: Request, spider: Spider | None = None) -> None:
        # A duplicate is dropped; if it was a redirect, the request it replaces is done.
        if self.worker.outage.cause is None:
            self.worker.frontier.release(released_by(request)[1:])

    def item_done(self, item: Any, response: Response | None = None, **kwargs: Any) -> None:
        if (request := getattr(response, "request", None)) is not None:
            self.worker.done(request)

    def item_error(self, item: Any, response: Response | None = None, failure: Failure | None = None,
                   **kwargs: Any) -> None:  # fmt: skip
        if failure is not None and isinstance(failure.value, redis.RedisError):
            self.worker.gave_up(failure.value)  # the item's request stays held
        else:
            self.item_done(item, response)


class StopWhenRedisGonePipeline:
    """Drops, quietly, the items still in hand when the worker gave up on Redis.

    Their requests stay held in Redis (nothing released them): whoever recovers this worker, or
    the next run, fetches them again. Without this gate each would end in a traceback.
    """

    def __init__(self, worker: ClusterWorker) -> None:
        self.worker = worker

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StopWhenRedisGonePipeline:
        return cls(_worker(crawler))

    def process_item(self, item: Any) -> Any:
        if self.worker.outage.cause is not None:
            raise DropItem(f"not written: {self.worker.outage.cause}", log_level="DEBUG")
        return item


class ClaimArticlesPipeline:
    """Claims an article's URL and content hash in Redis before the writer writes it.

    DedupePipeline asks the store whether a URL or body is known; two workers holding two syndicated
    copies at once would both hear "no" and both write. The claim is atomic: the second worker waits
    until the first has recorded its line (then drops its copy) or is found dead (then recovers it:
    reads its output, so that a line it wrote and had not marked is marked, and claims again).
    Recording the article in the store releases the claim.
    """

    def __init__(self, crawler: Crawler, worker: ClusterWorker) -> None:
        self.crawler = crawler
        self.worker = worker
        self.wait_limit = crawler.settings.getfloat(keys.CLAIM_WAIT_SETTING, keys.DEFAULT_CLAIM_WAIT)
        self._claimed: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClaimArticlesPipeline:
        pipeline = cls(crawler, _worker(crawler))
        crawler.signals.connect(pipeline._written, signal=signals.item_scraped)
        crawler.signals.connect(pipeline._unclaim, signal=signals.item_dropped)
        crawler.signals.connect(pipeline._unclaim, signal=signals.item_error)
        return pipeline

    async def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        url, digest = adapter["url"], adapter["content_hash"]
        stats, store = self.crawler.stats, self.worker.store
        assert stats is not None
        deadline = time.monotonic() + self.wait_limit
        waited = False
        while True:
            verdict, detail = store.claim(url, digest, self.worker.id, self.worker.frontier.epoch)
            if verdict == "claimed":
                break
            if verdict == "lost":
                self.worker.gave_up(DataLost("Redis lost its data: the run marker is gone"))
                raise DropItem("not written: Redis lost its data", log_level="WARNING")
            if verdict == "content":
                stats.inc_value("newsbot/items_dropped/duplicate_content")
                store.record_copy(url, detail, adapter["site"])
                raise DropItem(f"same content as {detail}, written by another worker", log_level="INFO")
            if verdict == "url":
                stats.inc_value("newsbot/items_dropped/known_url")
                raise DropItem("already written by another worker", log_level="INFO")
            claimant = detail.split(" ", 1)[0]
            if claimant == self.worker.id:
                store.release_claims_of(claimant, url=url, content_hash=digest)
                continue
            if self.worker.is_dead(claimant):
                fkeys, server = self.worker.frontier.keys, self.worker.server
                if (info := server.hget(fkeys.workers, claimant)) is not None:
                    self.worker.recover(claimant, text(info))
                elif server.hexists(fkeys.orphans, claimant):
                    # Its output was unreadable where it was recovered: it may hold this article.
                    self._held(url, claimant, "its claim was kept for its machine")
                else:  # left by a worker whose recovery is done, or by a run long gone
                    store.release_claims_of(claimant, url=url, content_hash=digest)
            if time.monotonic() > deadline:
                self._held(url, claimant, f"it held its claim for more than {self.wait_limit:.0f} s")
            if not waited:
                waited = True
                stats.inc_value(keys.STAT_CLAIMS_WAITED)
            await async_sleep(0.05)
        self._claimed[url] = digest
        return item

    def _held(self, url: str, claimant: str, why: str) -> None:
        spider = self.crawler.spider
        missing = getattr(spider, "_missing", None)
        if missing is not None:
            missing(url, "claimed_by_another_worker", detail=f"worker {claimant}: {why}")
        raise DropItem(f"not written here: worker {claimant} claimed it ({why})", log_level="WARNING")

    def _written(self, item: Any, **kwargs: Any) -> None:
        # Recording the article in the store released its claims.
        self._claimed.pop(str(ItemAdapter(item).get("url")), None)

    def _unclaim(self, item: Any, failure: Failure | None = None, **kwargs: Any) -> None:
        url = str(ItemAdapter(item).get("url"))
        digest = self._claimed.pop(url, None)
        # After a Redis error the line may be written and not marked: the claim must stay.
        if (
            digest is not None
            and self.worker.outage.cause is None
            and not (failure is not None and isinstance(failure.value, redis.RedisError))
        ):
            self.worker.store.release_claims_of(self.worker.id, url=url, content_hash=digest)

    def close_spider(self) -> None:
        if self.worker.outage.cause is None:
            for url, digest in self._claimed.items():
                self.worker.store.release_claims_of(self.worker.id, url=url, content_hash=digest)
        self._claimed.clear()
