"""Bylines of Space Media Network articles: ``by AFP Staff Writers``, ``By Issam AHMED``,
``By W.G. Dunlop, Sara HUSSEIN`` (see docs/ANATOMY.md, "Datelines, bylines, dates").

`split_glued_dateline` separates a byline from a dateline that extracted text glued to it
(``By Issam AHMEDDakar (AFP) Oct 7, 2025``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from newsbot.parsing.dateline import MAX_DATELINE_CHARS, Dateline, normalise_spaces, parse_dateline
from newsbot.parsing.text import clean_text, letters_and

__all__ = ["Byline", "is_byline", "parse_byline", "split_glued_dateline"]


@dataclass(frozen=True)
class Byline:
    """A parsed byline; ``authors`` are people only, because "Staff Writers" names nobody."""

    raw: str
    authors: tuple[str, ...]
    agency: str | None  # "AFP" in "by AFP Staff Writers"


_MAX_BYLINE_CHARS = 200

# Agencies named in bylines, keyed case-insensitively, valued as they are usually printed.
_AGENCIES = {
    a.lower(): a for a in ("AFP", "SPX", "UPI", "ESA", "JPL", "RIA Novosti", "IANS", "Reuters", "AP")
}
_BY = re.compile(r"by\s", re.IGNORECASE)
# "AFP Staff Writers", "Staff Writer", "Staff Reporters": an organisation's desk, not a person.
_STAFF_RE = re.compile(r"(?P<org>.*?)\s*\bstaff\s+(?:writers?|reporters?)", re.IGNORECASE)
# Authors are separated by commas, "and", "&" or "with". Only lower-case words: names are printed
# with capitals ("Sara HUSSEIN"), so a capital AND is part of a name rather than a separator.
_AUTHOR_SEPARATOR_RE = re.compile(r"\s*,\s*|\s+(?:and|with)\s+|\s*&\s*")
# "Sara HUSSEIN in Paris": where the reporter filed from is not part of the name.
_FILED_FROM_RE = re.compile(r"\s+in\s+[^\W\d_].*")
_NAME_PUNCTUATION = frozenset(" .'\u2019-")
_MAX_NAME_WORDS = 5


def _is_person_name(name: str) -> bool:
    """Whether ``name`` reads as a printed name ("W.G. Dunlop", "Issam AHMED").

    This is what keeps prose such as "By the end of the year, NASA will ..." from being taken
    for a byline.
    """
    return (
        name[:1].isupper() and len(name.split()) <= _MAX_NAME_WORDS and letters_and(_NAME_PUNCTUATION, name)
    )


def parse_byline(text: str) -> Byline | None:
    """Parse ``by <names>``; None when ``text`` is not a byline.

    Names are kept as printed (no case folding): "AHMED" may be how the agency marks a surname.
    """
    raw = text.strip()
    normalised = normalise_spaces(raw)
    if len(normalised) > _MAX_BYLINE_CHARS or not _BY.match(normalised):
        return None
    rest = normalised[3:]
    authors: list[str] = []
    agency: str | None = None
    desk = False  # whether a part is a "Staff Writers" desk
    for part in _AUTHOR_SEPARATOR_RE.split(rest.strip(" ,")):
        part = _FILED_FROM_RE.sub("", part)
        if not part:
            continue
        staff = _STAFF_RE.fullmatch(part)
        if staff is not None:
            desk = True
            # Whatever precedes "Staff Writers" is the organisation that wrote it.
            org = staff["org"].strip()
            if org:
                agency = agency or _AGENCIES.get(org.lower(), org)
            continue
        known = _AGENCIES.get(part.lower())
        if known is not None:
            agency = agency or known
            continue
        if not _is_person_name(part):
            return None
        authors.append(part)
    if not authors and agency is None and not desk and _STAFF_RE.search(rest) is None:
        return None
    return Byline(raw, tuple(authors), agency)


# Where a glued dateline may start: a capital after a small letter or a dot ("WritersMoscow"), or
# a capital word after a capitalised surname ("AHMEDDakar": AHMED + Dakar).
_GLUED_WORD_BOUNDARY = re.compile(r"[A-Z](?<=[a-z.][A-Z])|[A-Z](?<=[A-Z][A-Z])(?=[a-z])")
# A word that is itself two glued words, surname and place: "HUSSEINParis".
_GLUED_SURNAME = re.compile(r"[A-Z]{2}[a-z]")


def is_byline(text: str) -> bool:
    """Whether a line starts as a byline does ("by ...", "By ..."); parse_byline says if it is one."""
    return _BY.match(text) is not None


def split_glued_dateline(text: str) -> tuple[str, Dateline | None]:
    """Split a byline from the dateline that extracted text glued to it.

    `by AFP Staff WritersMoscow (AFP) Dec 30, 2022`, `By Issam AHMEDDakar (AFP) Oct 7, 2025`,
    `By W.G. Dunlop, Sara HUSSEINParis (AFP) ...`: the first boundary whose tail is a dated dateline,
    skipping a tail whose place still holds a glued surname ("G. Dunlop, Sara HUSSEINParis" after
    the initial "W.").

    Only boundaries in the last MAX_DATELINE_CHARS characters are tried: a longer tail is no
    dateline, and trying every boundary of a long line made this quadratic.
    """
    for boundary in _GLUED_WORD_BOUNDARY.finditer(text, max(0, len(text) - MAX_DATELINE_CHARS)):
        tail = text[boundary.start() :]
        dateline = parse_dateline(tail)
        if dateline is None or dateline.date is None:
            continue
        if dateline.place and _GLUED_SURNAME.search(dateline.place):
            continue
        return clean_text(text[: boundary.start()]), dateline
    return text, None
