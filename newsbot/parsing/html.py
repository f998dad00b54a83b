"""Decoding and text helpers shared by the page parsers. No Scrapy imports here.

Robustness notes (tests/test_parser_robustness.py holds a test for each):

- Decoding follows the bytes, not the label, when the two disagree; see `decode_html`.
- Text never carries control characters: C0 controls, U+FEFF, U+FFFD, noncharacters and lone
  surrogates are removed, and C1 controls (U+0080-U+009F, which only windows-1252 bytes read as latin-1 or an
  `&#150;`-style reference produce) become the windows-1252 character they stand for.
- libxml2 stops building the tree at 2048 levels of nesting and silently drops the rest of the page;
  `parse_fragment` notices and parses again with the excess nesting removed. The tree walks are
  iterative, so no depth reaches Python's recursion limit.
- Comments and the content of raw-text elements (script, style, ...) are not page text:
  `mask_opaque` blanks them so that markers are never found inside them, and `drop_noise` removes
  them (title, textarea, xmp, plaintext and template included) before text is read.
- URLs come out of `http_url` only: absolute, http(s), with a host, percent-encoded.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom
from w3lib.url import safe_url_string

from newsbot.registry.urls import absolute_url

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
# Pictures that are not pictures of the article: sponsors, spacers, ad pixels.
NON_ARTICLE_PICTURE = re.compile(r"/sponsors/|/(?:black|white|spacer|blank|pixel)\.(?:jpe?g|gif|png)$", re.I)

# Characters that never belong in text: C0 controls other than white space, DEL, the BOM (a PHP
# include saved with one leaves it mid-page), the replacement character (what the HTML parser makes
# of a NUL; it carries no text), noncharacters and lone surrogates (which no UTF-8 writer can
# encode). C1 controls are translated first, see _C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufeff\ufffd\ufffe\uffff]")
_SURROGATES = re.compile(r"[\ud800-\udfff]")
_SUSPECT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffd\ufffe\uffff]")
# U+0080-U+009F: windows-1252 bytes that something read as latin-1. The five bytes windows-1252
# leaves undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d) mean nothing and are removed.
_C1 = str.maketrans(
    {
        chr(i): (bytes([i]).decode("cp1252") if i not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else None)
        for i in range(0x80, 0xA0)
    }
)


@dataclass(frozen=True)
class DecodedPage:
    text: str
    encoding: str
    notes: tuple[str, ...] = ()


# --- decoding ------------------------------------------------------------------------------------

# The charset as the page spells it, for notes (w3lib gives the resolved codec name only).
_META_LABEL = re.compile(
    rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([\w.:+-]{1,40})"""
    rb"""|<\?xml\b[^>]*?encoding\s*=\s*["']([\w.:+-]{1,40})""",
    re.I,
)
_HEADER_LABEL = re.compile(r"""charset\s*=\s*["']?\s*([\w.:+-]{1,40})""", re.I)
# One well-formed multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_HIGH_BYTES = bytes(range(0x80, 0x100))
_WINDOWS_1252 = "cp1252"
_MIXED = "utf-8+cp1252"


