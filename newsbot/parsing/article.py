"""The article page parser: URL and page bytes in, ArticleItem out. Knows nothing of Scrapy.

It leans on the markers ANATOMY.md rates VERIFIED or STRONG (the h1, og:url, og:image, the
`span.BHS` dateline, the body comments) and on text patterns (datelines, bylines); where a
RECONSTRUCTED detail differs on a live page it falls back and records the fallback in `notes`, so a
run against the live sites shows at once what to fix.

Layout versions live in `LAYOUTS` (the Fundus habit): when the template changes, a new version is
added beside the old one with the first day it is valid from, and older pages keep parsing with the
version that was valid at their date.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape as html_escape
from urllib.parse import urlsplit

import lxml.html

from newsbot.item import ArticleItem, Image, RelatedLink
from newsbot.parsing.dateline import MAX_DATELINE_CHARS, Dateline, parse_byline, parse_dateline
from newsbot.parsing.html import (
    NON_ARTICLE_PICTURE,
    clean_text,
    collapse_spaces,
    decode_html,
    drop_noise,
    has_class,
    html_text,
    http_url,
    mask_opaque,
    parse_fragment,
    text_blocks,
)
from newsbot.registry import load_registry
from newsbot.registry.urls import canonical_url


class ParseError(ValueError):
    """The input cannot become an item at all (for example: no URL known for the page)."""


@dataclass(frozen=True)
class ListingContext:
    """What a section entry or feed item said about the article before it was fetched."""

    section: str | None = None
    summary: str | None = None


_H1_OPEN = re.compile(r"<h1\b[^<>]{0,2000}>", re.I)
_H1_CLOSE = re.compile(r"</h1\s*>", re.I)


@dataclass(frozen=True)
class Markers:
    """The markup landmarks of one layout version."""

    name: str
    body_start: re.Pattern[str]
    body_end: re.Pattern[str]
    headline_open: re.Pattern[str] = _H1_OPEN
    headline_close: re.Pattern[str] = _H1_CLOSE
    dateline_class: str = "BHS"
    section_class: str = "BSection"
    caption_class: str = "caption"
    # Where the body ends when the end marker is missing: the first of these in the page.
    body_end_fallbacks: tuple[tuple[str, re.Pattern[str]], ...] = ()

    def is_marker(self, comment: str) -> bool:
        """Whether an HTML comment is one of the body markers (kept by mask_opaque)."""
        return bool(self.body_start.match(comment) or self.body_end.match(comment))


LAYOUT_2022 = Markers(
    name="2022",
    body_start=re.compile(r"<!--\s*body-2-incontainer\.php\s*-->[ \t]*\r?\n?", re.I),
    body_end=re.compile(r"<!--\s*RELATED LINKS\s*-->", re.I),
    body_end_fallbacks=(
        ("Related Links heading", re.compile(r"<b>\s*Related Links\s*</b>|>\s*Related Links\s*<", re.I)),
        ("donation box", re.compile(r"<div[^>]*class=\"?donate|Thanks for being here;", re.I)),
        ("comments line", re.compile(r"Comment using your Disqus", re.I)),
        ("footer", re.compile(r"Copyright 1995-\d{4}", re.I)),
    ),
)

# (first day valid, markers), oldest first. The version used for a page is the newest one whose
# first day is not after the page's date (its dateline); pages with no date use the newest version
# their markup fits.
#
# When the sites change their template, add the new version here and keep the old one: pages
# published before the change keep parsing as they did. For example, a redesign of 2027 that puts
# the headline in <div class="headline"> and renames the body comments:
#
#     LAYOUT_2027 = Markers(
#         name="2027",
#         body_start=re.compile(r"<!--\s*article-body\s*-->\r?\n?", re.I),
#         body_end=re.compile(r"<!--\s*article-end\s*-->", re.I),
#         headline_open=re.compile(r'<div class="headline">', re.I),
#         headline_close=re.compile(r"</div\s*>", re.I),
#         dateline_class="Dateline",
#     )
#     LAYOUTS = (("1995-01-01", LAYOUT_2022), ("2027-03-01", LAYOUT_2027))
#
# tests/test_layouts.py does exactly that and checks that each version parses its own pages. Give
# the new version its own extraction cases in tests/cases.
LAYOUTS: tuple[tuple[str, Markers], ...] = (("1995-01-01", LAYOUT_2022),)

_GLUED_WORD_BOUNDARY = re.compile(r"(?<=[a-z.])(?=[A-Z])")
_TITLE_SUFFIX = re.compile(r"\s+[-|]\s+[A-Za-z-]+\.com\s*$")
_READ_MORE = re.compile(r"\s*(?:\.\.\.|…)?\s*read more\s*$", re.I)
_PICTURE_SIZE_SUFFIX = re.compile(r"-(?:hg|lg|bg|sm|th|md)$", re.I)


@dataclass(frozen=True)
class _Headline:
    """Where the `<h1>` element is in the page: its whole extent and its content."""

    start: int
    end: int
    inner_start: int
    inner_end: int


def _find_headline(scan: str, markers: Markers) -> _Headline | None:
    """The first headline (`<h1>`) and its content, searched in the masked page (see mask_opaque).

    Two searches, not one `<h1>(.*?)</h1>`: that is quadratic when many `<h1>` are never closed, as it
    runs to the end of the page from each of them.
    """
    opening = markers.headline_open.search(scan)
    closing = markers.headline_close.search(scan, opening.end()) if opening else None
    if opening is None or closing is None:
        return None
    return _Headline(opening.start(), closing.end(), opening.end(), closing.start())


@dataclass
class _Header:
    section: str | None = None
    title: str | None = None
    byline: str | None = None
    dateline: Dateline | None = None
    notes: list[str] = field(default_factory=list)


def parse_article(
    url: str | None,
    body: bytes | str,
    *,
    content_type: str | None = None,
    context: ListingContext | None = None,
    scraped_at: str | None = None,
) -> ArticleItem | None:
    """Parse one article page; None when the page is not an article (a section or home page).

    `url` is the URL the page was fetched from; the page's own og:url wins when it names an article
    of the network. Raises ParseError only when no URL at all is known for an article page.
    """
    decoded = decode_html(body, content_type)
    html = decoded.text
    notes: list[str] = list(decoded.notes)
    root = _head_tree(html)

    article_url = _canonical_article_url(root, url, notes)
    found = _fit_layout(html, LAYOUTS[-1][1])
    for _, older in reversed(LAYOUTS[:-1]):
        if found.is_article:
            break
        found = _fit_layout(html, older)
    if not found.is_article:
        return None
    if article_url is None:
        if url is None:
            raise ParseError("the page names no og:url and no URL was given (use --url)")
        return None
    dated = _layout_for(found.header.dateline)
    if dated is not found.markers:
        again = _fit_layout(html, dated)
        if again.is_article:
            found = again
        else:
            notes.append(f"layout: dated for layout {dated.name} but fits layout {found.markers.name}")
    markers, scan, body_start, h1, header = (
        found.markers,
        found.scan,
        found.body_start,
        found.headline,
        found.header,
    )
    notes.extend(header.notes)

    title = header.title or _fallback_title(root, notes)
    if not title:
        notes.append("title: none found")
        return None

    body_html, related_html = _split_body(html, scan, body_start, h1, header, markers, notes)
    images = _lead_image(root, article_url)
    paragraphs, body_images = _body_paragraphs(body_html, article_url, markers, header)
    images = _merge_images(images, body_images)
    related_links = _related_links(related_html, article_url)

    context = context or ListingContext()
    section = header.section
    if section is None and context.section:
        section = context.section
        notes.append("section: taken from the listing, none on the page")
    dateline = header.dateline
    byline = parse_byline(header.byline) if header.byline else None
    if dateline is None:
        notes.append("dateline: none found")
    else:
        notes.extend(dateline.notes)
    if not paragraphs:
        notes.append("body: no paragraphs found")

    text = "\n\n".join(paragraphs)
    agency = (dateline.agency if dateline else None) or (byline.agency if byline else None)
    return ArticleItem(
        url=article_url,
        site=urlsplit(article_url).hostname.removeprefix("www."),
        title=title,
        section=section,
        byline=header.byline,
        authors=list(byline.authors) if byline else [],
        agency=agency,
        dateline=dateline.raw if dateline else None,
        dateline_place=dateline.place if dateline else None,
        date_published=dateline.date.isoformat() if dateline and dateline.date else None,
        paragraphs=paragraphs,
        body=text,
        summary=context.summary,
        images=images,
        related_links=related_links,
        # The paragraphs are single-spaced and trimmed (clean_text): one word more than spaces.
        word_count=sum(paragraph.count(" ") + 1 for paragraph in paragraphs),
        language="en",
        content_hash=content_hash(text),
        scraped_at=scraped_at or utc_now(),
        notes=_unique(notes),
    )


def content_hash(body: str) -> str:
    """SHA-256 of the body folded so that syndicated copies hash alike.

    Copies of one agency story on sister sites differ at most in typography (curly or straight
    quotes, dashes, NBSP) and white space; the fold removes exactly those differences.
    """
    folded = unicodedata.normalize("NFKC", body).casefold()
    folded = folded.translate(_TYPOGRAPHY)
    folded = collapse_spaces(folded)
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


_TYPOGRAPHY = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\xa0": " "}
)


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Fit:
    """A page read with one layout version's markers."""

    markers: Markers
    scan: str
    body_start: re.Match[str] | None
    headline: _Headline | None
    header: _Header

    @property
    def is_article(self) -> bool:
        return self.body_start is not None or (self.headline is not None and self.header.dateline is not None)


