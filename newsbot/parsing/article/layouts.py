"""Layout versions of the article template, in the Fundus habit: a class per version, its markers
and selectors as class attributes, one method per item field.

`Layout2022` reads the template in use since the 2000s (ANATOMY.md). An instance reads one `Page`;
each field method works on its own, from the page's one parse. A redesign is a subclass that
overrides only what changed, a class attribute for a renamed marker or a method for a changed step,
and says the first day it is valid from:

    class Layout2027(Layout2022):
        name = "2027"
        valid_from = "2027-03-01"
        body_start = Comment(re.compile(r"\\s*article-body\\s*"))
        body_end = Comment(re.compile(r"\\s*article-end\\s*"))
        related = etree.XPath("//ul[@class='related']//a")

        def related_anchors(self) -> list[Any]:
            return self.related(self.page.root)

    parse_article(url, body, layouts=(Layout2022, Layout2027))

Which version reads a page: the newest one whose markup fits it; then, when the page's dateline
falls in another version's days and that version fits too, that one (a note says when the date and
the fit disagree). tests/cases_support.py holds that example, tests/cases/2027 its pages.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cached_property
from typing import Any, ClassVar

from lxml import etree

from newsbot.item import Image, RelatedLink
from newsbot.parsing.article.page import Comment, Element, Marker, Page, Text
from newsbot.parsing.byline import is_byline, split_glued_dateline
from newsbot.parsing.dateline import Dateline, parse_dateline
from newsbot.parsing.links import http_url
from newsbot.parsing.text import clean_text, collapse_spaces
from newsbot.parsing.tree import NOISE_TAGS, has_class, text_blocks, visible_text
from newsbot.registry.urls import canonical_url

# How much text past the headline is the header when no body start marker bounds it, and how much
# before the body start marker when there is no headline; how much text after the headline the
# dateline is looked for in when the body start marker is missing; how much text the related block
# runs over when nothing ends it (characters of text).
HEADER_REACH = 2000
HEADER_TEXT_REACH = 5000
RELATED_REACH = 4000
# Pictures that are not pictures of the article: sponsors, spacers, ad pixels.
NON_ARTICLE_PICTURE = re.compile(r"/sponsors/|/(?:black|white|spacer|blank|pixel)\.(?:jpe?g|gif|png)$", re.I)
_PICTURE_SIZE_SUFFIX = re.compile(r"-(?:hg|lg|bg|sm|th|md)$", re.I)
# The elements whose end, right after the dateline, still belongs to the header.
_CLOSING_AFTER_HEADER = frozenset({"span", "div", "td", "p", "b", "font"})
_LOWER = "translate(@class, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"


class Layout2022:
    """The SMN article template as ANATOMY.md describes it (markers rated VERIFIED or STRONG)."""

    name: ClassVar[str] = "2022"
    # The first day (ISO) of the pages this version reads; see choose_layout.
    valid_from: ClassVar[str] = "1995-01-01"
    # The headline: the first element this selects outside raw text, if the page closes its tag.
    headline: ClassVar[etree.XPath] = etree.XPath("//h1")
    body_start: ClassVar[Comment] = Comment(re.compile(r"\s*body-2-incontainer\.php\s*", re.I))
    body_end: ClassVar[Marker] = Comment(re.compile(r"\s*RELATED LINKS\s*", re.I))
    # Class names (any case, part of the class attribute) of the header spans, section labels and
    # picture captions.
    dateline_class: ClassVar[str] = "BHS"
    section_class: ClassVar[str] = "BSection"
    caption_class: ClassVar[str] = "caption"
    # Where the body ends when the end marker is missing: the first of these in the page.
    body_end_fallbacks: ClassVar[tuple[tuple[str, Marker], ...]] = (
        ("Related Links heading", Text(re.compile(r"\s*Related Links\s*", re.I), whole=True)),
        ("donation box", Element("div", "donate")),
        ("donation box", Text(re.compile(r"Thanks for being here;", re.I))),
        ("comments line", Text(re.compile(r"Comment using your Disqus", re.I))),
        ("footer", Text(re.compile(r"Copyright 1995-\d{4}", re.I))),
    )
    # What ends the Related Links block, and the heading without which there is no such block.
    related_block_end: ClassVar[tuple[tuple[str, Marker], ...]] = (
        ("donation box", Element("div", "donate")),
        ("donation box", Text(re.compile(r"Thanks for being here;", re.I))),
        ("section label", Element(None, "BSection")),
        ("footer", Text(re.compile(r"Copyright 1995", re.I))),
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

    def __init__(self, page: Page) -> None:
        self.page = page
        self.notes: list[str] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, valid_from={self.valid_from!r})"

    # --- the markers --------------------------------------------------------------------------

    @cached_property
    def headline_element(self) -> Any:
        """The first headline element outside raw text; none when the page never closes its tag
        (an `<h1>` left open runs to the end of the page: no headline)."""
        for element in self.headline(self.page.root):
            if element in self.page.start:
                closing = re.compile(rf"</{re.escape(element.tag)}\s*>", re.I)
                return element if closing.search(self.page.html) else None
        return None

    @cached_property
    def body_start_at(self) -> int | None:
        found = self.page.find([("body start", self.body_start)])
        return found[0] if found else None

    @property
    def is_article(self) -> bool:
        return self.body_start_at is not None or (
            self.headline_element is not None and self.byline_and_dateline[1] is not None
        )

    # --- the header: headline, section label, byline and dateline -----------------------------

    @cached_property
    def header_region(self) -> range | None:
        """From the headline's end to the body start marker; HEADER_REACH of text where one of the
        two is missing; None when both are."""
        page, body_start = self.page, self.body_start_at
        if self.headline_element is not None:
            start = page.end.get(self.headline_element, len(page.events)) + 1
            if body_start is not None and body_start >= start:
                return range(start, body_start)
            return range(start, page.reach(start, HEADER_REACH))
        if body_start is None:
            return None
        seen = 0
        for index in range(body_start - 1, -1, -1):
            kind, item = page.events[index]
            if kind == "text":
                seen += len(item)
                if seen > HEADER_REACH:
                    return range(index + 1, body_start)
        return range(0, body_start)

    @cached_property
    def headline_text(self) -> str | None:
        """The headline's text, its lines joined."""
        if self.headline_element is None:
            return None
        page, start = self.page, self.page.start[self.headline_element]
        return " ".join(page.blocks(start + 1, page.end[self.headline_element], split_on_br=True)) or None

    def title(self) -> str | None:
        if self.headline_element is None:
            self.notes.append("title: no <h1>")
        return self.headline_text

    def section(self) -> str | None:
        """The last section label before the headline (its ancestors left out)."""
        if self.headline_element is None:
            return None
        labels = self.headline_element.xpath(
            f"preceding::*[contains({_LOWER}, $name)]", name=self.section_class.lower()
        )
        for element in reversed(labels):
            if not _in_noise(element):
                label = clean_text(visible_text(element))
                if label:
                    return label
        return None

    @cached_property
    def byline_and_dateline(self) -> tuple[str | None, Dateline | None]:
        """The byline and the dateline: from the dateline-class spans of the header, else from its
        lines of text (a dateline glued to the byline split off)."""
        region = self.header_region
        if region is None:
            return None, None
        page = self.page
        spans = [
            clean_text(page.text_of(page.events[index][1], region.stop))
            for index in page.entered(region.start, region.stop, "span")
            if has_class(page.events[index][1], self.dateline_class)
        ]
        byline: str | None = None
        dateline: Dateline | None = None
        for text in spans:
            if dateline is None and not is_byline(text):
                dateline = parse_dateline(text)
        for text in spans:
            if byline is None and is_byline(text):
                byline, glued = split_glued_dateline(text)
                if glued is not None and dateline is None:
                    dateline = glued
                    self.notes.append("dateline: glued to the byline, split off")
        # The lines of text are read only when a span is missing (most pages have both).
        lines = page.blocks(region.start, region.stop, split_on_br=True) if None in (byline, dateline) else []
        if dateline is None:
            for text in lines:
                line_byline, glued = split_glued_dateline(text) if is_byline(text) else (text, None)
                candidate = glued or (None if is_byline(text) else parse_dateline(text))
                if candidate is not None:
                    dateline = candidate
                    if glued is not None and byline is None:
                        byline = line_byline
                    self.notes.append(
                        f"dateline: no span.{self.dateline_class} dateline, found by text pattern"
                    )
                    break
        if byline is None:
            for text in lines:
                if is_byline(text):
                    byline, _ = split_glued_dateline(text)
                    self.notes.append(f"byline: no span.{self.dateline_class} byline, found by text pattern")
                    break
        return byline, dateline

    # --- the body: paragraphs, pictures, Related Links ---------------------------------------

    @cached_property
    def body_region(self) -> tuple[range, int]:
        """The body's events and where the Related Links block may start."""
        page = self.page
        start = self._after_header_text() if self.body_start_at is None else self.body_start_at + 1
        end = page.find([("end marker", self.body_end)], start)
        if end is not None:
            return range(start, end[0]), end[0] + 1
        fallback = page.find(self.body_end_fallbacks, start)
        if fallback is not None:
            self.notes.append(f"body: end marker missing, ended at the {fallback[1]}")
            return range(start, fallback[0]), fallback[0]
        self.notes.append("body: end marker missing, ran to the end of the page")
        return range(start, len(page.events)), len(page.events)

    def _after_header_text(self) -> int:
        """Where the body starts when its start marker is missing: after the dateline (else the
        byline) and the element it closes, else after the headline."""
        page = self.page
        start = page.end.get(self.headline_element, -1) + 1 if self.headline_element is not None else 0
        byline, dateline = self.byline_and_dateline
        text = dateline.raw if dateline else byline
        if text:
            target = collapse_spaces(text)
            seen: list[str] = []
            length = 0
            for index, kind, item in page.visible(start):
                seen.append(item if kind == "text" else " ")  # tags separate words as spaces do
                length += len(item) if kind == "text" else 0
                if kind == "text" and target in collapse_spaces("".join(seen)):
                    self.notes.append("body: start marker missing, started after the dateline")
                    after = index + 1
                    closes = after < len(page.events) and page.events[after][0] == "end"
                    return (
                        after + 1 if closes and page.events[after][1].tag in _CLOSING_AFTER_HEADER else after
                    )
                if length > HEADER_TEXT_REACH:
                    break
        self.notes.append("body: start marker missing, started after the headline")
        return start

    def paragraphs(self) -> list[str]:
        """The body's text blocks, pictures and captions left out, and header lines in it too."""
        region = self.body_region[0]
        page = self.page
        events = page.visible(region.start, region.stop)
        skip_to = 0
        kept = []
        for index, kind, item in events:
            if index < skip_to:
                continue
            if kind == "start" and (item.tag == "img" or has_class(item, self.caption_class)):
                skip_to = page.end.get(item, len(page.events)) + 1
                continue
            kept.append((index, kind, item))
        byline, dateline = self.byline_and_dateline
        header_lines = {byline, dateline.raw if dateline else None, self.headline_text}
        return [text for text in text_blocks(kept) if text not in header_lines]

    def body_images(self, base_url: str) -> list[Image]:
        """The body's pictures with the caption that follows each in the same block."""
        region, page = self.body_region[0], self.page
        images = []
        for index in page.entered(region.start, region.stop, "img"):
            element = page.events[index][1]
            src = http_url(base_url, element.get("src"))
            if src and not NON_ARTICLE_PICTURE.search(src):
                images.append(Image(url=src, caption=self._caption_after(element, region.stop)))
        return images

    def _caption_after(self, picture: Any, stop: int) -> str | None:
        page, parent = self.page, picture.getparent()
        for _, kind, item in page.visible(page.end.get(picture, stop) + 1, stop):
            if kind == "end" and item is parent:
                return None
            if kind == "start":
                if item.tag == "img":
                    return None
                if has_class(item, self.caption_class):
                    return clean_text(page.text_of(item, stop)) or None
        return None

    def related_anchors(self) -> list[Any]:
        """The links of the Related Links block: from its heading to the donation box, the next
        section label or the footer; none when no heading is there."""
        page, start = self.page, self.body_region[1]
        found = page.find(self.related_block_end, start)
        end = found[0] if found is not None else page.reach(start, RELATED_REACH)
        if not any(
            kind == "text" and self.related_heading.search(item) for _, kind, item in page.visible(start, end)
        ):
            return []
        return [page.events[index][1] for index in page.entered(start, end, "a")]

    def related_links(self, base_url: str) -> list[RelatedLink]:
        links = []
        for anchor in self.related_anchors():
            if anchor not in self.page.start:
                continue
            text = clean_text(self.page.text_of(anchor, len(self.page.events)))
            url = http_url(base_url, anchor.get("href"))
            if text and url and text.lower() != "related links":
                links.append(RelatedLink(text=text, url=canonical_url(url)))
        return links


