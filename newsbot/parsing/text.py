"""Text and links out of pages: one line of plain text, an absolute http(s) URL. No Scrapy here.
Text carries no control characters: C1 controls (windows-1252 bytes read as latin-1) become the
windows-1252 characters they stand for, the rest go."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from newsbot.registry.urls import absolute_url

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufeff\ufffd\ufffe\uffff]")
# U+0080-U+009F as windows-1252; the five bytes it leaves undefined mean nothing and are removed.
_C1 = str.maketrans({chr(i): bytes([i]).decode("cp1252", errors="ignore") or None for i in range(0x80, 0xA0)})
_HOST = re.compile(r"[a-z0-9_.-]+|\[[0-9a-f:.]+\]")


def clean_text(text: str | None) -> str:
    """Plain text on one line: NBSP and every run of whitespace become one space; no controls."""
    return collapse_spaces(unicodedata.normalize("NFC", _CONTROL.sub("", (text or "").translate(_C1))))


def collapse_spaces(text: str) -> str:
    return " ".join(text.split())


def http_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base` as an absolute, percent-encoded http(s) URL with a host (IDN
    as punycode), or None: `http:///x`, `http://` and `http://[x/` are no links."""
    try:
        url = safe_url_string(absolute_url(base, href) or "") if href else ""
        parts = urlsplit(url)
        host = parts.hostname
    except (ValueError, UnicodeError):
        return None
    if not url or not host or not _HOST.fullmatch(host):
        return None
    return url if parts.path else parts._replace(path="/").geturl()
