"""Bad input the parsers survive: mutated snapshot pages, hostile markup, charsets that lie.

Every snapshot page (tests/site, ground truth in its manifest.json) is mutated (truncated, tags
deleted or duplicated, stray markers, swapped encodings, canaries planted in scripts and comments,
deep nesting, huge paragraphs) and fed to parse_article, parse_listing_page, parse_navigation and
parse_feed. Whatever comes out must keep these invariants (`check_article` and friends below):

- nothing is raised but the documented ParseError (articles) and FeedError (feeds);
- every text field is plain text: no `<` followed by a tag name, no control characters, nothing of
  what the page held in <script>, <style>, <noscript>, <iframe> or comments (unique canary strings
  are planted there and must never come out);
- every URL is an absolute http(s) URL with a host and no white space;
- an article item validates against the shipped JSON Schema;
- one parse stays under PARSE_BOUND seconds of CPU (see there why that number).

Mutations that must not change what a reader sees (canaries, a charset that lies, CRLF to LF, a deep
but harmless nest) are also checked against the manifest: the same title, byline, dateline,
paragraphs, pictures and links.

Mutations are deterministic: a fixed list of operations swept over all 68 article pages, plus
hypothesis strategies drawing operations over real pages under the "newsbot-robustness" profile
(derandomize=True, so CI runs the same examples every time). NEWSBOT_ROBUSTNESS_EXAMPLES=2000 runs
more examples locally.
"""

from __future__ import annotations

import codecs
import contextlib
import functools
import hashlib
import json
import os
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from lxml import etree

from newsbot.item import ArticleItem, shipped_schema
from newsbot.parsing.article import ParseError, content_hash, parse_article
from newsbot.parsing.encoding import decode_html
from newsbot.parsing.feed import FeedError, parse_feed
from newsbot.parsing.listing import ListingPage, parse_listing_page
from newsbot.parsing.navigation import parse_navigation
from newsbot.parsing.text import clean_text, collapse_spaces
from newsbot.parsing.tree import parse_html, text_blocks, visible, visible_text, walk
from newsbot.registry import load_registry
from tests.conftest import SNAPSHOT