def _fit_layout(html: str, markers: Markers) -> _Fit:
    # Markers and the headline are searched in `scan`, where comments and script, style and other
    # raw-text content are blanked, and the page is sliced at the positions found (the same in both).
    scan = mask_opaque(html, markers.is_marker)
    body_start = markers.body_start.search(scan)
    headline = _find_headline(scan, markers)
    header = _parse_header(html, headline, body_start, markers)
    return _Fit(markers, scan, body_start, headline, header)


def _layout_for(dateline: Dateline | None) -> Markers:
    if dateline is None or dateline.date is None:
        return LAYOUTS[-1][1]
    day = dateline.date.isoformat()
    chosen = LAYOUTS[0][1]
    for valid_from, markers in LAYOUTS:
        if valid_from <= day:
            chosen = markers
    return chosen


def _canonical_article_url(root: lxml.html.HtmlElement, url: str | None, notes: list[str]) -> str | None:
    registry = load_registry()
    declared = _meta(root, "og:url")
    # Only an absolute og:url counts; percent-encoded, as the URL of a request for it would be.
    declared_url = http_url(declared, declared) if declared else None
    if declared_url and registry.is_article_url(declared_url):
        return canonical_url(declared_url)
    url = http_url(url, url) if url else None
    if url and registry.is_article_url(url):
        if declared:
            notes.append("url: og:url is not a network article URL, used the fetched URL")
        else:
            notes.append("url: no og:url, used the fetched URL")
        return canonical_url(url)
    return None


