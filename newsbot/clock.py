"""The one UTC timestamp format of everything newsbot writes: ISO 8601 to the second with a `Z`
(`2026-11-30T02:31:23Z`), so that text order is time order."""

from __future__ import annotations

import datetime


def utc_now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
