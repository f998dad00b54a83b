"""The article body: where it starts and ends, its paragraphs and pictures, its Related Links.

Functions here read index ranges of the page's one parse (a `Document`) and take the layout's
markers as arguments, so that a layout class can call them with its own markers or replace one of
them for a template that changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from newsbot.item import Image, RelatedLink
from newsbot.parsing.article.header import Header
from newsbot.parsing.events import END, ENTER, LEAVE, OPAQUE_TAGS, TEXT, Document
from newsbot.parsing.links import canonical_link, http_url
from newsbot.parsing.markers import Marker, first_marker
from newsbot.parsing.text import clean_text, collapse_spaces
from newsbot.parsing.tree import has_class

# Pictures that are not pictures of the article: sponsors, spacers, ad pixels.
NON_ARTICLE_PICTURE = re.compile(r"/sponsors/|/(?:black|white|spacer|blank|pixel)\.(?:jpe?g|gif|png)$", re.I)
_OPAQUE = frozenset(OPAQUE_TAGS)
# Left out of the paragraphs (pictures are items of their own).
_PICTURE_TAGS = frozenset({"img"})
_PICTURE_SIZE_SUFFIX = re.compile(r"-(?:hg|lg|bg|sm|th|md)$", re.I)
# The elements whose end, right after the dateline, still belongs to the header.
_CLOSING_AFTER_HEADER = frozenset({"span", "div", "td", "p", "b", "font"})
# How much text the related block runs over when nothing ends it, and how much text after the
# headline the dateline is looked for in when the body start marker is missing.
RELATED_REACH = 4000
HEADER_TEXT_REACH = 5000


def body_start_fallback(doc: Document, headline: int | None, header: Header, notes: list[str]) -> int:
    """Where the body starts when its start marker is missing: after the dateline (else the
    byline), else after the headline (entered at index `headline`)."""
    start = doc.leave_index(headline) + 1 if headline is not None else 0
    after_header = end_of_header_text(doc, start, header)
    if after_header is not None:
        notes.append("body: start marker missing, started after the dateline")
        return after_header
    notes.append("body: start marker missing, started after the headline")
    return start


def end_of_header_text(doc: Document, start: int, header: Header) -> int | None:
    """The index after the dateline's (else the byline's) last word and the element it closes."""
    text = header.dateline.raw if header.dateline else header.byline
    if not text:
        return None
    target = collapse_spaces(text)
    seen: list[str] = []
    length = 0
    for index, kind, item in doc.visible(start, END):
        if kind != TEXT:
            # Tags separate words as white space does.
            seen.append(" ")
            continue
        seen.append(item)
        length += len(item)
        if target in collapse_spaces("".join(seen)):
            after = index + 1
            closes = doc.has(after) and doc.kinds[after] == LEAVE
            if closes and doc.items[after].tag in _CLOSING_AFTER_HEADER:
                return after + 1
            return after
        if length > HEADER_TEXT_REACH:
            return None
    return None


def body_end(
    doc: Document,
    start: int,
    *,
    end_marker: Marker,
    fallbacks: Sequence[tuple[str, Marker]],
    notes: list[str],
) -> tuple[int, int]:
    """The end of the body and where the Related Links block may start (after the end marker)."""
    found = first_marker(doc, start, END, [("end marker", end_marker)])
    if found is not None:
        return found[0], found[0] + 1
    fallback = first_marker(doc, start, END, fallbacks)
    if fallback is not None:
        notes.append(f"body: end marker missing, ended at the {fallback[1]}")
        return fallback[0], fallback[0]
    notes.append("body: end marker missing, ran to the end of the page")
    end = doc.end()
    return end, end


def related_region(
    doc: Document, start: int, *, block_end: Sequence[tuple[str, Marker]], heading: re.Pattern[str]
) -> range:
    """From the Related Links heading to the donation box, the next section label or the footer;
    an empty range when no heading is there."""
    found = first_marker(doc, start, END, block_end)
    end = found[0] if found is not None else _text_reach(doc, start, RELATED_REACH)
    if doc.find_text(start, end, heading) is not None:
        return range(start, end)
    return range(start, start)


def _text_reach(doc: Document, start: int, reach: int) -> int:
    seen = 0
    for index, kind, item in doc.visible(start, END):
        if kind == TEXT:
            seen += len(item)
            if seen > reach:
                return index
    return doc.end()


def body_paragraphs(
    doc: Document, region: range, base_url: str, header: Header, *, caption_class: str
) -> tuple[list[str], list[Image]]:
    """The body's paragraphs and its pictures (with their captions); header lines are left out."""
    images: list[Image] = []
    for index in doc.entered(region.start, region.stop, "img"):
        src = http_url(base_url, doc.items[index].get("src"))
        if src and not _is_non_article_picture(src):
            images.append(Image(url=src, caption=caption_after(doc, index, region.stop, caption_class)))

    # In a fallback the header lines may sit inside the region: they are not body text.
    header_lines = {header.byline, header.dateline.raw if header.dateline else None, header.title}
    blocks = doc.blocks(region.start, region.stop, skip_tags=_PICTURE_TAGS, skip_class=caption_class)
    if header_lines.isdisjoint(blocks):
        # The usual page: one test in C, where the filter costs a comprehension's frame and a step
        # per paragraph.
        return blocks, images
    return [text for text in blocks if text not in header_lines], images