_HEAD_END = re.compile(r"</head\s*>", re.I)


def _head_tree(html: str) -> lxml.html.HtmlElement:
    """The tree of the page's <head>, where og:url, og:image and <title> live; the whole page when
    the head is missing or holds no meta tags (parsing the head alone saves a tenth of a parse)."""
    head_end = _HEAD_END.search(html)
    if head_end is not None:
        head = parse_fragment(html[: head_end.end()])
        if next(head.iter("meta"), None) is not None:
            return head
    return parse_fragment(html)


def _meta(root: lxml.html.HtmlElement, prop: str) -> str | None:
    for element in root.iter("meta"):
        if (element.get("property") or element.get("name") or "").lower() == prop:
            content = (element.get("content") or "").strip()
            if content:
                return content
    return None


def _parse_header(
    html: str, h1: _Headline | None, body_start: re.Match[str] | None, markers: Markers
) -> _Header:
    """Section label, headline, byline and dateline: the part of the page above the body."""
    header = _Header()
    if h1 is not None:
        header.title = html_text(html[h1.inner_start : h1.inner_end]) or None
        header.section = _section_label(html[: h1.start], markers)
        after_h1 = body_start is not None and body_start.start() >= h1.end
        end = body_start.start() if after_h1 else min(len(html), h1.end + 2000)
        region = html[h1.end : end]
    elif body_start is not None:
        header.notes.append("title: no <h1>")
        region = html[max(0, body_start.start() - 2000) : body_start.start()]
    else:
        return header

    root = parse_fragment(f"<div>{region}</div>")
    drop_noise(root)
    spans = [clean_text(e.text_content()) for e in root.iter("span") if has_class(e, markers.dateline_class)]
    lines = list(text_blocks(root, split_on_br=True))

    for text in spans:
        if header.dateline is None and not _is_byline(text):
            header.dateline = parse_dateline(text)
    for text in spans:
        if header.byline is None and _is_byline(text):
            header.byline, glued = _split_glued_dateline(text)
            if glued is not None and header.dateline is None:
                header.dateline = glued
                header.notes.append("dateline: glued to the byline, split off")
    if header.dateline is None:
        for text in lines:
            byline, glued = _split_glued_dateline(text) if _is_byline(text) else (text, None)
            candidate = glued or (None if _is_byline(text) else parse_dateline(text))
            if candidate is not None:
                header.dateline = candidate
                if glued is not None and header.byline is None:
                    header.byline = byline
                header.notes.append(
                    f"dateline: no span.{markers.dateline_class} dateline, found by text pattern"
                )
                break
    if header.byline is None:
        for text in lines:
            if _is_byline(text):
                header.byline, _ = _split_glued_dateline(text)
                header.notes.append(f"byline: no span.{markers.dateline_class} byline, found by text pattern")
                break
    return header


