"""The fast paths around the article parser's tree walk give what the general paths gave.

Each function below is the formulation a fast path replaced, written out here as it was (issue 10's
"within 3x of a bare parse"): the page's head (Head), the article URL (canonical_article_url), the
registry's URL lookups, http_url, content_hash's fold, the item's site and word count, the picture
key of merge_images. Hypothesis draws inputs made of the pieces that make URLs and heads differ.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from urllib.parse import urljoin, urlsplit, urlunsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from w3lib.url import safe_url_string

from newsbot.item import Image
from newsbot.parsing import links
from newsbot.parsing.article import _collapse_paragraph_spaces, _site, content_hash, parse_article
from newsbot.parsing.article import body as body_module
from newsbot.parsing.article import head as head_module
from newsbot.parsing.article.head import Head, canonical_article_url
from newsbot.parsing.encoding import decode_html
from newsbot.parsing.text import collapse_spaces
from newsbot.parsing.tree import parse_page
from newsbot.registry import Registry, Site, load_registry
from newsbot.registry.urls import canonical_url
from tests.conftest import FAST_PATH_PROFILE as PROFILE
from tests.conftest import SNAPSHOT

REGISTRY = load_registry()


def outcome(function, *args):
    """The result, or the exception's type and text: a fast path must fail where the general one did."""
    try:
        return "returned", function(*args)
    except Exception as error:
        return "raised", type(error).__name__, str(error)


# --- the formulations the fast paths replaced --------------------------------------------------


def site_for_url_before(registry: Registry, url: str) -> Site | None:
    host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
    for site in registry.sites:
        if host == site.host:
            return site
    return None


def is_network_host_before(registry: Registry, host: str) -> bool:
    host = host.lower().removeprefix("www.")
    return host in registry.asset_hosts or any(host == site.host for site in registry.sites)


def is_article_url_before(registry: Registry, url: str) -> bool:
    parts = urlsplit(url)
    return (
        parts.scheme in ("http", "https")
        and site_for_url_before(registry, url) is not None
        and any(pattern.match(parts.path) for pattern in registry.article_path_patterns)
    )


def canonical_url_before(url: str) -> str:
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if is_network_host_before(REGISTRY, host):
        bare = host.removeprefix("www.")
        return urlunsplit(("https", f"www.{bare}", parts.path or "/", "", ""))
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, ""))


def absolute_url_before(base: str, href: str) -> str | None:
    href = (href or "").strip()
    if not href or href.startswith(("javascript:", "mailto:", "#")):
        return None
    resolved = urljoin(base, href)
    if urlsplit(resolved).scheme not in ("http", "https"):
        return None
    return resolved


def http_url_before(base: str, href: str | None) -> str | None:
    if not href:
        return None
    try:
        url = absolute_url_before(base, href)
        if url is None:
            return None
        url = safe_url_string(url)
        parts = urlsplit(url)
        host = parts.hostname
    except (ValueError, UnicodeError):
        return None
    if not host or not re.fullmatch(r"[a-z0-9_.-]+|\[[0-9a-f:.]+\]", host):
        return None
    if not parts.path:
        url = parts._replace(path="/").geturl()
    return url


def head_before(root: etree._Element, html: str) -> tuple[list[etree._Element], etree._Element | None]:
    metas: list[etree._Element] = []
    titles: list[etree._Element] = []
    for element in root.iter("meta", "title"):
        (metas if element.tag == "meta" else titles).append(element)
    head_end = re.search(r"</head\s*>", html, re.I)
    if head_end is not None:
        last_line = html.count("\n", 0, head_end.end()) + 1
        in_head = [meta for meta in metas if (meta.sourceline or 0) <= last_line]
        if in_head:
            metas = in_head
            titles = [title for title in titles if (title.sourceline or 0) <= last_line]
    return metas, titles[0] if titles else None


def canonical_article_url_before(head: Head, url: str | None, notes: list[str]) -> str | None:
    declared = head.meta("og:url")
    declared_url = http_url_before(declared, declared) if declared else None
    if declared_url and is_article_url_before(REGISTRY, declared_url):
        return canonical_url_before(declared_url)
    url = http_url_before(url, url) if url else None
    if url and is_article_url_before(REGISTRY, url):
        if declared:
            notes.append("url: og:url is not a network article URL, used the fetched URL")
        else:
            notes.append("url: no og:url, used the fetched URL")
        return canonical_url_before(url)
    return None


