"""Text cleaning: one line of plain text out of whatever the tree held. No Scrapy imports here.

Text never carries control characters: C0 controls, U+FEFF, U+FFFD, noncharacters and lone
surrogates are removed, and C1 controls (U+0080-U+009F, which only windows-1252 bytes read as
latin-1 or an `&#150;`-style reference produce) become the windows-1252 character they stand for.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Iterable

# Characters that never belong in text: C0 controls other than white space, DEL, the BOM (a PHP
# include saved with one leaves it mid-page), the replacement character (what the HTML parser makes
# of a NUL; it carries no text), noncharacters and lone surrogates (which no UTF-8 writer can
# encode). C1 controls are translated first, see _C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufeff\ufffd\ufffe\uffff]")
_SUSPECT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffd\ufffe\uffff]")
_ASCII_CONTROLS = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# U+0080-U+009F: windows-1252 bytes that something read as latin-1. The five bytes windows-1252
# leaves undefined (0x81, 0x8d, 0x8f, 0x90, 0x9d) mean nothing and are removed.
_C1 = str.maketrans(
    {
        chr(i): (bytes([i]).decode("cp1252") if i not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else None)
        for i in range(0x80, 0xA0)
    }
)


def clean_text(text: str | None) -> str:
    """Plain text on one line: NBSP and every run of whitespace become one space; no controls."""
    if not text:
        return ""
    # Each step only when needed: this runs over every paragraph, some of them megabytes long, and
    # a dozen times a page over short lines (a headline, a caption, a link, a run of white space).
    if text.isascii():
        # ASCII is NFC, and its only suspects are the C0 controls and DEL.
        if text.isprintable():
            # No control, and no white space but the space: the words are already split by spaces,
            # there is at most a run of them to fold (most lines have none: the text as it is,
            # without a copy, an encoding and a split into words).
            if "  " in text:
                return collapse_spaces(text)
            return text.strip(" ")
        if text.isspace():
            # Only white space (the line breaks between two blocks): the controls among it are
            # removed, the rest collapses to nothing.
            return ""
        # A bytes translation finds the controls at a fifth of the cost of the regular expression.
        data = text.encode("ascii")
        if len(data.translate(None, _ASCII_CONTROLS)) != len(data):
            text = _CONTROL.sub("", text)
        return collapse_spaces(text)
    collapsed = collapse_spaces(text)
    if collapsed.isprintable() and not _has_hidden_suspect(text):
        # No suspect in the text: removing them would change nothing, and NFC neither makes nor
        # removes white space, nor composes across it: collapsing first gives the same text. (A
        # text with a suspect, from a misread page, pays for one collapse more.)
        if not unicodedata.is_normalized("NFC", collapsed):
            collapsed = unicodedata.normalize("NFC", collapsed)
        return collapsed
    if _SUSPECT.search(text):
        text = _CONTROL.sub("", text.translate(_C1))
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return collapse_spaces(text)


def _has_hidden_suspect(text: str) -> bool:
    """Whether `text` holds a suspect (see _SUSPECT) that `collapse_spaces(text).isprintable()`
    does not rule out: the controls that str.split() takes for white space (it would turn them into
    a space, where clean_text removes them) and the replacement character, which is printable.
    Every other suspect is a control (Cc), a format character (Cf), a surrogate (Cs) or a
    noncharacter (Cn): not printable, and not white space.

    Eight scans of the text (memchr), written out: _SUSPECT.search tests each character against its
    set at some fifty instructions a character (callgrind), and a loop over the eight cost twice the
    time of the chain."""
    return (
        "\x0b" in text
        or "\x0c" in text
        or "\x1c" in text
        or "\x1d" in text
        or "\x1e" in text
        or "\x1f" in text
        or "\x85" in text
        or "\ufffd" in text
    )


# Every character str.isspace() holds for, but the space (tests check the list against Python's).
_OTHER_WHITESPACE = re.compile(
    "[\t\n\x0b\x0c\r\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
)


_SPACE_RUN = re.compile(" {2,}")
# Up to this length a text is split into words (see collapse_spaces).
_SPLIT_BELOW = 20_000


def collapse_spaces(text: str) -> str:
    """`" ".join(text.split())`: every run of white space (NBSP included) one space, none at the ends.

    Splitting a multi-megabyte paragraph into words was the slow part of parsing one; substituting
    the few line breaks and double spaces is not; on a paragraph of ordinary length the split is
    the quicker of the two (a fifth of the cost at 300 characters).
    """
    if len(text) <= _SPLIT_BELOW:
        return " ".join(text.split())
    if _OTHER_WHITESPACE.search(text):
        text = _OTHER_WHITESPACE.sub(" ", text)
    if "  " in text:
        text = _SPACE_RUN.sub(" ", text)
    return text.strip(" ")


class LettersAnd:
    """Whether a text is made of letters and the given punctuation only, `all(c.isalpha() or c in
    punctuation for c in text)`, in C: a set test for ASCII text (whose letters are exactly A-Z and
    a-z), else the punctuation translated out and the rest asked isalpha()."""

    __slots__ = ("_ascii", "_without_punctuation")

    def __init__(self, punctuation: Iterable[str]) -> None:
        marks = frozenset(punctuation)
        self._ascii = frozenset(string.ascii_letters) | {mark for mark in marks if mark.isascii()}
        self._without_punctuation = str.maketrans(dict.fromkeys(marks))

    def hold(self, text: str) -> bool:
        if text.isascii():
            return self._ascii.issuperset(text)
        letters = text.translate(self._without_punctuation)
        return not letters or letters.isalpha()
