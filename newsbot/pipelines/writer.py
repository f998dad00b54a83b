"""The item pipeline that stores an item: one durable JSON line, then the article marked known."""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from newsbot import keys
from newsbot.delivery import project_folder
from newsbot.extensions.store import seen_store
from newsbot.reasons import NotWritten
from newsbot.store import SeenStore, StoreError
from newsbot.store.reconcile import known_article, mark_unmarked_lines, reconcile_output

logger = logging.getLogger(__name__)


class JsonLinesWriterPipeline:
    """Appends each item as one UTF-8 JSON line to NEWSBOT_OUTPUT, durably, then marks it known.

    Each line goes out in one `write` on an O_APPEND descriptor and is fsynced before the store
    marks the article known, in the same transaction as the new reconciled size of the file. A
    crash between the two leaves a line the store does not know: `reconcile_output` finds it at the
    next start and marks it, so the article is neither lost nor written twice. A line cut short by
    a crash is cut off at the next start, and the repair is logged.

    One run writes a file: an exclusive lock on `<output>.lock` (holding the writer's pid) is taken
    before anything is read or written; a second run exits 2 at once. A write that fails (disk
    full, I/O error, file too large) is undone to the last complete line, and the run stops writing:
    that article and every later one go into the ledger, and the run ends with exit status 1. A
    mark the store cannot make (locked too long) stops the run the same way; the line it did not
    mark is marked at the next start, so it is written once.

    Steps aside when the command line gives a feed (`-o` / `-O`), which then works as in any Scrapy
    project (and marks articles known as they pass, without these guarantees).
    """

    def __init__(self, path: Path, crawler: Crawler, store: SeenStore | None) -> None:
        self.path = path
        self.crawler = crawler
        self.stats = crawler.stats
        self.store = store
        self.fd: int | None = None
        self.lock_fd: int | None = None
        self.created = False
        # Why this run stopped writing (None while it writes).
        self.stopped: str | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesWriterPipeline:
        if crawler.settings.getdict("FEEDS"):
            crawler.signals.connect(_mark_known_on_scrape(crawler), signal=signals.item_scraped, weak=False)
            raise NotConfigured  # a feed export (-o/-O) takes the items
        template = crawler.settings.get("NEWSBOT_OUTPUT")
        if not template:
            raise NotConfigured  # NEWSBOT_OUTPUT is empty: no output
        assert crawler.spidercls is not None
        path = (project_folder() / template.format(spider=crawler.spidercls.name)).resolve()
        return cls(path, crawler, seen_store(crawler))

    def open_spider(self, spider: Spider | None = None) -> None:
        if self.stats.get_value(keys.STATS_STORE_ERROR):
            raise CloseSpider(keys.FINISH_STORE_UNUSABLE)  # logged by the store extension
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._lock()
            repaired, marked = reconcile_output(self.path, self.store)
            # The other deliveries beside it too (read only, past what the store has read of them):
            # a store made anew knows again what every spider wrote, syndicated copies included.
            for other in sorted(self.path.parent.glob("*.jsonl")):
                if other != self.path:
                    marked += mark_unmarked_lines(other, self.store)[1]
            self.created = not self.path.exists()
            self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            # Known before any request: a usage error (exit 2), one line naming the path and why.
            message = f"cannot write the output {self.path}: {error.strerror} ({_errno_name(error)})"
            logger.error("%s", message)
            self.stats.set_value(keys.STATS_OUTPUT_ERROR, message)
            raise CloseSpider(keys.FINISH_OUTPUT_UNWRITABLE) from None
        if repaired:
            self.stats.set_value(keys.STATS_OUTPUT_REPAIRED_BYTES, repaired)
        if marked:
            self.stats.set_value(keys.STATS_OUTPUT_RECONCILED_LINES, marked)
        logger.info("Writing items to %s", self.path)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.fd is not None:
            empty = os.fstat(self.fd).st_size == 0
            os.close(self.fd)
            self.fd = None
            if empty and self.created:
                # A run that wrote nothing leaves no file behind it (nor a file readers must skip).
                self.path.unlink(missing_ok=True)
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # releases the lock; the file stays, so the lock is on one inode
            self.lock_fd = None

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        data = ItemAdapter(item).asdict()
        if self.stopped is not None or self.fd is None:
            self._not_written(data, self.stopped or "the output is not open")
        line = (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        fd = self.fd
        assert fd is not None
        before = os.fstat(fd).st_size  # one writer (the lock): the end of the last complete line
        try:
            _write_all(fd, line)
            os.fsync(fd)
        except OSError as error:
            self._write_failed(data, error, before)
        if self.store is not None:
            try:
                self.store.record(
                    known_article(data), output=str(self.path), reconciled_bytes=before + len(line)
                )
            except StoreError as error:
                # The line is on disk, unmarked, past the reconciled offset: the next start marks it.
                self._stop(keys.FINISH_STORE_BUSY, f"store failed: {error}; stopping the run")
                raise NotWritten(f"written but not marked: {error}", in_output=True) from None
        self.stats.inc_value(keys.STATS_ITEMS_WRITTEN)
        return item

    def _write_failed(self, data: dict[str, Any], error: OSError, before: int) -> None:
        assert self.fd is not None
        try:
            os.ftruncate(self.fd, before)  # back to the end of the last complete line
            os.fsync(self.fd)
        except OSError as undo_error:
            logger.error("Could not cut %s back to %d bytes: %s", self.path, before, undo_error)
        what = "output disk full" if error.errno in (errno.ENOSPC, errno.EDQUOT) else "output write failed"
        self._stop(
            keys.FINISH_OUTPUT_FAILED,
            f"{what}: {self.path}: {error.strerror or error} ({_errno_name(error)}); "
            "cut back to the last complete line, stopped writing; unwritten articles are in the ledger",
        )
        self._not_written(data, what)

    def _stop(self, reason: str, message: str) -> None:
        if self.stopped is not None:
            return
        self.stopped = message
        logger.error("%s", message)
        self.stats.set_value(keys.STATS_OUTPUT_ERROR, message)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            # Scheduled, not awaited: the engine waits for this very item before it closes.
            deferred_from_coro(engine.close_spider_async(reason=reason))

    def _not_written(self, data: dict[str, Any], why: str) -> None:
        self.stats.inc_value(keys.STATS_ITEMS_NOT_WRITTEN)
        raise NotWritten(f"not written: {why}")  # the ledger asks for it again

    def _lock(self) -> None:
        """The exclusive lock on `<output>.lock` for this run, or CloseSpider naming its holder."""
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            logger.error(
                "%s is being written by another newsbot run (pid %s); not starting. Its lock: %s",
                self.path, holder, lock_path,
            )  # fmt: skip
            raise CloseSpider(keys.FINISH_OUTPUT_LOCKED) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self.lock_fd = fd


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _mark_known_on_scrape(crawler: Crawler) -> Any:
    def mark(item: Any, response: Any = None, spider: Any = None) -> None:
        store = seen_store(crawler)
        if store is not None:
            store.record(known_article(ItemAdapter(item).asdict()))

    return mark


def _errno_name(error: OSError) -> str:
    return errno.errorcode.get(error.errno or 0, "?")
