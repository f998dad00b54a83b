"""Extraction cases in the Fundus / web-poet habit: one folder per case.

`tests/cases/<name>/` holds `page.html` (the page's bytes as served), `meta.json` (the URL it was
fetched from, optional Content-Type and listing context, and why the case exists) and
`expected.json` (the item the parser must produce, `null` for a page that is not an article).
`scraped_at` is not compared: it is the time of the fetch.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from newsbot.parsing.article import ListingContext, parse_article
from tests.conftest import CASES

VOLATILE_FIELDS = ("scraped_at",)
FIXED_TIME = "2000-01-01T00:00:00Z"


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path

    @property
    def meta(self) -> dict[str, Any]:
        return json.loads((self.folder / "meta.json").read_text(encoding="utf-8"))

    @property
    def expected_path(self) -> Path:
        return self.folder / "expected.json"

    def parse(self) -> dict[str, Any] | None:
        meta = self.meta
        item = parse_article(
            meta["url"],
            (self.folder / "page.html").read_bytes(),
            content_type=meta.get("content_type"),
            context=ListingContext(**meta["context"]) if meta.get("context") else None,
            scraped_at=FIXED_TIME,
        )
        if item is None:
            return None
        data = item.to_dict()
        for name in VOLATILE_FIELDS:
            data.pop(name)
        return data


def all_cases() -> list[Case]:
    return [
        Case(folder.name, folder) for folder in sorted(CASES.iterdir()) if (folder / "meta.json").exists()
    ]


def expected_text(data: dict[str, Any] | None) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
