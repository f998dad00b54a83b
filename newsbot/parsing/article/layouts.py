"""Layout versions of the article template, in the Fundus habit: a class per version, its markers
and selectors as class attributes, one method per item field, each read on its own from the page's
one parse. A redesign is a subclass overriding what changed and the day it is valid from
(tests/cases_support.py's Layout2027: `parse_article(url, body, layouts=(Layout2022, Layout2027))`).
The newest version that fits a page reads it; or the one its dateline dates it into, if that fits."""

from __future__ import annotations

import datetime
import re
from collections.abc import Sequence
from functools import cached_property
from itertools import islice
from typing import Any, ClassVar

from lxml import etree

from newsbot.item import Image, RelatedLink
from newsbot.parsing.article.page import Comment, Element, Marker, Page, Text
from newsbot.parsing.dateline import Dateline, is_byline, parse_byline, parse_dateline, split_glued_dateline
from newsbot.parsing.text import clean_text, collapse_spaces, http_url
from newsbot.parsing.tree import (
    BLOCK_TAGS,
    NOISE_TAGS,
    alt_text,
    has_class,
    html_text,
    text_blocks,
    visible_text,
)
from newsbot.registry import load_registry
from newsbot.registry.urls import canonical_url

# Characters of text: the header when one of headline and body start marker is missing; where the
# dateline is looked for when the body start marker is; the Related Links block when nothing ends it.
HEADER_REACH, HEADER_TEXT_REACH, RELATED_REACH = 2000, 5000, 4000
# Pictures that are not pictures of the article: sponsors, spacers, ad pixels.
NON_ARTICLE_PICTURE = re.compile(r"/sponsors/|/(?:black|white|spacer|blank|pixel)\.(?:jpe?g|gif|png)$", re.I)
_PICTURE_SIZE_SUFFIX = re.compile(r"-(?:hg|lg|bg|sm|th|md)$", re.I)
# A caption is one short line (characters; events around it); a longer line after a picture is
# the article's text.
CAPTION_CHARS, CAPTION_EVENTS = 300, 40
_TITLE_SUFFIX = re.compile(r"\s+[-|]\s+[A-Za-z-]+\.com\s*$")
# The elements whose end, right after the dateline, still belongs to the header.
_CLOSING_AFTER_HEADER = frozenset({"span", "div", "td", "p", "b", "font"})
_READ_MORE = re.compile(r"\A\s*read more\s*\Z", re.I)
# Where a wire dateline opening the body ends: a dash ("Moscow (AFP) Dec 30, 2022 - Russian ..."),
# or the end of its paragraph.
_WIRE_DATELINE_END = re.compile(r"\s+[-\u2013\u2014]{1,2}\s+|\Z")
DONATION_BOX = (
    ("donation box", Element("div", "donate")),
    ("donation box", Text(re.compile(r"Thanks for being here;", re.I))),
)