settings.register_profile(
    "newsbot-robustness",
    derandomize=True,  # the same examples on every run: CI never goes red on a new random draw
    deadline=None,  # the parse time is bounded by PARSE_BOUND below, measured per parse
    max_examples=int(os.environ.get("NEWSBOT_ROBUSTNESS_EXAMPLES", "300")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
PROFILE = settings.get_profile("newsbot-robustness")

# Why 10 s of CPU: a snapshot page parses in about 1 ms; the largest inputs here (a 5 MB paragraph,
# 20 000 paragraphs, 5 000 levels of nesting) take 0.1-0.3 s on an idle 2-core machine. Anything
# quadratic in the page size (a regex that rescans the page, a walk over all elements per element)
# takes minutes on these inputs and fails at once. The bound is per parse call, measured as this
# process's CPU time (time.process_time), the checks excluded: wall time on a shared machine went
# past 2 s for legitimate parses while other processes ran, and a guard against blow-ups must not
# flake with the load.
PARSE_BOUND = 10.0

FIXED_TIME = "2030-01-01T00:00:00Z"  # after every fixture's date: no page is dated after its fetch
VALIDATOR = Draft202012Validator(shipped_schema())
REGISTRY = load_registry()

# --- the snapshot ----------------------------------------------------------------------------------


def _path(url: str) -> Path:
    return SNAPSHOT / url.split("://", 1)[1]


MANIFEST = json.loads((SNAPSHOT / "manifest.json").read_text(encoding="utf-8"))
ARTICLES: list[dict] = MANIFEST["articles"]
LISTINGS: list[tuple[str, str | None]] = sorted(
    {(page, section["slug"]) for section in MANIFEST["sections"] for page in section["pages"]}
    | {(f"https://{p.parent.name}/index.html", None) for p in SNAPSHOT.glob("*/index.html")}
)
LISTINGS = [(url, slug) for url, slug in LISTINGS if _path(url).exists()]
FEEDS: list[str] = [feed["url"] for feed in MANIFEST["feeds"]]
COMPARED_FIELDS = (
    "url", "title", "byline", "authors", "agency", "dateline", "dateline_place", "date_published",
    "paragraphs", "images", "related_links",
)  # fmt: skip


@cache
def page_bytes(url: str) -> bytes:
    return _path(url).read_bytes()


def _short(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1].removesuffix(".html")[:40]


# --- invariants ------------------------------------------------------------------------------------

CANARIES = {
    "script": b'<script type="text/javascript">var zqcanaryscript = "zqcanaryscript";</script>',
    "style": b"<style>.zqcanarystyle { content: 'zqcanarystyle'; }</style>",
    "noscript": b'<noscript><img src="/px.gif">zqcanarynoscript</noscript>',
    "iframe": b"<iframe src='/ads/frame.html'>zqcanaryiframe <p>zqcanaryiframe</iframe>",
    "comment": b"<!-- zqcanarycomment <p>zqcanarycomment</p> -->",
}
CANARY_TEXT = re.compile(r"zqcanary", re.I)
# "<" then a tag name: in HTML text this always opens a tag, so in extracted text it means markup
# leaked through (or a raw-text element such as <title> or <xmp> was taken for text).
MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*|<!--|<!\[CDATA\[|<\?")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")
LINE_BREAKS = re.compile(r"[\t\n\r\u2028\u2029]")
URL = re.compile(r"^https?://[^\s/?#]+(?:[/?#]\S*)?$")
MOJIBAKE = re.compile("â€|Ã[\x80-\xbf©¨¢§¼½]|Â[\xa0-\xbf]|ï»¿|\ufffd")


@dataclass(frozen=True)
class Expect:
    """Which text checks apply to a page: what a reader of the page itself would not see.

    Some mutations legitimately make canary or markup-like text visible (a deleted `<script>` tag,
    an unmatched quote or a stray `<!` right before a canary; a stray `<` before a link, which reads
    "<" followed by the link's text). Then that text is page text like any other, and a field may
    hold it. `expect_for` asks an oracle: the whole page parsed at once, as a browser does, noise
    dropped. What must never happen is text the page hides showing up in a field: the parsers slice
    pages and parse the slices, which is where such leaks come from.
    """

    no_canaries: bool = True
    no_markup: bool = True


STRICT = Expect()


def expect_for(*markups: str) -> Expect:
    text = "\n".join(visible_text(parse_html(markup)) for markup in markups)
    return Expect(no_canaries=not CANARY_TEXT.search(text), no_markup=not MARKUP.search(text))


def check_with_oracle(check: Callable[[Expect], None], oracle: Callable[[], Expect]) -> None:
    """check(STRICT), and only where that fails, check(oracle()): an oracle's Expect only allows more
    text, so what passes STRICT passes it too; its parse of the whole page is made where it decides."""
    try:
        check(STRICT)
    except AssertionError:
        check(oracle())


def check_text(value: str | None, where: str, *, one_line: bool = True, expect: Expect = STRICT) -> None:
    if value is None:
        return
    assert isinstance(value, str), where
    if expect.no_markup:
        assert not MARKUP.search(value), f"{where}: markup in text: {value[:200]!r}"
    assert not CONTROL.search(value), f"{where}: control character in text: {value[:200]!r}"
    if one_line:
        assert not LINE_BREAKS.search(value), f"{where}: line break in a one-line field: {value[:200]!r}"
        assert value == value.strip(), f"{where}: untrimmed: {value[:80]!r}"
    if expect.no_canaries:
        assert not CANARY_TEXT.search(value), f"{where}: script/style/comment text leaked: {value[:200]!r}"


def check_url(value: str | None, where: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    assert isinstance(value, str) and URL.match(value), f"{where}: not an absolute http(s) URL: {value!r}"
    assert urlsplit(value).hostname, f"{where}: no host: {value!r}"


def check_article(item: ArticleItem | None, *, expect: Expect = STRICT) -> None:
    if item is None:
        return
    text = functools.partial(check_text, expect=expect)
    data = item.to_dict()
    errors = list(VALIDATOR.iter_errors(data))
    assert not errors, errors[0].message
    check_url(item.url, "url")
    assert REGISTRY.is_article_url(item.url), item.url
    for name in ("title", "byline", "dateline", "dateline_place", "section", "summary", "agency"):
        text(getattr(item, name), name)
    assert item.title, "empty title"
    for index, paragraph in enumerate(item.paragraphs):
        text(paragraph, f"paragraphs[{index}]")
        assert paragraph, "empty paragraph"
    text(item.body, "body", one_line=False)
    assert item.body == "\n\n".join(item.paragraphs)
    for index, author in enumerate(item.authors):
        text(author, f"authors[{index}]")
    for index, image in enumerate(item.images):
        check_url(image.url, f"images[{index}].url")
        text(image.caption, f"images[{index}].caption")
    for index, link in enumerate(item.related_links):
        check_url(link.url, f"related_links[{index}].url")
        text(link.text, f"related_links[{index}].text")
        assert link.text


def check_listing(page: ListingPage, *, expect: Expect = STRICT) -> None:
    text = functools.partial(check_text, expect=expect)
    for index, entry in enumerate(page.entries):
        check_url(entry.url, f"entries[{index}].url")
        assert REGISTRY.is_article_url(entry.url), entry.url
        text(entry.title, f"entries[{index}].title")
        assert entry.title or any("without a headline link" in note for note in page.notes)
        text(entry.dateline, f"entries[{index}].dateline")
        text(entry.teaser, f"entries[{index}].teaser")
    for url, number in page.pagination:
        check_url(url, "pagination")
        assert number is None or number >= 1


def check_feed_entries(entries: list, *, expect: Expect = STRICT) -> None:
    for index, entry in enumerate(entries):
        check_url(entry.url, f"feed[{index}].url")
        check_url(entry.thumbnail, f"feed[{index}].thumbnail", optional=True)
        for name in ("title", "dateline", "dateline_place", "agency", "teaser"):
            check_text(getattr(entry, name), f"feed[{index}].{name}", expect=expect)
        assert entry.title


def timed(call: Callable[[], object]) -> object:
    start = time.process_time()
    result = call()
    elapsed = time.process_time() - start
    assert elapsed < PARSE_BOUND, f"one parse took {elapsed:.2f} s of CPU (bound {PARSE_BOUND} s)"
    return result


def parse_checked(
    url: str | None, body: bytes | str, content_type: str | None = None, *, oracle: bool = True
) -> ArticleItem | None:
    """parse_article under every invariant; ParseError is allowed (and only it).

    With `oracle`, text the mutated page itself shows (see Expect) is allowed in fields; without,
    no canary and no markup-like text at all.
    """
    try:
        item = timed(lambda: parse_article(url, body, content_type=content_type, scraped_at=FIXED_TIME))
    except ParseError:
        return None
    if item is not None:
        check_with_oracle(
            lambda expect: check_article(item, expect=expect),
            lambda: expect_for(decode_html(body, content_type).text) if oracle else STRICT,
        )
    return item


def listing_checked(url: str, body: bytes | str, slug: str | None) -> ListingPage:
    page = timed(lambda: parse_listing_page(url, body, section_slug=slug))
    check_with_oracle(
        lambda expect: check_listing(page, expect=expect), lambda: expect_for(decode_html(body).text)
    )
    navigation = timed(lambda: parse_navigation(url, body))
    for link in navigation.sections + navigation.not_sections:
        check_url(link.url, "nav link")
    return page


def feed_expect(body: bytes) -> Expect:
    """expect_for the HTML in every item's title and description."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    try:
        root = etree.fromstring(body, parser=parser)
    except etree.XMLSyntaxError:
        return STRICT
    if root is None:
        return STRICT
    fragments = []
    for item in root.iter("item"):
        for name in ("title", "description"):
            with contextlib.suppress(UnicodeDecodeError):
                fragments.append(f"<div>{item.findtext(name) or ''}</div>")
    return expect_for(*fragments) if fragments else STRICT


def feed_checked(url: str, body: bytes) -> list:
    try:
        entries = timed(lambda: parse_feed(url, body))
    except FeedError:
        return []
    check_with_oracle(lambda expect: check_feed_entries(entries, expect=expect), lambda: feed_expect(body))
    return entries


def assert_same_as_manifest(item: ArticleItem | None, truth: dict, fields=COMPARED_FIELDS) -> None:
    assert item is not None, "the page is no longer read as an article"
    data = item.to_dict()
    for name in fields:
        assert data[name] == truth[name], (name, data[name], truth[name])


def assert_paragraphs_kept(item: ArticleItem | None, truth: dict) -> None:
    """Every paragraph of the article is still there, in order (more may have been added)."""
    assert item is not None
    found = iter(item.paragraphs)
    missing = [p for p in truth["paragraphs"] if not any(p == q for q in found)]
    assert not missing, f"paragraphs lost: {missing[:2]}"


# --- mutations -------------------------------------------------------------------------------------

TAG_START = re.compile(rb"<[A-Za-z!/?]")
TAG = re.compile(rb"<[A-Za-z!/?][^<>]*>?")
BODY_START = b"<!--body-2-incontainer.php-->"
BODY_END = b"<!--RELATED LINKS-->"

STRAY = [
    BODY_START + b"\r\n",
    BODY_END,
    b"<h1>",
    b"</h1>",
    b"<h1>A stray headline<br></h1>",
    b'<span class="BHS">',
    b'<span class="BHS">by Staff Writers</span><br>',
    b'<span class="BHS">Paris (AFP) Jan 1, 2020</span>',
    b'<span class="BSection">',
    b"<!--",
    b"-->",
    b"<script>",
    b"</script>",
    b"<style>",
    b"<![CDATA[stray]]>",
    b"]]>",
    b'<?xml version="1.0" encoding="utf-8"?>',
    b"<b>Related Links</b>",
    b"Thanks for being here;",
    b"Copyright 1995-2024",
    b"<p>",
    b"</p>",
    b"<table><tr><td>",
    b"</td></tr></table>",
    b"<html><body>",
    b"</body></html>",
    b"\x00\x01\x02\x1b",
    b"<\x7f",
    b"<\xef\xbb\xbf",
    b"<template><script>zqcanaryscript</script><p>x</p></template>",
    b"\xef\xbb\xbf",
    b"\x81\x8d\x8f\x90\x9d",
    b"&#0;&#x80;&#x9c;&#xD800;&#1114112;&#65279;",
    b"<meta charset=utf-16>",
    b"<meta charset=x-bogus>",
    b"<plaintext>",
    b"<xmp><b>x</b>",
    b"<textarea><b>x</b>",
    b"<title><b>x</b>",
    b"<template><p>x</p></template>",
    b'<a href="http:///nohost">no host</a>',
    b'<a href="http://[broken/">broken host</a><img src="http://[::1">',
    b'<a href="https://www.spacewar.com/reports/With spaces_999.html">spaces</a>',
    b'<img src="/images/a picture.jpg"><span class="BCaption">A caption</span>',
    b'<a href="javascript:alert(1)">js</a>',
    b'<img src="data:image/png;base64,AAAA">',
    b'<a href="//evil.example/x">x</a>',
    b"<br><br><br>",
    b"by AFP Staff Writers" * 20,
]


def tag_positions(page: bytes) -> list[int]:
    return [m.start() for m in TAG_START.finditer(page)] or [0]


def _at(page: bytes, index: int) -> int:
    positions = tag_positions(page)
    return positions[index % len(positions)]


def op_truncate(page: bytes, fraction: float) -> bytes:
    return page[: int(len(page) * fraction)]


def op_delete_tag(page: bytes, index: int) -> bytes:
    tags = list(TAG.finditer(page))
    if not tags:
        return page
    tag = tags[index % len(tags)]
    return page[: tag.start()] + page[tag.end() :]


def op_duplicate_tag(page: bytes, index: int, times: int) -> bytes:
    tags = list(TAG.finditer(page))
    if not tags:
        return page
    tag = tags[index % len(tags)]
    return page[: tag.start()] + tag.group() * times + page[tag.start() :]


def op_delete_span(page: bytes, fraction: float, length: int) -> bytes:
    start = int(len(page) * fraction)
    return page[:start] + page[start + length :]


def op_duplicate_span(page: bytes, fraction: float, length: int, times: int) -> bytes:
    start = int(len(page) * fraction)
    return page[:start] + page[start : start + length] * times + page[start:]


def op_insert(page: bytes, index: int, snippet: bytes) -> bytes:
    at = _at(page, index)
    return page[:at] + snippet + page[at:]


def op_garbage(page: bytes, fraction: float, garbage: bytes) -> bytes:
    at = int(len(page) * fraction)
    # No "&": random bytes could spell "&lt;b" and so legitimately put "<b" into a text field.
    return page[:at] + garbage.replace(b"&", b"?") + page[at:]


def op_nest(page: bytes, index: int, tag: str, depth: int, closed: bool) -> bytes:
    opening, closing = f"<{tag}>".encode(), f"</{tag}>".encode()
    nest = opening * depth + b"deeply nested words" + (closing * depth if closed else b"")
    return op_insert(page, index, nest)


def op_huge_text(page: bytes, index: int, size: int, spaces: bool) -> bytes:
    word = b"lorem " if spaces else b"x"
    return op_insert(page, index, b"<p>" + word * (size // len(word)))


def op_newlines(page: bytes, style: str) -> bytes:
    return page.replace(b"\r\n", {"lf": b"\n", "cr": b"\r", "none": b" "}[style])


def op_plant_canaries(page: bytes, indexes: tuple[int, ...]) -> bytes:
    """Every canary element before the tags at `indexes` (between tags, so markup stays sound)."""
    positions = tag_positions(page)
    inserts = {}
    for n, index in enumerate(indexes):
        kind = list(CANARIES)[n % len(CANARIES)]
        inserts.setdefault(positions[index % len(positions)], []).append(CANARIES[kind])
    out, last = [], 0
    for at in sorted(inserts):
        out += [page[last:at], *inserts[at]]
        last = at
    out.append(page[last:])
    return b"".join(out)


def op_canaries_everywhere(page: bytes) -> bytes:
    """A canary before every tag of the page, cycling through the five kinds."""
    return op_plant_canaries(page, tuple(range(len(tag_positions(page)))))


# --- charsets --------------------------------------------------------------------------------------

_CHARSET_DECLARATION = re.compile(rb"<meta[^>]*charset=[^>]*>", re.I)


def page_text(url: str) -> str:
    """The page as text with its non-ASCII characters written as characters, not entities."""
    text = decode_html(page_bytes(url)).text
    return re.sub(r"&#(\d+);|&nbsp;", lambda m: chr(int(m.group(1))) if m.group(1) else "\xa0", text)


def declare(body: bytes, charset: str | None) -> bytes:
    meta = (
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">'.encode()
        if charset
        else b""
    )
    body = _CHARSET_DECLARATION.sub(b"", body)
    return body.replace(b"<head>", b"<head>" + meta, 1)


def _mixed(text: str, charset: str) -> bytes:
    """Header and template in windows-1252, the body (an include) in UTF-8: two files, one page."""
    cut = text.find(BODY_START.decode())
    return declare(text[:cut].encode("cp1252") + text[cut:].encode("utf-8"), charset)


def _utf8_with_cp1252_quote(text: str) -> bytes:
    """A UTF-8 page with one stray windows-1252 byte (a curly apostrophe pasted in the body)."""
    body = declare(text.encode("utf-8"), "utf-8")
    cut = body.find(BODY_START) + len(BODY_START)
    return body[:cut] + "<p>It\u2019s<p>".encode("cp1252") + body[cut:]


@dataclass(frozen=True)
class CharsetLie:
    name: str
    make: Callable[[str], bytes]
    content_type: str | None = None
    # The stray paragraph some variants add, which then comes first in the body.
    extra_paragraph: str | None = None


CHARSET_LIES = [
    CharsetLie("cp1252-declared-utf8", lambda t: declare(t.encode("cp1252"), "utf-8")),
    CharsetLie("cp1252-undeclared", lambda t: declare(t.encode("cp1252"), None)),
    CharsetLie("cp1252-declared-x-bogus", lambda t: declare(t.encode("cp1252"), "x-bogus")),
    CharsetLie("cp1252-declared-utf16", lambda t: declare(t.encode("cp1252"), "utf-16")),
    CharsetLie("utf8-declared-iso-8859-1", lambda t: declare(t.encode("utf-8"), "iso-8859-1")),
    CharsetLie("utf8-declared-windows-1252", lambda t: declare(t.encode("utf-8"), "windows-1252")),
    CharsetLie("utf8-declared-koi8-r", lambda t: declare(t.encode("utf-8"), "koi8-r")),
    CharsetLie("utf8-declared-ebcdic", lambda t: declare(t.encode("utf-8"), "cp037")),
    CharsetLie("utf8-undeclared", lambda t: declare(t.encode("utf-8"), None)),
    CharsetLie("utf8-declared-x-bogus", lambda t: declare(t.encode("utf-8"), "x-bogus")),
    CharsetLie("utf8-declared-utf16", lambda t: declare(t.encode("utf-8"), "utf-16")),
    # Python's codecs that are not charsets of a page, and raise a bare UnicodeError.
    CharsetLie("utf8-declared-idna", lambda t: declare(t.encode("utf-8"), "idna")),
    CharsetLie("utf8-declared-punycode", lambda t: declare(t.encode("utf-8"), "punycode")),
    # A multi-byte charset the bytes do not fit (decoding fails), and ones they may happen to fit.
    CharsetLie("utf8-declared-shift-jis", lambda t: declare(t.encode("utf-8"), "shift_jis")),
    CharsetLie("utf8-declared-euc-kr", lambda t: declare(t.encode("utf-8"), "euc-kr")),
    CharsetLie("utf8-declared-gbk", lambda t: declare(t.encode("utf-8"), "gbk")),
    CharsetLie("utf8-declared-big5", lambda t: declare(t.encode("utf-8"), "big5")),
    CharsetLie("cp1252-declared-shift-jis", lambda t: declare(t.encode("cp1252"), "shift_jis")),
    CharsetLie("cp1252-declared-koi8-r", lambda t: declare(t.encode("cp1252"), "koi8-r")),
    CharsetLie("cp1252-declared-windows-1251", lambda t: declare(t.encode("cp1252"), "windows-1251")),
    CharsetLie("cp1252-declared-iso-8859-7", lambda t: declare(t.encode("cp1252"), "iso-8859-7")),
    CharsetLie(
        "utf8-header-iso-8859-1",
        lambda t: declare(t.encode("utf-8"), "iso-8859-1"),
        content_type="text/html; charset=ISO-8859-1",
    ),
    CharsetLie(
        "cp1252-header-utf8", lambda t: declare(t.encode("cp1252"), "utf-8"), "text/html; charset=utf-8"
    ),
    CharsetLie("utf8-header-utf16", lambda t: declare(t.encode("utf-8"), None), "text/html; charset=utf-16"),
    CharsetLie(
        "utf8-header-x-bogus", lambda t: declare(t.encode("utf-8"), None), "text/html; charset=x-bogus"
    ),
    CharsetLie(
        "utf8-bom-declared-iso-8859-1", lambda t: codecs.BOM_UTF8 + declare(t.encode("utf-8"), "iso-8859-1")
    ),
    CharsetLie("utf8-two-boms", lambda t: codecs.BOM_UTF8 * 2 + declare(t.encode("utf-8"), "utf-8")),
    CharsetLie(
        "utf16le-bom-declared-iso-8859-1",
        lambda t: (
            codecs.BOM_UTF16_LE
            + declare(t.encode("cp1252"), "iso-8859-1").decode("cp1252").encode("utf-16-le")
        ),
    ),
    CharsetLie("utf16be-bom", lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be")),
    CharsetLie("mixed-cp1252-template-utf8-body", lambda t: _mixed(t, "iso-8859-1")),
    CharsetLie("mixed-declared-utf8", lambda t: _mixed(t, "utf-8")),
    CharsetLie("mixed-undeclared", lambda t: _mixed(t, None)),
    CharsetLie("utf8-one-cp1252-byte", _utf8_with_cp1252_quote, extra_paragraph="It\u2019s"),
]


# --- the fixed sweep: every article page x every fixed operation -----------------------------------


@dataclass(frozen=True)
class FixedOp:
    name: str
    apply: Callable[[bytes], bytes]
    expect: str = "invariants"  # "same": the manifest's fields; "kept": its paragraphs still there


def _insert_before(marker: bytes, snippet: bytes) -> Callable[[bytes], bytes]:
    return lambda page: page.replace(marker, snippet + marker, 1)


def _insert_after(marker: bytes, snippet: bytes) -> Callable[[bytes], bytes]:
    return lambda page: page.replace(marker, marker + snippet, 1)


def _delete(pattern: bytes, count: int = 1) -> Callable[[bytes], bytes]:
    regex = re.compile(pattern, re.I | re.S)
    return lambda page: regex.sub(b"", page, count=count)


def _duplicate(pattern: bytes, times: int = 2) -> Callable[[bytes], bytes]:
    regex = re.compile(pattern, re.I | re.S)
    return lambda page: regex.sub(lambda m: m.group() * times, page, count=1)


FIXED_OPS = [
    FixedOp("canaries-everywhere", op_canaries_everywhere, "same"),
    FixedOp("canaries-in-headline", _insert_before(b"<br/></h1>", b"".join(CANARIES.values())), "same"),
    FixedOp("canaries-in-headline-br", _insert_before(b"<br></h1>", b"".join(CANARIES.values())), "same"),
    FixedOp(
        "canaries-in-section-label",
        _insert_after(b'<span class="BSection">', b"".join(CANARIES.values())),
        "same",
    ),
    FixedOp(
        "canaries-in-related-links",
        lambda p: re.sub(
            rb"(<!--RELATED LINKS-->.*?<a [^>]*>)",
            lambda m: m.group(1) + b"".join(CANARIES.values()),
            p,
            count=1,
            flags=re.S,
        ),
        "same",
    ),
    FixedOp("canaries-in-title", _insert_before(b"</title>", b"".join(CANARIES.values()))),
    FixedOp("lf-line-ends", lambda p: op_newlines(p, "lf"), "same"),
    FixedOp("cr-line-ends", lambda p: op_newlines(p, "cr"), "same"),
    FixedOp(
        "nest-3000-div-in-body",
        _insert_after(BODY_START + b"\r\n", b"<div>" * 3000 + b"</div>" * 3000),
        "same",
    ),
    FixedOp("nest-5000-font-unclosed-in-body", _insert_after(BODY_START + b"\r\n", b"<font>" * 5000), "kept"),
    FixedOp("nest-3000-b-before-h1", _insert_before(b"<h1>", b"<b>" * 3000 + b"</b>" * 3000)),
    # Found by hypothesis: past libxml2's depth limit, a doctype inside a tag name made the parse that
    # has no depth limit raise ("missing end tags") instead of giving a tree.
    FixedOp(
        "nest-2100-div-with-doctype-in-a-tag",
        _insert_after(BODY_START + b"\r\n", b"<div>" * 2100 + b"<a<!doctype html>>" + b"</div>" * 2100),
    ),
    FixedOp(
        "body-start-marker-in-script",
        _insert_before(
            b"<h1>", b"<script>document.write('" + BODY_START + b"\\n'); var zqcanaryscript = 1;</script>"
        ),
        "same",
    ),
    FixedOp(
        "body-end-marker-in-comment",
        _insert_after(BODY_START + b"\r\n", b"<!-- old template: " + BODY_END + b" --><p>"),
        "kept",
    ),
    FixedOp("headline-in-comment", _insert_before(b"<h1>", b"<!-- <h1>zqcanarycomment<br></h1> -->"), "same"),
    FixedOp("headline-in-title-element", lambda p: p.replace(b"</title>", b"<h1>x</h1></title>", 1), "same"),
    FixedOp("truncate-10", lambda p: op_truncate(p, 0.10)),
    FixedOp("truncate-40", lambda p: op_truncate(p, 0.40)),
    FixedOp("truncate-60", lambda p: op_truncate(p, 0.60)),
    FixedOp("truncate-in-tag", lambda p: p[: p.find(b"<!--RELATED") + 8]),
    FixedOp("no-h1-open", _delete(rb"<h1>")),
    FixedOp("no-h1-close", _delete(rb"</h1>")),
    FixedOp("no-h1", _delete(rb"<h1>.*?</h1>")),
    FixedOp("no-markers", lambda p: p.replace(BODY_START, b"").replace(BODY_END, b"")),
    FixedOp("no-paragraph-tags", _delete(rb"</?p>", count=0)),
    FixedOp("no-script-close", _delete(rb"</script>", count=0)),
    FixedOp("no-span-close", _delete(rb"</span>", count=0)),
    FixedOp("two-h1", _duplicate(rb"<h1>.*?</h1>")),
    FixedOp("two-body-start-markers", _duplicate(re.escape(BODY_START))),
    FixedOp("two-bodies", _duplicate(re.escape(BODY_START) + rb".*?" + re.escape(BODY_END))),
    FixedOp("header-spans-x50", _duplicate(rb'<span class="BHS">.*?</span>', 50)),
    FixedOp(
        "end-marker-before-start",
        lambda p: p.replace(BODY_END, b"").replace(BODY_START, BODY_END + BODY_START),
    ),
    FixedOp("nul-bytes", lambda p: p.replace(b" ", b" \x00", 50)),
    FixedOp(
        "c0-controls-around-scripts",
        lambda p: p.replace(b"<script", b"\x0c\x01<script").replace(b"</script>", b"</script>\x0b\x1b"),
        "same",
    ),
    FixedOp("c1-and-undefined-cp1252-bytes", lambda p: p.replace(b"<p>", b"<p>\x81\x8d\x8f\x90\x9d", 3)),
    FixedOp("plaintext-in-body", _insert_after(BODY_START + b"\r\n", b"<p>Before.<plaintext><b>x</b>")),
    FixedOp(
        "xmp-and-textarea-in-body",
        _insert_after(BODY_START + b"\r\n", b"<xmp><b>x</b></xmp><textarea><i>y</i></textarea>"),
        "same",
    ),
    FixedOp(
        "svg-and-template-in-body",
        _insert_after(
            BODY_START + b"\r\n",
            b"<svg><style>zqcanarystyle</style><text>zqcanarysvg</text></svg><template><p>zqcanarytemplate</p></template>",
        ),
        "same",
    ),
    FixedOp(
        "urls-with-spaces-and-no-host",
        _insert_after(
            b"<b>Related Links</b><br>",
            b'<a href="/reports/A link with spaces.html">Spaces</a><br><a href="http:///x">No host</a><br><a href="http://">Empty</a><br>',
        ),
    ),
    FixedOp("og-image-with-spaces", lambda p: re.sub(rb'(og:image" content="[^"]*?)-hg', rb"\1 big-hg", p)),
    FixedOp("only-a-comment", lambda p: b"<!-- just a comment -->"),
    FixedOp("only-a-doctype", lambda p: b"<!DOCTYPE html>"),
    FixedOp("empty", lambda p: b""),
    FixedOp("garbage", lambda p: bytes(range(256)) * 64),
]


def _page_kind(truth: dict) -> tuple:
    """What sets an article page apart for the parser: its encoding, an advertorial, and which of
    pictures, related links, dateline, byline and agency it has."""
    fields = ("images", "related_links", "dateline", "byline", "agency")
    return (truth["encoding"], truth["is_advertorial"], *(bool(truth[name]) for name in fields))


def _mutated_articles() -> list[dict]:
    """One article per site (the one the most mutations change), then more until every mutation
    still meets every kind of page (_page_kind) it changes anywhere in the snapshot: the full grid of
    88 articles by 44 mutations took ~21 s of CPU, mostly to run the same page kind again."""
    changed = {}
    for truth in ARTICLES:
        page = page_bytes(truth["url"])
        changed[truth["url"]] = {(_page_kind(truth), op.name) for op in FIXED_OPS if op.apply(page) != page}
    chosen: dict[str, dict] = {}
    for truth in ARTICLES:
        best = chosen.get(truth["site"])
        if best is None or len(changed[truth["url"]]) > len(changed[best["url"]]):
            chosen[truth["site"]] = truth
    picked = list(chosen.values())
    met = set().union(*(changed[truth["url"]] for truth in picked))
    while missing := set().union(*changed.values()) - met:
        more = max(ARTICLES, key=lambda truth: len(changed[truth["url"]] & missing))
        picked.append(more)
        met |= changed[more["url"]]
    return picked


MUTATED_ARTICLES = _mutated_articles()


@pytest.mark.parametrize("op", FIXED_OPS, ids=[op.name for op in FIXED_OPS])
@pytest.mark.parametrize("truth", MUTATED_ARTICLES, ids=[_short(a["url"]) for a in MUTATED_ARTICLES])
def test_mutated_article_page(truth, op):
    body = op.apply(page_bytes(truth["url"]))
    item = parse_checked(truth["url"], body)
    if op.expect == "same":
        assert_same_as_manifest(item, truth)
    elif op.expect == "kept":
        assert_paragraphs_kept(item, truth)


@pytest.mark.parametrize("lie", CHARSET_LIES, ids=[lie.name for lie in CHARSET_LIES])
def test_a_charset_that_lies_still_gives_the_right_text(lie):
    """Each page re-encoded so its non-ASCII characters are bytes, then declared wrongly.

    "Right text" means the characters the author wrote: the text of the page as served, never the
    mojibake a browser shows when it trusts the lie ("â€œ" for a UTF-8 curly quote read as
    windows-1252). See decode_html for the rules that decide.
    """
    failures = []
    for truth in ARTICLES:
        body = lie.make(page_text(truth["url"]))
        item = parse_checked(truth["url"], body, lie.content_type)
        try:
            assert item is not None
            paragraphs = item.paragraphs
            if lie.extra_paragraph:
                assert paragraphs[0] == lie.extra_paragraph
                paragraphs = paragraphs[1:]
            assert paragraphs == truth["paragraphs"]
            assert_same_as_manifest(item, truth, ("title", "byline", "dateline", "related_links", "images"))
            for text in [item.title, *item.paragraphs]:
                assert not MOJIBAKE.search(text), text
        except AssertionError as error:
            failures.append(f"{_short(truth['url'])}: {error}"[:300])
    assert not failures, f"{len(failures)} of {len(ARTICLES)} pages: " + "\n".join(failures[:5])


# --- big inputs --------------------------------------------------------------------------------------

BIG_PAGES = [ARTICLES[0], ARTICLES[len(ARTICLES) // 2]]


@pytest.mark.parametrize("truth", BIG_PAGES, ids=[_short(a["url"]) for a in BIG_PAGES])
@pytest.mark.parametrize(
    ("name", "insert", "check"),
    [
        (
            "5MB-paragraph",
            b"<p>" + b"lorem ipsum " * 440_000 + b"\r\n",
            lambda item: max(map(len, item.paragraphs)) > 5_000_000,
        ),
        (
            "5MB-word",
            b"<p>" + b"x" * 5_000_000 + b"\r\n",
            lambda item: max(map(len, item.paragraphs)) == 5_000_000,
        ),
        (
            "20k-paragraphs",
            b"<p>A short paragraph.\r\n" * 20_000,
            lambda item: len(item.paragraphs) >= 20_000,
        ),
        ("20k-line-breaks", b"word<br>\r\n" * 20_000, lambda item: item.word_count > 20_000),
        (
            "5k-pictures",
            b'<img src="/images/p.jpg"><span class="BCaption">c</span>' * 5_000,
            lambda item: True,
        ),
        (
            "5000-nested-div",
            b"<div>" * 5000 + b"deep words" + b"</div>" * 5000,
            lambda item: "deep words" in item.paragraphs,
        ),
        (
            "5000-nested-font",
            b"<font>" * 5000 + b"deep words" + b"</font>" * 5000,
            lambda item: "deep words" in item.body,
        ),
        (
            "5000-unclosed-font",
            b"<font size=2>" * 5000 + b"deep words",
            lambda item: "deep words" in item.body,
        ),
        (
            "5000-nested-table",
            b"<table><tr><td>" * 5000 + b"deep words",
            lambda item: "deep words" in item.body,
        ),
        ("20k-nested-span", b"<span>" * 20_000 + b"deep words", lambda item: "deep words" in item.body),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_big_and_deep_bodies_are_read_within_the_bound(truth, name, insert, check):
    page = page_bytes(truth["url"])
    # The payload, then a new paragraph for the article's first one (which has no <p> of its own).
    body = page.replace(BODY_START + b"\r\n", BODY_START + b"\r\n" + insert + b"<p>", 1)
    item = parse_checked(truth["url"], body)
    assert_paragraphs_kept(item, truth)
    assert check(item), name


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("glued-byline-1MB", b'<span class="BHS">by ' + b"aB" * 500_000 + b"</span>"),
        ("byline-line-1MB", b"<br>by " + b"Word " * 200_000 + b"<br>"),
        ("dateline-like-1MB", b'<span class="BHS">' + b"Paris (AFP) " * 80_000 + b"</span>"),
        ("headline-1MB", b"<h1>" + b"Headline words " * 70_000 + b"<br></h1>"),
        ("section-label-1MB", b'<span class="BSection">' + b"LABEL " * 170_000 + b"</span><h1>H<br></h1>"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_huge_header_lines_are_read_within_the_bound(name, header):
    truth = ARTICLES[0]
    page = page_bytes(truth["url"])
    body = page.replace(BODY_START, header + BODY_START, 1)
    parse_checked(truth["url"], body)


def test_unclosed_h1_tags_in_a_big_page_stay_within_the_bound():
    """`<h1>(.*?)</h1>` ran to the end of the page from each of 20 000 unclosed `<h1>`."""
    truth = ARTICLES[0]
    page = page_bytes(truth["url"]).replace(b"</h1>", b"") + b"<h1>x " * 20_000 + b"lorem " * 200_000
    parse_checked(truth["url"], page)


@pytest.mark.parametrize("url, slug", LISTINGS[:2], ids=[_short(u) for u, _ in LISTINGS[:2]])
def test_big_and_deep_listing_pages_are_read_within_the_bound(url, slug):
    page = page_bytes(url)
    for insert in (
        b"<div>" * 5000 + b"deep",
        b"<p>" + b"lorem " * 900_000,
        b"<a href='/x.html'>x</a><br>" * 20_000,
    ):
        body = page.replace(b"<body>", b"<body>" + insert, 1)
        listing = listing_checked(url, body, slug)
        assert listing.entries, "entries lost"


def test_big_and_deep_feeds_are_read_within_the_bound():
    url = FEEDS[0]
    feed = page_bytes(url)
    item = b"<item><title>T</title><link>https://www.spacewar.com/reports/X_999.html</link><description>"
    for insert in (
        item + b"lorem " * 900_000 + b"</description></item>",
        item + b"<![CDATA[" + b"<div>" * 5000 + b"deep]]></description></item>",
        item + b"x</description></item>" * 0 + (b"<item>" * 5000),
    ):
        feed_checked(url, feed.replace(b"<item>", insert + b"<item>", 1))
    assert feed_checked(url, feed.replace(b"<item>", b"<b>" * 3000 + b"<item>", 1)) is not None


# --- hypothesis: mutations drawn over real pages ----------------------------------------------------

positions = st.integers(min_value=0, max_value=10_000)
fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
garbage_bytes = st.binary(min_size=1, max_size=64)
mutation = st.one_of(
    st.tuples(st.just("truncate"), fractions),
    st.tuples(st.just("delete_tag"), positions),
    st.tuples(st.just("duplicate_tag"), positions, st.integers(2, 30)),
    st.tuples(st.just("delete_span"), fractions, st.integers(1, 4000)),
    st.tuples(st.just("duplicate_span"), fractions, st.integers(1, 2000), st.integers(2, 5)),
    st.tuples(st.just("insert"), positions, st.sampled_from(STRAY)),
    st.tuples(st.just("garbage"), fractions, garbage_bytes),
    st.tuples(
        st.just("nest"),
        positions,
        st.sampled_from(["div", "font", "b", "table", "p", "li"]),
        st.integers(1, 3000),
        st.booleans(),
    ),
    st.tuples(st.just("huge_text"), positions, st.integers(1, 300_000), st.booleans()),
    st.tuples(st.just("newlines"), st.sampled_from(["lf", "cr", "none"])),
)
OPS: dict[str, Callable[..., bytes]] = {
    "truncate": op_truncate,
    "delete_tag": op_delete_tag,
    "duplicate_tag": op_duplicate_tag,
    "delete_span": op_delete_span,
    "duplicate_span": op_duplicate_span,
    "insert": op_insert,
    "garbage": op_garbage,
    "nest": op_nest,
    "huge_text": op_huge_text,
    "newlines": op_newlines,
}


def mutate(page: bytes, mutations: list[tuple]) -> bytes:
    for name, *args in mutations:
        page = OPS[name](page, *args)
    return page


@PROFILE
@given(
    truth=st.sampled_from(ARTICLES),
    mutations=st.lists(mutation, min_size=1, max_size=4),
    canaries=st.lists(positions, max_size=10),
)
def test_mutated_article_pages_keep_the_invariants(truth, mutations, canaries):
    body = op_plant_canaries(mutate(page_bytes(truth["url"]), mutations), tuple(canaries))
    parse_checked(truth["url"], body)


@PROFILE
@given(truth=st.sampled_from(ARTICLES), canaries=st.lists(positions, min_size=1, max_size=40))
def test_canaries_anywhere_between_tags_change_nothing(truth, canaries):
    body = op_plant_canaries(page_bytes(truth["url"]), tuple(canaries))
    assert_same_as_manifest(parse_checked(truth["url"], body), truth)


@PROFILE
@given(
    listing=st.sampled_from(LISTINGS),
    mutations=st.lists(mutation, min_size=1, max_size=4),
    canaries=st.lists(positions, max_size=10),
)
def test_mutated_listing_pages_keep_the_invariants(listing, mutations, canaries):
    url, slug = listing
    body = op_plant_canaries(mutate(page_bytes(url), mutations), tuple(canaries))
    listing_checked(url, body, slug)


@PROFILE
@given(listing=st.sampled_from(LISTINGS), canaries=st.lists(positions, min_size=1, max_size=40))
def test_canaries_in_listing_pages_change_nothing(listing, canaries):
    url, slug = listing
    expected = parse_listing_page(url, page_bytes(url), section_slug=slug)
    found = listing_checked(url, op_plant_canaries(page_bytes(url), tuple(canaries)), slug)
    assert found.entries == expected.entries
    assert found.pagination == expected.pagination


def test_an_entry_without_read_more_has_its_teaser_line_not_the_rest_of_the_page():
    """The teaser runs to "read more" (VERIFIED); an entry without one (the last here) took the
    pager and the whole copyright footer as its teaser, the article's summary."""
    url = "https://www.spacewar.com/superpowers.html"
    page = page_bytes(url)
    expected = parse_listing_page(url, page, section_slug="superpowers").entries
    end = b">read more</a>"
    for cut in (page.rindex(end), page.index(end)):  # the last entry's, and the first's
        without = page[: page.rindex(b"<a ", 0, cut)] + page[cut + len(end) :]
        assert parse_listing_page(url, without, section_slug="superpowers").entries == expected
    # A list of headlines alone (a home page) has no teasers: not the "RSS Feed" link and the footer.
    home = "https://www.spacewar.com/index.html"
    assert {entry.teaser for entry in parse_listing_page(home, page_bytes(home)).entries} == {None}


FEED_STRAY = [
    b"<script>var zqcanaryscript = 1;</script>",
    b"<style>zqcanarystyle</style>",
    b"<!-- zqcanarycomment -->",
    b"<iframe>zqcanaryiframe</iframe>",
    b"<noscript>zqcanarynoscript</noscript>",
]


def _feed_canaries(feed: bytes, count: int) -> bytes:
    """Canaries inside the CDATA of descriptions and titles, where a feed's HTML lives."""
    out = feed
    for n in range(count):
        out = out.replace(b"<br/>", b"<br/>" + FEED_STRAY[n % len(FEED_STRAY)], 1)
    return out.replace(b"<title><![CDATA[", b"<title><![CDATA[<script>zqcanaryscript</script>")


@PROFILE
@given(
    url=st.sampled_from(FEEDS),
    mutations=st.lists(mutation, min_size=0, max_size=4),
    canaries=st.integers(0, 20),
)
def test_mutated_feeds_keep_the_invariants(url, mutations, canaries):
    body = _feed_canaries(mutate(page_bytes(url), mutations), canaries)
    feed_checked(url, body)


@pytest.mark.parametrize("url", FEEDS, ids=[_short(u) for u in FEEDS])
def test_canaries_in_feed_items_change_nothing_else(url):
    expected = parse_feed(url, page_bytes(url))
    found = feed_checked(url, _feed_canaries(page_bytes(url), 30))
    assert [e.url for e in found] == [e.url for e in expected]
    assert [(e.title, e.dateline, e.teaser) for e in found] == [
        (e.title, e.dateline, e.teaser) for e in expected
    ]


@PROFILE
@given(truth=st.sampled_from(ARTICLES), lie=st.sampled_from(CHARSET_LIES), cut=fractions)
def test_a_truncated_page_in_a_lying_charset_keeps_the_invariants(truth, lie, cut):
    body = lie.make(page_text(truth["url"]))
    parse_checked(truth["url"], body[: int(len(body) * cut)], lie.content_type)


# --- hypothesis: anything at all -----------------------------------------------------------------


@PROFILE
@given(body=st.one_of(st.binary(max_size=3000), st.text(max_size=3000)))
def test_any_bytes_or_text_at_all(body):
    parse_checked("https://www.spacewar.com/reports/Anything_999.html", body)
    parse_checked(None, body)  # no URL: ParseError may come out (parse_checked allows it), nothing else
    listing_checked("https://www.spacewar.com/superpowers.html", body, "superpowers")
    if isinstance(body, bytes):
        feed_checked("https://www.spacewar.com/spacewar.xml", body)


html_soup = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<div>",
                "</div>",
                "<br>",
                "<b>",
                "</b>",
                "<h1>",
                "</h1>",
                "<!--",
                "-->",
                "<script>",
                "</script>",
                "<title>",
                "&#150;",
                "&#0;",
                "&nbsp;",
                "\r\n",
                "<![CDATA[",
                "<?x>",
            ]
        ),
        st.text(max_size=20),
    ),
    max_size=60,
).map("".join)


