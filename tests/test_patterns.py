"""newsbot.patterns.any_of: one pattern where any of several would match, or None."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from newsbot.patterns import any_of
from tests.conftest import FAST_PATH_PROFILE as PROFILE

POOL = [
    re.compile(r"/reports/\w+\.html$"),
    re.compile(r"\s*Related Links\s*", re.I),
    re.compile(r"Copyright 1995"),
    re.compile(r"copyright", re.I),
    re.compile(r"(a)\1"),  # a group: a backreference would be renumbered
    re.compile(r"(?i)abc"),  # an inline global flag: only allowed at the start
    re.compile(r"x+y"),
    re.compile(r"^b"),
]
TEXTS = st.lists(
    st.sampled_from(["/reports/a_1.html", "Related Links", "copyright 1995", "aa", "ABC", "xxy", "b", " "])
)


@PROFILE
@given(chosen=st.lists(st.sampled_from(POOL), max_size=4), text=TEXTS.map("".join), at=st.integers(0, 20))
def test_the_combined_pattern_matches_where_one_of_them_does(chosen, text, at):
    combined = any_of(chosen)
    if combined is None:
        return
    at = min(at, len(text))
    assert (combined.match(text, at) is not None) == any(p.match(text, at) for p in chosen)
    assert (combined.search(text) is not None) == any(p.search(text) for p in chosen)


def test_patterns_that_do_not_combine_give_none():
    assert any_of([]) is None
    assert any_of([POOL[1], POOL[2]]) is None  # different flags
    assert any_of([POOL[4], POOL[6]]) is None  # a group
    assert any_of([POOL[6], POOL[5]]) is None  # an inline flag past the start
    assert any_of([POOL[0], POOL[6]]) is not None