class Layout2022:
    """The SMN article template as ANATOMY.md describes it (markers rated VERIFIED or STRONG)."""

    name: ClassVar[str] = "2022"
    valid_from: ClassVar[str] = "1995-01-01"  # the first day (ISO) of the pages it reads
    # The headline: the first element this selects outside raw text, if the page closes its tag.
    headline: ClassVar[etree.XPath] = etree.XPath("//h1")
    body_start: ClassVar[Comment] = Comment(re.compile(r"\s*body-2-incontainer\.php\s*", re.I))
    body_end: ClassVar[Marker] = Comment(re.compile(r"\s*RELATED LINKS\s*", re.I))
    # Section labels before the headline (its ancestors left out): the nearest non-empty one.
    section_labels: ClassVar[etree.XPath] = etree.XPath(
        "preceding::*[contains(translate(@class, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'),"
        " 'bsection')]"
    )
    # Class names (any case, part of the class attribute) of header lines and picture captions.
    dateline_class: ClassVar[str] = "BHS"
    caption_class: ClassVar[str] = "caption"
    # Where the body ends when the end marker is missing: the first of these in the page.
    body_end_fallbacks: ClassVar[tuple[tuple[str, Marker], ...]] = (
        ("Related Links heading", Text(re.compile(r"\A\s*Related\s+Links\s*:?\s*\Z", re.I))),
        *DONATION_BOX,
        ("section label", Element(None, "BSection")),  # the teaser's, when there is no donation box
        ("comments line", Text(re.compile(r"Comment using your Disqus", re.I))),
        ("footer", Text(re.compile(r"Copyright 1995-\d{4}", re.I))),
    )
    # What ends the Related Links block, and the heading without which there is no such block.
    # The VERIFIED lines after it stand in for the donation box where a page has none (older ones).
    related_block_end: ClassVar[tuple[tuple[str, Marker], ...]] = (
        *DONATION_BOX,
        ("section label", Element(None, "BSection")),
        ("teaser", Text(_READ_MORE)),
        ("comments line", Text(re.compile(r"Comment using your Disqus", re.I))),
        ("share line", Text(re.compile(r"Share this article", re.I))),
        ("footer", Text(re.compile(r"Copyright 1995", re.I))),
    )
    # In the block's text, not one text node's: `Related&nbsp;Links`, `<b>Related</b> <b>Links</b>`.
    related_heading: ClassVar[re.Pattern[str]] = re.compile(r"Related\s*Links", re.I)
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

    @cached_property
    def headline_element(self) -> Any:
        """One in the STRONG form before others (a site name's `<h1 class="logo">` above it); None when
        the page never closes the headline's tag (an `<h1>` left open runs to the end)."""
        found = [element for element in self.headline(self.page.root) if element in self.page.start]
        # The STRONG form: `<h1>Headline text<br></h1>`, no attributes, a line break last (ANATOMY.md).
        strong = (
            e
            for e in found
            if not e.attrib and len(e) and e[-1].tag == "br" and not (e[-1].tail or "").strip()
        )
        element = next(strong, found[0] if found else None)
        closed = element is not None and re.search(rf"</{re.escape(element.tag)}\s*>", self.page.html, re.I)
        return element if closed else None

    @cached_property
    def body_start_at(self) -> int | None:
        return next((self.page.start[c] for c in self.page.comments if self.body_start("comment", c)), None)

    @property
    def is_article(self) -> bool:
        # Without a body start marker: a headline with the body end marker, for an advertorial has
        # no dateline.
        if self.body_start_at is not None:
            return True
        return self.headline_element is not None and (
            self._header_dateline is not None or self.page.find([("end marker", self.body_end)]) is not None
        )

    @cached_property
    def header_region(self) -> range:
        """From the headline's end to the body start marker, or HEADER_REACH of text (short of the
        body's end) where one of the two is missing; empty when both are."""
        page, body_start = self.page, self.body_start_at
        if self.headline_element is not None:
            start = page.end[self.headline_element] + 1
            if body_start is not None and body_start >= start:
                return range(start, body_start)
            # Not past the body's end: the teaser after it has a dateline, another article's.
            body_end = page.find([("end marker", self.body_end), *self.body_end_fallbacks], start)
            stop = body_end[0] if body_end else len(page.events)
            return range(start, min(page.reach(start, HEADER_REACH), stop))
        if body_start is None:
            return range(0)
        seen, start = 0, body_start
        while start > 0 and seen <= HEADER_REACH:  # back from the marker, raw text left out
            start -= 1
            kind, item = page.events[start]
            seen += len(item) if kind == "text" else 0
        return range(start + 1 if seen > HEADER_REACH else 0, body_start)

    @cached_property
    def body_region(self) -> tuple[range, int]:
        """The body's events and where the Related Links block may start."""
        marker, headline = self.body_start_at, self.headline_element
        if marker is None:
            start = self._after_header_text("missing")
        elif headline is not None and marker < self.page.end[headline]:
            start = self._after_header_text("before the headline")
        else:
            start = marker + 1
        end = self.page.find([("end marker", self.body_end)], start)
        if end is not None:
            return range(start, end[0]), end[0] + 1
        stop, name = self.page.find(self.body_end_fallbacks, start) or (len(self.page.events), "")
        how = f"ended at the {name}" if name else "ran to the end of the page"
        self.notes.append(f"body: end marker missing, {how}")
        return range(start, stop), stop

    def _after_header_text(self, why: str) -> int:
        """Where the body starts without its start marker: after the header's dateline (else byline)
        and the element it closes, else after the headline."""
        page, dateline = self.page, self._header_dateline
        start = page.end[self.headline_element] + 1 if self.headline_element is not None else 0
        target = collapse_spaces(dateline.raw if dateline else self.byline() or "")
        seen, length = [], 0
        for index, kind, item in page.visible(start) if target else ():
            seen.append(item if kind == "text" else " ")  # tags separate words as spaces do
            length += len(item) if kind == "text" else 0
            if kind == "text" and target in collapse_spaces("".join(seen)):
                self.notes.append(f"body: start marker {why}, started after the dateline")
                kind, after = page.events[index + 1] if index + 1 < len(page.events) else ("", item)
                closes = kind == "end" and after.tag in _CLOSING_AFTER_HEADER
                return index + 2 if closes else index + 1
            if length > HEADER_TEXT_REACH:
                break
        self.notes.append(f"body: start marker {why}, started after the headline")
        return start

    def url(self, fetched: str | None) -> str | None:
        """The page's og:url when it names a network article, else the fetched URL when that does."""
        declared = self.page.meta("og:url")
        for url in (declared, fetched):
            # An absolute URL only, percent-encoded as the URL of a request for it would be.
            absolute = http_url(url, url) if url else None
            if absolute and load_registry().is_article_url(absolute):
                if url is not declared:
                    used = "og:url is not a network article URL" if declared else "no og:url"
                    self.notes.append(f"url: {used}, used the fetched URL")
                return canonical_url(absolute)
        return None

    def title(self) -> str | None:
        """The headline's lines; without a headline, og:title or <title> without " - Site.com"."""
        if self.headline_element is None:
            self.notes.append("title: no <h1>")
        elif self.headline_text:
            return self.headline_text
        for source, value in (("og:title", self.page.meta("og:title")), ("<title>", self.page.title)):
            # Raw text to the HTML parser: markup in them (`<title>A <b>B</b>`) is markup, not text.
            text = _TITLE_SUFFIX.sub("", html_text(value)) if value else None
            if text:
                self.notes.append(f"title: no <h1>, used {source}")
                return text
        return None

    @cached_property
    def headline_text(self) -> str | None:
        if self.headline_element is None:
            return None
        return " ".join(text_blocks(self.page.inside(self.headline_element), split_on_br=True)) or None

    def section(self) -> str | None:
        if self.headline_element is None:
            return None
        for element in reversed(self.section_labels(self.headline_element)):
            in_noise = any(node.tag in NOISE_TAGS for node in (element, *element.iterancestors()))
            label = None if in_noise else clean_text(visible_text(element))
            if label:
                return label
        return None

    def byline(self) -> str | None:
        return self._byline_and_dateline[0]

    def dateline(self) -> Dateline | None:
        return self._header_dateline or self._body_dateline[0]

    @property
    def _header_dateline(self) -> Dateline | None:
        return self._byline_and_dateline[1]

    @cached_property
    def _byline_and_dateline(self) -> tuple[str | None, Dateline | None]:
        """From the dateline-class spans of the header, else from its lines of text; a dateline
        glued to the byline split off, a second byline naming someone joined to the first."""
        page, region = self.page, self.header_region
        spans = [  # their lines: a byline and its dateline, or two bylines, may share a span
            line
            for span in page.entered(region.start, region.stop, "span")
            if has_class(span, self.dateline_class)
            for line in text_blocks(page.inside(span, region.stop), split_on_br=True)
        ]
        byline: str | None = None
        dateline = next(filter(None, (parse_dateline(text) for text in spans if not is_byline(text))), None)
        for text in filter(is_byline, spans):
            line, glued = split_glued_dateline(text)
            if glued is not None and dateline is None:
                dateline = glued
                self.notes.append("dateline: glued to the byline, split off")
            byline = _joined_byline(byline, line)
        missing_one = None in (byline, dateline)
        lines = text_blocks(page.visible(region.start, region.stop), split_on_br=True) if missing_one else []
        missing = f"no span.{self.dateline_class}"
        for text in lines if dateline is None else ():
            line_byline, glued = split_glued_dateline(text) if is_byline(text) else (text, None)
            dateline = glued or (None if is_byline(text) else parse_dateline(text))
            if dateline is not None:
                byline = line_byline if glued is not None and byline is None else byline
                self.notes.append(f"dateline: {missing} dateline, found by text pattern")
                break
        for text in filter(is_byline, lines if byline is None else ()):
            byline = _joined_byline(byline, split_glued_dateline(text)[0])
            self.notes.append(f"byline: {missing} byline, found by text pattern")
        return byline, dateline

    def previous_article_date(self) -> datetime.date | None:
        """The date of the first dated dateline after the body: the teaser's, of the section's
        previous article (VERIFIED in the seed)."""
        page, spans = self.page, self.page.entered(self.body_region[1], len(self.page.events), "span")
        teasers = (
            parse_dateline(clean_text(page.text_of(s))) for s in spans if has_class(s, self.dateline_class)
        )
        return next((teaser.date for teaser in teasers if teaser and teaser.date), None)

    def paragraphs(self) -> list[str]:
        """The body's text blocks; pictures, captions, header lines and a wire dateline left out."""
        return self._body_dateline[1]

    @cached_property
    def _body_dateline(self) -> tuple[Dateline | None, list[str]]:
        """The body's text blocks, pictures, captions and header lines left out; where the header has
        no dateline, a wire dateline opening the body ("Moscow (AFP) Dec 30, 2022 - Russian leader
        ..."), dated and with an agency to vouch for it, noted: (it, the paragraphs without it)."""
        page, region, captions = self.page, self.body_region[0], self.unmarked_captions
        kept, skip_to = [], 0
        for index, kind, item in page.visible(region.start, region.stop):
            if index < skip_to:
                continue
            if kind == "start" and (item.tag == "img" or has_class(item, self.caption_class)):
                skip_to = captions[item][1] if item in captions else page.end[item] + 1
            else:
                kept.append((index, kind, item))
        header_dateline = self._header_dateline
        header = {self.byline(), header_dateline.raw if header_dateline else None, self.headline_text}
        paragraphs = [text for text in text_blocks(kept) if text not in header]
        end = _WIRE_DATELINE_END.search(paragraphs[0]) if paragraphs and not header_dateline else None
        dateline = parse_dateline(paragraphs[0][: end.start()]) if end else None
        if end is None or dateline is None or dateline.agency is None or dateline.date is None:
            return None, paragraphs
        self.notes.append("dateline: none in the header, read from the start of the body")
        rest = paragraphs[0][end.end() :]
        return dateline, [rest, *paragraphs[1:]] if rest else paragraphs[1:]

    def images(self, base_url: str) -> list[Image]:
        """og:image first, then the body's pictures, each with the caption that follows it in its
        block; a body copy of the lead picture (another size, same name) lends it its caption."""
        page, region = self.page, self.body_region[0]
        lead = http_url(base_url, page.meta("og:image"))
        images = {_picture_key(lead): Image(url=lead, caption=None)} if lead else {}
        taken: set[Any] = set()
        for picture, captions in self._captions.items():
            src = http_url(base_url, _picture_source(picture))
            if src:
                known = images.setdefault(_picture_key(src), Image(url=src, caption=None))
                unmarked = self.unmarked_captions.get(picture, (None,))[0]
                taken.update(captions)
                known.caption = known.caption or self._caption_text(captions) or unmarked
        # A caption before its picture, or with none: which picture it is of is not known.
        lost = [
            item
            for _, kind, item in page.visible(region.start, region.stop)
            if kind == "start" and has_class(item, self.caption_class) and item not in taken
        ]
        if self._caption_text(lost):
            self.notes.append("images: a caption-class line no picture before it takes, not stored")
        return list(images.values())

    def _caption_text(self, captions: list[Any]) -> str | None:
        texts = (clean_text(self.page.text_of(caption, self.body_region[0].stop)) for caption in captions)
        return " ".join(filter(None, texts)) or None

    @cached_property
    def _captions(self) -> dict[Any, list[Any]]:
        """Each picture of the body, in order, with the caption-class elements after it in its block
        (a link around it left too), a photo credit the second; the block is the picture's own table
        when it is in a cell of one (the caption in the next row), not the layout's table around
        the body."""
        page, region = self.page, self.body_region[0]
        found: dict[Any, list[Any]] = {}
        for picture in page.entered(region.start, region.stop, "img"):
            block = _block_of(picture)
            if block is not None and block.tag == "td":
                table = next(picture.iterancestors("table"), None)
                block = table if table is not None and page.start.get(table, -1) >= region.start else block
            found[picture] = []
            for _, kind, item in page.visible(page.end[picture] + 1, region.stop):
                if (kind == "end" and item is block) or (kind == "start" and item.tag == "img"):
                    break
                if kind == "start" and has_class(item, self.caption_class):
                    found[picture].append(item)
        return found

    @cached_property
    def unmarked_captions(self) -> dict[Any, tuple[str, int]]:
        """Captions without the caption class (RECONSTRUCTED), noted: of a picture that opens its
        block, the one short line after its line break that ends the block. Picture: (caption, end)."""
        page, region = self.page, self.body_region[0]
        found = {}
        for picture, captions in self._captions.items():
            block = _block_of(picture)
            if (
                _picture_source(picture) is None
                or block not in page.start
                or self._caption_text(captions) is not None
            ):
                continue
            end = min(page.end.get(block, len(page.events)), region.stop)
            # A caption's line is a few events: looking no further keeps a page of pictures linear.
            before = list(islice(page.visible(page.start[block] + 1, page.start[picture]), CAPTION_EVENTS))
            after = list(islice(page.visible(page.end[picture] + 1, end), CAPTION_EVENTS))
            short = len(after) < CAPTION_EVENTS and len(before) < CAPTION_EVENTS
            while after and (after[0][1] == "end" or (after[0][1] == "text" and not after[0][2].strip())):
                after.pop(0)  # the link around the picture, white space
            line = after[2:] if after and after[0][1] == "start" and after[0][2].tag == "br" else []
            text = clean_text("".join(item for _, kind, item in line if kind == "text"))
            one_line = not _text_or_line_break([event for event in line if event[1] != "text"])
            if short and not _text_or_line_break(before) and 0 < len(text) <= CAPTION_CHARS and one_line:
                found[picture] = (text, end)
        if found:
            self.notes.append("images: a caption without the caption class, the line after its picture")
        return found

    def related_anchors(self) -> list[Any]:
        """The links from the Related Links heading to the donation box, the next section label or
        the footer; none when no heading is there."""
        page, start = self.page, self.body_region[1]
        found = page.find(self.related_block_end, start)
        end = found[0] if found is not None else page.reach(start, RELATED_REACH)
        text = "".join(item for _, kind, item in page.visible(start, end) if kind == "text")
        if not self.related_heading.search(text):
            return []
        if found is None:
            self.notes.append(f"related_links: no end of the block found, took {RELATED_REACH} characters")
        anchors = page.entered(start, end, "a")
        # The teaser of the section's previous article (VERIFIED: headline, dateline, text, "read
        # more") can follow the links with no marker before it: its headline links where "read more" does.
        teaser = {a.get("href") for a in anchors if _READ_MORE.match(page.text_of(a))}
        return [anchor for anchor in anchors if anchor.get("href") not in teaser]

    def related_links(self, base_url: str) -> list[RelatedLink]:
        links, page = [], self.page
        for anchor in self.related_anchors():
            # An anchor in raw text (a selector can find one in a script) is not part of the page.
            text = clean_text(page.text_of(anchor)) or alt_text(anchor) if anchor in page.start else ""
            url = http_url(base_url, anchor.get("href"))
            if text and url and text.lower() != "related links":
                links.append(RelatedLink(text=text, url=canonical_url(url)))
        return links


