"""Item pipelines: judge items (validate, dedupe) and store them (JSON Lines). Nothing here fetches."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any, ClassVar

from itemadapter import ItemAdapter
from jsonschema import Draft202012Validator
from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.statscollectors import StatsCollector

from newsbot.item import shipped_schema

logger = logging.getLogger(__name__)

# Fields whose emptiness is counted: each is expected on a normal article page.
TRACKED_FIELDS = (
    "section",
    "byline",
    "dateline",
    "dateline_place",
    "date_published",
    "paragraphs",
    "summary",
    "images",
    "related_links",
)


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


def note_kind(note: str) -> str:
    """A note without its quoted values, so that counts group alike fallbacks."""
    return note.split(" '", 1)[0]


class DedupePipeline:
    """Drops a second copy of an article within the run: same canonical URL, or same content hash.

    Syndicated copies of one agency story on sister sites carry different URLs but the same body, so
    the content hash catches them. The memory is shared by every crawler of the process (the demo
    runs several sites together).
    """

    _seen_urls: ClassVar[set[str]] = set()
    _seen_hashes: ClassVar[dict[str, str]] = {}

    def __init__(self, stats: StatsCollector) -> None:
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DedupePipeline:
        return cls(crawler.stats)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        adapter = ItemAdapter(item)
        url, digest = adapter["url"], adapter["content_hash"]
        if url in self._seen_urls:
            self.stats.inc_value("newsbot/items_dropped/duplicate_url")
            raise DropItem(f"duplicate URL {url}", log_level="INFO")
        if digest in self._seen_hashes:
            self.stats.inc_value("newsbot/items_dropped/duplicate_content")
            raise DropItem(f"same content as {self._seen_hashes[digest]}", log_level="INFO")
        self._seen_urls.add(url)
        self._seen_hashes[digest] = url
        return item


class JsonLinesWriterPipeline:
    """Appends each item as one UTF-8 JSON line to NEWSBOT_OUTPUT, flushed per item.

    Steps aside when the command line gives a feed (`-o` / `-O`), which then works as in any Scrapy
    project.
    """

    def __init__(self, path: Path, stats: StatsCollector) -> None:
        self.path = path
        self.stats = stats
        self.file: Any = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonLinesWriterPipeline:
        if crawler.settings.getdict("FEEDS"):
            raise NotConfigured("a feed export (-o/-O) is configured")
        template = crawler.settings.get("NEWSBOT_OUTPUT")
        if not template:
            raise NotConfigured("NEWSBOT_OUTPUT is empty")
        assert crawler.spidercls is not None
        path = Path(template.format(spider=crawler.spidercls.name))
        return cls(path, crawler.stats)

    def open_spider(self, spider: Spider | None = None) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = self.path.open("a", encoding="utf-8", newline="\n")
        logger.info("Writing items to %s", self.path)

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.file is not None:
            self.file.close()

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        line = json.dumps(ItemAdapter(item).asdict(), ensure_ascii=False, separators=(",", ":"))
        self.file.write(line + "\n")
        self.file.flush()
        os.fsync(self.file.fileno())
        self.stats.inc_value("newsbot/items_written")
        return item
