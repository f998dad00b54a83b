"""The article item, and the JSON Schema pydantic generates from it (`newsbot schema` prints it)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib import resources
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, TypeAdapter

HttpUrl = Annotated[str, Field(pattern=r"^https?://[^\s/]+/\S*$")]
NetworkUrl = Annotated[str, Field(pattern=r"^https://www\.[a-z0-9.-]+/[^\s?#]*$")]
NonEmptyText = Annotated[str, Field(min_length=1)]
# `format` tells typed readers (the Parquet dataset, newsbot.cli.dataset) a day or a UTC time.
IsoDay = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", json_schema_extra={"format": "date"})]
UtcTime = Annotated[
    str,
    Field(
        pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$", json_schema_extra={"format": "date-time"}
    ),
]

SCHEMA_RESOURCE = "schema/article.schema.json"
# Raised when a field is added, renamed, removed or changes type (2 added `source`, 3 `parsed_at`);
# every line carries it, so a reader of many runs' files knows which shape each line has. An added
# field goes last, where a reader by position does not take it for another.
SCHEMA_VERSION: Literal[3] = 3
# Every field is always written, defaults included, so the schema requires every field, and nothing
# else may appear: a renamed or stray field must fail validation, not slip into the dataset.
CLOSED = ConfigDict(extra="forbid", json_schema_serialization_defaults_required=True)


@dataclass
class Image:
    __pydantic_config__ = CLOSED
    url: HttpUrl
    caption: str | None = None


@dataclass
class RelatedLink:
    __pydantic_config__ = CLOSED
    text: str
    url: HttpUrl


@dataclass(kw_only=True)
class ArticleItem:
    """An article as written to JSON Lines. Field names are a contract with downstream users."""

    __pydantic_config__ = CLOSED

    schema_version: Literal[3] = SCHEMA_VERSION  # first in every line
    url: NetworkUrl
    site: Annotated[str, Field(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")]
    title: NonEmptyText
    section: str | None = None
    byline: str | None = None
    authors: list[str] = field(default_factory=list)
    agency: str | None = None
    dateline: str | None = None
    dateline_place: str | None = None
    date_published: IsoDay | None = None
    paragraphs: list[str] = field(default_factory=list)
    body: str = ""
    summary: str | None = None
    images: list[Image] = field(default_factory=list)
    related_links: list[RelatedLink] = field(default_factory=list)
    word_count: Annotated[int, Field(ge=0)] = 0
    language: Annotated[str, Field(pattern=r"^en$")] = "en"
    content_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = ""
    scraped_at: UtcTime = ""
    notes: list[str] = field(default_factory=list)
    # Where an item came from when not from a crawl: `import: <WARC file name>, <capture time>`.
    source: str | None = None
    # A rebuild's item has its page's capture time as `scraped_at`, as the crawl's had: this says which
    # of the two is the later parse, where the deliveries' file times (lost in a copy) cannot.
    parsed_at: UtcTime | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def recency(item: dict[str, Any]) -> tuple[Any, Any]:
    """Of two items of one URL, the greater is the later: the later fetch, then the later parse of one
    fetch (a rebuild's); a line before `parsed_at` was parsed at its fetch. Text or datetimes."""
    return item["scraped_at"], item.get("parsed_at") or item["scraped_at"]


def generate_schema() -> dict[str, Any]:
    schema = TypeAdapter(ArticleItem).json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "urn:newsbot:article", **schema}


@cache
def shipped_schema() -> dict[str, Any]:
    text = resources.files("newsbot").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def schema_validator() -> Any:
    """The `jsonschema` validator of the shipped schema, for everything that judges an item or a line."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(shipped_schema())


def schema_text(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
