"""scrapy-redis's SCHEDULER_SERIALIZER: a request as strict JSON, never pickle. Whoever can write to
Redis must not run code in a worker nor steer its downloads: headers, cookies, `proxy`, `download_slot`
do not travel (Scrapy's middlewares derive what they need again); an entry holding one is refused."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from newsbot.registry import load_registry

STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
Plain = str | int | float | bool | None
Callback = Literal["parse_section", "parse_article", "parse_home", "parse_feed", "failed"]


def _on_the_network(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and load_registry().is_network_host(parts.hostname or ""):
        return url
    raise ValueError("not a page of the network")


class Meta(BaseModel):
    """The spider's markers (newsbot.keys), and what Scrapy's retry, redirect and depth middlewares count."""

    model_config = STRICT
    newsbot_article: str | None = None
    newsbot_kind: str | None = None
    newsbot_listed_date: str | None = None
    newsbot_fetched_at: str | None = None
    newsbot_heal: str | None = None
    newsbot_heal_url: str | None = None
    newsbot_misdirected: bool | None = None
    handle_httpstatus_list: list[int] | None = None
    redirect_urls: list[str] | None = None
    redirect_reasons: list[int | str] | None = None
    retry_times: int | None = None
    depth: int | None = None
    redirect_times: int | None = None
    redirect_ttl: int | None = None


class Entry(BaseModel):
    model_config = STRICT
    url: Annotated[str, AfterValidator(_on_the_network)]
    callback: Callback | None = None
    errback: Callback | None = None
    cb_kwargs: dict[str, Plain | list[Plain]] = {}
    meta: Meta | None = None
    priority: int = 0


def dumps(request: dict[str, Any]) -> str:
    """The queue entry of a request, as `Request.to_dict` gives it; TypeError, as json's, for a request of
    ours that cannot travel (a bug in the spider, named)."""
    data = {field: request[field] for field in Entry.model_fields}
    data["meta"] = {key: value for key, value in request["meta"].items() if key in Meta.model_fields}
    if request["method"] != "GET" or request["body"]:
        raise TypeError(f"{request['url']}: only GET requests without a body travel through Redis")
    try:
        Entry.model_validate(data)
    except ValidationError as error:
        raise TypeError(f"{request['url']}: {_why(error)}") from None
    return json.dumps(data, ensure_ascii=False)


def loads(text: str) -> dict[str, Any]:
    """The request in a queue entry, for `request_from_dict`; ValueError, as json's, saying what is wrong
    with an entry that is not a request newsbot wrote."""
    entry = text.encode(errors="surrogateescape")  # as Redis holds it: a pickle is not UTF-8
    try:
        return Entry.model_validate_json(entry).model_dump(exclude_unset=True)  # a GET: Request's default
    except ValidationError as error:
        raise ValueError(f"{_why(error)}: {len(entry)} bytes, starting {entry[:24].hex()}") from None


def _why(error: ValidationError) -> str:
    first = error.errors()[0]
    return f"{'.'.join(map(str, first['loc'])) or 'entry'}: {first['msg']}"
