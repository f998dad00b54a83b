"""decode_html hands the parser the page's UTF-8 when it has it; the parse must not change for it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from newsbot.parsing.encoding import decode_html
from newsbot.parsing.tree import parse_page

MARKUP = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<b>x</b>",
        "é",
        "“quoted”",
        "\ud800",
        "\x0c",
        "\x00",
        "&#1;",
        "<!--c-->",
        "ü",
        " ",
        "\ufeff",
    ]
)
PAGES = st.lists(MARKUP | st.text(max_size=5), max_size=30).map("".join)
CHARSETS = st.sampled_from([None, "utf-8", "iso-8859-1", "windows-1252", "utf-16"])


def _tree(root: etree._Element) -> bytes:
    return etree.tostring(root, encoding="utf-8", method="xml")


@settings(max_examples=300, deadline=None)
@given(PAGES, CHARSETS, st.booleans(), st.booleans())
def test_the_utf8_decoding_keeps_is_the_text_encoded_and_parses_the_same(
    page, charset, as_bytes, declaration
):
    if declaration:
        page = '<?xml version="1.0" encoding="utf-8"?>' + page
    html = f"<html><head><meta charset={charset}></head><body>{page}</body></html>" if charset else page
    body: bytes | str = html.encode("utf-8", "surrogatepass") if as_bytes else html
    decoded = decode_html(body, None)
    if decoded.utf8 is not None:
        assert decoded.utf8 == decoded.text.encode("utf-8")
    assert _tree(parse_page(decoded.text, utf8=decoded.utf8)) == _tree(parse_page(decoded.text))


def test_a_utf8_page_and_a_non_ascii_str_come_with_their_utf8():
    assert decode_html("<p>é</p>").utf8 == "<p>é</p>".encode()
    assert decode_html("<p>é</p>".encode()).utf8 == "<p>é</p>".encode()
    assert decode_html("<p>\ud800</p>").utf8 is None  # the surrogate is replaced: no such bytes
    assert decode_html("<p>\xe9</p>".encode("cp1252")).utf8 is None
