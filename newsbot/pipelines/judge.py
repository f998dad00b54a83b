"""Item pipelines that judge an item: valid against the shipped schema, and not a duplicate."""

from __future__ import annotations

from typing import Any, ClassVar

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.statscollectors import StatsCollector

from newsbot import keys
from newsbot.extensions.store import seen_store
from newsbot.item import schema_validator
from newsbot.quality import FIELD_THRESHOLDS, note_kind
from newsbot.reasons import InvalidItem
from newsbot.store.base import SeenStore


class ValidatePipeline:
    """Drops items that break the shipped JSON Schema, counted by reason; counts empty fields and notes."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.validator = schema_validator()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        data = ItemAdapter(item).asdict()
        if errors := list(self.validator.iter_errors(data)):
            # Counted by where and which rule (`title:minLength`, `images/0/url:pattern`), not by value.
            for reason in {f"{'/'.join(map(str, e.absolute_path)) or 'item'}:{e.validator}" for e in errors}:
                self.stats.inc_value(f"{keys.STATS_ITEMS_INVALID_PREFIX}{reason}")
            # Logged once, with its URL, by the log formatter.
            raise InvalidItem("invalid item: " + "; ".join(e.message for e in errors), log_level="WARNING")
        self.stats.inc_value(keys.STATS_ITEMS_VALID)
        for name in FIELD_THRESHOLDS:
            if data.get(name) in (None, "", []):
                self.stats.inc_value(f"{keys.STATS_FIELD_MISSING}{name}")
        for note in data.get("notes", []):
            self.stats.inc_value(f"{keys.STATS_NOTES}{note_kind(note)}")
        return item


class DedupePipeline:
    """Drops a second copy of an article: same URL, or same body (a syndicated copy on a sister site).
    Its memory is the process's (crawlall runs every site in one) and the store, across runs."""

    _seen_urls: ClassVar[set[str]] = set()
    _seen_hashes: ClassVar[dict[str, str]] = {}

    def __init__(self, stats: StatsCollector, store: SeenStore | None) -> None:
        self.stats = stats
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler.stats, seen_store(crawler))

    async def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        url, digest = adapter["url"], adapter["content_hash"]
        if url in self._seen_urls:
            self.stats.inc_value(keys.STATS_DROPPED_DUPLICATE_URL)
            raise DropItem("duplicate URL in this run", log_level="INFO")
        # Taken before the store answers (a cluster's, off the reactor thread): an item of this run
        # with the same URL or body, judged meanwhile, is a duplicate of this one.
        self._seen_urls.add(url)
        owner = self._seen_hashes.setdefault(digest, url)
        known, stored = await self.store.judge(url, digest) if self.store is not None else (False, None)
        if known:
            self.stats.inc_value(keys.STATS_DROPPED_KNOWN_URL)
            raise DropItem("already written by an earlier run", log_level="INFO")
        if owner == url and stored is not None:
            owner = self._seen_hashes[digest] = stored
        if owner != url:
            self.stats.inc_value(keys.STATS_DROPPED_DUPLICATE_CONTENT)
            if self.store is not None:
                self.store.record_copy(url, owner, adapter["site"])
            raise DropItem(f"same content as {owner}", log_level="INFO")
        return item
