"""The registry's URL lookups give what plain scans of the declared data give.

The registry builds its host lookups once and matches the declared article paths as one pattern;
each function below is the plain scan of sites.toml. Hypothesis draws inputs made of the pieces that
make URLs differ.
"""

from __future__ import annotations

import re
import tomllib
from urllib.parse import urlsplit, urlunsplit

from hypothesis import given
from hypothesis import strategies as st

from newsbot.registry import Registry, Site, load_registry
from newsbot.registry.urls import canonical_url
from tests.conftest import PROPERTY_PROFILE as PROFILE
from tests.conftest import ROOT

REGISTRY = load_registry()
DECLARED = tomllib.loads((ROOT / "newsbot/registry/sites.toml").read_text(encoding="utf-8"))
ASSET_HOSTS = DECLARED["network"]["asset_hosts"]
ARTICLE_PATHS = [re.compile(pattern) for pattern in DECLARED["network"]["article_path_patterns"]]


def outcome(function, *args):
    """The result, or the exception's type and text: the lookups fail where the plain scans did."""
    try:
        return "returned", function(*args)
    except Exception as error:
        return "raised", type(error).__name__, str(error)


# --- plain scans, the reference the lookups are held to --------------------------------------------------


def site_for_url_before(registry: Registry, url: str) -> Site | None:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for site in registry.sites:
        if host == site.host:
            return site
    return None


def is_network_host_before(registry: Registry, host: str) -> bool:
    host = host.lower().removeprefix("www.")
    return host in ASSET_HOSTS or any(host == site.host for site in registry.sites)


def is_article_url_before(registry: Registry, url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and site_for_url_before(registry, url) is not None
        and any(pattern.match(parts.path) for pattern in ARTICLE_PATHS)
    )


def canonical_url_before(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if is_network_host_before(REGISTRY, host):
        bare = host.removeprefix("www.")
        return urlunsplit(("https", f"www.{bare}", parts.path or "/", "", ""))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


# --- what the inputs are made of ----------------------------------------------------------------

URL_PIECES = [
    "http://", "https://", "HTTPS://", "Http://", "ftp://", "//", "/", "\\", ".", "..", "/.", "/..",
    "?", "#", "%", "%2e", "%zz", "%C3%A9", ";", ":", ":443", ":8080", ":x", "@", "user:pw@", "[", "]",
    "[::1]", "www.", "WWW.", "spacewar.com", "SpaceWar.com", "spxdaily.com", "example.com",
    "spacewar.com.evil.example", "/reports/", "/news/", "x_999.html", "Old.html", "abc-99x.html",
    "index.html", "a", "Z", "0", "-", "_", "~", "'", '"', "<", ">", "&", "=", "+", ",", "!", "$", "(",
    "*", "|", "^", "`", "{", " ", "\t", "\n", "\r", "\x00", "\x1c", "\x7f", "\xa0", "é", "ß", "ſ",
    "\u2100", "\u3002", "\uff0f", "ｓｐａｃｅｗａｒ", "spacewär", "xn--spacewr-9wa", "\U0001f680",
    "javascript:", "mailto:",
]  # fmt: skip
pieced_urls = st.lists(st.sampled_from(URL_PIECES), max_size=12).map("".join)
_PATH_CHARS = r"\-A-Za-z0-9._~!$&'()*+,=:@%;|^"
plain_urls = st.from_regex(
    rf"https?://(www\.)?[a-z0-9.-]{{0,12}}(\.com)?(/[{_PATH_CHARS}]{{0,8}}){{0,4}}"
    rf"(\?[{_PATH_CHARS}/?]{{0,6}})?(#[a-z?]{{0,3}})?",
    fullmatch=True,
)
network_urls = st.builds(
    "".join,
    st.tuples(
        st.sampled_from(["https://", "http://", "HTTP://", "https://user@", ""]),
        st.sampled_from(["www.", "", "WWW.", "www.www."]),
        st.sampled_from([site.host for site in REGISTRY.sites] + ["spxdaily.com", "SPACEWAR.COM"]),
        st.sampled_from(["", ":443", ".", ":80"]),
        st.sampled_from(["/reports/", "/news/", "/", "", "/reports/a/"]),
        st.sampled_from(["X_999.html", "x-01ab.html", "Old.html", "a b.html", "é.html", "x.htm", ""]),
        st.sampled_from(["", "?a=1", "#top", "?", "#", " ", "\n"]),
    ),
)
any_url = st.one_of(pieced_urls, plain_urls, network_urls, st.text(max_size=30))


# --- the registry's lookups ---------------------------------------------------------------------


@PROFILE
@given(url=any_url)
def test_registry_lookups_are_the_scans_they_replaced(url):
    assert outcome(REGISTRY.site_for_url, url) == outcome(site_for_url_before, REGISTRY, url)
    assert outcome(REGISTRY.is_article_url, url) == outcome(is_article_url_before, REGISTRY, url)
    assert REGISTRY.is_network_host(url) == is_network_host_before(REGISTRY, url)
    assert outcome(canonical_url, url) == outcome(canonical_url_before, url)
    host = outcome(lambda: urlsplit(url).hostname or "")
    if host[0] == "returned":
        assert REGISTRY.is_network_host(host[1]) == is_network_host_before(REGISTRY, host[1])


def test_the_first_site_declared_for_a_host_is_its_site():
    first, second = ({**DECLARED["sites"][0], "name": name} for name in ("first", "second"))
    twice = Registry({**DECLARED, "sites": [first, second, *DECLARED["sites"][1:]]})
    assert twice.site_for_url(f"https://{first['host']}/x").name == "first"
