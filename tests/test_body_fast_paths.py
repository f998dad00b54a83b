"""The fast paths of the body, the Related Links and the text cleaning give what the general paths gave.

Each function below is the formulation a fast path replaced, written out here as it was (issue 10's
"within 3x of a bare parse"). Hypothesis draws inputs made of the pieces that make them differ:
controls, every kind of white space, the replacement character, surrogates, combining marks.
"""

from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from newsbot.item import Image, RelatedLink
from newsbot.parsing import text as text_module
from newsbot.parsing.article import body
from newsbot.parsing.article.header import Header
from newsbot.parsing.events import END, ENTER, Document
from newsbot.parsing.links import canonical_link, http_url
from newsbot.parsing.text import clean_text, collapse_spaces
from newsbot.parsing.tree import parse_page
from tests.conftest import FAST_PATH_PROFILE as PROFILE

# --- the formulations the fast paths replaced --------------------------------------------------

_CONTROL_BEFORE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufeff\ufffd\ufffe\uffff]")
_SUSPECT_BEFORE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffd\ufffe\uffff]")


def clean_text_before(text: str | None) -> str:
    if not text:
        return ""
    if text.isascii():
        return " ".join(_CONTROL_BEFORE.sub("", text).split())
    if _SUSPECT_BEFORE.search(text):
        text = _CONTROL_BEFORE.sub("", text.translate(text_module._C1))
    return " ".join(unicodedata.normalize("NFC", text).split())


# --- inputs ------------------------------------------------------------------------------------

# Every white space character, the controls among them and around them, the suspects, and
# characters that NFC composes or reorders (a base letter, combining marks, Hangul jamo).
_AWKWARD = (
    " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u2001\u200a\u2028\u2029\u202f\u205f\u3000"
    "\x00\x01\x08\x0e\x1b\x7f\x80\x81\x8d\x96\x9f\u200b\u200d\ufeff\ufffd\ufffe\uffff\ud800\udfff"
    "aZ0.-'\"\xe9e\u0301\u0327\u0316\u1100\u1161\u11a8\u212b\u2126\u0340"
)
awkward_text = st.text(alphabet=st.sampled_from(_AWKWARD), max_size=40)
ascii_text = st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=80)
any_text = st.text(max_size=80)


# --- clean_text --------------------------------------------------------------------------------


@PROFILE
@given(text=st.one_of(awkward_text, ascii_text, any_text))
def test_clean_text_is_the_general_formulation(text):
    assert clean_text(text) == clean_text_before(text)


def test_clean_text_on_the_lines_a_page_gives():
    lines = [
        "",
        "\n",
        " \n\t ",
        "\x1c\n\x0b",
        "GPS NEWS",
        " by Staff Writers ",
        "two  spaces",
        "\nA sentence that runs on\nto a second line.\n",
        "Last month in\xa0the desert\u2028",
        "\u2018quoted\u2019 \u2014 dashed",
        "a\x1cb",
        "a\x85b",
        "caf\u0065\u0301 au lait",
        "\ufffd",
        "\ud800 lone",
        "\ufeffBOM",
        "\xa0",
        "\u2000",
    ]
    for line in lines:
        assert clean_text(line) == clean_text_before(line), repr(line)


def test_clean_text_returns_an_ascii_line_without_a_copy():
    """The ASCII fast path hands back a clean line itself: the point of the fast path."""
    line = "Beijing (UPI) Apr 2, 2013"
    assert clean_text(line) is line


@PROFILE
@given(text=st.one_of(awkward_text, any_text))
def test_the_hidden_suspects_are_those_collapse_and_isprintable_miss(text):
    """_has_hidden_suspect and isprintable() of the collapsed text together find every suspect."""
    has_suspect = _SUSPECT_BEFORE.search(text) is not None
    seen = not collapse_spaces(text).isprintable() or text_module._has_hidden_suspect(text)
    assert seen or not has_suspect


def test_every_suspect_is_unprintable_or_hidden():
    """Over the whole of Unicode: a suspect either survives the collapse unprintable, or is one of
    the hidden ones."""
    for code in range(0x110000):
        character = chr(code)
        if _SUSPECT_BEFORE.match(character) is None:
            continue
        survives = collapse_spaces(f"a{character}b")
        assert not survives.isprintable() or text_module._has_hidden_suspect(character), hex(code)


# --- the body's pictures and captions, the Related Links ---------------------------------------