@PROFILE
@given(markup=html_soup)
def test_html_helpers_take_any_markup(markup):
    events = list(walk(parse_html(markup)))
    for block in text_blocks(visible(events)):
        assert block
        assert not CONTROL.search(block)
        assert block == block.strip()
    for block in text_blocks(visible(events), split_on_br=True):
        assert not CONTROL.search(block)
    cleaned = clean_text(markup)
    assert not CONTROL.search(cleaned)
    assert not LINE_BREAKS.search(cleaned)


@PROFILE
@given(text=st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_collapse_spaces_is_split_and_join(text):
    """What clean_text and content_hash collapse white space with: `" ".join(text.split())` exactly,
    or content hashes (a contract with the dataset) would change."""
    assert collapse_spaces(text) == " ".join(text.split())


def test_collapse_spaces_knows_every_white_space_character():
    for code in range(0x110000):
        if chr(code).isspace():
            assert collapse_spaces(f"a{chr(code)}{chr(code)}b ") == "a b", hex(code)


@PROFILE
@given(
    body=st.binary(max_size=2000),
    content_type=st.sampled_from(
        [
            None,
            "text/html",
            "text/html; charset=utf-8",
            "text/html; charset=iso-8859-1",
            "text/html; charset=utf-16",
            "text/html; charset=x-bogus",
        ]
    ),
)
def test_decode_html_takes_any_bytes(body, content_type):
    decoded = decode_html(body, content_type)
    assert isinstance(decoded.text, str)
    decoded.text.encode("utf-8")  # no lone surrogates: the JSON Lines writer would choke on them
    if body.isascii() and not body.startswith((b"\xfe\xff", b"\xff\xfe")) and b"\x00" not in body:
        assert decoded.text == body.decode("ascii"), "ASCII bytes must come out unchanged"


# --- unit regressions: each failed before its fix ----------------------------------------------------

ARTICLE_URL = (
    "https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"
)


def article_page(
    body: str, *, head: str = "", h1: str = "A headline<br>", charset: str = "iso-8859-1"
) -> str:
    return (
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={charset}">{head}'
        f'<meta property="og:url" content="{ARTICLE_URL}" /></head><body>'
        f'<span class="BSection">SUPERPOWERS</span><h1>{h1}</h1>'
        '<span class="BHS">by AFP Staff Writers</span><br><span class="BHS">Moscow (AFP) Dec 30, 2022</span>'
        f"<!--body-2-incontainer.php-->\r\n{body}<!--RELATED LINKS-->"
        '<p><b>Related Links</b><br><a href="/superpowers.html">Superpowers</a><br>'
        '<div class="donate">Thanks for being here;</div></body></html>'
    )


def test_the_parsers_never_hit_the_python_recursion_limit():
    """text_blocks and the listing tokenizer walked the tree recursively: 1000 levels raised."""
    for depth in (1000, 5000):
        item = parse_checked(ARTICLE_URL, article_page("<div>" * depth + "<p>deep words"))
        assert item.paragraphs == ["deep words"]
        listing = parse_listing_page(
            "https://www.spacewar.com/superpowers.html",
            "<div>" * depth + '<a href="/reports/Deep_999.html">Deep</a>',
        )
        assert [e.title for e in listing.entries] == ["Deep"]


def test_markup_deeper_than_libxml2_allows_keeps_the_text_after_it():
    """libxml2 stops at 2048 levels ("Excessive depth") and silently drops the rest of the page."""
    item = parse_checked(ARTICLE_URL, article_page("<p>before " + "<font>" * 3000 + "inside<p>after"))
    assert item.paragraphs == ["before inside", "after"]


@pytest.mark.parametrize("page", ["<!-- just a comment -->", "<!DOCTYPE html>", "</p>", "<?php ?>", " \r\n "])
def test_a_page_without_elements_is_no_article_not_a_crash(page):
    """lxml raised ParserError("Document is empty") for pages holding no element."""
    assert parse_checked(ARTICLE_URL, page.encode()) is None
    assert parse_listing_page("https://www.spacewar.com/superpowers.html", page).entries == []
    assert parse_navigation("https://www.spacewar.com/index.html", page).sections == []


def test_script_in_the_headline_section_label_and_related_links_never_leaks():
    page = (
        article_page(
            "<p>Text.",
            h1="A headline<script>zqcanaryscript()</script><style>zqcanarystyle</style><br>",
        )
        .replace(
            '<span class="BSection">SUPERPOWERS',
            '<span class="BSection"><script>zqcanaryscript</script>SUPERPOWERS',
        )
        .replace(">Superpowers</a>", "><script>zqcanaryscript</script>Superpowers</a>")
    )
    item = parse_checked(ARTICLE_URL, page)
    assert (item.title, item.section) == ("A headline", "SUPERPOWERS")
    assert [link.text for link in item.related_links] == ["Superpowers"]


def test_title_fallbacks_are_plain_text():
    """<title> is raw text to the HTML parser: its markup came out as text when the h1 was missing."""
    page = article_page("<p>Text.", head="<title>A <b>bold</b> <script>zqcanaryscript</script>title</title>")
    page = re.sub(r"<h1>.*?</h1>", "", page)
    item = parse_checked(ARTICLE_URL, page)
    assert item.title == "A bold title"
    page = article_page(
        "<p>Text.", head='<meta property="og:title" content="An &lt;i&gt;og&lt;/i&gt; title">'
    )
    item = parse_checked(ARTICLE_URL, re.sub(r"<h1>.*?</h1>", "", page))
    assert item.title == "An og title"


def test_body_markers_inside_scripts_and_comments_are_not_markers():
    """The markers were found by a regular expression anywhere in the bytes, even inside a script."""
    page = article_page("<p>Real text.").replace(
        "<h1>",
        "<script>document.write('<!--body-2-incontainer.php-->\\n'); zqcanaryscript();</script><h1>",
    )
    item = parse_checked(ARTICLE_URL, page)
    assert item.paragraphs == ["Real text."]
    # A comment ends at the first "-->": this one holds the marker's text but is not the marker.
    page = article_page("<p>One.<!-- old template: <!--RELATED LINKS--><p>Two.")
    assert parse_checked(ARTICLE_URL, page).paragraphs == ["One.", "Two."]


def test_raw_text_elements_are_not_article_text():
    page = article_page("<p>One.<xmp><b>x</b></xmp><textarea><i>y</i></textarea><p>Two.<plaintext><b>z</b>")
    assert parse_checked(ARTICLE_URL, page).paragraphs == ["One.", "Two."]


def test_urls_are_percent_encoded_and_have_a_host():
    """A space in an href or og:image broke the schema's URL pattern, and so did a URL without a
    path; "http:///x" has no host; "http://[x/" made urljoin raise ValueError."""
    page = article_page(
        '<p>Text.<p><img src="/images/a picture.jpg"><span class="BCaption">Cap</span><img src="http://[::1">',
        head='<meta property="og:image" content="https://www.spxdaily.com/images-hg/lead pic-hg.jpg" />',
    ).replace(
        '<a href="/superpowers.html">Superpowers</a>',
        '<a href="/super powers.html">Superpowers</a><a href="http:///x">No host</a><a href="http://">Empty</a>'
        '<a href="http://[broken/">Broken host</a>',
    )
    item = parse_checked(ARTICLE_URL, page)
    assert [image.url for image in item.images] == [
        "https://www.spxdaily.com/images-hg/lead%20pic-hg.jpg",
        "https://www.spacewar.com/images/a%20picture.jpg",
    ]
    assert [link.url for link in item.related_links] == ["https://www.spacewar.com/super%20powers.html"]
    og = article_page("<p>Text.").replace(ARTICLE_URL, ARTICLE_URL.replace("Putin_tells", "Putin tells"))
    assert parse_checked(None, og).url == ARTICLE_URL.replace("Putin_tells", "Putin%20tells")
    no_path = article_page("<p>Text.", head='<meta property="og:image" content="https://www.spxdaily.com" />')
    assert [image.url for image in parse_checked(ARTICLE_URL, no_path).images] == [
        "https://www.spxdaily.com/"
    ]


def test_control_characters_next_to_dropped_elements_do_not_crash():
    """lxml refuses to set a tail holding a C0 control: drop_tree() of a script followed by a form
    feed or a vertical tab raised ValueError."""
    page = article_page("<p>One<script>x()</script>\x0c\x0btwo\x01.<!-- c -->\x1b<p>Three.")
    assert parse_checked(ARTICLE_URL, page).paragraphs == ["One two.", "Three."]
    listing = "\x01<p><script>x</script>\x0c<a href='/reports/A_999.html'>A</a>"
    assert [
        e.title for e in parse_listing_page("https://www.spacewar.com/superpowers.html", listing).entries
    ] == ["A"]


def test_a_page_that_is_one_noise_element_shows_nothing_of_it():
    """When a fragment is one noise element, lxml hands back that element as the root: drop_tree()
    detached it and kept its content (a listing read the links inside a lone <noscript>), and noise
    nested in it later made drop_tree() assert."""
    listing = "https://www.spacewar.com/superpowers.html"
    page = '<noscript><a href="/reports/A_999.html">zqcanarynoscript</a></noscript>'
    assert parse_listing_page(listing, page).entries == []
    for page in ("<template><script>x</script><p>x</p></template>", "<iframe><p>x</iframe>"):
        assert parse_listing_page(listing, page).entries == []
        assert parse_checked(ARTICLE_URL, page) is None


def test_characters_dropped_from_text_are_dropped_before_parsing():
    """`<\x7fb>` is text to the HTML parser; clean_text then dropped the DEL and left "<b>" in it."""
    item = parse_checked(ARTICLE_URL, article_page("<p>a <\x7fb>c</b> d<\ufeffi>e"))
    assert item.paragraphs == ["a c de"]


def test_control_characters_never_reach_text():
    """C1 controls (U+0080-U+009F, from latin-1 bytes or &#x80;) went through clean_text."""
    assert clean_text("\x93quoted\x94 \x96 dash\x81") == "\u201cquoted\u201d \u2013 dash"
    assert clean_text("\ufeffBOM inside\ufeff") == "BOM inside"
    assert clean_text("lone \ud800 surrogate") == "lone surrogate"
    item = parse_checked(ARTICLE_URL, article_page("<p>\x93Quoted\x94 \x00\x1b text."))
    assert item.paragraphs == ["\u201cQuoted\u201d text."]


def test_a_long_glued_byline_is_not_quadratic():
    """Every lower-to-upper case boundary of a byline line re-normalised the whole line."""
    page = article_page("<p>Text.").replace("by AFP Staff Writers", "by " + "aB" * 200_000)
    parse_checked(ARTICLE_URL, page)


def test_many_pictures_are_not_quadratic():
    """Each picture's caption was looked up by walking its whole parent from the start."""
    page = article_page("<p>" + '<img src="/images/p.jpg"><span class="BCaption">c</span>' * 5_000)
    parse_checked(ARTICLE_URL, page)


def test_feed_descriptions_and_titles_are_plain_text():
    feed = (
        b"<rss version='2.0'><channel><item>"
        b"<title><![CDATA[A <b>bold</b> title &amp; more<script>zqcanaryscript</script>]]></title>"
        b"<link><![CDATA[https://www.spacewar.com/reports/A_999.html]]></link>"
        b"<description><![CDATA[Moscow (AFP) Dec 30, 2022<br/><script>zqcanaryscript()</script>"
        b"<style>zqcanarystyle</style>Teaser <!-- zqcanarycomment --> text]]></description>"
        b"</item></channel></rss>"
    )
    (entry,) = feed_checked("https://www.spacewar.com/spacewar.xml", feed)
    assert (entry.title, entry.teaser, entry.date_published) == (
        "A bold title & more",
        "Teaser text",
        "2022-12-30",
    )


# --- charsets: one rule each, stated as a test ---------------------------------------------------

QUOTED = "\u201cQuoted\u201d caf\u00e9 \u2014 d\u00e9j\u00e0 vu"


def _decoded(body: bytes, content_type: str | None = None) -> str:
    return clean_text(visible_text(parse_html(decode_html(body, content_type).text)))


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("cp1252 declared utf-8", f"<meta charset=utf-8><p>{QUOTED}".encode("cp1252"), None),
        ("utf-8 declared iso-8859-1", f"<meta charset=iso-8859-1><p>{QUOTED}".encode(), None),
        ("utf-8 declared iso-8859-1, no 0x9d byte", "<meta charset=iso-8859-1><p>café “x".encode(), None),
        ("utf-8, header says iso-8859-1", f"<p>{QUOTED}".encode(), "text/html; charset=ISO-8859-1"),
        ("utf-8 declared koi8-r", f"<meta charset=koi8-r><p>{QUOTED}".encode(), None),
        ("utf-8 declared utf-16 in a meta", f"<meta charset=utf-16><p>{QUOTED}".encode(), None),
        ("cp1252 declared utf-16 in a meta", f"<meta charset=utf-16><p>{QUOTED}".encode("cp1252"), None),
        ("utf-8, header says utf-16", f"<p>{QUOTED}".encode(), "text/html; charset=utf-16"),
        ("utf-8 declared EBCDIC", f"<meta charset=cp037><p>{QUOTED}".encode(), None),
        ("utf-8 declared x-bogus", f"<meta charset=x-bogus><p>{QUOTED}".encode(), None),
        ("cp1252 declared x-bogus", f"<meta charset=x-bogus><p>{QUOTED}".encode("cp1252"), None),
        ("cp1252 undeclared", f"<p>{QUOTED}".encode("cp1252"), None),
        ("utf-8 undeclared", f"<p>{QUOTED}".encode(), None),
        (
            "utf-8 BOM, header says iso-8859-1",
            codecs.BOM_UTF8 + f"<p>{QUOTED}".encode(),
            "text/html; charset=iso-8859-1",
        ),
        ("utf-16-le BOM", codecs.BOM_UTF16_LE + f"<p>{QUOTED}".encode("utf-16-le"), None),
        ("utf-16-be BOM", codecs.BOM_UTF16_BE + f"<p>{QUOTED}".encode("utf-16-be"), None),
        ("utf-16 header and bytes", f"<p>{QUOTED}".encode("utf-16-le"), "text/html; charset=utf-16le"),
        ("two BOMs", codecs.BOM_UTF8 * 2 + f"<p>{QUOTED}".encode(), None),
        (
            "mixed: utf-8 page, cp1252 quotes",
            "<p>“Quoted” ".encode("cp1252") + "café — déjà vu".encode(),
            None,
        ),
        (
            "mixed: cp1252 page, utf-8 body",
            "<meta charset=iso-8859-1><p>“Quoted” café ".encode("cp1252") + "— déjà vu".encode(),
            None,
        ),
    ],
    ids=lambda value: value if isinstance(value, str) and not value.startswith("text/") else "",
)
def test_decode_html_reads_what_the_author_wrote(name, body, content_type):
    text = _decoded(body, content_type)
    assert not MOJIBAKE.search(text), text
    assert QUOTED in text or "“x" in text, text


