"""The header's fast paths held to the general formulations they skip."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.parsing.byline import _split_at_glued_boundary, split_glued_dateline

PIECES = st.sampled_from(
    [
        "by ", "By ", "Staff Writers", "AFP Staff Writers", "Issam AHMED", "W.G. Dunlop, ", "Sara HUSSEIN",
        "Paris", "Moscow (AFP)", " (SPX) ", "Dec 30, 2022", "Oct 7", " 2025", "Sept", "Monday", "²", "٣",
        "Washington DC", "é", " ", ",", ".", "(", ")",
    ]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(PIECES, max_size=8).map("".join))
def test_a_glued_dateline_is_split_as_every_boundary_would_split_it(text):
    assert split_glued_dateline(text) == _split_at_glued_boundary(text)


def test_a_byline_without_a_digit_has_no_glued_dateline_and_one_with_a_date_does():
    assert split_glued_dateline("by Staff Writers") == ("by Staff Writers", None)
    byline, dateline = split_glued_dateline("By Issam AHMEDDakar (AFP) Oct 7, 2025")
    assert byline == "By Issam AHMED" and dateline is not None and dateline.place == "Dakar"


def _reference_section_label(headline, section_class):
    """The label as the generator of preceding elements and has_class found it."""
    from lxml import etree

    from newsbot.parsing.events import element_text, in_noise
    from newsbot.parsing.text import clean_text
    from newsbot.parsing.tree import has_class

    def preceding(element):
        node = element
        while node is not None:
            for sibling in node.itersiblings(preceding=True):
                if len(sibling):
                    yield from reversed(list(sibling.iter(etree.Element)))
                elif isinstance(sibling.tag, str):
                    yield sibling
            node = node.getparent()

    for element in preceding(headline):
        if has_class(element, section_class) and not in_noise(element):
            label = clean_text(element_text(element))
            if label:
                return label
    return None


LABEL_PIECES = st.sampled_from(
    [
        "<span class=BSection>", "<span class='x bsection'>", "<p class=''>", "</span>", "</p>", "<a>A</a>",
        "<a class=BSection>B</a>", "<form>", "</form>", "<!--c-->", "<br>", "NEWS", " ", "<div>", "</div>",
        "<script>s</script>", "<span class=BSection> </span>",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(LABEL_PIECES, max_size=14).map("".join), st.sampled_from(["BSection", "bsection", ""]))
def test_the_section_label_is_the_nearest_labelled_element_above_the_headline(before, section_class):
    from newsbot.parsing.article.header import section_label
    from newsbot.parsing.events import Document
    from newsbot.parsing.tree import parse_page

    root = parse_page(f"<html><body><div>{before}<h1>T</h1></div></body></html>")
    headline = next(root.iter("h1"), None)
    if headline is None:
        return
    doc = Document(root, start_at=headline)
    at = doc.index_of(headline)
    assert section_label(doc, at, section_class) == _reference_section_label(headline, section_class)
