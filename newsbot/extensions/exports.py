"""Scrapy feed exports (`-o`, `-O`, FEEDS) as newsbot runs them: complete copies, which the store
neither skips nor marks unless NEWSBOT_INCREMENTAL_EXPORTS asks, so two `-O` runs give one file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.exporters import CsvItemExporter
from scrapy.settings import BaseSettings
from w3lib.url import file_uri_to_path


def feed_file(uri: str, spider: str) -> Path | None:
    """The local file a feed's URI names for `spider`; None for another storage, or one named anew."""
    if urlsplit(uri).scheme not in ("", "file"):
        return None
    try:
        return Path(file_uri_to_path(uri % {"name": spider})).absolute()
    except (KeyError, ValueError):  # a placeholder but the spider's name
        return None


def feeds_stored(stats: dict[str, Any], outcome: str = "success") -> int:
    """How many feeds Scrapy stored (`outcome` "failed": could not store)."""
    return sum(value for key, value in stats.items() if key.startswith(f"feedexport/{outcome}_count/"))


def exports_failed(stats: dict[str, Any], settings: BaseSettings) -> bool:
    """Whether a feed export could not be stored: Scrapy logs why, and finishes the run as if not."""
    due = stats.get("item_scraped_count") or settings.getbool("FEED_STORE_EMPTY")
    stored, failed = feeds_stored(stats), feeds_stored(stats, "failed")
    return bool(failed) or stored < (len(settings.getdict("FEEDS")) if due else 0)


class JsonFieldsCsvItemExporter(CsvItemExporter):
    """CSV has no lists: list and object fields as JSON text (which `json.loads` gives back), not reprs."""

    def serialize_field(self, field: Any, name: str, value: Any) -> Any:
        if isinstance(value, list | dict):
            return json.dumps(value, ensure_ascii=False, default=dataclasses.asdict)
        return super().serialize_field(field, name, value)
