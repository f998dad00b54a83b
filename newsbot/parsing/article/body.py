"""The article body: where it starts and ends, its paragraphs and pictures, its Related Links.

Functions here take the layout's markers as arguments, so that a layout class can call them with
its own markers or replace one of them for a template that changed.
"""

from __future__ import annotations

import re
from html import escape as html_escape
from urllib.parse import urlsplit

import lxml.html

from newsbot.item import Image, RelatedLink
from newsbot.parsing.article.header import Header, Headline
from newsbot.parsing.links import http_url
from newsbot.parsing.text import clean_text
from newsbot.parsing.tree import drop_noise, has_class, parse_fragment, text_blocks
from newsbot.urls import canonical_url

# Pictures that are not pictures of the article: sponsors, spacers, ad pixels.
NON_ARTICLE_PICTURE = re.compile(r"/sponsors/|/(?:black|white|spacer|blank|pixel)\.(?:jpe?g|gif|png)$", re.I)
_PICTURE_SIZE_SUFFIX = re.compile(r"-(?:hg|lg|bg|sm|th|md)$", re.I)
_CLOSING_AFTER_HEADER = re.compile(r"\s*</(?:span|div|td|p|b|font)>", re.I)
# How far the related block runs when nothing ends it.
RELATED_REACH = 4000


def body_bounds(
    scan: str,
    body_start: re.Match[str] | None,
    h1: Headline | None,
    header: Header,
    *,
    body_end: re.Pattern[str],
    body_end_fallbacks: tuple[tuple[str, re.Pattern[str]], ...],
    notes: list[str],
) -> tuple[int, int, int]:
    """(start, end) of the body and the start of what follows it, found in `scan`."""
    if body_start is not None:
        start = body_start.end()
    else:
        start = h1.end if h1 else 0
        after_header = end_of_header_text(scan, start, header)
        if after_header is not None:
            start = after_header
            notes.append("body: start marker missing, started after the dateline")
        else:
            notes.append("body: start marker missing, started after the headline")
    end_match = body_end.search(scan, start)
    if end_match is not None:
        return start, end_match.start(), end_match.end()
    found = [(m.start(), name) for name, pattern in body_end_fallbacks if (m := pattern.search(scan, start))]
    if found:
        end, name = min(found)
        notes.append(f"body: end marker missing, ended at the {name}")
    else:
        end = len(scan)
        notes.append("body: end marker missing, ran to the end of the page")
    return start, end, end


def end_of_header_text(html: str, start: int, header: Header) -> int | None:
    """Where the dateline (else the byline) ends in the raw HTML; tags and entities may sit between words."""
    text = header.dateline.raw if header.dateline else header.byline
    if not text:
        return None
    gap = r"(?:\s|&nbsp;|&#160;|<[^>]*>)+"
    pattern = gap.join(re.escape(html_escape(word, quote=False)) for word in text.split())
    match = re.search(pattern, html[start : start + 5000])
    if match is None:
        return None
    end = start + match.end()
    closing = _CLOSING_AFTER_HEADER.match(html, end)
    return closing.end() if closing else end


def related_bounds(
    scan: str, start: int, *, block_end: re.Pattern[str], heading: re.Pattern[str]
) -> tuple[int, int]:
    """From the Related Links heading to the donation box, the next section label or the footer;
    an empty span when no heading is there."""
    match = block_end.search(scan, start)
    end = match.start() if match else min(len(scan), start + RELATED_REACH)
    return (start, end) if heading.search(scan, start, end) else (start, start)


def body_paragraphs(
    body_html: str, base_url: str, header: Header, *, caption_class: str
) -> tuple[list[str], list[Image]]:
    """The body's paragraphs and its pictures (with their captions); header lines are left out."""
    root = parse_fragment(f"<div>{body_html}</div>")
    drop_noise(root)
    images: list[Image] = []
    for img in list(root.iter("img")):
        src = http_url(base_url, img.get("src"))
        if src and not NON_ARTICLE_PICTURE.search(src):
            images.append(Image(url=src, caption=caption_after(img, caption_class)))
        img.drop_tree()
    for caption in [e for e in root.iter() if has_class(e, caption_class)]:
        caption.drop_tree()
    # In a fallback the header lines may sit inside the slice: they are not body text.
    header_lines = {header.byline, header.dateline.raw if header.dateline else None, header.title}
    paragraphs = [text for text in text_blocks(root) if text not in header_lines]
    return paragraphs, images


def caption_after(img: lxml.html.HtmlElement, caption_class: str) -> str | None:
    """The caption element that follows a picture in the same block, if any."""
    # The elements after the picture in its parent, in document order, up to the next picture. Not
    # `parent.iter()` from the start: with many pictures in one block that walk was quadratic.
    for sibling in img.itersiblings():
        for element in sibling.iter():
            if element.tag == "img":
                return None
            if has_class(element, caption_class):
                return clean_text(element.text_content()) or None
    return None


def lead_image(og_image: str | None, base_url: str) -> list[Image]:
    url = http_url(base_url, og_image) if og_image else None
    return [Image(url=url, caption=None)] if url else []


def _picture_key(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return _PICTURE_SIZE_SUFFIX.sub("", name).lower()


def merge_images(lead: list[Image], body: list[Image]) -> list[Image]:
    """Lead picture first; a body copy of it (another size, same name) lends its caption."""
    merged = list(lead)
    keys = {_picture_key(image.url): image for image in merged}
    for image in body:
        key = _picture_key(image.url)
        if key in keys:
            if keys[key].caption is None:
                keys[key].caption = image.caption
            continue
        keys[key] = image
        merged.append(image)
    return merged


def related_links(related_html: str, base_url: str) -> list[RelatedLink]:
    if not related_html:
        return []
    root = parse_fragment(f"<div>{related_html}</div>")
    drop_noise(root)
    links = []
    for anchor in root.iter("a"):
        text = clean_text(anchor.text_content())
        url = http_url(base_url, anchor.get("href"))
        if text and url and text.lower() != "related links":
            links.append(RelatedLink(text=text, url=canonical_url(url)))
    return links
