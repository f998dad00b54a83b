"""Requests in Redis: newsbot's own fields as JSON, checked field by field on the way back.

Whoever can write to Redis must not be able to run code in a worker, nor to steer its downloads.
So an entry carries only what newsbot's spider puts in its requests: the URL (a page of the Space
Media Network), a callback and an errback named from a fixed list, plain `cb_kwargs`, a few
`meta` keys of known type, and the priority. Everything else a request may hold (headers, cookies,
`proxy`, `download_slot`, `dont_filter`, a request class) is not carried: Scrapy's middlewares
derive it again at download. An entry holding anything else is refused whole (`Refused`).
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request, Spider
from w3lib.url import canonicalize_url

from newsbot.keys import (
    ARTICLE_META_KEY,
    HEAL_META_KEY,
    HEAL_REASON_META_KEY,
    KIND_META_KEY,
    LEDGER_META_KEY,
    LISTED_DATE_META_KEY,
)
from newsbot.registry import load_registry

VERSION = 2
MAX_ENTRY_BYTES = 64 * 1024
FINGERPRINT_LENGTH = 40
# The spider's callbacks (newsbot.spiders.network and .sections): nothing else is ever called.
CALLBACKS = frozenset({"parse_section", "parse_article", "parse_home", "parse_feed"})
ERRBACKS = frozenset({"failed"})
_PLAIN = (str, int, float, bool, type(None))
# The meta keys that travel, with a check of their value: the spider's own marker, and what
# Scrapy's retry, redirect and depth middlewares need to count attempts across workers.
META_CHECKS: dict[str, Any] = {
    ARTICLE_META_KEY: lambda v: isinstance(v, str) and _is_network_url(v),
    LEDGER_META_KEY: lambda v: v is True,
    KIND_META_KEY: lambda v: isinstance(v, str) and len(v) < 40,
    LISTED_DATE_META_KEY: lambda v: v is None or (isinstance(v, str) and len(v) == 10),
    HEAL_META_KEY: lambda v: isinstance(v, str) and len(v) < 200,
    HEAL_REASON_META_KEY: lambda v: isinstance(v, str) and len(v) < 40,
    "handle_httpstatus_list": lambda v: isinstance(v, list) and all(_is_count(s) for s in v),
    "retry_times": lambda v: _is_count(v),
    "depth": lambda v: _is_count(v),
    "redirect_times": lambda v: _is_count(v),
    "redirect_ttl": lambda v: _is_count(v),
    "redirect_urls": lambda v: isinstance(v, list) and all(isinstance(u, str) for u in v),
    "redirect_reasons": lambda v: isinstance(v, list) and all(isinstance(r, int | str) for r in v),
}
_FIELDS = frozenset({"v", "url", "callback", "errback", "cb_kwargs", "meta", "priority"})


class Refused(ValueError):
    """A queue entry that is not a request newsbot wrote."""


class NotCarriable(TypeError):
    """A request of ours holds a value that cannot travel (a bug in the spider, named)."""


def request_fingerprint(request: Request) -> str:
    """The frontier's key for a request: SHA-1 of its method, canonical URL and body."""
    data = {
        "method": request.method,
        "url": canonicalize_url(request.url),
        "body": (request.body or b"").hex(),
    }
    return hashlib.sha1(json.dumps(data, sort_keys=True).encode()).hexdigest()


def encode(request: Request) -> bytes:
    """The queue entry of a request: its fingerprint, then its JSON."""
    callback, errback = _method_name(request.callback), _method_name(request.errback)
    if request.method != "GET" or request.body:
        raise NotCarriable(f"{request.url}: only GET requests without a body travel through Redis")
    for name, allowed in ((callback, CALLBACKS), (errback, ERRBACKS)):
        if name is not None and name not in allowed:
            raise NotCarriable(f"{request.url}: {name!r} is not a callback a shared frontier carries")
    for key, value in request.cb_kwargs.items():
        if not _is_plain(value):
            raise NotCarriable(f"{request.url}: cb_kwargs[{key!r}] is not a plain value")
    data = {
        "v": VERSION,
        "url": request.url,
        "callback": callback,
        "errback": errback,
        "cb_kwargs": request.cb_kwargs,
        # Other keys are derived again by Scrapy's middlewares when the request is downloaded.
        "meta": {key: value for key, value in request.meta.items() if key in META_CHECKS},
        "priority": request.priority,
    }
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return request_fingerprint(request).encode("ascii") + body.encode("utf-8")


def decode(member: bytes, spider: Spider) -> Request:
    """The request in a queue entry, or Refused saying what is wrong with it."""
    member = bytes(member)
    if len(member) > MAX_ENTRY_BYTES:
        raise Refused(f"{len(member)} bytes, more than {MAX_ENTRY_BYTES}")
    fingerprint = member[:FINGERPRINT_LENGTH]
    if not all(c in b"0123456789abcdef" for c in fingerprint) or len(fingerprint) != FINGERPRINT_LENGTH:
        raise Refused("no request fingerprint in front")
    try:
        data = json.loads(member[FINGERPRINT_LENGTH:].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused("not JSON") from None
    if not isinstance(data, dict) or data.get("v") != VERSION:
        raise Refused("JSON, but not a newsbot request")
    if unknown := set(data) - _FIELDS:
        raise Refused(f"unknown request fields {sorted(unknown)}")
    url = data.get("url")
    if not isinstance(url, str) or not _is_network_url(url):
        raise Refused(f"URL {url!r} is not a page of the network")
    callback = _spider_method(spider, data.get("callback"), CALLBACKS, "callback")
    errback = _spider_method(spider, data.get("errback"), ERRBACKS, "errback")
    cb_kwargs, meta = data.get("cb_kwargs", {}), data.get("meta", {})
    if not isinstance(cb_kwargs, dict) or not all(_is_plain(value) for value in cb_kwargs.values()):
        raise Refused("cb_kwargs holds more than plain values")
    if not isinstance(meta, dict):
        raise Refused("meta is not an object")
    for key, value in meta.items():
        if key not in META_CHECKS:
            raise Refused(f"meta key {key!r} is not allowed")
        if not META_CHECKS[key](value):
            raise Refused(f"meta {key!r} has a value of the wrong kind")
    priority = data.get("priority", 0)
    if not _is_int(priority):
        raise Refused("priority is not a whole number")
    request = Request(
        url, callback=callback, errback=errback, cb_kwargs=cb_kwargs, meta=meta, priority=priority
    )
    if request_fingerprint(request).encode("ascii") != fingerprint:
        raise Refused("the fingerprint in front does not match the request")
    return request


def _spider_method(spider: Spider, name: Any, allowed: frozenset[str], what: str) -> Any:
    if name is None:
        return None
    method = getattr(spider, name, None) if isinstance(name, str) and name in allowed else None
    if not callable(method):
        raise Refused(f"{what} {name!r} is not allowed for spider {spider.name!r}")
    return method


def _method_name(function: Any) -> str | None:
    if function is None:
        return None
    name = getattr(function, "__name__", None)
    if getattr(function, "__self__", None) is None or not isinstance(name, str):
        raise NotCarriable(f"{function!r} is not a spider method: it cannot travel through Redis")
    return name


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
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(isinstance(item, _PLAIN) and _is_plain(item) for item in value)
    return isinstance(value, _PLAIN)
