"""The one UTC timestamp format of everything newsbot writes: ISO 8601 to the second with a `Z`
(`2026-11-30T02:31:23Z`), so that text order is time order."""

from __future__ import annotations

import datetime
from typing import Any

from newsbot.keys import FETCHED_AT_META_KEY


def utc_now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fetched_at(meta: dict[str, Any]) -> str:
    """When a response was had, stamped once in its meta: the item's `scraped_at` is its archive
    record's WARC-Date, so that a rebuild's item ties with the crawl's instead of losing to it."""
    return str(meta.setdefault(FETCHED_AT_META_KEY, utc_now_iso()))
