"""Layout versions of the article template (the Fundus habit, as classes: markers AND steps).

`Layout2022` holds the markup landmarks of the template in use since the 2000s and the steps that
read a page with them: find the headline and the body start, read the header, bound the body and
the Related Links block, read paragraphs and links. A redesign is a subclass that overrides only
what changed (a class attribute for a renamed marker, a method for a changed step) and says the
first day it is valid from:

    class Layout2027(Layout2022):
        name = "2027"
        valid_from = "2027-03-01"
        body_start = CommentMarker(re.compile(r"\\s*article-body\\s*"))
        ...

    parse_article(url, body, layouts=(Layout2022(), Layout2027()))

The markers are declarative (`CommentMarker`, `TextMarker`, `ElementMarker`, see
newsbot.parsing.markers) and are looked for in the page's one parse, never in slices of its text.

tests/test_layouts.py does exactly that. Which version reads a page: the newest one whose markup
fits it; then, when the page's dateline falls in another version's days and that version fits too,
that one (a note says when the date and the fit disagree).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from lxml import etree

from newsbot.item import Image, RelatedLink
from newsbot.parsing.article import body, header
from newsbot.parsing.article.header import Header
from newsbot.parsing.dateline import Dateline
from newsbot.parsing.events import COMMENT, END, Document, in_opaque
from newsbot.parsing.markers import CommentMarker, ElementMarker, Marker, TextMarker, first_marker


def first_index(doc: Document, marker: Marker) -> int | None:
    """The index of the first event the marker matches, anywhere in the document."""
    found = first_marker(doc, 0, END, [("marker", marker)])
    return found[0] if found is not None else None


class Layout2022:
    """The SMN article template as ANATOMY.md describes it (markers rated VERIFIED or STRONG)."""

    name: ClassVar[str] = "2022"
    # The first day (ISO) of the pages this version reads; see choose_layout.
    valid_from: ClassVar[str] = "1995-01-01"
    # The comment that opens the body, as bytes: the download middleware tells an article page
    # from a block page by it without decoding.
    body_start_bytes: ClassVar[bytes] = b"<!--body-2-incontainer.php-->"
    body_start: ClassVar[Marker] = CommentMarker(re.compile(r"\s*body-2-incontainer\.php\s*", re.I))
    body_end: ClassVar[Marker] = CommentMarker(re.compile(r"\s*RELATED LINKS\s*", re.I))
    # The headline: the first element of this tag (and class, if set) that is closed in the source.
    headline_tag: ClassVar[str] = "h1"
    headline_class: ClassVar[str | None] = None
    dateline_class: ClassVar[str] = "BHS"
    section_class: ClassVar[str] = "BSection"
    caption_class: ClassVar[str] = "caption"
    # Where the body ends when the end marker is missing: the first of these in the page.
    body_end_fallbacks: ClassVar[tuple[tuple[str, Marker], ...]] = (
        ("Related Links heading", TextMarker(re.compile(r"\s*Related Links\s*", re.I), whole=True)),
        ("donation box", ElementMarker("div", "donate")),
        ("donation box", TextMarker(re.compile(r"Thanks for being here;", re.I))),
        ("comments line", TextMarker(re.compile(r"Comment using your Disqus", re.I))),
        ("footer", TextMarker(re.compile(r"Copyright 1995-\d{4}", re.I))),
    )
    # What ends the Related Links block, and the heading without which there is no such block.
    related_block_end: ClassVar[tuple[tuple[str, Marker], ...]] = (
        ("donation box", ElementMarker("div", "donate")),
        ("donation box", TextMarker(re.compile(r"Thanks for being here;", re.I))),
        ("section label", ElementMarker(None, "BSection")),
        ("footer", TextMarker(re.compile(r"Copyright 1995", re.I))),
    )
    related_heading: ClassVar[re.Pattern[str]] = re.compile(r"Related Links", re.I)
    # For `newsbot check` and the quality report: which markup each item field depends on.
    field_hints: ClassVar[dict[str, str]] = {
        "title": "the headline (<h1>) markup",
        "section": "the section label (span.BSection) markup",
        "dateline": "the dateline (span.BHS) markup",
        "dateline_place": "the dateline (span.BHS) markup and its place pattern",
        "date_published": "the dateline (span.BHS) markup and its date forms",
        "paragraphs": "the body markers (<!--body-2-incontainer.php--> .. <!--RELATED LINKS-->)",
        "related_links": "the Related Links block after <!--RELATED LINKS-->",
    }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, valid_from={self.valid_from!r})"

    # --- the steps, each overridable -------------------------------------------------------------

    def fit(self, root: etree._Element, html: str) -> Fit:
        """The page read with this version's markers: is it an article to them, and its header."""
        headline, body_start, body_start_first = self.find_markers(root, html)
        # The usual page, headline then body: what lies above the headline is never read.
        skip_above = headline is not None and body_start is not None and not body_start_first
        doc = Document(root, start_at=headline if skip_above else None)
        start = None
        if body_start is not None:
            start = doc.index_of(body_start)
        elif headline is None:
            start = first_index(doc, self.body_start)
        at = doc.index_of(headline) if headline is not None else None
        return Fit(self, doc, start, at, self.parse_header(doc, at, start))

    def find_markers(self, root: etree._Element, html: str) -> tuple[Any, Any, bool]:
        """The headline element, the body start comment and whether that comes first, found by
        lxml's own iteration (no event is made for them).

        The headline is the first element of `headline_tag` (and `headline_class`) outside
        raw-text elements; none when the source never closes one (an `<h1>` left open runs to the
        end of the page: no headline).
        """
        # The page as it is first (its end tags are almost always lower case), then lowered: a
        # case-insensitive scan of the page costs more than lowering it, and lowering costs more
        # than a scan. A match in the page is a match in its lowered copy.
        closed = f"</{self.headline_tag}>" in html or _closes(self.headline_tag, html)
        headline = body_start = None
        body_start_first = False
        # A parent already found outside raw text: the headline and the body start comment are
        # usually siblings, and one walk up the ancestors tells for both.
        clear_parent: list[etree._Element | None] = [None]
        for node in root.iter(self.headline_tag, etree.Comment):
            if isinstance(node, etree._Comment):
                if (
                    body_start is None
                    and self.body_start.matches(COMMENT, node)
                    and _outside_raw_text(node, clear_parent)
                ):
                    body_start = node
                    body_start_first = headline is None
            elif (
                headline is None
                and closed
                and self._has_headline_class(node)
                and _outside_raw_text(node, clear_parent)
            ):
                headline = node
            if headline is not None and body_start is not None:
                break
        return headline, body_start, body_start_first

    def _has_headline_class(self, element: etree._Element) -> bool:
        return self.headline_class is None or (element.get("class") or "") == self.headline_class

    def parse_header(self, doc: Document, headline: int | None, body_start: int | None) -> Header:
        return header.parse_header(
            doc, headline, body_start, dateline_class=self.dateline_class, section_class=self.section_class
        )

    def body_region(self, fit: Fit, notes: list[str]) -> tuple[range, int]:
        """The body's events and where the Related Links block may start."""
        doc = fit.doc
        if fit.body_start is not None:
            start = fit.body_start + 1
        else:
            start = body.body_start_fallback(doc, fit.headline, fit.header, notes)
        end, related_start = body.body_end(
            doc, start, end_marker=self.body_end, fallbacks=self.body_end_fallbacks, notes=notes
        )
        return range(start, end), related_start

    def related_region(self, fit: Fit, start: int) -> range:
        return body.related_region(
            fit.doc, start, block_end=self.related_block_end, heading=self.related_heading
        )

    def body_paragraphs(self, fit: Fit, region: range, base_url: str) -> tuple[list[str], list[Image]]:
        return body.body_paragraphs(fit.doc, region, base_url, fit.header, caption_class=self.caption_class)

    def related_links(self, fit: Fit, region: range, base_url: str) -> list[RelatedLink]:
        return body.related_links(fit.doc, region, base_url)


