"""lxml trees of pages: parsing anything, dropping noise, reading text blocks. No Scrapy imports.

- libxml2 stops building the tree at 2048 levels of nesting and silently drops the rest of the page;
  `parse_fragment` notices and parses again with the excess nesting removed. The tree walks are
  iterative, so no depth reaches Python's recursion limit.
- Comments and the content of raw-text elements (script, style, ...) are not page text:
  `drop_noise` removes them (title, textarea, xmp, plaintext and template included) before text is
  read; the article parser's walk (newsbot.parsing.events) leaves them out the same way.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import lxml.html
from lxml import etree

from newsbot.parsing.text import clean_text

# Elements whose content is never article text: code, ads, forms, and the elements whose content the
# HTML parser keeps as raw text (title, textarea, xmp, plaintext, noembed, noframes), which would
# otherwise come out as markup-looking text.
NOISE_TAGS = (
    "script", "style", "noscript", "iframe", "object", "embed", "form", "select", "button", "ins",
    "template", "svg", "title", "textarea", "xmp", "plaintext", "noembed", "noframes",
)  # fmt: skip
# Elements that end a paragraph of text.
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "center",
        "table",
        "tr",
        "td",
        "th",
        "ul",
        "ol",
        "li",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "hr",
        "pre",
        "dl",
        "dt",
        "dd",
        "section",
        "article",
    ]
)


def html_text(fragment: str) -> str:
    """The plain text of an HTML fragment (a headline, a CDATA title): tags, scripts, comments out."""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    root = parse_fragment(f"<div>{fragment}</div>")
    drop_noise(root)
    return " ".join(text_blocks(root, split_on_br=True))


_XML_DECLARATION = re.compile(r"^[\s\ufeff]*<\?xml[^>]*>")
# Characters removed before parsing: what XML 1.0 does not allow in text (lxml checks every string
# it is given against it) and the rest of what clean_text removes (DEL, the BOM, U+FFFD, undefined
# windows-1252 bytes), so that the parser sees the text that comes out: `<\x7fb>` is text to the
# parser, and must not turn into the markup-like `<b>` when clean_text drops the DEL.
_UNPARSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x81\x8d\x8f\x90\x9d\ud800-\udfff\ufeff\ufffd\ufffe\uffff]"
)


# The C0 controls and DEL of _UNPARSED as bytes, and the rest of it (C1 leftovers, the BOM, U+FFFD,
# noncharacters) as characters: a page is checked with bytes and `in` operations, which cost a
# tenth of a regular expression scan of the page (that scan cost as much as the parse itself).
_UNPARSED_SINGLE_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_UNPARSED_ASCII = _UNPARSED_SINGLE_BYTES.decode("ascii")
_UNPARSED_NON_ASCII = "\x81\x8d\x8f\x90\x9d\ufeff\ufffd\ufffe\uffff"


def _encoded_if_parseable(html: str, utf8: bytes | None = None) -> bytes | None:
    """`html` as UTF-8 when it holds no character of _UNPARSED, else None. `utf8`, when given,
    is `html.encode("utf-8")`."""
    if html.isascii():
        # In a one-byte str each `in` is a memchr: quicker, all 29 of them, than a translation.
        for character in _UNPARSED_ASCII:
            if character in html:
                return None
        return utf8 if utf8 is not None else html.encode("ascii")
    if utf8 is not None:
        data = utf8
    else:
        try:
            data = html.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate, the one character strict UTF-8 refuses
            return None
    if len(data.translate(None, _UNPARSED_SINGLE_BYTES)) != len(data):
        return None
    # One character at a time on the str: searching the bytes for their multi-byte sequences cost
    # seven times as much.
    if any(character in html for character in _UNPARSED_NON_ASCII):
        return None
    return data


def _unparsed(match: re.Match[str]) -> str:
    # Vertical tab and form feed are white space, and stay word separators; the rest go.
    return " " if match.group() in "\x0b\x0c" else ""


# libxml2 builds at most 2048 levels (with huge_tree); past that it stops and drops the rest of the
# page. A page that goes past it is parsed again without the excess: no more than MAX_SAME_OPEN open
# elements of one name (the pathological nest is always one tag repeated: 5000 <font> or <div>) and
# no more than MAX_DEPTH levels in all. No real page comes near either: SMN pages nest ~15 levels.
MAX_DEPTH = 512
MAX_SAME_OPEN = 100
_TAG_TOKEN = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]{0,2000}>")
_VOID_TAGS = frozenset(
    (
        "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
        "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
    )
)  # fmt: skip
# Implied end tags, roughly as HTML has them: a start tag closes an open element of the first set of
# names, unless an element of the second set (its scope) comes first, looking down from the top.
_CLOSED_BY: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "p": (frozenset({"p"}), frozenset({"table", "td", "th", "button", "object", "marquee", "applet"})),
    "li": (frozenset({"li"}), frozenset({"ul", "ol", "table"})),
    "dt": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "dd": (frozenset({"dt", "dd"}), frozenset({"dl", "table"})),
    "tr": (frozenset({"tr", "td", "th"}), frozenset({"table"})),
    "td": (frozenset({"td", "th"}), frozenset({"table", "tr"})),
    "th": (frozenset({"td", "th"}), frozenset({"table", "tr"})),
    "option": (frozenset({"option"}), frozenset({"select", "datalist"})),
}
# How far down the stack an implied end tag is looked for (keeps the estimate linear).
_IMPLIED_END_REACH = 64


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """Parse HTML (a page or a slice of one) into a tree, tolerating anything; never raises."""
    root = _parse_tolerant(html, lxml.html.HTMLParser, lxml.html.fromstring)
    return root if root is not None else lxml.html.fromstring("<div></div>")


def parse_page(html: str, *, utf8: bytes | None = None) -> etree._Element:
    """Parse a whole page into a plain lxml tree (the document's root), tolerating anything.

    Plain `etree` elements, not `lxml.html` ones: those look their Python class up on every access,
    which cost more than the parse itself on a walk over a whole page. `utf8`, when given, must be
    `html.encode("utf-8")` (decode_html has it for UTF-8 pages): it is then not encoded again.
    """
    root = _parse_tolerant(html, etree.HTMLParser, etree.fromstring, as_utf8=True, utf8=utf8)
    return root if root is not None else etree.fromstring("<html></html>", etree.HTMLParser())


def _parse_tolerant(
    html: str,
    parser_class: Callable[..., etree.HTMLParser],
    parse: Callable[..., Any],
    *,
    as_utf8: bool = False,
    utf8: bytes | None = None,
) -> Any:
    """With `as_utf8`, libxml2 reads the page as UTF-8 bytes: the check for unparsed characters
    encodes it anyway, and libxml2 reads UTF-8 quicker than a str's own layout."""
    # lxml refuses str input that carries an XML encoding declaration.
    declaration = _XML_DECLARATION.match(html, 0, 4096)
    if declaration is not None:
        html = html[declaration.end() :]
        utf8 = None
    # libxml2 keeps C0 controls in text nodes, but lxml refuses to assign such a string, so the
    # drop_tree() of a script whose tail holds a form feed raised ValueError. They carry no text.
    encoded = _encoded_if_parseable(html, utf8)
    if encoded is None:
        html = _UNPARSED.sub(_unparsed, html)
        encoded = html.encode("utf-8") if as_utf8 else None
    if not html or html.isspace():
        return None
    source: str | bytes = encoded if as_utf8 and encoded is not None else html
    root, too_deep = _parse(source, parser_class, parse)
    if too_deep:
        root, too_deep = _parse(limit_nesting(html), parser_class, parse)
    if too_deep:
        # libxml2 left open what the estimate closed: count every start tag as a level this time.
        root, _ = _parse(limit_nesting(html, implied_ends=False), parser_class, parse)
    return root


_PARSERS = threading.local()


def _parser(parser_class: Callable[..., etree.HTMLParser], encoding: str | None = None) -> etree.HTMLParser:
    """One parser of each class per thread, reused: making one costs a tenth of a page's parse.
    (A parser is reusable but not shared between threads; its error log is that of its last parse.)"""
    parsers: dict[Any, etree.HTMLParser] = _PARSERS.__dict__.setdefault("parsers", {})
    parser = parsers.get((parser_class, encoding))
    if parser is None:
        # No ID table: nothing looks an element up by its id, and filling the table cost 2% of
        # the parse.
        parser = parsers[parser_class, encoding] = parser_class(
            remove_comments=False, huge_tree=True, encoding=encoding, collect_ids=False
        )
    return parser


def _parse(
    source: str | bytes, parser_class: Callable[..., etree.HTMLParser], parse: Callable[..., Any]
) -> tuple[Any, bool]:
    is_bytes = isinstance(source, bytes)
    parser = _parser(parser_class, "utf-8" if is_bytes else None)
    try:
        root = parse(source, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):  # "Document is empty": no element
        return None, False
    # libxml2 reports going too deep as a fatal error and stops there. The log's entries exist
    # already (lxml keeps one per error); reading their messages costs a Python str each, so only
    # the fatal ones are read, and a clean page reads none. (Counting the tree's elements to rule
    # out a deep one first cost more than this: a walk of the whole tree.)
    if root is None:
        return root, False
    errors = parser.error_log
    if not errors:
        return root, False
    too_deep = any("Excessive depth" in error.message for error in errors.filter_from_fatals())
    return root, too_deep


def limit_nesting(
    html: str, max_depth: int = MAX_DEPTH, max_same: int = MAX_SAME_OPEN, *, implied_ends: bool = True
) -> str:
    """The markup without the start and end tags that nest too deep.

    A start tag goes (with its end tag) when `max_same` elements of its name are already open, or
    `max_depth` elements in all: so the structure after a runaway nest of one tag survives. The depth
    is estimated from the tags alone: void elements and (with `implied_ends`) the usual implied end
    tags are known; without them every start tag opens a level until its end tag, an estimate libxml2
    can never exceed. The text is always kept, only the excess tags go.
    """
    stack: list[str] = []
    open_count: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    out: list[str] = []
    last = 0
    for match in _TAG_TOKEN.finditer(html):
        closing, name = match.group(1), match.group(2).lower()
        if name in _VOID_TAGS:
            continue
        drop = False
        if closing:
            if removed[name]:
                removed[name] -= 1
                drop = True
            elif open_count[name]:
                while stack:
                    top = stack.pop()
                    open_count[top] -= 1
                    if top == name:
                        break
        else:
            implied = _CLOSED_BY.get(name) if implied_ends else None
            if implied:
                closes, scope = implied
                for index in range(len(stack) - 1, max(-1, len(stack) - 1 - _IMPLIED_END_REACH), -1):
                    if stack[index] in closes:
                        for top in stack[index:]:
                            open_count[top] -= 1
                        del stack[index:]
                        break
                    if stack[index] in scope:
                        break
            if open_count[name] >= max_same or len(stack) >= max_depth:
                removed[name] += 1
                drop = True
            else:
                stack.append(name)
                open_count[name] += 1
        if drop:
            out.append(html[last : match.start()])
            last = match.end()
    out.append(html[last:])
    return "".join(out)


def drop_noise(root: lxml.html.HtmlElement) -> None:
    """Remove ads, scripts and the like, keeping the text that follows them."""
    if isinstance(root.tag, str) and root.tag in NOISE_TAGS:  # a fragment that is all noise
        root.clear()
        return
    for element in list(root.iter(*NOISE_TAGS)):
        # Noise inside noise already went with its ancestor: dropping it from there changes nothing.
        element.drop_tree()
    for comment in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        if comment.getparent() is not None:
            comment.drop_tree()


LINE_BREAK = "\u2028"
DOUBLE_BREAK = re.compile(LINE_BREAK + r"\s*" + LINE_BREAK)


def text_blocks(root: lxml.html.HtmlElement, *, split_on_br: bool = False) -> Iterator[str]:
    """The visible text of a tree, split into blocks at block elements and at double `<br>`.

    With `split_on_br`, every `<br>` ends a block: header lines (byline, dateline) are separated by
    single breaks, body paragraphs are not. The walk is iterative: no nesting depth can exhaust the
    Python stack.
    """
    current: list[str] = []

    def flush() -> Iterator[str]:
        joined = "".join(current)
        current.clear()
        pieces = joined.split(LINE_BREAK) if split_on_br else DOUBLE_BREAK.split(joined)
        for piece in pieces:
            text = clean_text(piece)
            if text:
                yield text

    # (element, entering): on entering, its own text and then its children; on leaving, its tail.
    stack: list[tuple[lxml.html.HtmlElement, bool]] = [(root, True)]
    while stack:
        element, entering = stack.pop()
        tag = element.tag if isinstance(element.tag, str) else ""
        if entering:
            if tag in BLOCK_TAGS:
                yield from flush()
            elif tag == "br":
                current.append(LINE_BREAK)
            if element.text and tag:
                current.append(element.text)
            stack.append((element, False))
            stack.extend((child, True) for child in reversed(element))
        else:
            if tag in BLOCK_TAGS:
                yield from flush()
            if element.tail:
                current.append(element.tail)
    yield from flush()


def has_class(element: etree._Element, fragment: str) -> bool:
    """Whether the class attribute holds `fragment`, in any case."""
    value = element.get("class")
    if not value:  # most elements: no lowering at all
        return not fragment
    return fragment.lower() in value.lower()
