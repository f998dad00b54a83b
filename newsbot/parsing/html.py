"""Decoding and text helpers shared by the page parsers. No Scrapy imports here."""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.html
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, resolve_encoding

# Elements whose content is never article text.
NOISE_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "form", "select", "button", "ins")
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
# Pictures that are not pictures of the article: sponsors, spacers, ad pixels.
NON_ARTICLE_PICTURE = re.compile(r"/sponsors/|/(?:black|white|spacer|blank|pixel)\.(?:jpe?g|gif|png)$", re.I)

_SPACES = re.compile(r"\s+")
# Control characters other than whitespace never belong in text (binary garbage, NULs).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


@dataclass(frozen=True)
class DecodedPage:
    text: str
    encoding: str
    notes: tuple[str, ...] = ()


def decode_html(body: bytes | str, content_type: str | None = None) -> DecodedPage:
    """Bytes to text, trusting a declared charset only while the bytes agree with it.

    Old SMN pages declare ISO-8859-1 but, like browsers, we read that as windows-1252 (w3lib's
    resolve_encoding does the mapping) so curly quotes in the 0x80-0x9f range come out right. A page
    whose bytes are not valid in the declared charset (windows-1252 bytes declared UTF-8) is decoded
    in the charset that fits, with a note.
    """
    if isinstance(body, str):
        return DecodedPage(body, "unicode")
    for bom, name in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return DecodedPage(body[len(bom) :].decode(name, errors="replace"), name)
    declared = None
    if content_type:
        declared = http_content_type_encoding(content_type)
    if not declared:
        declared = html_body_declared_encoding(body)
    if declared:
        encoding = resolve_encoding(declared) or declared
        try:
            return DecodedPage(body.decode(encoding), encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        text = body.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = body.decode("cp1252", errors="replace")
        encoding = "cp1252"
    notes: tuple[str, ...] = ()
    if declared:
        notes = (f"encoding: declared {declared} does not fit the bytes, decoded as {encoding}",)
    return DecodedPage(text, encoding, notes)


def clean_text(text: str | None) -> str:
    """Plain text on one line: NBSP and every run of whitespace become one space."""
    if not text:
        return ""
    text = _CONTROL.sub("", unicodedata.normalize("NFC", text))
    return _SPACES.sub(" ", text.replace("\xa0", " ")).strip()


def parse_fragment(html: str) -> lxml.html.HtmlElement:
    """Parse HTML (a page or a slice of one) into a tree, tolerating anything."""
    # lxml refuses str input that carries an XML encoding declaration.
    html = re.sub(r"^\s*<\?xml[^>]*>", "", html)
    parser = lxml.html.HTMLParser(remove_comments=False, huge_tree=True)
    root = lxml.html.fromstring(html or "<html></html>", parser=parser) if html.strip() else None
    if root is None:
        return lxml.html.fromstring("<div></div>")
    return root


def drop_noise(root: lxml.html.HtmlElement) -> None:
    """Remove ads, scripts and the like, keeping the text that follows them."""
    for element in list(root.iter(*NOISE_TAGS)):
        element.drop_tree()
    for comment in list(root.iter(etree.Comment)):
        if comment.getparent() is not None:
            comment.drop_tree()


_LINE_BREAK = "\u2028"
_DOUBLE_BREAK = re.compile(_LINE_BREAK + r"\s*" + _LINE_BREAK)


def text_blocks(root: lxml.html.HtmlElement, *, split_on_br: bool = False) -> Iterator[str]:
    """The visible text of a tree, split into blocks at block elements and at double `<br>`.

    With `split_on_br`, every `<br>` ends a block: header lines (byline, dateline) are separated by
    single breaks, body paragraphs are not.
    """
    current: list[str] = []

    def flush() -> Iterator[str]:
        joined = "".join(current)
        current.clear()
        pieces = joined.split(_LINE_BREAK) if split_on_br else _DOUBLE_BREAK.split(joined)
        for piece in pieces:
            text = clean_text(piece)
            if text:
                yield text

    def walk(element: lxml.html.HtmlElement) -> Iterator[str]:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in BLOCK_TAGS:
            yield from flush()
        elif tag == "br":
            current.append(_LINE_BREAK)
        if element.text and tag:
            current.append(element.text)
        for child in element:
            yield from walk(child)
        if tag in BLOCK_TAGS:
            yield from flush()
        if element.tail:
            current.append(element.tail)

    yield from walk(root)
    yield from flush()


def has_class(element: lxml.html.HtmlElement, fragment: str) -> bool:
    return fragment.lower() in (element.get("class") or "").lower()
