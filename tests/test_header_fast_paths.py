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
