"""What the page's <head> says: its og:url (the article's canonical URL), og:image, og:title, <title>."""

from __future__ import annotations

import re

import lxml.html

from newsbot.parsing.links import http_url
from newsbot.parsing.tree import html_text, parse_fragment
from newsbot.sites import load_registry
from newsbot.urls import canonical_url

_HEAD_END = re.compile(r"</head\s*>", re.I)
_TITLE_SUFFIX = re.compile(r"\s+[-|]\s+[A-Za-z-]+\.com\s*$")


def head_tree(html: str) -> lxml.html.HtmlElement:
    """The tree of the page's <head>, where og:url, og:image and <title> live; the whole page when
    the head is missing or holds no meta tags (parsing the head alone saves a tenth of a parse)."""
    head_end = _HEAD_END.search(html)
    if head_end is not None:
        head = parse_fragment(html[: head_end.end()])
        if next(head.iter("meta"), None) is not None:
            return head
    return parse_fragment(html)


def meta_content(root: lxml.html.HtmlElement, prop: str) -> str | None:
    """The content of the first non-empty `<meta property|name=prop>`."""
    for element in root.iter("meta"):
        if (element.get("property") or element.get("name") or "").lower() == prop:
            content = (element.get("content") or "").strip()
            if content:
                return content
    return None


def canonical_article_url(root: lxml.html.HtmlElement, url: str | None, notes: list[str]) -> str | None:
    """The page's og:url when it names a network article, else the fetched URL when that does."""
    registry = load_registry()
    declared = meta_content(root, "og:url")
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


def fallback_title(root: lxml.html.HtmlElement, notes: list[str]) -> str | None:
    """og:title, else <title> without its " - Site.com" suffix, for a page without a headline."""
    for source, value in (("og:title", meta_content(root, "og:title")), ("<title>", _title_element(root))):
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