def _cp1252_byte(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: the first undecodable byte read as windows-1252 (latin-1 if undefined)."""
    byte = error.object[error.start : error.start + 1]
    try:
        return byte.decode("cp1252"), error.start + 1
    except UnicodeDecodeError:
        return byte.decode("latin-1"), error.start + 1  # a C1 control; clean_text removes it


codecs.register_error("newsbot-cp1252", _cp1252_byte)


def decode_html(body: bytes | str, content_type: str | None = None) -> DecodedPage:
    """Bytes to text, trusting a declared charset only while the bytes agree with it.

    The rules, in order (each override leaves a note):

    1. A byte order mark decides (UTF-8, UTF-16, UTF-32), whatever the header or the page says.
    2. The charset of the HTTP Content-Type header, else the page's own (meta or XML declaration).
       An unknown label (`charset=x-bogus`) is ignored, with a note. ISO-8859-1 and ASCII are read as
       windows-1252, as browsers do (w3lib's resolve_encoding maps them), so curly quotes in
       0x80-0x9f come out right.
    3. A declared charset that cannot describe a page whose markup reads as ASCII is ignored: UTF-16
       or UTF-32 without a BOM (unless the header says so and the bytes really are UTF-16), EBCDIC.
    4. Declared UTF-8 but not valid UTF-8: the bytes are windows-1252 (the classic lie), or mostly
       UTF-8 with stray windows-1252 bytes; each byte sequence is read as what it is (see 6).
    5. Declared a single-byte charset (ISO-8859-1, windows-1252, KOI8-R...) but the bytes are valid
       UTF-8 with non-ASCII characters in them: read as UTF-8. "Correct text" here means the
       characters the author wrote, not what a browser shows when it trusts the label (mojibake
       such as "â€œ" for a curly quote): text in a single-byte charset practically never forms
       valid multi-byte UTF-8 sequences throughout, so valid UTF-8 is overwhelming evidence.
    6. Nothing usable declared: UTF-8 if the bytes are valid UTF-8, else windows-1252; when the bytes
       mix both (a UTF-8 include in a windows-1252 template), every well-formed UTF-8 sequence is
       read as UTF-8 and every other byte as windows-1252. "Mixed" is decided by evidence: at least
       one 3- or 4-byte UTF-8 sequence (curly quotes and dashes are 3 bytes, and windows-1252 text
       essentially never spells one), or more 2-byte sequences than stray bytes. So a windows-1252
       page quoting the mojibake "Ã©" stays itself, while a UTF-8 page with one pasted cp1252
       apostrophe keeps both right.
    """
    if isinstance(body, str):
        # Lone surrogates (only a str can hold them) would make lxml and the JSON writer raise.
        return DecodedPage(_SURROGATES.sub("\ufffd", body), "unicode")
    bom_encoding, bom = read_bom(body)
    if bom_encoding:
        if bom_encoding == "utf-8":
            text, encoding, notes = _decode_utf8(body[len(bom) :], declared="utf-8 (BOM)")
            return DecodedPage(text, encoding, notes)
        return DecodedPage(body[len(bom) :].decode(bom_encoding, errors="replace"), bom_encoding)

    notes: list[str] = []
    declared, label, in_header = _declared(body, content_type, notes)
    if declared is not None:
        if declared.startswith("utf-16") and in_header and _looks_like_utf16(body):
            return DecodedPage(body.decode(_utf16_order(body), errors="replace"), _utf16_order(body))
        if not _ascii_compatible(declared):
            notes.append(f"encoding: declared {label} does not fit the bytes (its markup is ASCII)")
            declared = None
    if declared == "utf-8" or declared is None:
        text, encoding, more = _decode_utf8(body, declared=label if declared else None)
        return DecodedPage(text, encoding, (*notes, *more))
    if not body.isascii() and _single_byte(declared):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            if declared == _WINDOWS_1252 and _mixed_evidence(body):
                text = body.decode("utf-8", errors="newsbot-cp1252")
                notes.append(f"encoding: declared {label} does not fit the bytes, decoded as {_MIXED}")
                return DecodedPage(text, _MIXED, tuple(notes))
        else:
            notes.append(f"encoding: declared {label} does not fit the bytes, decoded as utf-8")
            return DecodedPage(text, "utf-8", tuple(notes))
    try:
        errors = "newsbot-cp1252" if declared == _WINDOWS_1252 else "strict"
        return DecodedPage(body.decode(declared, errors=errors), declared, tuple(notes))
    except (UnicodeDecodeError, LookupError):
        text, encoding, _ = _decode_utf8(body, declared=None)
        notes.append(f"encoding: declared {label} does not fit the bytes, decoded as {encoding}")
        return DecodedPage(text, encoding, tuple(notes))


def _declared(body: bytes, content_type: str | None, notes: list[str]) -> tuple[str | None, str | None, bool]:
    """(codec name, label as written, whether it came from the header), or Nones."""
    header_label = _HEADER_LABEL.search(content_type or "")
    if header_label:
        resolved = http_content_type_encoding(content_type)
        if resolved and _known(resolved):
            return _codec_name(resolved), header_label.group(1).lower(), True
        notes.append(
            f"encoding: unknown charset {header_label.group(1)!r} in the Content-Type header, ignored"
        )
    meta_label = _META_LABEL.search(body[:4096])
    resolved = html_body_declared_encoding(body)
    if resolved and _known(resolved):
        label = meta_label.group(meta_label.lastindex).decode("ascii").lower() if meta_label else resolved
        return _codec_name(resolved), label, False
    if meta_label:
        label = meta_label.group(meta_label.lastindex).decode("ascii")
        notes.append(f"encoding: unknown charset {label!r} declared in the page, ignored")
    return None, None, False


@cache
def _known(encoding: str) -> bool:
    try:
        codecs.lookup(encoding)
    except LookupError:
        return False
    return True


@cache
def _codec_name(encoding: str) -> str:
    name = codecs.lookup(encoding).name
    return {"utf_8": "utf-8", "windows-1252": _WINDOWS_1252}.get(name, name)


@cache
def _ascii_compatible(encoding: str) -> bool:
    """Whether ASCII markup reads as itself in this charset (not UTF-16/32, not EBCDIC)."""
    sample = b'<html><meta charset="x"> ABCXYZ abcxyz 0123456789 <>/=!-:;.,&#'
    try:
        return sample.decode(encoding) == sample.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        return False


@cache
def _single_byte(encoding: str) -> bool:
    """One byte, one character: windows-1252, the ISO-8859 family, KOI8, Mac Roman, ..."""
    if encoding == "utf-8":
        return False
    try:
        return len(_HIGH_BYTES.decode(encoding, errors="replace")) == len(_HIGH_BYTES)
    except LookupError:
        return False


def _looks_like_utf16(body: bytes) -> bool:
    sample = body[:1024]
    return len(sample) >= 2 and max(sample[0::2].count(0), sample[1::2].count(0)) > len(sample) // 8


def _utf16_order(body: bytes) -> str:
    sample = body[:1024]
    return "utf-16-le" if sample[1::2].count(0) >= sample[0::2].count(0) else "utf-16-be"


def _mixed_evidence(body: bytes) -> bool:
    """Whether bytes that are not valid UTF-8 still hold UTF-8 text beside windows-1252 bytes."""
    two = longer = covered = 0
    for match in _UTF8_MULTIBYTE.finditer(body):
        size = match.end() - match.start()
        covered += size
        if size == 2:
            two += 1
        else:
            longer += 1
    stray = len(body) - len(body.translate(None, _HIGH_BYTES)) - covered
    return longer > 0 or two > stray


def _decode_utf8(body: bytes, *, declared: str | None) -> tuple[str, str, tuple[str, ...]]:
    """UTF-8 if the bytes are; else windows-1252, or both mixed (rule 6 of decode_html)."""
    try:
        return body.decode("utf-8"), "utf-8", ()
    except UnicodeDecodeError:
        pass
    if _mixed_evidence(body):
        text, encoding = body.decode("utf-8", errors="newsbot-cp1252"), _MIXED
    else:
        text, encoding = body.decode("cp1252", errors="newsbot-cp1252"), _WINDOWS_1252
    if declared:
        return (
            text,
            encoding,
            (f"encoding: declared {declared} does not fit the bytes, decoded as {encoding}",),
        )
    if encoding == _MIXED:
        return text, encoding, (f"encoding: no charset declared, bytes decoded as {encoding}",)
    return text, encoding, ()


# --- text ----------------------------------------------------------------------------------------


def clean_text(text: str | None) -> str:
    """Plain text on one line: NBSP and every run of whitespace become one space; no controls."""
    if not text:
        return ""
    # Each step only when needed: this runs over every paragraph, some of them megabytes long.
    if _SUSPECT.search(text):
        text = _CONTROL.sub("", text.translate(_C1))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return collapse_spaces(text)


# Every character str.isspace() holds for, but the space (tests check the list against Python's).
_OTHER_WHITESPACE = re.compile(
    "[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


_SPACE_RUN = re.compile(" {2,}")


def collapse_spaces(text: str) -> str:
    """`" ".join(text.split())`: every run of white space (NBSP included) one space, none at the ends.

    Splitting a multi-megabyte paragraph into words was the slow part of parsing one; substituting
    the few line breaks and double spaces is not.
    """
    if _OTHER_WHITESPACE.search(text):
        text = _OTHER_WHITESPACE.sub(" ", text)
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    return text.strip(" ")


def html_text(fragment: str) -> str:
    """The plain text of an HTML fragment (a headline, a CDATA title): tags, scripts, comments out."""
    if "<" not in fragment and "&" not in fragment:
        return clean_text(fragment)
    root = parse_fragment(f"<div>{fragment}</div>")
    drop_noise(root)
    return " ".join(text_blocks(root, split_on_br=True))


# --- trees ---------------------------------------------------------------------------------------

_XML_DECLARATION = re.compile(r"^[\s\ufeff]*<\?xml[^>]*>")
# Characters removed before parsing: what XML 1.0 does not allow in text (lxml checks every string
# it is given against it) and the rest of what clean_text removes (DEL, the BOM, U+FFFD, undefined
# windows-1252 bytes), so that the parser sees the text that comes out: `<\x7fb>` is text to the
# parser, and must not turn into the markup-like `<b>` when clean_text drops the DEL.
_UNPARSED = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x81\x8d\x8f\x90\x9d\ud800-\udfff\ufeff\ufffd\ufffe\uffff]"
)


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
    # lxml refuses str input that carries an XML encoding declaration.
    html = _XML_DECLARATION.sub("", html)
    # libxml2 keeps C0 controls in text nodes, but lxml refuses to assign such a string, so the
    # drop_tree() of a script whose tail holds a form feed raised ValueError. They carry no text.
    if _UNPARSED.search(html):
        html = _UNPARSED.sub(_unparsed, html)
    if not html.strip():
        return lxml.html.fromstring("<div></div>")
    root, too_deep = _parse(html)
    if too_deep:
        root, too_deep = _parse(limit_nesting(html))
    if too_deep:
        # libxml2 left open what the estimate closed: count every start tag as a level this time.
        root, _ = _parse(limit_nesting(html, implied_ends=False))
    return root if root is not None else lxml.html.fromstring("<div></div>")


def _parse(html: str) -> tuple[lxml.html.HtmlElement | None, bool]:
    parser = lxml.html.HTMLParser(remove_comments=False, huge_tree=True)
    try:
        root = lxml.html.fromstring(html, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):  # "Document is empty": no element
        return None, False
    too_deep = any("Excessive depth" in error.message for error in parser.error_log)
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


_OPAQUE_START = re.compile(
    r"<!--|<(script|style|xmp|iframe|noembed|noframes|noscript|textarea|title|plaintext)\b[^<>]{0,4000}>",
    re.I,
)
_OPAQUE_END = {
    name: re.compile(rf"</{name}\s*>", re.I)
    for name in ("script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title")
}


def mask_opaque(html: str, keep: Callable[[str], bool] = lambda comment: False) -> str:
    """The page with every comment and the content of every raw-text element blanked.

    Same length as `html`, so a position found in the mask is the same position in the page: the
    parsers search the mask for markers and headlines, and slice the page. A marker inside a script
    (`document.write("<!--RELATED LINKS-->")`) or inside a commented-out block is thereby not a
    marker. Comments for which `keep(comment)` holds stay (the body markers are comments). As in
    browsers, a raw-text element that is never closed runs to the end of the page.
    """
    spans: list[tuple[int, int]] = []
    position = 0
    comments_can_end = True
    while match := _OPAQUE_START.search(html, position):
        if match.group(1) is None:  # a comment
            end = html.find("-->", match.end()) if comments_can_end else -1
            if end < 0:
                # Unterminated: left as it is (the slice-based parsers then still see what follows),
                # and so is every later "<!--", since none of them can end either.
                comments_can_end = False
                position = match.end()
                continue
            end += 3
            if not keep(html[match.start() : end]):
                spans.append((match.start(), end))
            position = end
            continue
        name = match.group(1).lower()
        closing = _OPAQUE_END[name].search(html, match.end()) if name != "plaintext" else None
        end = closing.end() if closing else len(html)
        spans.append((match.start(), end))
        position = end
    if not spans:
        return html
    out, last = [], 0
    for start, end in spans:
        out += [html[last:start], " " * (end - start)]
        last = end
    out.append(html[last:])
    return "".join(out)


_LINE_BREAK = "\u2028"
_DOUBLE_BREAK = re.compile(_LINE_BREAK + r"\s*" + _LINE_BREAK)


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
        pieces = joined.split(_LINE_BREAK) if split_on_br else _DOUBLE_BREAK.split(joined)
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
                current.append(_LINE_BREAK)
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


def has_class(element: lxml.html.HtmlElement, fragment: str) -> bool:
    return fragment.lower() in (element.get("class") or "").lower()


# --- URLs ----------------------------------------------------------------------------------------

_HOST = re.compile(r"[a-z0-9_.-]+|\[[0-9a-f:.]+\]")


def http_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base` as an absolute, percent-encoded http(s) URL with a host; or None.

    A space or a non-ASCII character in an href is percent-encoded (as browsers do), an IDN host
    becomes punycode, and links with no host (`http:///x`, `http://`) or an unparseable one
    (`http://[x/`) are no links at all.
    """
    if not href:
        return None
    # Pages repeat their links (navigation, spacer pictures): resolving is cached, but only for
    # hrefs of a sane length, so that a hostile page cannot park megabytes in the cache.
    if len(href) + len(base) <= 2048:
        return _http_url(base, href)
    return _http_url.__wrapped__(base, href)


@lru_cache(maxsize=4096)
def _http_url(base: str, href: str) -> str | None:
    try:
        url = absolute_url(base, href)
        if url is None:
            return None
        url = safe_url_string(url)
        parts = urlsplit(url)
        host = parts.hostname
    except (ValueError, UnicodeError):
        return None
    if not host or not _HOST.fullmatch(host):
        return None
    if not parts.path:
        url = parts._replace(path="/").geturl()
    return url
