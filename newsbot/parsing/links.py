"""Links out of pages: absolute, http(s), with a host, percent-encoded. No Scrapy imports here."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from newsbot.registry.urls import absolute_url

_HOST = re.compile(r"[a-z0-9_.-]+|\[[0-9a-f:.]+\]")


def http_url(base: str, href: str | None) -> str | None:
    """`href` resolved against `base` as an absolute, percent-encoded http(s) URL with a host; or None.

    A space or a non-ASCII character in an href is percent-encoded (as browsers do), an IDN host
    becomes punycode, and links with no host (`http:///x`, `http://`) or an unparseable one
    (`http://[x/`) are no links at all.
    """
    if not href:
        return None
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
