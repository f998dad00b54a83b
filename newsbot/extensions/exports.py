"""Scrapy feed exports (`-o`, `-O`, FEEDS) as newsbot runs them.

A feed export is an ad-hoc, complete copy: the seen-articles store neither skips articles for it
nor marks the ones it exports, so two identical `-O` runs give the same complete file. A user who
wants incremental exports (each run only the articles no earlier run wrote) sets
NEWSBOT_INCREMENTAL_EXPORTS=True, and the store is used as for the JSON Lines writer.

CSV has no lists: the CSV exporter writes every list or object field (authors, paragraphs, images,
related_links, notes) as JSON text, which `json.loads` gives back.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.exporters import CsvItemExporter
from scrapy.settings import BaseSettings

from newsbot.keys import STATS_ITEMS_EXPORTED, STATS_ITEMS_WRITTEN


def export_is_complete(settings: BaseSettings) -> bool:
    """True when this run's output is a feed export that must not touch the seen-articles store."""
    return bool(settings.getdict("FEEDS")) and not settings.getbool("NEWSBOT_INCREMENTAL_EXPORTS")


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


class JsonFieldsCsvItemExporter(CsvItemExporter):
    """CSV with list and object fields as JSON text, not Python reprs."""

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        if isinstance(value, list | tuple | dict) or (
            dataclasses.is_dataclass(value) and not isinstance(value, type)
        ):
            return json.dumps(value, ensure_ascii=False, default=_plain)
        return super().serialize_field(field, name, value)


class ExportCount:
    """Counts the items a feed export received as written, so that the run report and its summary
    line say how many articles the export holds (the JSON Lines writer steps aside for a feed)."""

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ExportCount:
        if not crawler.settings.getdict("FEEDS"):
            raise NotConfigured
        extension = cls(crawler)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def item_scraped(self, item: Any, **_: Any) -> None:
        assert self.stats is not None
        self.stats.inc_value(STATS_ITEMS_EXPORTED)
        self.stats.inc_value(STATS_ITEMS_WRITTEN)
