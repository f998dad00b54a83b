"""Section and home page parsers: which articles a listing names, and where its other pages are.

Entry markup and pagination are RECONSTRUCTED (ANATOMY.md), so discovery does not depend on them:
an entry is any network link whose path is an article path, its headline is the link's text, its
dateline is the first dateline-shaped line after it and its teaser the text up to "read more".
Other pages of a listing are found by URL shape (`<slug>-02.html`) and by link text ("older",
"next", page numbers).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from newsbot.parsing.dateline import Dateline, parse_dateline
from newsbot.parsing.encoding import decode_html
from newsbot.parsing.links import http_url
from newsbot.parsing.text import clean_text
from newsbot.parsing.tree import BLOCK_TAGS, parse_html, visible, visible_text, walk
from newsbot.registry import load_registry
from newsbot.registry.urls import canonical_url

_READ_MORE = re.compile(r"^(?:\.\.\.|…)?\s*read more\W*$", re.I)
_TRAILING_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*$")
_PAGINATION_TEXT = re.compile(r"^(?:«|»|<|>|\s)*(?:older|newer|next|previous|prev|more|\d{1,3})\b", re.I)


@dataclass(frozen=True)
class ListingEntry:
    url: str
    title: str
    dateline: str | None = None
    date_published: str | None = None
    teaser: str | None = None


@dataclass
class ListingPage:
    url: str
    entries: list[ListingEntry] = field(default_factory=list)
    # Other pages of the same listing, with their page number when the URL shape tells it.
    pagination: list[tuple[str, int | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Token:
    kind: str  # "text", "link" or "break"
    text: str = ""
    href: str | None = None


def parse_listing_page(
    url: str, body: bytes | str, *, content_type: str | None = None, section_slug: str | None = None
) -> ListingPage:
    """The article entries of a section page (newest first, as listed) and its pagination links."""
    decoded = decode_html(body, content_type)
    tokens = list(_tokens(parse_html(decoded.text)))
    page = ListingPage(url=url, notes=list(decoded.notes))
    page.entries = _entries(tokens, url)
    page.pagination = _pagination(tokens, url, section_slug)
    if not page.entries:
        page.notes.append("listing: no article links found")
    return page


def _tokens(root: etree._Element) -> Iterator[_Token]:
    """The page flattened to text, links and breaks, in reading order (noise left out)."""
    events = list(walk(root))
    inside_link: etree._Element | None = None
    for _, kind, item in visible(events):
        if inside_link is not None:  # a link's text is its token's
            if kind == "end" and item is inside_link:
                inside_link = None
        elif kind == "text":
            yield _Token("text", item)
        elif kind == "start" and item.tag == "a":
            yield _Token("link", clean_text(visible_text(item)), item.get("href"))
            inside_link = item
        elif item.tag in BLOCK_TAGS or (kind == "start" and item.tag == "br"):
            yield _Token("break")


def _entries(tokens: list[_Token], base_url: str) -> list[ListingEntry]:
    registry = load_registry()
    headlines: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    for index, token in enumerate(tokens):
        if token.kind != "link" or not token.text or _READ_MORE.match(token.text):
            continue
        href = http_url(base_url, token.href)
        if not href or not registry.is_article_url(href):
            continue
        article_url = canonical_url(href)
        if article_url in seen:
            continue
        seen.add(article_url)
        headlines.append((index, article_url, token.text))

    entries = []
    for position, (index, article_url, title) in enumerate(headlines):
        end = headlines[position + 1][0] if position + 1 < len(headlines) else len(tokens)
        dateline, teaser = _dateline_and_teaser(tokens[index + 1 : end], base_url, article_url)
        entries.append(
            ListingEntry(
                url=article_url,
                title=title,
                dateline=dateline.raw if dateline else None,
                date_published=dateline.date.isoformat() if dateline and dateline.date else None,
                teaser=teaser,
            )
        )
    return entries


def _dateline_and_teaser(
    region: list[_Token], base_url: str, article_url: str
) -> tuple[Dateline | None, str | None]:
    """Split an entry's tokens into its dateline and its teaser (text up to "read more")."""
    lines: list[str] = []
    current: list[str] = []
    for token in region:
        if token.kind == "link":
            href = http_url(base_url, token.href)
            if _READ_MORE.match(token.text) or (href and canonical_url(href) == article_url):
                break
            current.append(token.text)
        elif token.kind == "break":
            lines.append(clean_text("".join(current)))
            current = []
        else:
            current.append(token.text)
    lines.append(clean_text("".join(current)))
    lines = [line for line in lines if line]
    dateline = None
    for position, line in enumerate(lines[:2]):
        dateline = parse_dateline(line)
        if dateline is not None:
            lines = lines[position + 1 :]
            break
    teaser = _TRAILING_ELLIPSIS.sub("", " ".join(lines)).strip() or None
    return dateline, teaser


def _pagination(
    tokens: list[_Token], base_url: str, section_slug: str | None
) -> list[tuple[str, int | None]]:
    registry = load_registry()
    site = registry.site_for_url(base_url)
    found: dict[str, int | None] = {}
    for token in tokens:
        if token.kind != "link":
            continue
        href = http_url(base_url, token.href)
        if not href or registry.site_for_url(href) != site or registry.is_article_url(href):
            continue
        path = urlsplit(href).path
        number = registry.section_page_number(path, section_slug) if section_slug else None
        if number is not None or _PAGINATION_TEXT.match(token.text):
            url = canonical_url(href)
            if url != canonical_url(base_url):
                found.setdefault(url, number)
    return list(found.items())
