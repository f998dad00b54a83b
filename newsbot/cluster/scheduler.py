"""Scrapy's scheduler interface on the shared frontier, for one worker."""

from __future__ import annotations

import logging

import redis
from scrapy import Request, Spider
from scrapy.crawler import Crawler

from newsbot.cluster import codec
from newsbot.cluster.keys import STAT_REFUSED
from newsbot.cluster.worker import cluster_worker

logger = logging.getLogger(__name__)


class ClusterScheduler:
    """Scrapy's scheduler interface on the shared frontier (no scrapy-redis: see the README)."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.worker = cluster_worker(crawler)
        self.spider: Spider | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ClusterScheduler:
        return cls(crawler)

    def open(self, spider: Spider) -> None:
        self.spider = spider
        self.worker.join()

    def close(self, reason: str) -> None:
        self.worker.leave(reason)

    def has_pending_requests(self) -> bool:
        try:
            return self.worker.frontier.queued() > 0
        except redis.RedisError as error:
            self.worker.gave_up(error)
            return False

    def enqueue_request(self, request: Request) -> bool:
        try:
            queued = self.worker.frontier.push(request)
        except redis.RedisError as error:
            self.worker.gave_up(error)
            return False
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value("scheduler/enqueued/redis" if queued else "dupefilter/filtered")
        return queued

    def next_request(self) -> Request | None:
        assert self.spider is not None
        frontier = self.worker.frontier
        try:
            while (member := frontier.pop()) is not None:
                try:
                    request = codec.decode(member, self.spider)
                except codec.Refused as refusal:
                    frontier.refuse(member)
                    self._refused(member, str(refusal))
                    continue
                self.worker.took()
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("scheduler/dequeued/redis")
                return request
        except redis.RedisError as error:
            self.worker.gave_up(error)
        return None

    def _refused(self, member: bytes, reason: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(STAT_REFUSED)
        # A WARNING, not an ERROR: planted junk must not fail the run through NEWSBOT_MAX_ERRORS;
        # the count is in the run report.
        logger.warning(
            "Refused an entry of Redis key %s that is not a newsbot request (%s): %d bytes, starting "
            "%s; it was not decoded into a request, only set aside in %s",
            self.worker.frontier.keys.queue,
            reason,
            len(member),
            member[:24].hex() + ("..." if len(member) > 24 else ""),
            self.worker.frontier.keys.refused,
        )
