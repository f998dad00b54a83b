"""What the page's <head> says: its og:url (the article's canonical URL), og:image, og:title, <title>."""

from __future__ import annotations

import re
from bisect import bisect_right

from lxml import etree

from newsbot.parsing.links import http_url
from newsbot.parsing.tree import html_text
from newsbot.registry import load_registry
from newsbot.registry.urls import canonical_url

_HEAD_END = re.compile(r"</head\s*>", re.I)
_TITLE_SUFFIX = re.compile(r"\s+[-|]\s+[A-Za-z-]+\.com\s*$")


# A page with fewer characters than this has fewer line breaks, and so has the markup parse_page
# gives libxml2 (it only takes characters out): libxml2 keeps each of its line numbers as it is (it
# stores up to 65534; past that 65535, and sourceline then guesses from the node's neighbours).
_EXACT_LINES = 65_000


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
            exact = len(html) < _EXACT_LINES
            in_head = _at_or_above(metas, last_line, exact=exact)
            if in_head:
                metas = in_head
                titles = _at_or_above(titles, last_line, exact=exact)
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


def _at_or_above(elements: list[etree._Element], last_line: int, *, exact: bool) -> list[etree._Element]:
    """`[e for e in elements if (e.sourceline or 0) <= last_line]` for elements in document order;
    with `exact` line numbers, a sourceline read for the last one and a bisection, not for each.

    libxml2 builds the tree in source order, each node appended after every node made before it and
    numbered with the parser's current line, which never goes back: in document order the line
    numbers never go down (while they are exact, see _EXACT_LINES), so those at or above a line
    are a leading run.
    """
    if not exact:
        return [element for element in elements if (element.sourceline or 0) <= last_line]
    if not elements or (elements[-1].sourceline or 0) <= last_line:
        return elements
    return elements[: bisect_right(elements, last_line, hi=len(elements) - 1, key=_line)]


def _line(element: etree._Element) -> int:
    return element.sourceline or 0


def canonical_article_url(head: Head, url: str | None, notes: list[str]) -> str | None:
    """The page's og:url when it names a network article, else the fetched URL when that does."""
    declared = head.meta("og:url")
    # Only an absolute og:url counts; percent-encoded, as the URL of a request for it would be.
    article_url = _network_article_url(http_url(declared, declared)) if declared else None
    if article_url is not None:
        return article_url
    article_url = _network_article_url(http_url(url, url)) if url else None
    if article_url is not None:
        if declared:
            notes.append("url: og:url is not a network article URL, used the fetched URL")
        else:
            notes.append("url: no og:url, used the fetched URL")
        return article_url
    return None


# A URL that urlsplit splits as this pattern does: a lower-case http(s) scheme and host (no port, no
# userinfo), a path of printable ASCII, then any query and fragment; nothing that urlsplit strips
# or removes (white space, tabs, line breaks), so canonical_url's strip() changes nothing either.
_SIMPLE_URL = re.compile(r"https?://([a-z0-9.-]+)(/[!\"$->@-~]*)(?:[?#][!-~]*)?")


def _network_article_url(url: str | None) -> str | None:
    """`canonical_url(url)` when `registry.is_article_url(url)`, else None; for the URL http_url
    gives, which is nearly always simple enough to split once (_SIMPLE_URL) instead of three times."""
    if not url:
        return None
    registry = load_registry()
    simple = _SIMPLE_URL.fullmatch(url)
    if simple is None:
        return canonical_url(url) if registry.is_article_url(url) else None
    host, path = simple.groups()
    # is_article_url: the host's site (site_for_url's lookup) and the path; canonical_url: a site's
    # host is a network host, and the path starts with "/".
    if registry.site_for_host(host) is None or not registry.is_article_path(path):
        return None
    return f"https://www.{host.removeprefix('www.')}{path}"


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
