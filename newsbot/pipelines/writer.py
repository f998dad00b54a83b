"""The item pipeline that stores an item: one durable JSON line in the run's delivery, then its mark."""

from __future__ import annotations

import contextlib
import datetime
import errno
import logging
import os
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.utils.defer import deferred_from_coro

from newsbot import keys
from newsbot.delivery import (
    DELIVERY_SUFFIX,
    PART_SUFFIX,
    claim,
    deliveries,
    delivery_of_part,
    delivery_path,
    json_line,
    lock_part,
    missing_deliveries,
    part_path,
    publish,
    write_all,
)
from newsbot.extensions.report import settle_report
from newsbot.extensions.store import hold_lock_or_close, hold_store_or_close, seen_store
from newsbot.reasons import NotWritten
from newsbot.store.base import StoreError, known_article, mark_unmarked_lines

logger = logging.getLogger(__name__)


class JsonLinesWriterPipeline:
    """Each item as one fsynced JSON line in this run's `<delivery>.part`, then marked known: what a
    killed or stopped run left, the next start settles, so no article is lost or written twice."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store = seen_store(crawler)
        self.delivery: Path | None = None
        self.fd: int | None = None
        self.locks: list[int] = []  # the store's and the folder's, held until the run ends
        self.stopped: str | None = None  # why this run stopped writing

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesWriterPipeline:
        if crawler.settings.getdict("FEEDS") or not crawler.settings.get("NEWSBOT_OUTPUT"):
            raise NotConfigured  # a feed export (-o/-O) takes the items, or there is no output
        return cls(crawler)

    def open_spider(self, spider: Spider | None = None) -> None:
        if self.stats.get_value(keys.STATS_STORE_ERROR):
            raise CloseSpider(keys.FINISH_STORE_UNUSABLE)  # logged by the store extension
        spider = self.crawler.spider
        assert spider is not None
        site = getattr(getattr(spider, "site", None), "host", None) or spider.name
        now = datetime.datetime.now(datetime.UTC)
        wanted = delivery_path(
            self.crawler.settings["NEWSBOT_OUTPUT"], spider=spider.name, site=site, now=now
        )
        folder = wanted.parent
        if (store_lock := hold_store_or_close(self.store, spider.name, self.stats)) is not None:
            self.locks.append(store_lock)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            if not self.crawler.settings.get("NEWSBOT_CLUSTER_WORKER"):  # a cluster's workers share a run
                self.locks.append(
                    hold_lock_or_close(
                        folder / f".{spider.name}.lock",
                        f"{spider.name}'s deliveries in {folder} are being written",
                        self.stats,
                    )
                )
            # Read once: its names find the parts of other folders, and the deliveries gone. Settling
            # marks lines only under deliveries it publishes, so those gone stay as read here.
            by_delivery = self.store.articles_by_delivery() if self.store else {}
            self._settle(folder, by_delivery)
            # The finished deliveries too (read only, past what the store has read of them): a store
            # made anew knows again what every spider wrote, syndicated copies included.
            relearned = 0
            for path in deliveries(folder):
                with contextlib.suppress(FileNotFoundError):  # consumers may take deliveries at any time
                    relearned += mark_unmarked_lines(path, self.store)[1]
            # A name the store counts lines under (a delivery taken away since) is not used again.
            self.delivery, self.fd = claim(
                wanted, lambda path: bool(self.store and self.store.reconciled_bytes(str(path)))
            )
        except OSError as error:
            # Known before any request: a usage error (exit 2), one line naming the path and why.
            at = f"{error.filename}: " if error.filename else ""  # the path at fault: a folder, a lock
            message = f"cannot write the output {wanted}: {at}{error.strerror} ({_errno_name(error)})"
            logger.error("%s", message)
            self.stats.set_value(keys.STATS_OUTPUT_ERROR, message)
            raise CloseSpider(keys.FINISH_OUTPUT_UNWRITABLE) from None
        except StoreError:  # marking what earlier runs left (exit 2): the store's on_failure said why
            raise CloseSpider(keys.FINISH_STORE_UNUSABLE) from None
        if relearned:
            logger.warning(
                "%s: %d line(s) of finished deliveries were not marked known (an interrupted run, or a "
                "store made anew); now they are", folder, relearned,
            )  # fmt: skip
        self.stats.set_value(keys.STATS_DELIVERY, str(self.delivery))
        if missing := missing_deliveries(by_delivery, folder):
            logger.info(
                "%d earlier deliveries in %s (%d articles) are no longer there: taken by a consumer, or "
                "deleted. Their articles stay known and are not fetched again (`newsbot state` says more)",
                len(missing), folder, sum(missing.values()),
            )  # fmt: skip
        logger.info("Writing items to %s (as %s until the run ends)", self.delivery, part_path(self.delivery))

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.fd is not None and self.delivery is not None:
            part = part_path(self.delivery)
            try:
                if os.fstat(self.fd).st_size == 0:
                    part.unlink()  # a run that wrote nothing leaves no file behind it
                else:
                    publish(part)
            except OSError as error:  # the part stays; the next run settles it
                message = f"cannot publish {part}: {error.strerror or error}; the next run publishes it"
                logger.error("%s", message)
                self.stats.set_value(keys.STATS_OUTPUT_ERROR, message)
            os.close(self.fd)  # after the rename: its lock held the part until it was published
            self.fd = None
        while self.locks:
            os.close(self.locks.pop())  # releases the lock; the file stays, so the lock is on one inode

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if self.stopped is not None:
            raise NotWritten(f"not written: {self.stopped}")  # the ledger asks for it again
        data = ItemAdapter(item).asdict()
        line = json_line(data)
        assert self.fd is not None
        before = os.fstat(self.fd).st_size  # one writer (the lock): the end of the last complete line
        try:
            write_all(self.fd, line)
            os.fsync(self.fd)
        except OSError as error:
            self._write_failed(error, before)
        self.stats.inc_value(keys.STATS_ITEMS_WRITTEN)  # delivered, whether or not the store marks it now
        if self.store is not None:
            try:
                self.store.record(
                    known_article(data), output=str(self.delivery), reconciled_bytes=before + len(line)
                )
            except StoreError as error:
                # The line is on disk, unmarked, past the reconciled offset: the next start marks it. No
                # more lines, whose marks would move that offset past it; the store stopped the run.
                self.stopped = f"store failed: {error}"
                raise NotWritten(f"written but not marked: {error}", in_output=True) from None
        return item

    def _write_failed(self, error: OSError, before: int) -> None:
        assert self.fd is not None
        try:
            os.ftruncate(self.fd, before)  # back to the end of the last complete line
            os.fsync(self.fd)
        except OSError as undo_error:
            logger.error("Could not cut %s back to %d bytes: %s", self.delivery, before, undo_error)
            os.close(self.fd)  # never published with half a line: the next start cuts it off, publishes it
            self.fd = None
        what = "output disk full" if error.errno in (errno.ENOSPC, errno.EDQUOT) else "output write failed"
        cut = "cut back to the last complete line" if self.fd is not None else "left for the next run to cut"
        self.stopped = message = (
            f"{what}: {self.delivery}: {error.strerror or error} ({_errno_name(error)}); "
            f"{cut}, stopped writing; unwritten articles are in the ledger"
        )
        logger.error("%s", message)
        self.stats.set_value(keys.STATS_OUTPUT_ERROR, message)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            # Scheduled, not awaited: the engine waits for this very item before it closes.
            deferred_from_coro(engine.close_spider_async(reason=keys.FINISH_OUTPUT_FAILED))
        raise NotWritten(f"not written: {what}")

    def _settle(self, folder: Path, by_delivery: dict[str, int]) -> None:
        """Publish the parts killed runs left (lock free), cut and marked: those of `folder`, and those
        the store has marked lines of (a template's `{date}` folder moves on)."""
        elsewhere = {part_path(Path(name)) for name in by_delivery}
        for part in sorted(set(folder.glob(f"*{DELIVERY_SUFFIX}{PART_SUFFIX}")) | elsewhere):
            with contextlib.suppress(FileNotFoundError), part.open("rb") as handle:
                if not lock_part(handle.fileno(), part):
                    continue  # its writer is alive
                delivery = delivery_of_part(part)
                cut, _ = mark_unmarked_lines(part, self.store, str(delivery), cut=True)
                settle_report(delivery, written=part.read_bytes().count(b"\n"))
                if part.stat().st_size == 0:
                    part.unlink()
                    continue
                publish(part)
                self.stats.inc_value(keys.STATS_OUTPUT_REPAIRED_BYTES, cut)
                self.stats.inc_value(keys.STATS_DELIVERIES_SETTLED)
                logger.warning("Settled %s, left by an interrupted run: published as %s", part, delivery)


def _errno_name(error: OSError) -> str:
    return errno.errorcode.get(error.errno or 0, "?")