def picture_key_before(url: str) -> str:
    path = url.partition("#")[0].partition("?")[0]
    name = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return re.sub(r"-(?:hg|lg|bg|sm|th|md)$", "", name, flags=re.I).lower()


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
rooted_hrefs = st.from_regex(
    rf"/{{1,2}}([{_PATH_CHARS}]{{0,6}}/?){{0,4}}(\?[{_PATH_CHARS}/?]{{0,6}})?(#x)?", fullmatch=True
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
        assert REGISTRY.site_for_host(host[1]) == site_for_url_before(REGISTRY, url)


def test_registry_lookups_keep_the_declared_data_as_it_was():
    fields = [field.name for field in dataclasses.fields(Registry)]
    assert fields == ["sites", "asset_hosts", "article_path_patterns", "section_page_template"]
    REGISTRY.site_for_url("https://www.spacewar.com/")  # builds the lookups
    assert "_site_by_host" not in repr(REGISTRY)
    copy = dataclasses.replace(REGISTRY)
    assert copy == REGISTRY and hash(copy) == hash(REGISTRY)
    # Two sites of one host: the first declared wins, as the scan found it.
    first, second = (dataclasses.replace(REGISTRY.sites[0], name=name) for name in ("first", "second"))
    twice = dataclasses.replace(REGISTRY, sites=(first, second, *REGISTRY.sites[1:]))
    assert twice.site_for_url(f"https://{first.host}/x").name == "first"
    assert twice.site_for_host(first.host).name == "first"
    # A registry's lookups are its own: a replaced one is built from its own sites.
    lone = dataclasses.replace(REGISTRY, sites=(REGISTRY.sites[1],), asset_hosts=())
    assert lone.site_for_url(f"https://{REGISTRY.sites[0].host}/") is None
    assert not lone.is_network_host("spxdaily.com") and REGISTRY.is_network_host("spxdaily.com")


PATTERN_POOL = [
    r"^/reports/[^/]+_999\.html$", r"^/reports/[^/]+\.html$", r"^/news/[a-z0-9]+-[0-9]{2}[a-z]+\.html$", r"",
    r"/x", r"a|b", r"(a)\1", r"(?P<n>x)", r"(?i)^/X", r"(?u)/", r"(?i:/Y)", r"(?=/z)", r"^$", r"\A/\Z",
    r"(?<!a)/b", r"x*", r"[/]+", r"^/(?:q|r)",
]  # fmt: skip
paths = st.lists(
    st.sampled_from(["/", "reports", "news", "x", "X", "_999", ".html", "-01ab", "a", "b", "z", "Y", "\n"])
)


@PROFILE
@given(chosen=st.lists(st.sampled_from(PATTERN_POOL), max_size=4), path=paths.map("".join))
def test_article_paths_match_as_any_of_the_patterns_does(chosen, path):
    registry = dataclasses.replace(REGISTRY, article_path_patterns=tuple(re.compile(p) for p in chosen))
    expected = any(pattern.match(path) for pattern in registry.article_path_patterns)
    assert registry.is_article_path(path) == expected
    assert REGISTRY.is_article_path(path) == any(p.match(path) for p in REGISTRY.article_path_patterns)


def test_the_declared_article_paths_are_matched_as_one_pattern():
    assert REGISTRY._article_path_alternation is not None


# --- http_url ----------------------------------------------------------------------------------


@PROFILE
@given(base=st.one_of(any_url, st.just("")), href=st.one_of(any_url, plain_urls, rooted_hrefs))
def test_http_url_is_the_general_resolution(base, href):
    href_or_x = href or "x"
    assert outcome(links._http_url.__wrapped__, base, href_or_x) == outcome(http_url_before, base, href_or_x)
    assert outcome(links.http_url, base, href) == outcome(http_url_before, base, href)


def test_http_url_with_each_character_in_each_place():
    """Every character up to U+017F and a few beyond, in the scheme, host, path, query and base."""
    characters = [chr(code) for code in range(0x180)] + list("\u2028\u3000\ufeff\u2100\uff0f\uff1f\U0001f680")
    hrefs = [
        "https://www.spacewar.com/a{c}b", "https://www.spacewar.com/{c}", "https://www.spacewar.com/x?q{c}",
        "http://a{c}b.com/x", "https://{c}/x", "{c}https://a.com/x", "https://a.com/x{c}", "http{c}://a.com/x",
        "/a{c}b", "/{c}", "/{c}/x", "/x?{c}", "{c}/x", "/.{c}", "/..{c}/x", "https://a.com/.{c}/x",
    ]  # fmt: skip
    bases = [
        "https://www.spacewar.com/reports/x.html", "http://a.com", "https://a.com?x", "https://a.com#y", "",
        "https://[::1]/", "https://é.com/", "https://a.com:80/", "https://u@a.com/", "HTTPS://A.COM/",
        "ftp://a.com/", "https://a.com\t/x", "a.com/x", "https://a.com/{c}", "https://a{c}.com/",
    ]  # fmt: skip
    for character in characters:
        for href in hrefs:
            for base in bases:
                href_c, base_c = href.format(c=character), base.format(c=character)
                expected = outcome(http_url_before, base_c, href_c)
                assert outcome(links._http_url.__wrapped__, base_c, href_c) == expected, (base_c, href_c)


def test_plain_links_take_the_fast_path():
    """The patterns are not so narrow that the links of the network's pages miss them."""
    assert links._PLAIN_URL.fullmatch("https://www.spxdaily.com/images-hg/x-hg.jpg")
    assert links._PLAIN_URL.fullmatch("https://www.spacewar.com/reports/A_b-c_999.html")
    assert links._PLAIN_URL.fullmatch("https://reddit.com/submit?url=https://www.spacewar.com/x.html")
    assert links._PLAIN_ROOTED.fullmatch("/reports/A_b-c_999.html")
    assert links.PLAIN_ORIGIN.match("https://www.spacewar.com/reports/x.html")
    for not_plain in [
        "https://a.com/a;b",
        "https://a.com/./x",
        "https://A.com/x",
        "https://a.com:1/x",
        "/x#y",
    ]:
        assert not links._PLAIN_URL.fullmatch(not_plain) and not links._PLAIN_ROOTED.fullmatch(not_plain)


# --- the page's head and its article URL --------------------------------------------------------

HEAD_PIECES = [
    "<html>", "<head>", "</head>", "</HEAD >", "</head\n>", "<body>", "</body>", "<title>t</title>",
    "<title>", "</title>", "<meta property='og:url' content='https://www.spacewar.com/reports/a_999.html'>",
    "<meta property='og:url' content=''>", "<meta name='OG:URL' content='/reports/b_999.html'>",
    "<meta property='og:url' content='https://www.example.com/reports/c_999.html'>", "<meta>",
    "<meta name=a content=b>", "<div>", "</div>", "<p>", "<!--", "-->", "<!-- </head> -->", "<script>",
    "</script>", "<table>", "<tr><td>", "</table>", "<noscript>", "<template>", "<frameset>", "<select>",
    "<svg><title>s</title></svg>", "<?pi?>", "<![CDATA[", "<br>", "&amp;", "\n", "\n\n", "\r", "\r\n",
    "x", " ",
]  # fmt: skip
heads = st.lists(st.sampled_from(HEAD_PIECES), max_size=40).map("".join)


def _element_lines(root: etree._Element) -> list[int]:
    return [element.sourceline or 0 for element in root.iter()]


@PROFILE
@given(html=heads, url=st.one_of(st.none(), network_urls, pieced_urls))
def test_head_and_article_url_are_what_they_were(html, url):
    root = parse_page(html)
    # The premise of Head's bisection: line numbers never go down in document order.
    assert _element_lines(root) == sorted(_element_lines(root))
    head = Head(root, html)
    assert (head.metas, head.title) == head_before(root, html)
    notes: list[str] = []
    notes_before: list[str] = []
    result = outcome(canonical_article_url, head, url, notes)
    assert result == outcome(canonical_article_url_before, head, url, notes_before)
    assert notes == notes_before


def test_line_numbers_never_go_down_on_the_snapshot_pages():
    for path in sorted(SNAPSHOT.rglob("*.html")):
        lines = _element_lines(parse_page(decode_html(path.read_bytes()).text))
        assert lines == sorted(lines), path


def test_a_head_past_the_exact_line_numbers_is_read_as_before():
    """Past 65534 lines libxml2 stores 65535 and sourceline guesses: Head filters each element."""
    for filler_lines, head_end in [(70_000, 10), (70_000, 69_990)]:
        lines = ["<html><head><meta name=a content=1>"] + ["x"] * filler_lines
        lines[head_end] = "</head><body><meta name=b content=2><title>t</title>"
        lines.append("<meta name=c content=3><title>u</title>")
        html = "\n".join(lines)
        root = parse_page(html)
        head = Head(root, html)
        assert len(html) >= head_module._EXACT_LINES
        assert (head.metas, head.title) == head_before(root, html)


@PROFILE
@given(url=st.one_of(any_url, network_urls))
def test_a_network_article_url_is_split_once_as_three_splits_did(url):
    expected = outcome(lambda: canonical_url_before(url) if is_article_url_before(REGISTRY, url) else None)
    assert outcome(head_module._network_article_url, url) == (expected if url else ("returned", None))


# --- the item -----------------------------------------------------------------------------------

paragraphs = st.lists(
    st.one_of(
        st.lists(
            st.sampled_from(["word", "Mot", "ÉTÉ", "ſ", "“q”", "a—b", "x\xa0y", "¨", "İ", "\u200b", "\xad"]),
            min_size=1,
        ).map(" ".join),
        st.lists(
            st.sampled_from(["word", "Mot", "a\tb", "x\x1cy", "\x0b", "\r", "\n", "", " ", "\x00"]),
            min_size=1,
        ).map(" ".join),
        st.text(max_size=12),
    ),
    max_size=6,
)


@PROFILE
@given(paragraphs=paragraphs)
def test_content_hash_of_a_body_is_the_documented_fold(paragraphs):
    body = "\n\n".join(paragraphs)
    assert _collapse_paragraph_spaces(body) == collapse_spaces(body) == " ".join(body.split())
    folded = " ".join(unicodedata.normalize("NFKC", body).casefold().translate(_TYPOGRAPHY_FOLD).split())
    assert content_hash(body) == hashlib.sha256(folded.encode("utf-8")).hexdigest()


_TYPOGRAPHY_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\xa0": " "}
)


