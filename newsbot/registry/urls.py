"""URL rules shared by parsers, spiders and pipelines."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from newsbot.registry import load_registry


def canonical_url(url: str) -> str:
    """The canonical form of a network URL: https, `www.` host, no query, no fragment.

    Off-network URLs keep their host and scheme and lose only the fragment: they are not ours to
    rewrite.
    """
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if load_registry().is_network_host(host):
        bare = host.removeprefix("www.")
        return urlunsplit(("https", f"www.{bare}", parts.path or "/", "", ""))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def absolute_url(base: str, href: str) -> str | None:
    """`href` resolved against `base`, or None when it is not an http(s) link."""
    href = (href or "").strip()
    if not href or href.startswith(("javascript:", "mailto:", "#")):
        return None
    resolved = urljoin(base, href)
    if urlsplit(resolved).scheme not in ("http", "https"):
        return None
    return resolved


def site_host(url: str) -> str | None:
    """The registry host (`spacewar.com`) of a network URL, or None."""
    site = load_registry().site_for_url(url)
    return site.host if site else None
