"""The seen-articles store as a crawl component, which others ask for with `seen_store(crawler)`."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, NotConfigured
from scrapy.statscollectors import StatsCollector
from scrapy.utils.defer import deferred_from_coro
from scrapy.utils.misc import load_object

from newsbot.delivery import Locked, hold_lock
from newsbot.extensions.exports import exports_failed, feed_file
from newsbot.keys import (
    FINISH_OUTPUT_LOCKED,
    FINISH_STORE_BUSY,
    FINISH_STORE_UNUSABLE,
    STATS_OUTPUT_ERROR,
    STATS_STORE_ERROR,
)
from newsbot.registry import load_registry
from newsbot.store.base import KnownArticle, SeenStore, StoreError, known_article, mark_unmarked_lines

logger = logging.getLogger(__name__)


class StoreExtension:
    """A store that cannot be used ends the run as it opens (exit 2), before any request: an output
    written without its store would be written again by the next run."""

    def __init__(self, crawler: Crawler, store: SeenStore | None) -> None:
        self.crawler = crawler
        self.store = store
        self.exported: list[KnownArticle] = []  # an incremental export's, marked once it is stored
        self.lock_fd: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StoreExtension:
        if crawler.settings.getdict("FEEDS") and not crawler.settings.getbool("NEWSBOT_INCREMENTAL_EXPORTS"):
            raise NotConfigured  # a complete feed export: the store neither skips nor marks
        try:
            store = _store_class(crawler.settings["NEWSBOT_STORE_CLASS"]).from_crawler(crawler)
        except StoreError as error:
            refuse_to_open(crawler, str(error))
            return cls(crawler, None)
        if store is None:
            raise NotConfigured
        extension = cls(crawler, store)
        if hasattr(store, "on_failure"):
            store.on_failure = extension.stop_on_failure
        crawler.signals.connect(store.close, signal=signals.engine_stopped)
        if crawler.settings.getdict("FEEDS"):  # NEWSBOT_INCREMENTAL_EXPORTS: what is exported is known
            crawler.signals.connect(extension.lock_exports, signal=signals.spider_opened)
            crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
            crawler.signals.connect(extension.feed_exporter_closed, signal=signals.feed_exporter_closed)
        return extension

    def lock_exports(self, spider: Any) -> None:
        """One incremental export of a spider per store at a time (hold_store_or_close): its marks come
        only once the export is stored, so a second run meanwhile would export the same articles again."""
        self.lock_fd = hold_store_or_close(self.store, spider.name, self.crawler.stats)
        # A killed run's `-o` file holds lines it never marked: marked (a cut line cut) before this run
        # appends the same articles again. One named by time is new each run: not found again.
        for uri, options in self.crawler.settings.getdict("FEEDS").items():
            path = feed_file(str(uri), spider.name)
            if (
                path is not None
                and options.get("format") in ("jsonlines", "jsonl", "jl")
                and not options.get("overwrite")
            ):
                with contextlib.suppress(FileNotFoundError):
                    mark_unmarked_lines(path, self.store, cut=True)

    def item_scraped(self, item: Any) -> None:
        self.exported.append(known_article(ItemAdapter(item).asdict()))

    def feed_exporter_closed(self) -> None:
        """Marks what was exported once every feed is stored: a failed export marks nothing."""
        assert self.store is not None and self.crawler.stats is not None
        if exports_failed(self.crawler.stats.get_stats(), self.crawler.settings):
            logger.error("A feed export was not stored: its %d article(s) stay unknown", len(self.exported))
        else:
            for article in self.exported:
                self.store.record(article)
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # once marked: the next run skips what this one exported
            self.lock_fd = None

    def stop_on_failure(self, error: StoreError) -> None:
        """Ends the run (store_busy, exit 1) the first time a write fails: stopping keeps later marks
        from moving past the one that failed."""
        stats = self.crawler.stats
        assert stats is not None
        if stats.get_value(STATS_STORE_ERROR):
            return
        logger.error("%s; stopping the run", error)
        stats.set_value(STATS_STORE_ERROR, str(error))
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            deferred_from_coro(engine.close_spider_async(reason=FINISH_STORE_BUSY))


def refuse_to_open(crawler: Crawler, why: str) -> None:
    """Ends the run as it opens (store_unusable, exit 2), before any request. From spider_opened: Scrapy
    closes a spider whose component refused to be built or opened with a traceback."""
    logger.error("newsbot cannot use its store: %s", why)
    assert crawler.stats is not None
    crawler.stats.set_value(STATS_STORE_ERROR, why)
    crawler.signals.connect(_refuse_to_start, signal=signals.spider_opened)


def _refuse_to_start(spider: Any) -> None:
    raise CloseSpider(FINISH_STORE_UNUSABLE)


def _store_class(path: str) -> Any:
    try:
        return load_object(path)
    except (ImportError, NameError, ValueError) as error:  # what load_object raises for a bad path
        raise StoreError(f"NEWSBOT_STORE_CLASS {path!r} cannot be loaded: {error}") from None


def hold_store_or_close(store: SeenStore | None, spider: str, stats: StatsCollector) -> int | None:
    """One run of a spider writing with a store file at a time: two at once in two folders (a `{date}`
    folder past midnight, another checkout sharing the store) both wrote what each judged unknown
    before the other marked it. None without a file (a cluster's workers share their Redis store)."""
    if (store_path := getattr(store, "path", None)) is None:
        return None
    doing = f"{spider}'s articles with the store {store_path} are being written"
    return hold_lock_or_close(_store_lock(store_path, spider), doing, stats)


@contextlib.contextmanager
def held_from_crawls(store_path: Path) -> Iterator[None]:
    """Every spider's lock beside the store (hold_store_or_close), for a command that delivers any site's
    articles with it: judged while a crawl marks, an article both found unknown is delivered twice."""
    with contextlib.ExitStack() as held:
        for site in load_registry().sites:
            try:
                held.callback(os.close, hold_lock(_store_lock(store_path, site.name)))
            except Locked as holder:
                raise StoreError(
                    f"a crawl of {site.name} (pid {holder}) is writing with the store {store_path}; "
                    "run again after it"
                ) from None
            except OSError as error:
                raise StoreError(f"cannot lock the store {store_path}: {error.strerror}") from None
        yield


def _store_lock(store_path: Path, spider: str) -> Path:
    return Path(store_path).with_name(f".{spider}.store.lock")


def hold_lock_or_close(lock_path: Path, doing: str, stats: StatsCollector) -> int:
    """hold_lock for a run, which ends as it starts (output_locked, exit 2) when another holds it."""
    try:
        return hold_lock(lock_path)
    except Locked as holder:
        message = f"{doing} by another newsbot run (pid {holder}); not starting. Its lock: {lock_path}"
        logger.error("%s", message)
        stats.set_value(STATS_OUTPUT_ERROR, message)  # for stderr's line when the log is a file
        raise CloseSpider(FINISH_OUTPUT_LOCKED) from None


def seen_store(crawler: Crawler) -> SeenStore | None:
    """None: the crawl runs without a store (NEWSBOT_STATE empty, a complete feed export, refused)."""
    extension = crawler.get_extension(StoreExtension)
    return extension.store if extension is not None else None
