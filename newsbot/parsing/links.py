"""Links out of pages: absolute, http(s), with a host, percent-encoded. No Scrapy imports here."""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import urlsplit

from w3lib.url import safe_url_string

from newsbot.registry.urls import absolute_url, canonical_url

_HOST = re.compile(r"[a-z0-9_.-]+|\[[0-9a-f:.]+\]")

# Plain links, which the general path (urljoin, w3lib's safe_url_string, urlsplit) returns as they
# are: a lower-case http(s) scheme, a host of lower-case letters, digits, dots and hyphens (no port,
# no userinfo), a path of characters safe_url_string keeps, with no "." or ".." segment (urljoin
# resolves those of a relative path) and no ";" (urljoin's params, which drop an empty one), an
# optional non-empty query of characters it keeps in a query, and no fragment or white space.
_SEGMENT = r"(?!\.\.?(?:[/?]|\Z))[A-Za-z0-9\-._~!$&'()*+,=:@%]*"
_PATH_AND_QUERY = rf"/{_SEGMENT}(?:/{_SEGMENT})*(?:\?[A-Za-z0-9\-._~!$&()*+,;=:@/?%]+)?"
_PLAIN_URL = re.compile(rf"https?://[a-z0-9.-]+{_PATH_AND_QUERY}")
_PLAIN_ROOTED = re.compile(rf"(?!//){_PATH_AND_QUERY}")
# The scheme and host of a URL whose authority is a plain host, as urlsplit splits it: a lower-case
# http(s) scheme and a host of lower-case letters, digits, dots and hyphens (the group).
PLAIN_ORIGIN = re.compile(r"https?://([a-z0-9.-]+)(?=[/?#]|\Z)")


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
    # The general path below returns a plain absolute link as it is, whatever the base, as long as
    # urljoin can split the base (an ASCII base with no bracket always splits); and a plain
    # root-relative link under the scheme and host of a base that has a plain host.
    if _PLAIN_URL.fullmatch(href):
        if base.isascii() and "[" not in base and "]" not in base:
            return href
    elif href[:1] == "/" and (origin := PLAIN_ORIGIN.match(base)) and _PLAIN_ROOTED.fullmatch(href):
        return origin.group() + href
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


def canonical_link(url: str) -> str:
    """`canonical_url(url)`, cached as http_url is: the Related Links of a site's pages repeat
    (its home page, the agencies' sites), and canonicalising one costs three URL splits."""
    if len(url) <= 2048:
        return _canonical_link(url)
    return canonical_url(url)


# The registry is read once per process (load_registry is cached), so the result depends on `url`
# alone.
_canonical_link = lru_cache(maxsize=4096)(canonical_url)