def related_links_before(doc: Document, region: range, base_url: str) -> list[RelatedLink]:
    found = []
    for index in doc.entered(region.start, region.stop, "a"):
        text = clean_text(doc.inner_text(index, region.stop))
        url = http_url(base_url, doc.items[index].get("href"))
        if text and url and text.lower() != "related links":
            found.append(RelatedLink(text=text, url=canonical_link(url)))
    return found


# Markup made of what surrounds pictures and links: captions (of any case), noise around them and
# in them (a raw-text element with markup inside), comments, pictures in a row, empty elements,
# elements left open or closed twice.
_BODY_PIECES = (
    '<img src="/a.jpg">', '<img src="/images/white.JPG">', "<img>", '<img src="http://x.com/b-lg.png">',
    '<span class="caption">', '<span class="Photo CAPTION">', '<div class="caption"></div>',
    '<p class="caption">A <b>bold</b> caption</p>', "<span>", "</span>", "<div>", "</div>", "<p>",
    "</p>", "<br>", "<script>x<b>y</b></script>", "<form>", "</form>", "<noscript><a>n</a></noscript>",
    "<textarea>t<img></textarea>", "<!--c-->", "<a href='/r.html'>", "<a href=\"https://www.spacewar.com/x.html\">",
    "</a>", "<a>Related Links</a>", "<a href='/e.html'></a>", "Some text", " \n ", "\xa0caf\u00e9\u0301 ",
    "&#1;", "<td>", "</td>", "<table>", "</table>",
)  # fmt: skip
body_markup = st.lists(st.sampled_from(_BODY_PIECES), max_size=25).map("".join)


def _document(markup: str) -> Document:
    doc = Document(parse_page(f"<html><body>{markup}</body></html>"))
    doc.end()
    return doc


@PROFILE
@given(markup=body_markup, cut=st.integers(min_value=0, max_value=200))
def test_inner_text_of_an_element_is_the_general_formulation(markup, cut):
    doc = _document(markup)
    for index, kind in enumerate(doc.kinds):
        if kind == ENTER:
            for end in (index + 1, index + 2, cut, END):
                assert body._inner_text(doc, index, end) == doc.inner_text(index, end)


@PROFILE
@given(
    markup=body_markup,
    start=st.integers(min_value=0, max_value=30),
    cut=st.integers(min_value=0, max_value=200),
)
def test_related_links_are_the_general_formulation(markup, start, cut):
    doc = _document(markup)
    for region in (range(0, len(doc.kinds)), range(start, cut)):
        base = "https://www.spacedaily.com/reports/A.html"
        assert body.related_links(doc, region, base) == related_links_before(doc, region, base)


_PICTURE_URL_PIECES = (
    "https://www.spacewar.com", "/images", "/sponsors/", "/SPONSORS/", "/spon\u017fors/", "/white", "/BLACK",
    "/spacer", "/blank", "/pixel", "/PiXeL", ".jpg", ".JPEG", ".gif", ".png", ".pNg", ".bmp", "\n", "?x=1",
    "#f", "/", "-lg", "K", "\u212a", "\u0130", "x",
)  # fmt: skip
picture_url = st.lists(st.sampled_from(_PICTURE_URL_PIECES), max_size=8).map("".join)


@PROFILE
@given(src=st.one_of(picture_url, st.text(max_size=30)))
def test_non_article_picture_is_the_pattern(src):
    assert body._is_non_article_picture(src) == (body.NON_ARTICLE_PICTURE.search(src) is not None)


def _paragraphs_before(doc: Document, region: range, header: Header) -> list[str]:
    header_lines = {header.byline, header.dateline.raw if header.dateline else None, header.title}
    blocks = doc.blocks(region.start, region.stop, skip_tags=frozenset({"img"}), skip_class="caption")
    return [text for text in blocks if text not in header_lines]


@PROFILE
@given(markup=body_markup, title=st.sampled_from([None, "Some text", "A bold caption", "n", "Related Links"]))
def test_body_paragraphs_leave_out_the_header_lines_as_the_filter_did(markup, title):
    doc = _document(f"<p>Some text</p>{markup}<p>by Staff Writers</p>")
    header = Header(title=title, byline="by Staff Writers")
    region = range(0, len(doc.kinds))
    paragraphs, _ = body.body_paragraphs(
        doc, region, "https://www.spacewar.com/a.html", header, caption_class="caption"
    )
    assert paragraphs == _paragraphs_before(doc, region, header)
    assert "by Staff Writers" not in paragraphs


def test_merge_images_without_body_pictures_is_the_lead():
    lead = [Image(url="https://www.spacewar.com/images-lg/a-lg.jpg")]
    merged = body.merge_images(lead, [])
    assert merged == lead and merged is not lead
    assert body.merge_images([], []) == []