def test_decode_html_notes_every_lie_it_overrode():
    assert decode_html(f"<meta charset=iso-8859-1><p>{QUOTED}".encode()).notes == (
        "encoding: declared iso-8859-1 does not fit the bytes, decoded as utf-8",
    )
    assert decode_html(f"<meta charset=utf-8><p>{QUOTED}".encode("cp1252")).notes == (
        "encoding: declared utf-8 does not fit the bytes, decoded as cp1252",
    )
    assert decode_html(f"<meta charset=utf-16><p>{QUOTED}".encode()).notes == (
        "encoding: declared utf-16 does not fit the bytes (its markup is ASCII)",
    )
    assert decode_html(f"<p>{QUOTED}".encode(), "text/html; charset=x-bogus").notes == (
        "encoding: unknown charset 'x-bogus' in the Content-Type header, ignored",
    )
    mixed = "<meta charset=utf-8><p>“Quoted” ".encode("cp1252") + "café — déjà vu".encode()
    assert decode_html(mixed).notes == (
        "encoding: declared utf-8 does not fit the bytes, decoded as utf-8+cp1252",
    )
    assert decode_html(b"<p>plain ASCII", "text/html; charset=utf-8").notes == ()
    assert decode_html(b"<meta charset=iso-8859-1><p>plain ASCII").notes == ()


def test_a_real_latin1_page_is_not_taken_for_utf8():
    """Only valid UTF-8 overrides a declared single-byte charset: windows-1252 text stays itself."""
    body = "<meta charset=iso-8859-1><p>Ã© is how “é” looks as mojibake; Â£5".encode("cp1252")
    assert _decoded(body) == "Ã© is how “é” looks as mojibake; Â£5"


# --- contracts ------------------------------------------------------------------------------------

_TYPOGRAPHY_FOLD = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-", "\xa0": " "}
)


@PROFILE
@given(body=st.one_of(st.text(alphabet=st.characters(max_codepoint=0x7F)), st.text()))
def test_content_hash_is_the_documented_fold(body):
    """Hashes are a contract with the dataset: the fold must not change."""
    folded = " ".join(unicodedata.normalize("NFKC", body).casefold().translate(_TYPOGRAPHY_FOLD).split())
    assert content_hash(body) == hashlib.sha256(folded.encode("utf-8")).hexdigest()
