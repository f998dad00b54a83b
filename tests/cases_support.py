"""Extraction cases in the Fundus / web-poet habit: one folder per case, grouped by layout version.

`tests/cases/<layout>/<name>/` holds `page.html` (the page's bytes as served), `meta.json` (the URL
it was fetched from, optional Content-Type and listing context, and why the case exists) and
`expected.json` (the item the parser must produce, `null` for a page that is not an article).
`scraped_at` and `parsed_at` are not compared: they are the times of the fetch and of the parse.

`<layout>` names the layout version the case is about; CASE_LAYOUTS says which versions the parser is
given for the cases of that folder: the shipped ones for `2022`, and for `2027` the shipped ones
plus `Layout2027`, the example redesign below (tests/test_layouts.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from newsbot.parsing.article import ListingContext, parse_article
from newsbot.parsing.article.layouts import LAYOUTS, Layout2022
from newsbot.parsing.article.page import Comment
from tests.conftest import CASES

VOLATILE_FIELDS = ("scraped_at", "parsed_at")
FIXED_TIME = "2030-01-01T00:00:00Z"  # after every fixture's date: no page is dated after its fetch


class Layout2027(Layout2022):
    """An example redesign of 2027: new body comments, the headline in `<div class="headline">`,
    the dateline in `span.Dateline`, and the Related Links in a `<ul class="related">` with no
    heading. Markers and selectors are class attributes; the related block is a changed step."""

    name = "2027"
    valid_from = "2027-03-01"
    body_start = Comment(re.compile(r"\s*article-body\s*", re.I))
    body_end = Comment(re.compile(r"\s*article-end\s*", re.I))
    headline = etree.XPath("//div[@class='headline']")
    dateline_class = "Dateline"
    related = etree.XPath("//ul[@class='related']//a")

    def related_anchors(self) -> list[Any]:
        return self.related(self.page.root)


CASE_LAYOUTS: dict[str, Sequence[type[Layout2022]]] = {
    "2022": LAYOUTS,
    "2027": (*LAYOUTS, Layout2027),
}


@dataclass(frozen=True)
class Case:
    layout: str
    name: str
    folder: Path

    @property
    def id(self) -> str:
        return f"{self.layout}/{self.name}"

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
            layouts=CASE_LAYOUTS[self.layout],
        )
        if item is None:
            return None
        data = item.to_dict()
        for name in VOLATILE_FIELDS:
            data.pop(name)
        return data


def all_cases() -> list[Case]:
    """Every case of every layout folder; a folder with no CASE_LAYOUTS entry is an error."""
    cases = []
    for layout_folder in sorted(path for path in CASES.iterdir() if path.is_dir()):
        if layout_folder.name not in CASE_LAYOUTS:
            raise ValueError(f"{layout_folder}: no layout versions known for it (see CASE_LAYOUTS)")
        cases += [
            Case(layout_folder.name, folder.name, folder)
            for folder in sorted(layout_folder.iterdir())
            if (folder / "meta.json").exists()
        ]
    return cases


def expected_text(data: dict[str, Any] | None) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