def _joined_byline(byline: str | None, line: str) -> str:
    """The header's bylines as one: a further one joined when it names someone of its own ("By Laure
    FILLON", "By Issam AHMED"), so that every author is read."""
    if byline is None:
        return line
    more = parse_byline(line) if line != byline else None
    return f"{byline}, {line}" if more and more.authors else byline


def _text_or_line_break(events: list[tuple[int, str, Any]]) -> bool:
    """Whether visible events hold text, or start a line break, a picture or a block."""
    return any(
        item.strip()
        if kind == "text"
        else kind == "start" and (item.tag in ("br", "img") or item.tag in BLOCK_TAGS)
        for _, kind, item in events
    )


def _block_of(element: Any) -> Any:
    """The nearest block element around `element` (its paragraph, or the cell it is in)."""
    return next((ancestor for ancestor in element.iterancestors() if ancestor.tag in BLOCK_TAGS), None)


def _picture_source(picture: Any) -> str | None:
    """The picture's address as written, a lazy one's (data-src, data-original, srcset) before its
    placeholder src (a spacer, a data: URL); None for none or for no picture of the article."""
    srcset = (picture.get("srcset") or "").split(",")[0].split()
    for url in (picture.get("data-src"), picture.get("data-original"), picture.get("src"), *srcset[:1]):
        url = (url or "").strip()
        if url and not url.lower().startswith("data:") and not NON_ARTICLE_PICTURE.search(url):
            return url
    return None


def _picture_key(url: str) -> str:
    name = url.partition("#")[0].partition("?")[0].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return _PICTURE_SIZE_SUFFIX.sub("", name).lower()


LAYOUTS: tuple[type[Layout2022], ...] = (Layout2022,)


def choose_layout(page: Page, layouts: Sequence[type[Layout2022]], notes: list[str]) -> Layout2022 | None:
    """The version that reads the page (`layouts` oldest first), or None when none finds an article."""
    readings = (layout(page) for layout in reversed(layouts))
    found = next((reading for reading in readings if reading.is_article), None)
    if found is None:
        return None
    dated = layout_for(found.dateline(), layouts)
    if dated is not type(found):
        again = dated(page)
        if again.is_article:
            return again
        notes.append(f"layout: dated for layout {dated.name} but fits layout {found.name}")
    return found


def layout_for(dateline: Dateline | None, layouts: Sequence[type[Layout2022]]) -> type[Layout2022]:
    """The version valid on the dateline's day; the newest when the page has no date."""
    day = dateline.date.isoformat() if dateline and dateline.date else None
    return ([layout for layout in layouts if day is None or layout.valid_from <= day] or [layouts[0]])[-1]
