"""Bytes to text: the charset a page declares, checked against its bytes (the bytes win when they
disagree). Stray characters are left for `newsbot.parsing.text.clean_text`. No Scrapy imports here."""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

_SURROGATES = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class DecodedPage:
    text: str
    notes: tuple[str, ...] = ()


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
_MISFIT = "encoding: declared {} does not fit the bytes, decoded as {}"


def _cp1252_byte(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: the first undecodable byte read as windows-1252 (latin-1 if undefined,
    a C1 control clean_text removes)."""
    if not isinstance(error, UnicodeDecodeError):  # registered for decoding only
        raise error
    byte = error.object[error.start : error.start + 1]
    return byte.decode("cp1252", errors="ignore") or byte.decode("latin-1"), error.start + 1


codecs.register_error("newsbot-cp1252", _cp1252_byte)


def decode_html(body: bytes | str, content_type: str | None = None) -> DecodedPage:
    """Bytes to text, trusting a declared charset only while the bytes agree with it (each override
    noted): 1. a BOM decides; 2. else the header's charset, else the page's (unknown ones ignored;
    ISO-8859-1 read as windows-1252, as browsers do); 3. one that cannot describe ASCII markup
    (UTF-16/32 without a BOM, EBCDIC) is ignored; 4. declared UTF-8 but invalid: windows-1252 or
    mixed (6); 5. declared another charset but valid non-ASCII UTF-8: UTF-8, what the author wrote,
    not mojibake; declared one whose letters are not Latin (KOI8-R, Shift-JIS): as 6, for this English
    network's bytes decode in it into letters no page has; 6. nothing usable: UTF-8 if valid, else
    windows-1252, or mixed (each well-formed UTF-8 sequence as UTF-8, other bytes as windows-1252)
    given a 3- or 4-byte sequence or more 2-byte sequences than stray bytes, so that a cp1252 page
    quoting the mojibake "Ã©" stays itself."""
    if isinstance(body, str):
        # Lone surrogates (only a str can hold them) would make lxml and the JSON writer raise.
        return DecodedPage(_SURROGATES.sub("\ufffd", body))
    bom_encoding, bom = read_bom(body)
    notes: list[str] = []
    declared: str | None
    label: str | None
    if bom_encoding == "utf-8":
        body, declared, label, in_header = body[3:], "utf-8", "utf-8 (BOM)", False
    elif bom_encoding and bom:
        return DecodedPage(body[len(bom) :].decode(bom_encoding, errors="replace"))
    else:
        declared, label, in_header = _declared(body, content_type, notes)
    if declared is not None:
        utf16 = _utf16(body) if declared.startswith("utf-16") and in_header else None
        if utf16:
            return DecodedPage(body.decode(utf16, errors="replace"))
        if not _ascii_compatible(declared):
            notes.append(f"encoding: declared {label} does not fit the bytes (its markup is ASCII)")
            declared = None
    if declared == "utf-8" or declared is None:
        text, encoding = _utf8_or_cp1252(body)
        if declared and encoding != "utf-8":
            notes.append(_MISFIT.format(label, encoding))
        elif encoding == _MIXED:
            notes.append(f"encoding: no charset declared, bytes decoded as {encoding}")
        return DecodedPage(text, tuple(notes))
    if not body.isascii():
        text, encoding = _utf8_or_cp1252(body)
        # A charset whose letters are not Latin (KOI8-R, Shift-JIS, GBK...) on this English network:
        # an English page's bytes decode in it without an error, into letters and symbols no page has.
        if not _latin(declared) or encoding == "utf-8" or (encoding == _MIXED and declared == _WINDOWS_1252):
            return DecodedPage(text, (*notes, _MISFIT.format(label, encoding)))
    try:
        errors = "newsbot-cp1252" if declared == _WINDOWS_1252 else "strict"
        return DecodedPage(body.decode(declared, errors=errors), tuple(notes))
    except UnicodeDecodeError:
        text, encoding = _utf8_or_cp1252(body)
        return DecodedPage(text, (*notes, _MISFIT.format(label, encoding)))


def _declared(body: bytes, content_type: str | None, notes: list[str]) -> tuple[str | None, str | None, bool]:
    """(codec name, label as written, whether it came from the header), or Nones."""
    header_label = _HEADER_LABEL.search(content_type or "")
    resolved = http_content_type_encoding(content_type) if header_label else None
    if header_label and resolved:
        return resolved, header_label.group(1).lower(), True
    if header_label:
        notes.append(
            f"encoding: unknown charset {header_label.group(1)!r} in the Content-Type header, ignored"
        )
    meta_label = _META_LABEL.search(body[:4096])
    label = meta_label.group(meta_label.lastindex or 0).decode("ascii") if meta_label else None
    # w3lib's names are codecs' own ("cp1252" for ISO-8859-1, as browsers read it).
    resolved = html_body_declared_encoding(body)
    if resolved:
        return resolved, label.lower() if label else resolved, False
    if label:
        notes.append(f"encoding: unknown charset {label!r} declared in the page, ignored")
    return None, None, False


def _ascii_compatible(encoding: str) -> bool:
    """Whether ASCII markup reads as itself in this charset (not UTF-16/32, not EBCDIC)."""
    sample = b'<html><meta charset="x"> ABCXYZ abcxyz 0123456789 <>/=!-:;.,&#'
    try:
        # With "replace", as a page is decoded: Python's idna and punycode, no charsets, refuse it.
        return sample.decode(encoding, errors="replace") == sample.decode("ascii")
    except (UnicodeError, LookupError):
        return False


def _latin(encoding: str) -> bool:
    """Whether the letters of its upper half are Latin ones, before Unicode's Greek (windows-1252,
    ISO-8859-15; Mac Roman has an Ω and a π among its 60)."""
    letters = [c for c in _HIGH_BYTES.decode(encoding, errors="replace") if c.isalpha()]
    return sum(ord(c) < 0x370 for c in letters) >= 0.9 * len(letters)


def _utf16(body: bytes) -> str | None:
    """utf-16-le or -be when the bytes look like UTF-16 (many zero bytes at odd or even places)."""
    sample = body[:1024]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if len(sample) < 2 or max(even, odd) <= len(sample) // 8:
        return None
    return "utf-16-le" if odd >= even else "utf-16-be"


def _utf8_or_cp1252(body: bytes) -> tuple[str, str]:
    """UTF-8 if the bytes are; else windows-1252, or both mixed when they still hold UTF-8 text
    beside windows-1252 bytes (rule 6 of decode_html)."""
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        sizes = [len(match.group()) for match in _UTF8_MULTIBYTE.finditer(body)]
        stray = len(body) - len(body.translate(None, _HIGH_BYTES)) - sum(sizes)
        if any(size > 2 for size in sizes) or sizes.count(2) > stray:
            return body.decode("utf-8", errors="newsbot-cp1252"), _MIXED
        return body.decode("cp1252", errors="newsbot-cp1252"), _WINDOWS_1252