def _in_noise(element: Any) -> bool:
    return element.tag in NOISE_TAGS or any(
        ancestor.tag in NOISE_TAGS for ancestor in element.iterancestors()
    )


def picture_key(url: str) -> str:
    """A picture's name without its size suffix: the lead picture and its body copy share it."""
    name = url.partition("#")[0].partition("?")[0].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return _PICTURE_SIZE_SUFFIX.sub("", name).lower()


def merge_images(lead: list[Image], body: list[Image]) -> list[Image]:
    """Lead picture first; a body copy of it (another size, same name) lends its caption."""
    merged = list(lead)
    keys = {picture_key(image.url): image for image in merged}
    for image in body:
        key = picture_key(image.url)
        if key in keys:
            if keys[key].caption is None:
                keys[key].caption = image.caption
            continue
        keys[key] = image
        merged.append(image)
    return merged


LAYOUTS: tuple[type[Layout2022], ...] = (Layout2022,)


def choose_layout(page: Page, layouts: Sequence[type[Layout2022]], notes: list[str]) -> Layout2022 | None:
    """The version that reads the page, or None when no version finds an article in it.

    `layouts` oldest first (by valid_from). The newest version that fits is tried first; then, if
    the page's dateline dates it into another version's days, that version, when it fits too.
    """
    found = next(
        (reading for reading in (layout(page) for layout in reversed(layouts)) if reading.is_article), None
    )
    if found is None:
        return None
    dated = layout_for(found.byline_and_dateline[1], layouts)
    if dated is not type(found):
        again = dated(page)
        if again.is_article:
            return again
        notes.append(f"layout: dated for layout {dated.name} but fits layout {found.name}")
    return found


def layout_for(dateline: Dateline | None, layouts: Sequence[type[Layout2022]]) -> type[Layout2022]:
    """The version valid on the dateline's day; the newest when the page has no date."""
    if dateline is None or dateline.date is None:
        return layouts[-1]
    day = dateline.date.isoformat()
    chosen = layouts[0]
    for layout in layouts:
        if layout.valid_from <= day:
            chosen = layout
    return chosen
