"""scrapy-redis's SCHEDULER_SERIALIZER: a request as strict JSON, checked field by field on the way back.

Whoever can write to Redis must not run code in a worker (pickle would let them) nor steer its
downloads. An entry carries what newsbot's spider puts in a request: the URL of a page of the
network, a callback and errback named from a fixed list, plain `cb_kwargs`, a few `meta` keys of
known type, the priority. Headers, cookies, `proxy`, `download_slot`, a request class are not
carried (Scrapy's middlewares derive what they need again); an entry holding any is refused whole.
"""

from __future__ import annotations

import json
import math
from typing import Any
from urllib.parse import urlsplit

from newsbot.keys import ARTICLE_META_KEY, LEDGER_META_KEY
from newsbot.registry import load_registry

MAX_ENTRY_BYTES = 64 * 1024
# The spider's callbacks (newsbot.spiders.network and .sections): nothing else is ever called.
CALLBACKS = frozenset(
    {
        "parse_section",
        "parse_section_first",
        "parse_article",
        "parse_home",
        "parse_home_for_healing",
        "parse_feed",
    }
)
ERRBACKS = frozenset(
    {"section_failed", "section_first_failed", "article_failed", "home_failed", "home_failed_for_healing"}
)
# The meta keys that travel, with a check of their value: the spider's own markers, and what Scrapy's
# retry, redirect and depth middlewares need to count attempts across workers.
META_CHECKS: dict[str, Any] = {
    ARTICLE_META_KEY: lambda v: isinstance(v, str) and _is_network_url(v),
    LEDGER_META_KEY: lambda v: v is True,
    **dict.fromkeys(("retry_times", "depth", "redirect_times", "redirect_ttl"), lambda v: _is_count(v)),
    "redirect_urls": lambda v: isinstance(v, list) and all(isinstance(u, str) for u in v),
    "redirect_reasons": lambda v: isinstance(v, list) and all(isinstance(r, int | str) for r in v),
}
_FIELDS = frozenset({"url", "callback", "errback", "cb_kwargs", "meta", "priority"})


class Refused(ValueError):
    """A queue entry that is not a request newsbot wrote."""


class NotCarriable(TypeError):
    """A request of ours holds a value that cannot travel (a bug in the spider, named)."""


def dumps(request: dict[str, Any]) -> bytes:
    """The queue entry of a request (as `Request.to_dict` gives it)."""
    url = request["url"]
    if request.get("method", "GET") != "GET" or request.get("body"):
        raise NotCarriable(f"{url}: only GET requests without a body travel through Redis")
    for name, allowed in ((request.get("callback"), CALLBACKS), (request.get("errback"), ERRBACKS)):
        if name is not None and name not in allowed:
            raise NotCarriable(f"{url}: {name!r} is not a callback a shared frontier carries")
    for key, value in request.get("cb_kwargs", {}).items():
        if not _is_plain(value):
            raise NotCarriable(f"{url}: cb_kwargs[{key!r}] is not a plain value")
    data = {key: request.get(key) for key in _FIELDS}
    data["meta"] = {key: value for key, value in (request.get("meta") or {}).items() if key in META_CHECKS}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def loads(entry: bytes) -> dict[str, Any]:
    """The request in a queue entry, for `request_from_dict`; Refused saying what is wrong with it."""
    if len(entry) > MAX_ENTRY_BYTES:
        raise Refused(_what(entry, f"more than {MAX_ENTRY_BYTES} bytes"))
    try:
        data = json.loads(entry)
    except ValueError:
        raise Refused(_what(entry, "not JSON")) from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise Refused(_what(entry, "JSON, but not a newsbot request"))
    checks = {
        f"unknown request fields {sorted(set(data) - _FIELDS)}": set(data) <= _FIELDS,
        f"URL {data['url']!r} is not a page of the network": _is_network_url(data["url"]),
        f"callback {data.get('callback')!r} is not allowed": data.get("callback") in CALLBACKS | {None},
        f"errback {data.get('errback')!r} is not allowed": data.get("errback") in ERRBACKS | {None},
        "cb_kwargs holds more than plain values": isinstance(cb := data.get("cb_kwargs", {}), dict)
        and all(map(_is_plain, cb.values())),
        "priority is not a whole number": _is_int(data.get("priority", 0)),
        "meta is not an object": isinstance(meta := data.get("meta", {}), dict),
    }
    checks.update(
        {f"meta key {k!r} is not allowed": k in META_CHECKS for k in meta if isinstance(meta, dict)}
    )
    for key, value in meta.items() if isinstance(meta, dict) else ():
        checks[f"meta key {key!r} is not allowed"] = key in META_CHECKS
        checks[f"meta {key!r} has a value of the wrong kind"] = key not in META_CHECKS or META_CHECKS[key](
            value
        )
    if failed := [why for why, ok in checks.items() if not ok]:
        raise Refused(_what(entry, failed[0]))
    return {**data, "method": "GET"}


def _what(entry: bytes, why: str) -> str:
    return f"{why}: {len(entry)} bytes, starting {entry[:24].hex()}{'...' if len(entry) > 24 else ''}"


def _is_network_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and load_registry().is_network_host(parts.hostname or "")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return _is_int(value) and 0 <= value < 1_000_000


def _is_plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(not isinstance(item, list) and _is_plain(item) for item in value)
    return isinstance(value, str | int | bool | type(None)) or (
        isinstance(value, float) and math.isfinite(value)
    )
