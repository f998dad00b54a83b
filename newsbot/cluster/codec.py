"""scrapy-redis's SCHEDULER_SERIALIZER: a request as strict JSON, checked field by field on the way back.

Whoever can write to Redis must not run code in a worker (pickle would let them) nor steer its
downloads. An entry carries what newsbot's spider puts in a request: the URL of a page of the
network, a callback and errback of the spider named from a fixed list, plain `cb_kwargs`, a few
`meta` keys of known type, the priority. Headers, cookies, `proxy`, `download_slot`, a request
class are not carried (Scrapy's middlewares derive what they need again): an entry holding one is
refused whole.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlsplit

from newsbot.keys import (
    ARTICLE_META_KEY,
    HEAL_META_KEY,
    HEAL_REASON_META_KEY,
    KIND_META_KEY,
    LEDGER_META_KEY,
    LISTED_DATE_META_KEY,
    MISDIRECTED_META_KEY,
)
from newsbot.registry import load_registry

MAX_ENTRY_BYTES = 64 * 1024
# The spider's callbacks and errbacks (newsbot.spiders.network and .sections): nothing else is called.
CALLBACKS = frozenset({"parse_section", "parse_article", "parse_home", "parse_feed", "failed"})
# The meta keys that travel and their types: the spider's markers, and what Scrapy's retry, redirect
# and depth middlewares count across workers.
META_TYPES: dict[str, type] = {
    **dict.fromkeys(
        (ARTICLE_META_KEY, KIND_META_KEY, LISTED_DATE_META_KEY, HEAL_META_KEY, HEAL_REASON_META_KEY), str
    ),
    **dict.fromkeys((LEDGER_META_KEY, MISDIRECTED_META_KEY), bool),
    **dict.fromkeys(("handle_httpstatus_list", "redirect_urls", "redirect_reasons"), list),
    **dict.fromkeys(("retry_times", "depth", "redirect_times", "redirect_ttl"), int),
}
FIELDS = frozenset({"url", "callback", "errback", "cb_kwargs", "meta", "priority"})


class Refused(ValueError):
    """A queue entry that is not a request newsbot wrote."""


class NotCarriable(TypeError):
    """A request of ours holds a value that cannot travel (a bug in the spider, named)."""


def dumps(request: dict[str, Any]) -> bytes:
    """The queue entry of a request, as `Request.to_dict` gives it."""
    data = {key: request.get(key) for key in FIELDS}
    data["meta"] = {key: value for key, value in (request.get("meta") or {}).items() if key in META_TYPES}
    get = request.get("method", "GET") == "GET" and not request.get("body")
    if why := _wrong(data) if get else "only GET requests without a body travel through Redis":
        raise NotCarriable(f"{data['url']}: {why}")
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def loads(entry: bytes) -> dict[str, Any]:
    """The request in a queue entry, for `request_from_dict`; Refused saying what is wrong with it."""
    try:
        data = json.loads(entry) if len(entry) <= MAX_ENTRY_BYTES else f"more than {MAX_ENTRY_BYTES} bytes"
    except ValueError:
        data = "not JSON"
    if why := data if isinstance(data, str) else _wrong(data) if isinstance(data, dict) else "not a request":
        raise Refused(f"{why}: {len(entry)} bytes, starting {entry[:24].hex()}")
    return {**data, "method": "GET"}  # type: ignore[dict-item]


def _wrong(data: dict[str, Any]) -> str | None:
    """What makes `data` not a request of ours, or None."""
    url, meta, kwargs = data.get("url"), data.get("meta") or {}, data.get("cb_kwargs") or {}
    checks = {
        f"unknown request fields {sorted(set(data) - FIELDS)}": set(data) <= FIELDS,
        f"URL {url!r} is not a page of the network": _is_network_url(url),
        "cb_kwargs holds more than plain values": isinstance(kwargs, dict)
        and all(map(_plain, kwargs.values())),
        "priority is not a whole number": type(data.get("priority", 0)) is int,
        "meta is not an object": isinstance(meta, dict),
    }
    for what in ("callback", "errback"):
        checks[f"{what} {data.get(what)!r} is not one a frontier carries"] = data.get(what) in {
            None,
            *CALLBACKS,
        }
    for key, value in meta.items() if isinstance(meta, dict) else ():
        checks[f"meta key {key!r} is not allowed"] = key in META_TYPES
        plain = isinstance(value, META_TYPES.get(key, object)) and _plain(value)
        checks[f"meta {key!r} has a value of the wrong kind"] = plain
    return next((why for why, ok in checks.items() if not ok), None)


def _is_network_url(url: Any) -> bool:
    try:
        parts = urlsplit(url)
    except (ValueError, TypeError, AttributeError):
        return False
    return parts.scheme in ("http", "https") and load_registry().is_network_host(parts.hostname or "")


def _plain(value: Any, nested: bool = False) -> bool:
    """A JSON scalar (finite), or a flat list of them."""
    if isinstance(value, list):
        return not nested and all(_plain(item, True) for item in value)
    return isinstance(value, str | int | bool | None) or (isinstance(value, float) and math.isfinite(value))
