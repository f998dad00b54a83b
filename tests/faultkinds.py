"""The faults of tests/faultserver.py: what each does to a request, and the pages some of them serve.

Built through the `faults` namespace (see the table in tests/faultserver.py); `Fault` is the record
the server acts on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit

Match = str | re.Pattern[str] | None

MiB = 1024 * 1024
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}

CAPTCHA_PAGE = b"""<!DOCTYPE html>
<html lang="en-US"><head><title>Attention Required! | Cloudflare</title>
<meta name="robots" content="noindex, nofollow"></head>
<body><div id="cf-wrapper"><div id="cf-error-details">
<h1 data-translate="block_headline">Sorry, you have been blocked</h1>
<h2 class="cf-subheadline">You are unable to access this site</h2>
<p>Please complete the security check to access this website.</p>
<div class="cf-captcha-container"><form id="challenge-form" action="/cdn-cgi/l/chk_captcha" method="get">
<div class="g-recaptcha"></div></form></div>
<p>Cloudflare Ray ID: <strong>7c2f8e1a9b3d4e5f</strong> &bull; Performance &amp; security by Cloudflare</p>
</div></div></body></html>
"""
CHALLENGE_PAGE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow"></head>
<body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">www.spacewar.com</h1>
<h2 class="h2" id="challenge-running">Checking your browser before accessing www.spacewar.com.</h2>
<noscript><div id="challenge-error-title">Enable JavaScript and cookies to continue</div></noscript>
</div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "www.spacewar.com",cType: 'managed'};
var a = document.createElement('script');a.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1';
document.getElementsByTagName('head')[0].appendChild(a);}());</script></body></html>
"""
ACCESS_DENIED_PAGE = b"""<HTML><HEAD>
<TITLE>Access Denied</TITLE>
</HEAD><BODY>
<H1>Access Denied</H1>
You don't have permission to access this page on this server.<P>
Reference&#32;&#35;18&#46;2f1e3b17&#46;1700000000&#46;1a2b3c4d
</BODY></HTML>
"""


# --- faults --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One kind of failure, for the requests whose path `match` selects (see the module docstring).

    `kind` names the behaviour; the other fields are its parameters. Build them with `faults.*`.
    """

    kind: str
    match: Match = None
    times: int | None = None
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    content_type: str = "text/html"
    seconds: float = 0.0
    after: int = 0
    size: int = 0
    seed: int = 0
    declare_length: bool = True
    # endless_pagination: the real page whose entries every generated page repeats, and the slug;
    # link_flood: the real page whose entries come first.
    template: str = ""
    slug: str = ""

    def matches(self, path: str) -> bool:
        if self.match is None:
            return True
        if isinstance(self.match, re.Pattern):
            return self.match.search(path) is not None
        return path == self.match


def _check_location(location: str) -> str:
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"a redirect location must be an absolute http(s) URL, not {location!r}")
    if parts.hostname in _LOOPBACK:
        raise ValueError(
            f"redirect to {location!r}: locations are real URLs (https://www.spacewar.com/...) or off the "
            "network; the crawler maps real URLs to the mirror and never sees mirror URLs"
        )
    return location


def _errors(match: Match = None, *, status: int = 500, times: int | None = None) -> Fault:
    if status < 400:
        raise ValueError(f"an error status, not {status}")
    return Fault("status", match, times, status=status)


def _retry_after(
    match: Match = None, *, status: int = 429, seconds: float | str = 1, times: int | None = 1
) -> Fault:
    value = str(int(seconds)) if isinstance(seconds, int | float) else seconds
    return Fault("status", match, times, status=status, headers=(("Retry-After", value),))


def _stall(match: Match = None, *, seconds: float, times: int | None = None) -> Fault:
    return Fault("stall", match, times, seconds=seconds)


def _drop(match: Match = None, *, after: int = 512, times: int | None = None) -> Fault:
    return Fault("drop", match, times, after=after)


def _truncate(
    match: Match = None, *, after: int = 512, declare_length: bool = True, times: int | None = None
) -> Fault:
    return Fault("truncate", match, times, after=after, declare_length=declare_length)


def _not_found(match: Match = None, *, times: int | None = None) -> Fault:
    return Fault("status", match, times, status=404, body=b"<html><body><h1>404 Not Found</h1></body></html>")


def _redirect(match: Match, location: str, *, status: int = 301, times: int | None = None) -> Fault:
    if status not in (301, 302, 303, 307, 308):
        raise ValueError(f"not a redirect status: {status}")
    return Fault("status", match, times, status=status, headers=(("Location", _check_location(location)),))


def _mirror_path(url: str) -> str:
    """The request path under which a real network URL reaches this server (`/www.host/path`)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host.startswith("www."):
        host = f"www.{host}"
    return f"/{host}{parts.path or '/'}"


