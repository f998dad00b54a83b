"""Text cleaning: one line of plain text out of whatever the tree held. No Scrapy imports here.

Text never carries control characters: C0 controls, U+FEFF, U+FFFD, noncharacters and lone
surrogates are removed, and C1 controls (U+0080-U+009F, which only windows-1252 bytes read as
latin-1 or an `&#150;`-style reference produce) become the windows-1252 character they stand for.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that never belong in text: C0 controls other than white space, DEL, the BOM (a PHP
# include saved with one leaves it mid-page), the replacement character (what the HTML parser makes
# of a NUL; it carries no text), noncharacters and lone surrogates (which no UTF-8 writer can
# encode). C1 controls are translated first, see _C1.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufeff\ufffd\ufffe\uffff]")
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
    text = _CONTROL.sub("", text.translate(_C1))
    return collapse_spaces(unicodedata.normalize("NFC", text))


def collapse_spaces(text: str) -> str:
    """Every run of white space (NBSP included) one space, none at the ends."""
    return " ".join(text.split())


def letters_and(punctuation: frozenset[str], text: str) -> bool:
    """Whether `text` is made of letters and the given punctuation only."""
    return all(character.isalpha() or character in punctuation for character in text)