@dataclass
class Fit:
    """A page read with one layout version's markers."""

    layout: Layout2022
    doc: Document
    body_start: int | None
    headline: int | None  # where the headline element is entered
    header: Header

    @property
    def is_article(self) -> bool:
        return self.body_start is not None or (self.headline is not None and self.header.dateline is not None)


LAYOUTS: tuple[Layout2022, ...] = (Layout2022(),)


def _outside_raw_text(node: etree._Element, clear_parent: list[etree._Element | None]) -> bool:
    """`not in_opaque(node)`, skipping the walk up when the node's parent is `clear_parent[0]`, a
    parent this found outside raw text before (and then remembered)."""
    parent = node.getparent()
    if parent is not None and parent is clear_parent[0]:
        return True
    if in_opaque(node):
        return False
    clear_parent[0] = parent
    return True


@functools.lru_cache(maxsize=16)
def _closing_tag(tag: str) -> re.Pattern[str]:
    return re.compile(rf"</{tag}\s*>")


def _closes(tag: str, html: str) -> bool:
    """Whether the page closes a `tag` element anywhere, `</H1 >` included."""
    closing = _closing_tag(tag)
    return closing.search(html) is not None or closing.search(html.lower()) is not None


def choose_layout(
    root: etree._Element, html: str, layouts: Sequence[Layout2022], notes: list[str]
) -> Fit | None:
    """The version that reads the page, or None when no version finds an article in it.

    `layouts` oldest first (by valid_from). The newest version that fits is tried first; then, if
    the page's dateline dates it into another version's days, that version, when it fits too.
    """
    found: Fit | None = None
    for layout in reversed(layouts):
        found = layout.fit(root, html)
        if found.is_article:
            break
    if found is None or not found.is_article:
        return None
    if len(layouts) == 1:  # the one version is the dated one too
        return found
    dated = layout_for(found.header.dateline, layouts)
    if dated is not found.layout:
        again = dated.fit(root, html)
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