def test_every_white_space_character_but_the_space_is_unprintable():
    """The premise of _collapse_paragraph_spaces: a printable text's only white space is " "."""
    for code in range(0x110000):
        character = chr(code)
        if character != " " and (character.isspace() or len(f"a{character}b".split()) != 1):
            assert not character.isprintable(), hex(code)


@PROFILE
@given(url=st.one_of(any_url, network_urls))
def test_the_site_of_an_article_url_is_its_host(url):
    expected = outcome(lambda: (urlsplit(url).hostname or "").removeprefix("www."))
    assert outcome(_site, url) == expected


@PROFILE
@given(url=st.one_of(any_url, plain_urls, st.text(alphabet="-hHgGsSmMſK\u212a.\n/?#x", max_size=12)))
def test_picture_keys_are_what_the_suffix_pattern_gave(url):
    assert body_module._picture_key(url) == picture_key_before(url)
    name = url.partition("#")[0].partition("?")[0].rsplit("/", 1)[-1].rsplit(".", 1)[0]
    assert body_module._picture_key(url) == body_module._PICTURE_SIZE_SUFFIX.sub("", name).lower()


def test_merge_images_lends_captions_as_before():
    lead = [Image("https://www.spxdaily.com/images-hg/Rocket-HG.jpg")]
    body = [
        Image("https://www.spxdaily.com/images-lg/rocket-lg.jpg", "A rocket."),
        Image("https://www.spxdaily.com/images-lg/other-sm.png"),
        Image("https://www.spxdaily.com/images/other.png", "Other."),
    ]
    merged = body_module.merge_images(lead, body)
    assert merged == [
        Image("https://www.spxdaily.com/images-hg/Rocket-HG.jpg", "A rocket."),
        Image("https://www.spxdaily.com/images-lg/other-sm.png", "Other."),
    ]


@pytest.mark.parametrize("variant", ["as served", "no og:url", "relative og:url", "upper-case host"])
def test_word_count_site_and_notes_of_snapshot_articles(manifest, variant):
    for article in manifest["articles"][:20]:
        html = decode_html((SNAPSHOT / article["url"].split("://", 1)[1]).read_bytes()).text
        html = {
            "as served": html,
            "no og:url": re.sub(r'<meta property="og:url"[^>]*>', "", html),
            "relative og:url": re.sub(r'(og:url" content=")https://[^/]+', r"\1", html),
            "upper-case host": re.sub(r'(og:url" content=")([^"]+)', lambda m: m[1] + m[2].upper(), html),
        }[variant]
        item = parse_article(article["url"], html, scraped_at="2000-01-01T00:00:00Z")
        assert item is not None
        assert item.word_count == sum(paragraph.count(" ") + 1 for paragraph in item.paragraphs)
        assert item.site == (urlsplit(item.url).hostname or "").removeprefix("www.")
        assert item.notes == list(dict.fromkeys(item.notes))
        assert json.loads(json.dumps(item.to_dict()))["url"] == item.url