# NON_ARTICLE_PICTURE's file names, as the URL's end.
_NON_ARTICLE_NAMES = tuple(
    f"/{name}.{extension}"
    for name in ("black", "white", "spacer", "blank", "pixel")
    for extension in ("jpg", "jpeg", "gif", "png")
)


def _is_non_article_picture(src: str) -> bool:
    """`NON_ARTICLE_PICTURE.search(src)`: for the ASCII URLs http_url gives, a lowering, a scan and
    a suffix test, at a third of the cost of the case-insensitive search (which tries its
    alternatives at each of the URL's characters)."""
    if src.isascii() and src[-1:] != "\n":
        # Its `$` can then only be the end of the URL, and its letters only match their ASCII cases.
        lowered = src.lower()
        return "/sponsors/" in lowered or lowered.endswith(_NON_ARTICLE_NAMES)
    return NON_ARTICLE_PICTURE.search(src) is not None


def caption_after(doc: Document, img: int, end: int, caption_class: str) -> str | None:
    """The caption element that follows the picture entered at `img` in the same block, if any."""
    # The elements after the picture in its parent, in document order, up to the next picture: the
    # walk stops there or where the parent ends, so many pictures in one block stay linear.
    parent = doc.items[img].getparent()
    tags = doc.tags
    for index, kind, item in doc.visible(doc.leave_index(img) + 1, end):
        if kind != ENTER:
            if kind == LEAVE and item is parent:
                return None
            continue
        if tags[index] == "img":
            return None
        if has_class(item, caption_class):
            return clean_text(_inner_text(doc, index, end)) or None
    return None


def _inner_text(doc: Document, enter: int, end: int) -> str:
    """`doc.inner_text(enter, end)`: an element without children (a link, most captions) holds its
    own text and nothing else, read without looking for its end among the events."""
    element = doc.items[enter]
    if len(element) or doc.tags[enter] in _OPAQUE:
        return doc.inner_text(enter, end)
    # Its events: its entering, its text (when it has one), its leaving; `end` may cut the text.
    return (element.text or "") if enter + 1 < end else ""


def lead_image(og_image: str | None, base_url: str) -> list[Image]:
    url = http_url(base_url, og_image) if og_image else None
    return [Image(url=url, caption=None)] if url else []


def _picture_key(url: str) -> str:
    # urlsplit(url).path's last segment: `url` comes from http_url, whose path is never empty, so
    # the last "/" before the query and fragment is in the path.
    path = url.partition("#")[0].partition("?")[0]
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if name.isascii() and name[-1:] != "\n":
        # _PICTURE_SIZE_SUFFIX.sub without the regex: its `$` can only be the end of such a name,
        # and its case-insensitive letters only match their ASCII cases.
        if name[-3:-2] == "-" and name[-2:].lower() in {"hg", "lg", "bg", "sm", "th", "md"}:
            name = name[:-3]
        return name.lower()
    return _PICTURE_SIZE_SUFFIX.sub("", name).lower()


def merge_images(lead: list[Image], body: list[Image]) -> list[Image]:
    """Lead picture first; a body copy of it (another size, same name) lends its caption."""
    merged = list(lead)
    if not body:
        return merged
    # A loop, not a comprehension: a comprehension's frame costs more than its one or two steps.
    keys: dict[str, Image] = {}
    for image in merged:
        keys[_picture_key(image.url)] = image
    for image in body:
        key = _picture_key(image.url)
        if key in keys:
            if keys[key].caption is None:
                keys[key].caption = image.caption
            continue
        keys[key] = image
        merged.append(image)
    return merged


def related_links(doc: Document, region: range, base_url: str) -> list[RelatedLink]:
    links = []
    for index in doc.entered(region.start, region.stop, "a"):
        text = clean_text(_inner_text(doc, index, region.stop))
        url = http_url(base_url, doc.items[index].get("href"))
        if text and url and text.lower() != "related links":
            links.append(RelatedLink(text=text, url=canonical_link(url)))
    return links
