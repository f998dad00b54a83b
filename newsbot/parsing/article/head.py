"""What the page's <head> says: its og:url (the article's canonical URL), og:image, og:title, <title>."""

from __future__ import annotations

import re

from lxml import etree

from newsbot.parsing.links import http_url
from newsbot.parsing.tree import html_text
from newsbot.registry import load_registry
from newsbot.registry.urls import canonical_url

_HEAD_END = re.compile(r"</head\s*>", re.I)
_TITLE_SUFFIX = re.compile(r"\s+[-|]\s+[A-Za-z-]+\.com\s*$")


class Head:
    """The `<meta>` and `<title>` elements of the page's head: those above `</head>` in the source,
    or every one in the page when the head holds no meta tag (or there is no `</head>`)."""

    def __init__(self, root: etree._Element, html: str) -> None:
        metas: list[etree._Element] = []
        titles: list[etree._Element] = []
        for element in root.iter("meta", "title"):
            (metas if element.tag == "meta" else titles).append(element)
        head_end = _HEAD_END.search(html)
        if head_end is not None:
            last_line = html.count("\n", 0, head_end.end()) + 1
            in_head = [meta for meta in metas if (meta.sourceline or 0) <= last_line]
            if in_head:
                metas = in_head
                titles = [title for title in titles if (title.sourceline or 0) <= last_line]
        self.metas = metas
        self.title = titles[0] if titles else None

    def meta(self, prop: str) -> str | None:
        """The content of the first non-empty `<meta property|name=prop>`."""
        for element in self.metas:
            if (element.get("property") or element.get("name") or "").lower() == prop:
                content = (element.get("content") or "").strip()
                if content:
                    return content
        return None


def canonical_article_url(head: Head, url: str | None, notes: list[str]) -> str | None:
    """The page's og:url when it names a network article, else the fetched URL when that does."""
    registry = load_registry()
    declared = head.meta("og:url")
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


def fallback_title(head: Head, notes: list[str]) -> str | None:
    """og:title, else <title> without its " - Site.com" suffix, for a page without a headline."""
    title_text = _text_content(head.title) if head.title is not None else None
    for source, value in (("og:title", head.meta("og:title")), ("<title>", title_text)):
        # Both are raw text to the HTML parser: markup in them (`<title>A <b>B</b>`, an og:title
        # of `A &lt;b&gt;`) is markup, not text.
        title = _TITLE_SUFFIX.sub("", html_text(value)) if value else None
        if title:
            notes.append(f"title: no <h1>, used {source}")
            return title
    return None


def _text_content(element: etree._Element) -> str:
    return "".join(element.itertext(with_tail=False))
