"""Layout versions of the article template (the Fundus habit, as classes: markers AND steps).

`Layout2022` holds the markup landmarks of the template in use since the 2000s and the steps that
read a page with them: find the headline and the body start, read the header, bound the body and
the Related Links block, read paragraphs and links. A redesign is a subclass that overrides only
what changed (a class attribute for a renamed marker, a method for a changed step) and says the
first day it is valid from:

    class Layout2027(Layout2022):
        name = "2027"
        valid_from = "2027-03-01"
        body_start = re.compile(r"<!--\\s*article-body\\s*-->\\r?\\n?", re.I)
        ...

    parse_article(url, body, layouts=(Layout2022(), Layout2027()))

tests/test_layouts.py does exactly that. Which version reads a page: the newest one whose markup
fits it; then, when the page's dateline falls in another version's days and that version fits too,
that one (a note says when the date and the fit disagree).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from newsbot.item import Image, RelatedLink
from newsbot.parsing.article import body, header
from newsbot.parsing.article.header import Header, Headline
from newsbot.parsing.dateline import Dateline
from newsbot.parsing.tree import mask_opaque


class Layout2022:
    """The SMN article template as ANATOMY.md describes it (markers rated VERIFIED or STRONG)."""

    name: ClassVar[str] = "2022"
    # The first day (ISO) of the pages this version reads; see choose_layout.
    valid_from: ClassVar[str] = "1995-01-01"
    # The comment that opens the body, as bytes: the download middleware tells an article page
    # from a block page by it without decoding.
    body_start_bytes: ClassVar[bytes] = b"<!--body-2-incontainer.php-->"
    body_start: ClassVar[re.Pattern[str]] = re.compile(
        r"<!--\s*body-2-incontainer\.php\s*-->[ \t]*\r?\n?", re.I
    )
    body_end: ClassVar[re.Pattern[str]] = re.compile(r"<!--\s*RELATED LINKS\s*-->", re.I)
    headline_open: ClassVar[re.Pattern[str]] = re.compile(r"<h1\b[^<>]{0,2000}>", re.I)
    headline_close: ClassVar[re.Pattern[str]] = re.compile(r"</h1\s*>", re.I)
    dateline_class: ClassVar[str] = "BHS"
    section_class: ClassVar[str] = "BSection"
    caption_class: ClassVar[str] = "caption"
    # Where the body ends when the end marker is missing: the first of these in the page.
    body_end_fallbacks: ClassVar[tuple[tuple[str, re.Pattern[str]], ...]] = (
        ("Related Links heading", re.compile(r"<b>\s*Related Links\s*</b>|>\s*Related Links\s*<", re.I)),
        ("donation box", re.compile(r"<div[^>]*class=\"?donate|Thanks for being here;", re.I)),
        ("comments line", re.compile(r"Comment using your Disqus", re.I)),
        ("footer", re.compile(r"Copyright 1995-\d{4}", re.I)),
    )
    # What ends the Related Links block, and the heading without which there is no such block.
    related_block_end: ClassVar[re.Pattern[str]] = re.compile(
        r"<div[^<>]*class=\"?donate|Thanks for being here;|class=\"?BSection|Copyright 1995", re.I
    )
    related_heading: ClassVar[re.Pattern[str]] = re.compile(r"Related Links", re.I)
    # For `newsbot check` and the quality report: which markup each item field depends on.
    field_hints: ClassVar[dict[str, str]] = {
        "title": "the headline (<h1>) markup",
        "section": "the section label (span.BSection) markup",
        "dateline": "the dateline (span.BHS) markup",
        "paragraphs": "the body markers (<!--body-2-incontainer.php--> .. <!--RELATED LINKS-->)",
        "related_links": "the Related Links block after <!--RELATED LINKS-->",
    }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, valid_from={self.valid_from!r})"

    def is_marker(self, comment: str) -> bool:
        """Whether an HTML comment is one of the body markers (kept by mask_opaque)."""
        return bool(self.body_start.match(comment) or self.body_end.match(comment))

    # --- the steps, each overridable -------------------------------------------------------------

    def fit(self, html: str) -> Fit:
        """The page read with this version's markers: is it an article to them, and its header."""
        # Markers and the headline are searched in `scan`, where comments and raw-text content are
        # blanked, and the page is sliced at the positions found (the same in both).
        scan = mask_opaque(html, self.is_marker)
        body_start = self.body_start.search(scan)
        headline = header.find_headline(scan, self.headline_open, self.headline_close)
        found = self.parse_header(html, headline, body_start)
        return Fit(self, scan, body_start, headline, found)

    def parse_header(self, html: str, headline: Headline | None, body_start: re.Match[str] | None) -> Header:
        return header.parse_header(
            html, headline, body_start, dateline_class=self.dateline_class, section_class=self.section_class
        )

    def body_bounds(self, fit: Fit, notes: list[str]) -> tuple[int, int, int]:
        """(start, end) of the body and where the Related Links block may start."""
        return body.body_bounds(
            fit.scan,
            fit.body_start,
            fit.headline,
            fit.header,
            body_end=self.body_end,
            body_end_fallbacks=self.body_end_fallbacks,
            notes=notes,
        )

    def related_bounds(self, fit: Fit, start: int) -> tuple[int, int]:
        return body.related_bounds(
            fit.scan, start, block_end=self.related_block_end, heading=self.related_heading
        )

    def body_paragraphs(self, body_html: str, base_url: str, found: Header) -> tuple[list[str], list[Image]]:
        return body.body_paragraphs(body_html, base_url, found, caption_class=self.caption_class)

    def related_links(self, related_html: str, base_url: str) -> list[RelatedLink]:
        return body.related_links(related_html, base_url)


@dataclass
class Fit:
    """A page read with one layout version's markers."""

    layout: Layout2022
    scan: str
    body_start: re.Match[str] | None
    headline: Headline | None
    header: Header

    @property
    def is_article(self) -> bool:
        return self.body_start is not None or (self.headline is not None and self.header.dateline is not None)


LAYOUTS: tuple[Layout2022, ...] = (Layout2022(),)


def choose_layout(html: str, layouts: Sequence[Layout2022], notes: list[str]) -> Fit | None:
    """The version that reads the page, or None when no version finds an article in it.

    `layouts` oldest first (by valid_from). The newest version that fits is tried first; then, if
    the page's dateline dates it into another version's days, that version, when it fits too.
    """
    found: Fit | None = None
    for layout in reversed(layouts):
        found = layout.fit(html)
        if found.is_article:
            break
    if found is None or not found.is_article:
        return None
    dated = layout_for(found.header.dateline, layouts)
    if dated is not found.layout:
        again = dated.fit(html)
        if again.is_article:
            return again
        notes.append(f"layout: dated for layout {dated.name} but fits layout {found.layout.name}")
    return found


def layout_for(dateline: Dateline | None, layouts: Sequence[Layout2022]) -> Layout2022:
    """The version valid on the dateline's day; the newest when the page has no date."""
    if dateline is None or dateline.date is None:
        return layouts[-1]
    day = dateline.date.isoformat()
    chosen = layouts[0]
    for layout in layouts:
        if layout.valid_from <= day:
            chosen = layout
    return chosen