def _is_byline(text: str) -> bool:
    return bool(re.match(r"by\s", text, re.I))


def _split_glued_dateline(text: str) -> tuple[str, Dateline | None]:
    """Split `by AFP Staff WritersMoscow (AFP) Dec 30, 2022`, the form extracted text can show.

    Only boundaries in the last MAX_DATELINE_CHARS characters are tried: a longer tail is no
    dateline, and trying every boundary of a long line made this quadratic.
    """
    for boundary in _GLUED_WORD_BOUNDARY.finditer(text, max(0, len(text) - MAX_DATELINE_CHARS)):
        tail = text[boundary.start() :]
        dateline = parse_dateline(tail)
        if dateline is not None and dateline.date is not None:
            return clean_text(text[: boundary.start()]), dateline
    return text, None


def _section_label(above_h1: str, markers: Markers) -> str | None:
    root = parse_fragment(f"<div>{above_h1[-3000:]}</div>")
    drop_noise(root)
    labels = [clean_text(e.text_content()) for e in root.iter() if has_class(e, markers.section_class)]
    labels = [label for label in labels if label]
    return labels[-1] if labels else None


def _fallback_title(root: lxml.html.HtmlElement, notes: list[str]) -> str | None:
    for source, value in (("og:title", _meta(root, "og:title")), ("<title>", _title_element(root))):
        # Both are raw text to the HTML parser: markup in them (`<title>A <b>B</b>`, an og:title
        # of `A &lt;b&gt;`) is markup, not text.
        title = _TITLE_SUFFIX.sub("", html_text(value)) if value else None
        if title:
            notes.append(f"title: no <h1>, used {source}")
            return title
    return None


def _title_element(root: lxml.html.HtmlElement) -> str | None:
    element = next(root.iter("title"), None)
    return element.text_content() if element is not None else None


