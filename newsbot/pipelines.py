"""Item pipelines: judge items (validate, dedupe) and store them (JSON Lines). Nothing here fetches."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

from itemadapter import ItemAdapter
from jsonschema import Draft202012Validator
from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from newsbot.item import shipped_schema
from newsbot.report.quality import TRACKED_FIELDS, note_kind
from newsbot.store import SeenStore, store_for
from newsbot.store.reconcile import known_article, reconcile_output

logger = logging.getLogger(__name__)


class ValidatePipeline:
    """Drops items that break the shipped JSON Schema, counted by reason; counts empty fields and notes."""

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats
        self.validator = Draft202012Validator(shipped_schema())

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ValidatePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        data = ItemAdapter(item).asdict()
        errors = sorted(self.validator.iter_errors(data), key=lambda e: list(e.path))
        if errors:
            reasons = sorted({schema_error_reason(error) for error in errors})
            for reason in reasons:
                self.stats.inc_value(f"newsbot/items_invalid/{reason}")
            logger.warning(
                "Dropped invalid item %s: %s", data.get("url"), "; ".join(e.message for e in errors)
            )
            raise DropItem(f"invalid item: {', '.join(reasons)}", log_level="WARNING")
        self.stats.inc_value("newsbot/items_valid")
        for name in TRACKED_FIELDS:
            if data.get(name) in (None, "", []):
                self.stats.inc_value(f"newsbot/field_missing/{name}")
        for note in data.get("notes", []):
            self.stats.inc_value(f"newsbot/notes/{note_kind(note)}")
        return item


def schema_error_reason(error: Any) -> str:
    """`title:minLength`, `images/0/url:pattern`: where and which rule, without the values."""
    path = "/".join(str(part) for part in error.absolute_path) or "item"
    return f"{path}:{error.validator}"


class DedupePipeline:
    """Drops a second copy of an article: same canonical URL, or same content hash.

    Syndicated copies of one agency story on sister sites carry different URLs but the same body, so
    the content hash catches them. Within the process the memory is shared by every crawler (the
    demo runs several sites together); across runs and processes it is the seen-articles store
    (NEWSBOT_STATE), where a dropped copy is also recorded so that no later run downloads it again.
    """

    _seen_urls: ClassVar[set[str]] = set()
    _seen_hashes: ClassVar[dict[str, str]] = {}

    def __init__(self, stats: StatsCollector, store: SeenStore | None) -> None:
        self.stats = stats
        self.store = store

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler.stats, store_for(crawler))

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        url, digest = adapter["url"], adapter["content_hash"]
        if url in self._seen_urls:
            self.stats.inc_value("newsbot/items_dropped/duplicate_url")
            raise DropItem("duplicate URL in this run", log_level="INFO")
        if self.store is not None and self.store.is_known_url(url):
            self.stats.inc_value("newsbot/items_dropped/known_url")
            raise DropItem("already written by an earlier run", log_level="INFO")
        owner = self._seen_hashes.get(digest) or (self.store.owner_of_hash(digest) if self.store else None)
        if owner is not None:
            self.stats.inc_value("newsbot/items_dropped/duplicate_content")
            if self.store is not None:
                self.store.record_copy(url, owner, adapter["site"])
            raise DropItem(f"same content as {owner}", log_level="INFO")
        self._seen_urls.add(url)
        self._seen_hashes[digest] = url
        return item


class JsonLinesWriterPipeline:
    """Appends each item as one UTF-8 JSON line to NEWSBOT_OUTPUT, durably, then marks it known.

    Each line goes out in one `write` on an O_APPEND descriptor and is fsynced before the store
    marks the article known, in the same transaction as the new reconciled size of the file. A
    crash between the two leaves a line the store does not know: `reconcile_output` finds it at the
    next start and marks it, so the article is neither lost nor written twice. A line cut short by
    a crash is cut off at the next start, and the repair is logged.

    Steps aside when the command line gives a feed (`-o` / `-O`), which then works as in any Scrapy
    project (and marks articles known as they pass, without these guarantees).
    """

    def __init__(self, path: Path, stats: StatsCollector, store: SeenStore | None) -> None:
        self.path = path
        self.stats = stats
        self.store = store
        self.fd: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesWriterPipeline:
        if crawler.settings.getdict("FEEDS"):
            crawler.signals.connect(_mark_known_on_scrape(crawler), signal=signals.item_scraped, weak=False)
            raise NotConfigured("a feed export (-o/-O) is configured")
        template = crawler.settings.get("NEWSBOT_OUTPUT")
        if not template:
            raise NotConfigured("NEWSBOT_OUTPUT is empty")
        assert crawler.spidercls is not None
        path = Path(template.format(spider=crawler.spidercls.name)).resolve()
        return cls(path, crawler.stats, store_for(crawler))

    def open_spider(self, spider: Spider | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repaired, marked = reconcile_output(self.path, self.store)
        if repaired:
            self.stats.set_value("newsbot/output_repaired_bytes", repaired)
        if marked:
            self.stats.set_value("newsbot/output_reconciled_lines", marked)
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        logger.info("Writing items to %s", self.path)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        assert self.fd is not None
        data = ItemAdapter(item).asdict()
        line = (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        _write_all(self.fd, line)
        os.fsync(self.fd)
        if self.store is not None:
            size = os.fstat(self.fd).st_size
            self.store.record(known_article(data), output=str(self.path), reconciled_bytes=size)
        self.stats.inc_value("newsbot/items_written")
        return item


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _mark_known_on_scrape(crawler: Crawler) -> Any:
    def mark(item: Any, response: Any = None, spider: Any = None) -> None:
        store = store_for(crawler)
        if store is not None:
            store.record(known_article(ItemAdapter(item).asdict()))

    return mark
