"""The fast paths of the body, the Related Links and the text cleaning give what the general paths gave.

Each function below is the formulation a fast path replaced, written out here as it was (issue 10's
"within 3x of a bare parse"). Hypothesis draws inputs made of the pieces that make them differ:
controls, every kind of white space, the replacement character, surrogates, combining marks.
"""

from __future__ import annotations

import os
import re
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newsbot.parsing import text as text_module
from newsbot.parsing.text import clean_text, collapse_spaces

settings.register_profile(
    "newsbot-body-fast-paths",
    derandomize=True,  # the same examples on every run
    deadline=None,
    max_examples=int(os.environ.get("NEWSBOT_FAST_PATH_EXAMPLES", "300")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile("newsbot-body-fast-paths")


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
