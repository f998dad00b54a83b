"""Datelines of Space Media Network articles: ``Moscow (AFP) Dec 30, 2022`` opens an article and
each RSS description (docs/ANATOMY.md, "Datelines, bylines, dates"; bylines: parsing.byline).

Every real dateline seen so far has one shape, read by one regular expression and a month table
(which, unlike ``strptime("%b")``, does not depend on the process locale). ``dateparser`` reads a
date in another form (``30 December 2022``, ``2022-12-30``) and never invents one: a date that
cannot be read is ``None`` with a note. The date is the calendar day printed; no time, no zone.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsbot.parsing.text import letters_and

if TYPE_CHECKING:  # dateparser is imported when a date needs it: its first call costs ~100 ms.
    from dateparser.date import DateDataParser

__all__ = ["MAX_DATELINE_CHARS", "Dateline", "normalise_spaces", "parse_dateline"]

# The network has published since the 1990s; a year outside this window is a typo or no date at all.
MIN_YEAR, MAX_YEAR = 1990, 2100
# A dateline is one short line; the cap also bounds the regular expressions' work on hostile input.
MAX_DATELINE_CHARS = 200
# Longest tail we still hand to dateparser, e.g. "Wednesday, September 30th, 2022 at 10:00 GMT".
_MAX_DATE_CHARS = 48

NOTE_FALLBACK = "dateline: dateparser fallback"
NOTE_NO_DATE = "dateline: no date"


def _note_unparsed(date_text: str) -> str:
    return f"dateline: unparsed date '{date_text}'"


# Month spellings seen on the sites: "Oct", "Sept", "April", upper case "APR". The table is keyed
# by the first three letters, which are unique for English months.
_MONTH_NUMBERS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAYS = (
    r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)

# The place: no digits (dates have them) and no parentheses (the agency has them). Lazy, so it
# stops at the first "(AGENCY)" or date rather than swallowing them.
_PLACE = r"(?P<place>[^()\d]{0,80}?)[\s,]*"
# The agency: "AFP", "SPX", "RIA Novosti"; a letter first so "(2)" or "( )" is not an agency.
_AGENCY = r"\((?P<agency>[^\W\d_][^()\d]{0,29})\)\s*"

# The form every real dateline has, e.g. "Paris, France (AFP) Sept 24, 2025", "Athens Sept 24,
# 2025", "Moscow (AFP) Fri Sep 26, 2025". Applied with fullmatch to text whose whitespace has been
# normalised, so a trailing space or an &nbsp; does not matter.
_DATELINE_RE = re.compile(
    _PLACE
    + rf"(?:{_AGENCY})?"
    + rf"""\b(?P<date>
        (?:(?:{_WEEKDAYS})\.?,?\s)?
        (?P<month>{_MONTHS})\.?\s
        (?P<day>\d{{1,2}}),?\s
        (?P<year>\d{{4}})
    )""",
    re.IGNORECASE | re.VERBOSE,
)
# Other forms: "<place> (<AGENCY>) <anything>" ...
_AGENCY_SPLIT_RE = re.compile(_PLACE + _AGENCY + r"(?P<tail>.*)", re.IGNORECASE)
# ... or, without an agency, the date starts at the first month/weekday name or digit.
_DATE_START_RE = re.compile(rf"\b(?:{_MONTHS}|{_WEEKDAYS})\b|\d", re.IGNORECASE)
_MONTH_NAME_RE = re.compile(rf"\b(?:{_MONTHS})\b", re.IGNORECASE)
_NUMERIC_DATE_RE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")

# &nbsp; arrives either decoded (U+00A0, matched by \s) or, from raw HTML, as an entity.
_SPACES_RE = re.compile(r"(?:&nbsp;|&#160;|&#xa0;|\s)+", re.IGNORECASE)

# Characters a place name is made of: "St. Louis", "Cergy-Pontoise", "Val-d'Oise", "Trinidad &
# Tobago". Anything else (quotes, "$", ":", "!") means prose, not a place.
_PLACE_PUNCTUATION = frozenset(" ,.'\u2019-&/")
# Lower-case words allowed inside a place name without an agency ("Rio de Janeiro", "Frankfurt am
# Main"); every other word must be capitalised, which is what tells a place from a sentence.
_PLACE_PARTICLES = frozenset(
    {
        "a", "al", "am", "an", "and", "at", "aan", "bei", "da", "das", "de", "del", "della", "der",
        "des", "di", "do", "dos", "du", "el", "en", "im", "la", "le", "les", "of", "on", "sur",
        "the", "upon", "van", "von", "y",
    }
)  # fmt: skip
_MAX_PLACE_WORDS = 8


@dataclass(frozen=True)
class Dateline:
    """A parsed dateline; ``notes`` says what was fallen back on, so a caller can audit it."""

    raw: str  # the input, stripped
    place: str | None  # "Moscow", "Paris, France", "Aboard A Nato Aircraft, Poland"
    agency: str | None  # "AFP", "SPX", "RIA Novosti", or None when the dateline has none
    date: datetime.date | None  # the calendar day printed; None rather than a guess
    notes: tuple[str, ...] = ()


def normalise_spaces(text: str) -> str:
    """Collapse whitespace, non-breaking spaces and &nbsp; entities into single spaces."""
    return _SPACES_RE.sub(" ", text).strip()


def _place_chars_ok(place: str) -> bool:
    return len(place) <= 80 and letters_and(_PLACE_PUNCTUATION, place)


def _is_place_name(place: str) -> bool:
    """Whether ``place`` reads as a place name, checked when there is no "(AGENCY)" to vouch
    that the line is a dateline: without this, "Launch is set for Oct 8, 2025" would be one.

    An empty place passes: a line that is only a date ("Oct 8, 2025") still dates the article.
    """
    words = place.replace(",", " ").split()
    if not words:
        return True
    if len(words) > _MAX_PLACE_WORDS or not _place_chars_ok(place) or not words[0][0].isupper():
        return False
    return all(word[0].isupper() or word.lower() in _PLACE_PARTICLES for word in words)


@functools.cache
def fallback_date_parser() -> DateDataParser:
    """The one dateparser instance: English only (the sites are), day, month and year required and
    strict (a missing part is not filled in from today), absolute dates only ("2 days ago" or a
    bare number would be a date computed from now: an invention)."""
    from dateparser.date import DateDataParser

    return DateDataParser(
        languages=["en"],
        settings={
            "REQUIRE_PARTS": ["day", "month", "year"],
            "STRICT_PARSING": True,
            "RETURN_AS_TIMEZONE_AWARE": False,
            "PARSERS": ["absolute-time"],
        },
    )


def _fallback_date(date_text: str) -> tuple[datetime.date | None, tuple[str, ...]]:
    """Read a date not in the usual form; returns the day (or None) and the notes."""
    if not date_text:
        return None, (NOTE_NO_DATE,)
    # Without a digit there is no day or year to find.
    if len(date_text) > _MAX_DATE_CHARS or not any(c.isdigit() for c in date_text):
        return None, (_note_unparsed(date_text),)
    try:
        found = fallback_date_parser().get_date_data(date_text).date_obj
    except (ValueError, OverflowError):  # dateparser can raise on odd digit runs
        found = None
    if found is None or not MIN_YEAR <= found.year <= MAX_YEAR:
        return None, (NOTE_FALLBACK, _note_unparsed(date_text))
    return found.date(), (NOTE_FALLBACK,)  # a calendar day: drop any time dateparser read


def _looks_like_date(date_text: str) -> bool:
    """Whether a tail without an agency in front of it could be a date worth parsing."""
    return (
        len(date_text) <= _MAX_DATE_CHARS
        and any(c.isdigit() for c in date_text)
        and bool(_MONTH_NAME_RE.search(date_text) or _NUMERIC_DATE_RE.search(date_text))
    )


def _split(text: str) -> tuple[re.Match[str] | None, str, str | None, str] | None:
    """The parts of a normalised line: (the usual form's match or None, place, agency, date text),
    or None when the line is no dateline."""
    if len(text) > MAX_DATELINE_CHARS:
        return None
    m = _DATELINE_RE.fullmatch(text)
    if m is not None:
        ok = _place_chars_ok(m["place"]) if m["agency"] else _is_place_name(m["place"])
        return (m, m["place"], m["agency"], m["date"]) if ok else None
    m = _AGENCY_SPLIT_RE.fullmatch(text)
    if m is not None:
        return (None, m["place"], m["agency"], m["tail"].strip()) if _place_chars_ok(m["place"]) else None
    start = _DATE_START_RE.search(text)
    if start is None:
        return None
    place, date_text = text[: start.start()], text[start.start() :]
    if not (_is_place_name(place.strip(" ,")) and _looks_like_date(date_text)):
        return None
    return None, place, None, date_text


def parse_dateline(text: str) -> Dateline | None:
    """Parse ``<place> (<AGENCY>) <date>``; None when ``text`` is not a dateline at all.

    A line with an "(AGENCY)" is a dateline even when its date cannot be read (``date=None``, a
    note says why); a line without one must have a place name and something date-like.
    """
    raw = text.strip()
    parts = _split(normalise_spaces(raw))
    if parts is None:
        return None
    usual, place_text, agency_text, date_text = parts
    place = place_text.strip(" ,") or None
    agency = agency_text.strip() if agency_text else None
    if usual is None:
        day, notes = _fallback_date(date_text)
        return Dateline(raw, place, agency, day, notes)
    # casefold, not lower: the pattern matches "ſep" (a long s) through case folding.
    month = _MONTH_NUMBERS[usual["month"][:3].casefold()]
    year = int(usual["year"])
    try:
        if MIN_YEAR <= year <= MAX_YEAR:
            return Dateline(raw, place, agency, datetime.date(year, month, int(usual["day"])))
    except ValueError:  # Feb 30, day 0, day 45: printed wrong, so stored as unknown
        pass
    # The form is right but the day is impossible; dateparser would not do better.
    return Dateline(raw, place, agency, None, (_note_unparsed(date_text),))
