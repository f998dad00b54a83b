"""The article page parser: URL and page bytes in, ArticleItem out. Knows nothing of Scrapy.

It leans on the markers ANATOMY.md rates VERIFIED or STRONG (the h1, og:url, og:image, the
`span.BHS` dateline, the body comments) and on text patterns (datelines, bylines); where a
RECONSTRUCTED detail differs on a live page it falls back and records the fallback in `notes`, so a
run against the live sites shows at once what to fix.

The markers and the steps that use them belong to a layout version (`layouts.Layout2022`); a
template redesign is a subclass, chosen per page by fit and by the page's date (see layouts.py).
"""

from __future__ import annotations

import hashlib
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from newsbot.item import ArticleItem
from newsbot.parsing.article.body import lead_image, merge_images
from newsbot.parsing.article.head import Head, canonical_article_url, fallback_title
from newsbot.parsing.article.layouts import LAYOUTS, Layout2022, choose_layout
from newsbot.parsing.byline import parse_byline
from newsbot.parsing.encoding import decode_html
from newsbot.parsing.links import PLAIN_ORIGIN
from newsbot.parsing.text import collapse_spaces
from newsbot.parsing.tree import parse_page

__all__ = [
    "LAYOUTS",
    "Layout2022",
    "ListingContext",
    "ParseError",
    "content_hash",
    "parse_article",
    "utc_now",
]


class ParseError(ValueError):
    """The input cannot become an item at all (for example: no URL known for the page)."""


@dataclass(frozen=True)
class ListingContext:
    """What a section entry or feed item said about the article before it was fetched."""

    section: str | None = None
    summary: str | None = None


# What a page fetched on its own knows from no listing: made once, as a frozen dataclass's __init__
# costs a call of object.__setattr__ per field.
_NO_CONTEXT = ListingContext()


def parse_article(
    url: str | None,
    body: bytes | str,
    *,
    content_type: str | None = None,
    context: ListingContext | None = None,
    scraped_at: str | None = None,
    layouts: Sequence[Layout2022] = LAYOUTS,
) -> ArticleItem | None:
    """Parse one article page; None when the page is not an article (a section or home page).

    `url` is the URL the page was fetched from; the page's own og:url wins when it names an article
    of the network. Raises ParseError only when no URL at all is known for an article page.
    `layouts` are the template versions to read it with, oldest first (see layouts.py).
    """
    decoded = decode_html(body, content_type)
    html = decoded.text
    notes: list[str] = list(decoded.notes)
    # The page is parsed once; every marker and region is found in that one tree.
    root = parse_page(html, utf8=decoded.utf8)
    head = Head(root, html)

    article_url = canonical_article_url(head, url, notes)
    layout_notes: list[str] = []
    fit = choose_layout(root, html, layouts, layout_notes)
    if fit is None:
        return None
    if article_url is None:
        if url is None:
            raise ParseError("the page names no og:url and no URL was given (use --url)")
        return None
    notes.extend(layout_notes)
    layout, header = fit.layout, fit.header
    notes.extend(header.notes)

    title = header.title or fallback_title(head, notes)
    if not title:
        notes.append("title: none found")
        return None

    body_region, related_start = layout.body_region(fit, notes)
    paragraphs, body_images = layout.body_paragraphs(fit, body_region, article_url)
    images = merge_images(lead_image(head.meta("og:image"), article_url), body_images)
    related_links = layout.related_links(fit, layout.related_region(fit, related_start), article_url)

    context = context or _NO_CONTEXT
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
        site=_site(article_url),
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
        # The paragraphs are single-spaced and trimmed (clean_text): one word more than spaces. The
        # text holds the paragraphs' spaces and none more (they are joined by line breaks).
        word_count=text.count(" ") + len(paragraphs),
        language="en",
        content_hash=content_hash(text),
        scraped_at=scraped_at or utc_now(),
        notes=list(dict.fromkeys(notes)),
    )


def _site(article_url: str) -> str:
    """`(urlsplit(article_url).hostname or "").removeprefix("www.")`: the article's site."""
    plain = PLAIN_ORIGIN.match(article_url)
    if plain is not None:
        return plain.group(1).removeprefix("www.")
    return (urlsplit(article_url).hostname or "").removeprefix("www.")


def content_hash(body: str) -> str:
    """SHA-256 of the body folded so that syndicated copies hash alike.

    Copies of one agency story on sister sites differ at most in typography (curly or straight
    quotes, dashes, NBSP) and white space; the fold removes exactly those differences.
    """
    if body.isascii():
        # NFKC and the typography fold change no ASCII character, and casefold is lower there.
        folded = _collapse_paragraph_spaces(body.lower())
    else:
        if not unicodedata.is_normalized("NFKC", body):
            body = unicodedata.normalize("NFKC", body)
        folded = _collapse_paragraph_spaces(_fold_typography(body.casefold()))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()


def _collapse_paragraph_spaces(text: str) -> str:
    """collapse_spaces(text), without splitting a body into words: a body is single-spaced
    paragraphs joined by blank lines. With those one space each, a text whose only white space is
    lone spaces between words is collapsed already; and it splits into the same words."""
    joined = text.replace("\n\n", " ")
    if "  " in joined or joined[:1] == " " or joined[-1:] == " ":
        return collapse_spaces(text)
    if joined.isascii():
        for space in _ASCII_SPACES_BUT_SPACE:
            if space in joined:
                return collapse_spaces(text)
        return joined
    # Every white space character but the space is unprintable.
    return joined if joined.isprintable() else collapse_spaces(text)


# What str.split() splits ASCII text at, the space aside.
_ASCII_SPACES_BUT_SPACE = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


# Curly quotes, dashes and NBSP folded to their plain forms: each a single character to another that
# is not folded itself.
_TYPOGRAPHY = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\xa0": " ",
}


def _fold_typography(text: str) -> str:
    """`text.translate` of _TYPOGRAPHY: replacing one character at a time gives the same text, since
    no replacement is itself replaced; and a translate through a mapping costs a dictionary look-up
    per character of the text, seven `in` scans (memchr) cost far less."""
    for character, plain in _TYPOGRAPHY.items():
        if character in text:
            text = text.replace(character, plain)
    return text


def utc_now() -> str:
    """The current time as the item's scraped_at: ISO 8601, seconds, UTC."""
    # Formatted once a second: strftime cost as much as reading a page's header.
    global _stamp
    second = int(time.time())
    stamp = _stamp
    if stamp[0] != second:
        stamp = _stamp = (second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return stamp[1]


# (second since the epoch, its scraped_at text): one tuple, so threads never see half an update.
_stamp: tuple[int, str] = (-1, "")
