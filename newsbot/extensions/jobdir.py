"""A JOBDIR's request queue read back only after a run that closed it. A run killed (kill -9, a second
Ctrl-C) leaves queue files never flushed, and an empty one fails every request the next run pushes to
it: lost, no errback, no ledger, the walk completed. The next run of that JOBDIR starts without the
queue instead; it loses nothing: a killed run completed no walk, and the ledger has the feed's."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from pathlib import Path

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

from newsbot.delivery import Locked, hold_lock

logger = logging.getLogger(__name__)


class JobQueueGuard:
    def __init__(self, lock_fd: int) -> None:
        self.lock_fd = lock_fd

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JobQueueGuard:
        if not (folder := job_dir(crawler.settings)):
            raise NotConfigured
        lock = Path(folder, ".newsbot.lock")  # the pid of the run using the queue; empty once it closed it
        killed = lock.exists() and lock.read_bytes().strip()
        try:
            fd = hold_lock(lock)
        except Locked:
            raise NotConfigured from None  # another run's queue: that run, or the output lock, says so
        if killed and (queue := Path(folder, "requests.queue")).exists():
            logger.warning("%s: left by a killed run, unreadable; starting without it", queue)
            shutil.rmtree(queue)
        guard = cls(fd)
        crawler.signals.connect(guard.spider_closed, signal=signals.spider_closed)
        return guard

    def spider_closed(self) -> None:
        """After Scrapy's scheduler closed the queue, flushing it: the next run may read it back."""
        with contextlib.suppress(OSError):
            os.ftruncate(self.lock_fd, 0)
            os.close(self.lock_fd)