def _split_body(
    html: str,
    scan: str,
    body_start: re.Match[str] | None,
    h1: _Headline | None,
    header: _Header,
    markers: Markers,
    notes: list[str],
) -> tuple[str, str]:
    """The body's HTML and the Related Links block's HTML (positions found in `scan`)."""
    if body_start is not None:
        start = body_start.end()
    else:
        start = h1.end if h1 else 0
        after_header = _end_of_header_text(scan, start, header)
        if after_header is not None:
            start = after_header
            notes.append("body: start marker missing, started after the dateline")
        else:
            notes.append("body: start marker missing, started after the headline")
    end_match = markers.body_end.search(scan, start)
    if end_match is not None:
        end, related_start = end_match.start(), end_match.end()
    else:
        found = [
            (m.start(), name)
            for name, pattern in markers.body_end_fallbacks
            if (m := pattern.search(scan, start))
        ]
        if found:
            end, name = min(found)
            notes.append(f"body: end marker missing, ended at the {name}")
        else:
            end = len(html)
            notes.append("body: end marker missing, ran to the end of the page")
        related_start = end
    return html[start:end], _related_block(html, scan, related_start)


_CLOSING_AFTER_HEADER = re.compile(r"\s*</(?:span|div|td|p|b|font)>", re.I)


def _end_of_header_text(html: str, start: int, header: _Header) -> int | None:
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


_RELATED_BLOCK_END = re.compile(
    r"<div[^<>]*class=\"?donate|Thanks for being here;|class=\"?BSection|Copyright 1995", re.I
)
_RELATED_HEADING = re.compile(r"Related Links", re.I)


def _related_block(html: str, scan: str, start: int) -> str:
    """From the Related Links heading to the donation box, the next section label or the footer."""
    match = _RELATED_BLOCK_END.search(scan, start)
    end = match.start() if match else min(len(html), start + 4000)
    return html[start:end] if _RELATED_HEADING.search(scan, start, end) else ""


def _body_paragraphs(
    body_html: str, base_url: str, markers: Markers, header: _Header
) -> tuple[list[str], list[Image]]:
    root = parse_fragment(f"<div>{body_html}</div>")
    drop_noise(root)
    images: list[Image] = []
    for img in list(root.iter("img")):
        src = http_url(base_url, img.get("src"))
        if src and not NON_ARTICLE_PICTURE.search(src):
            images.append(Image(url=src, caption=_caption_after(img, markers)))
        img.drop_tree()
    for caption in [e for e in root.iter() if has_class(e, markers.caption_class)]:
        caption.drop_tree()
    # In a fallback the header lines may sit inside the slice: they are not body text.
    header_lines = {header.byline, header.dateline.raw if header.dateline else None, header.title}
    paragraphs = [text for text in text_blocks(root) if text not in header_lines]
    return paragraphs, images


def _caption_after(img: lxml.html.HtmlElement, markers: Markers) -> str | None:
    """The caption element that follows a picture in the same block, if any."""
    # The elements after the picture in its parent, in document order, up to the next picture. Not
    # `parent.iter()` from the start: with many pictures in one block that walk was quadratic.
    for sibling in img.itersiblings():
        for element in sibling.iter():
            if element.tag == "img":
                return None
            if has_class(element, markers.caption_class):
                return clean_text(element.text_content()) or None
    return None


def _lead_image(root: lxml.html.HtmlElement, base_url: str) -> list[Image]:
    og_image = _meta(root, "og:image")
    url = http_url(base_url, og_image) if og_image else None
    return [Image(url=url, caption=None)] if url else []


def _picture_key(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return _PICTURE_SIZE_SUFFIX.sub("", name).lower()


def _merge_images(lead: list[Image], body: list[Image]) -> list[Image]:
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


def _related_links(related_html: str, base_url: str) -> list[RelatedLink]:
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


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


Parser = Callable[..., ArticleItem | None]
