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

import lxml.html

from newsbot.parsing.dateline import parse_dateline
from newsbot.parsing.html import BLOCK_TAGS, clean_text, decode_html, drop_noise, http_url, parse_fragment
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
    root = parse_fragment(decoded.text)
    drop_noise(root)
    tokens = list(_tokens(root))
    page = ListingPage(url=url, notes=list(decoded.notes))
    page.entries = _entries(tokens, url)
    page.pagination = _pagination(tokens, url, section_slug)
    if not page.entries:
        page.notes.append("listing: no article links found")
    return page


def find_nav_link(url: str, body: bytes | str, wanted: str, *, content_type: str | None = None) -> str | None:
    """The same-site, non-article link whose text or page name is `wanted` (a section label or slug)."""
    key = _key(wanted)
    root = parse_fragment(decode_html(body, content_type).text)
    registry = load_registry()
    site = registry.site_for_url(url)
    for anchor in root.iter("a"):
        href = http_url(url, anchor.get("href"))
        if not href or registry.site_for_url(href) != site or registry.is_article_url(href):
            continue
        page_name = urlsplit(href).path.rsplit("/", 1)[-1].removesuffix(".html")
        if key in (_key(anchor.text_content()), _key(page_name)):
            return canonical_url(href)
    return None


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", (text or "").lower())


def _tokens(root: lxml.html.HtmlElement) -> Iterator[_Token]:
    """The page flattened to text, links and breaks, in reading order.

    Iterative (a stack of elements entered and left), so no nesting depth exhausts the Python stack.
    """
    stack: list[tuple[lxml.html.HtmlElement, bool]] = [(root, True)]
    while stack:
        element, entering = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else ""
        if entering:
            if tag == "a":
                yield _Token("link", clean_text(element.text_content()), element.get("href"))
                stack.append((element, False))
                continue
            if tag in BLOCK_TAGS or tag == "br":
                yield _Token("break")
            if element.text and tag:
                yield _Token("text", element.text)
            stack.append((element, False))
            stack.extend((child, True) for child in reversed(element))
        else:
            if tag in BLOCK_TAGS:
                yield _Token("break")
            if element.tail:
                yield _Token("text", element.tail)


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


def _dateline_and_teaser(region: list[_Token], base_url: str, article_url: str):
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