def _redirect_chain(first: str, *locations: str, status: int = 301) -> list[Fault]:
    """`first` (a request path) redirects to locations[0], which redirects to locations[1], ...

    The last location is served as it is (a real page, or anything else the plan says).
    """
    if not locations:
        raise ValueError("a chain needs at least one location")
    paths = [first, *(_mirror_path(url) for url in locations[:-1])]
    return [_redirect(path, location, status=status) for path, location in zip(paths, locations, strict=True)]


def _redirect_loop(*urls: str, status: int = 302) -> list[Fault]:
    """Each URL (real network URLs) redirects to the next, and the last to the first."""
    if len(urls) < 1:
        raise ValueError("a loop needs at least one URL")
    targets = [*urls[1:], urls[0]]
    return [
        _redirect(_mirror_path(url), target, status=status) for url, target in zip(urls, targets, strict=True)
    ]


def _robots(
    host: str, *, disallow: Iterable[str] = (), allow: Iterable[str] = (), user_agent: str = "*"
) -> Fault:
    lines = [
        f"User-agent: {user_agent}",
        *(f"Allow: {p}" for p in allow),
        *(f"Disallow: {p}" for p in disallow),
    ]
    body = ("\n".join(lines) + "\n").encode()
    return Fault("status", f"/{host}/robots.txt", None, status=200, body=body, content_type="text/plain")


def _huge(
    match: Match = None, *, size: int = 20 * MiB, declare_length: bool = True, times: int | None = None
) -> Fault:
    return Fault("huge", match, times, size=size, declare_length=declare_length)


def _garbage(match: Match = None, *, size: int = 4096, seed: int = 0, times: int | None = None) -> Fault:
    return Fault("garbage", match, times, size=size, seed=seed)


def _empty(match: Match = None, *, times: int | None = None) -> Fault:
    return Fault("status", match, times, status=200, body=b"")


def _blocked(match: Match = None, *, times: int | None = None) -> Fault:
    return Fault("status", match, times, status=403, body=ACCESS_DENIED_PAGE)


def _captcha(match: Match = None, *, status: int = 200, times: int | None = None) -> Fault:
    return Fault("status", match, times, status=status, body=CAPTCHA_PAGE)


def _challenge(match: Match = None, *, status: int = 200, times: int | None = None) -> Fault:
    return Fault("status", match, times, status=status, body=CHALLENGE_PAGE)


def _endless_pagination(host: str, slug: str, *, after: int) -> Fault:
    """Page `after` (2 or more; it must exist) links a next page, and every page past it repeats page
    `after`'s entries and links the next one, as a site whose pager never ends does."""
    template = f"/{host}/{slug}.html" if after == 1 else f"/{host}/{slug}-{after:02d}.html"
    pattern = re.compile(rf"^/{re.escape(host)}/{re.escape(slug)}-(?P<page>[0-9]+)\.html$")
    return Fault("endless", pattern, None, template=template, slug=slug, after=after)


def _link_flood(match: Match, *, links: int = 50_000, section: str = "SUPERPOWERS") -> Fault:
    """The real page of `match` (an exact path) with `links` generated article links added to its listing."""
    return Fault(
        "flood", match, None, size=links, template=match if isinstance(match, str) else "", slug=section
    )


def _respond(
    match: Match,
    *,
    status: int = 200,
    body: bytes = b"",
    content_type: str = "text/html",
    times: int | None = None,
) -> Fault:
    """Anything else: this status, body and content type."""
    return Fault("status", match, times, status=status, body=body, content_type=content_type)


faults = SimpleNamespace(
    errors=_errors,
    retry_after=_retry_after,
    stall=_stall,
    drop=_drop,
    truncate=_truncate,
    not_found=_not_found,
    redirect=_redirect,
    redirect_chain=_redirect_chain,
    redirect_loop=_redirect_loop,
    robots=_robots,
    huge=_huge,
    garbage=_garbage,
    empty=_empty,
    blocked=_blocked,
    captcha=_captcha,
    challenge=_challenge,
    endless_pagination=_endless_pagination,
    link_flood=_link_flood,
    respond=_respond,
    mirror_path=_mirror_path,
)
