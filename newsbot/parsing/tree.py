"""Pages as lxml trees and document-order events, text blocks out of them; no Scrapy inside.
`walk` is lxml's iterwalk with text and tails in place, `visible` leaves out noise and comments,
`text_blocks` splits the rest as a reader sees it. No walk recurses: no depth is too deep."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from lxml import etree

from newsbot.parsing.text import clean_text, http_url

# What browsers read as raw text, and libxml2 may still have parsed as markup: no event in there.
RAW_TEXT_TAGS = frozenset({
    "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title", "plaintext",
})  # fmt: skip
# Elements whose content is never article text: raw text, code, ads, forms.
NOISE_TAGS = RAW_TEXT_TAGS | {"object", "embed", "form", "select", "button", "ins", "template", "svg"}
# Elements that end a paragraph of text.
BLOCK_TAGS = frozenset({
    "p", "div", "center", "table", "tr", "td", "th", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "hr", "pre", "dl", "dt", "dd", "section", "article",
})  # fmt: skip
LINE_BREAK = "\u2028"
DOUBLE_BREAK = re.compile(LINE_BREAK + r"\s*" + LINE_BREAK)
# Where a block element ends text: a noncharacter, taken out of every page before it is parsed.
_BLOCK_END = "\uffff"

# An event: ("start", element), ("end", element), ("text", str) or ("comment", comment).
Event = tuple[str, Any]

_XML_DECLARATION = re.compile(r"^[\s\ufeff]*<\?xml[^>]*>")
# Removed before parsing: what lxml refuses in text and what clean_text removes, so that `<\x7fb>`,
# text to the parser, does not become the markup-like `<b>` when clean_text drops the DEL.
_UNPARSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x81\x8d\x8f\x90\x9d\ud800-\udfff\ufeff\ufffd\ufffe\uffff]"
)


def parse_html(html: str) -> etree._Element:
    """Parse a page or a fragment into a plain lxml tree (its root element); never raises. libxml2
    stops at 2048 levels of nesting and drops the rest of the page: such a page is parsed again
    through a parser target, which has no depth limit."""
    # An XML declaration is no text, and may name another encoding than the UTF-8 given to libxml2.
    html = _XML_DECLARATION.sub("", html[:4096], count=1) + html[4096:]
    data = _UNPARSED.sub(lambda match: " " if match.group() in "\x0b\x0c" else "", html).encode("utf-8")
    parser = etree.HTMLParser(remove_comments=False, huge_tree=True, encoding="utf-8")
    try:
        root = etree.fromstring(data, parser) if data.strip() else None
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):  # "Document is empty"
        root = None
    if root is not None and any("Excessive depth" in error.message for error in parser.error_log):
        deep = etree.HTMLParser(huge_tree=True, encoding="utf-8", target=etree.TreeBuilder())
        # It may raise ("missing end tags"): then the page stays as far as libxml2 read it.
        with contextlib.suppress(etree.XMLSyntaxError):
            root = etree.fromstring(data, deep)
    return root if root is not None else etree.fromstring("<html></html>", etree.HTMLParser())


def walk(node: etree._Element | etree._ElementTree) -> Iterator[Event]:
    """The events of a document (with the comments around its root) or of an element (without
    its own tail) in document order. Raw-text elements are entered and left, nothing between."""
    walker = etree.iterwalk(node, events=("start", "end", "comment", "pi"))
    for event, item in walker:
        if event == "start":
            yield event, item
            if item.tag in RAW_TEXT_TAGS:
                walker.skip_subtree()
            elif item.text:
                yield "text", item.text
            continue
        if event != "pi":
            yield event, item
        if item.tail and item is not node:
            yield "text", item.tail


def visible(
    events: Sequence[Event], start: int = 0, stop: int | None = None
) -> Iterator[tuple[int, str, Any]]:
    """`(position, kind, item)` of the events in [start, stop) a reader sees: no noise, no comment.
    Noise is tracked from `start`: a region that starts inside a `<form>` reads on to its end."""
    depth = 0
    for index in range(start, len(events) if stop is None else min(stop, len(events))):
        kind, item = events[index]
        if kind != "text" and kind != "comment" and item.tag in NOISE_TAGS:
            depth = depth + 1 if kind == "start" else max(depth - 1, 0)
        elif not depth and kind != "comment":
            yield index, kind, item


def text_blocks(events: Iterable[tuple[int, str, Any]], *, split_on_br: bool = False) -> list[str]:
    """Visible events' text in blocks, split at block elements and double `<br>` (every `<br>` with
    `split_on_br`: header lines are separated by single breaks, paragraphs not)."""
    parts: list[str] = []
    for _, kind, item in events:
        if kind == "text":  # without the marker: `&#xFFFF;` puts it in a page's text after parsing
            parts.append(item.replace(_BLOCK_END, ""))
        elif item.tag in BLOCK_TAGS or (item.tag == "br" and kind == "start"):
            parts.append(_BLOCK_END if item.tag in BLOCK_TAGS else LINE_BREAK)
    blocks = "".join(parts).split(_BLOCK_END)
    pieces = [block.split(LINE_BREAK) if split_on_br else DOUBLE_BREAK.split(block) for block in blocks]
    return [text for piece in pieces for text in map(clean_text, piece) if text]


def visible_text(element: etree._Element) -> str:
    """The text of an element a reader sees: `text_content()` without noise and comments."""
    return "".join(item for _, kind, item in visible(list(walk(element))) if kind == "text")


def html_text(fragment: str) -> str:
    """The plain text of an HTML fragment (a headline, a CDATA title): tags, scripts, comments out."""
    return " ".join(text_blocks(visible(list(walk(parse_html(f"<div>{fragment}</div>")))), split_on_br=True))


def base_url(root: etree._Element, url: str) -> str:
    """Where the page's relative links and pictures point from, as in a browser: its first `<base
    href>` outside raw text (resolved against `url`), else `url`."""
    for base in root.iter("base"):
        href = base.get("href")
        if href is not None and not any(node.tag in RAW_TEXT_TAGS for node in base.iterancestors()):
            return http_url(url, href.strip()) or url
    return url


def alt_text(element: etree._Element) -> str:
    """What a link showing pictures only says: their alt text, as a screen reader reads it."""
    return clean_text(" ".join(element.xpath(".//img/@alt")))


def has_class(element: etree._Element, fragment: str) -> bool:
    return fragment.lower() in (element.get("class") or "").lower()
