"""URL rules shared by parsers, spiders and pipelines."""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit, urlunsplit

from newsbot.registry import load_registry


def canonical_url(url: str) -> str:
    """A network URL as https, `www.` host, no query, no fragment; any other loses its fragment only."""
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
    return resolved if urlsplit(resolved).scheme in ("http", "https") else None
