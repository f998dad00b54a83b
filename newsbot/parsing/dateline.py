"""Datelines of Space Media Network articles (bylines: newsbot.parsing.byline).

An article (and the start of each RSS description) opens with a dateline such as
``Moscow (AFP) Dec 30, 2022`` and, on the page, a byline such as ``by AFP Staff Writers``
(see shared/site/ANATOMY.md, "Datelines, bylines, dates").

Every real dateline seen so far has the same shape, so one compiled regular expression plus a
month table reads them. That fast path is deliberate: it does not depend on the process locale
(``strptime("%b")`` does) and it costs microseconds, where ``dateparser`` costs about a
millisecond per call and ~100 ms for its first one. ``dateparser`` is only the fallback for a
date that is written in another form (``30 December 2022``, ``2022-12-30``), and it is configured
so that it never invents a date: a dateline whose date cannot be read gets ``date=None`` and a
note, never a guess.

The date is a calendar day in the dateline's place; no time of day or timezone is printed, so
none is stored.
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsbot.parsing.text import LettersAnd

if TYPE_CHECKING:  # dateparser is imported lazily: the fast path never needs it.
    from dateparser.date import DateDataParser

__all__ = [
    "MAX_DATELINE_CHARS",
    "Dateline",
    "looks_like_dateline",
    "normalise_spaces",
    "parse_dateline",
]

# The network has published since the 1990s; a year outside this window is a typo or not a date
# at all (e.g. "0022"), and storing it would be worse than storing nothing.
MIN_YEAR = 1990
MAX_YEAR = 2100

# A dateline is one short line; anything longer is a paragraph. The cap also bounds the work the
# regular expressions can do on hostile input.
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

# The fast path: the one form every real dateline has, e.g. "Paris, France (AFP) Sept 24, 2025",
# "Athens Sept 24, 2025", "Moscow (AFP) Fri Sep 26, 2025". Applied with fullmatch to text whose
# whitespace has been normalised, so a trailing space or an &nbsp; does not matter.
_DATE = rf"""\b(?P<date>
        (?:(?:{_WEEKDAYS})\.?,?\s)?
        (?P<month>{_MONTHS})\.?\s
        (?P<day>\d{{1,2}}),?\s
        (?P<year>\d{{4}})
    )"""
# The lookahead changes no match, it only saves time: after the place and its separators comes
# either "(" (the agency) or the first letter of a weekday or month name (re.I covers upper case).
_DATELINE_RE = re.compile(
    _PLACE + r"(?=[(adfjmnostw])" + rf"(?:{_AGENCY})?" + _DATE, re.IGNORECASE | re.VERBOSE
)
# The same pattern in the two pieces that `_fast_form` applies where the place has to end, which
# saves trying every length of the place: the agency and date from the first "(" on ...
_AGENCY_DATE_RE = re.compile(_AGENCY + _DATE, re.IGNORECASE | re.VERBOSE)
# ... or, without an agency, the date that ends the text (searched for: the lookahead skips the
# positions where no weekday or month name starts at less cost than trying each name there).
_DATE_AT_END_RE = re.compile(r"(?=[adfjmnostw])" + _DATE + r"\Z", re.IGNORECASE | re.VERBOSE)
# Fallback splits, used only when the fast path fails: "<place> (<AGENCY>) <anything>" ...
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
_PLACE_CHARS = LettersAnd(_PLACE_PUNCTUATION)
# A line without "(" and without a digit is no dateline: no fast form, no agency, no date.
_DIGIT_OR_PARENTHESIS_RE = re.compile(r"[0-9(]")
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


_new_object = object.__new__


def _dateline(
    raw: str, place: str | None, agency: str | None, date: datetime.date | None, notes: tuple[str, ...]
) -> Dateline:
    """``Dateline(raw, place, agency, date, notes)`` in half the time: the frozen dataclass's __init__
    sets each field through object.__setattr__, this fills the new instance's dict directly. The
    result is the same: the same class, fields (in the same order), equality, hash and repr."""
    made = _new_object(Dateline)
    fields = made.__dict__
    fields["raw"] = raw
    fields["place"] = place
    fields["agency"] = agency
    fields["date"] = date
    fields["notes"] = notes
    return made


def normalise_spaces(text: str) -> str:
    """Collapse whitespace, non-breaking spaces and &nbsp; entities into single spaces."""
    if "&" not in text:
        # No entity: `\s`, split() and strip() agree on what white space is.
        return " ".join(text.split())
    return _SPACES_RE.sub(" ", text).strip()


def _place_chars_ok(place: str) -> bool:
    """Whether every character of `place` is a letter or place punctuation."""
    if len(place) > 80:
        return False
    return _PLACE_CHARS.hold(place)


def _is_place_name(place: str) -> bool:
    """Whether ``place`` reads as a place name, checked when there is no "(AGENCY)" to vouch
    that the line is a dateline: without this, "Launch is set for Oct 8, 2025" would be one.

    An empty place passes: a line that is only a date ("Oct 8, 2025") still dates the article.
    """
    words = place.replace(",", " ").split()
    if not words:
        return True
    if len(words) > _MAX_PLACE_WORDS or not _place_chars_ok(place):
        return False
    if not words[0][0].isupper():
        return False
    # A loop, not all() over a generator, which costs twice as much for a place of two words.
    for word in words:  # noqa: SIM110
        if not (word[0].isupper() or word.lower() in _PLACE_PARTICLES):
            return False
    return True


def _clean_place(place: str) -> str | None:
    place = place.strip(" ,")
    return place or None


def _in_range(day: datetime.date) -> bool:
    return MIN_YEAR <= day.year <= MAX_YEAR


@functools.cache
def fallback_date_parser() -> DateDataParser:
    """The one dateparser instance, created on first use.

    Why these settings: English only (the sites are English, and language detection is both slow
    and a source of wrong guesses); day, month and year all required and strict parsing, so a
    missing part is a failure instead of being filled in from today; only the absolute-time
    parser, because the default "relative-time" and "timestamp" parsers turn "2 days ago" or a
    bare number into a date computed from now, which is exactly the invention we must avoid.
    """
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
    """Read a date not in the fast-path form; returns the day (or None) and the notes."""
    if not date_text:
        return None, (NOTE_NO_DATE,)
    # Without a digit there is no day or year to find, and a dateparser call costs ~1 ms.
    if len(date_text) > _MAX_DATE_CHARS or not any(c.isdigit() for c in date_text):
        return None, (_note_unparsed(date_text),)
    try:
        found = fallback_date_parser().get_date_data(date_text).date_obj
    except (ValueError, OverflowError):  # dateparser can raise on odd digit runs
        found = None
    if found is None:
        return None, (NOTE_FALLBACK, _note_unparsed(date_text))
    day = found.date()  # a calendar day: drop any time dateparser read
    if not _in_range(day):
        return None, (NOTE_FALLBACK, _note_unparsed(date_text))
    return day, (NOTE_FALLBACK,)


def _looks_like_date(date_text: str) -> bool:
    """Whether a tail without an agency in front of it could be a date worth parsing."""
    return (
        len(date_text) <= _MAX_DATE_CHARS
        and any(c.isdigit() for c in date_text)
        and bool(_MONTH_NAME_RE.search(date_text) or _NUMERIC_DATE_RE.search(date_text))
    )


# What `_split` finds: (month, day, year) of the fast form or None, the place, the agency and the
# date's text.
_Parts = tuple[tuple[str, str, str] | None, str, str | None, str]


def _split(text: str) -> _Parts | None:
    """Find the parts of a dateline using regular expressions only.

    ``text`` is normalised (normalise_spaces): its only white space is single spaces, none at either
    end. Returns ``(fast, place, agency, date_text)``, with ``fast`` the month, day and year when the
    text is in the known form, or None when the text is not a dateline. Because the is-it-a-dateline
    decision is made here and never depends on dateparser, ``looks_like_dateline`` can share it
    and agree exactly with ``parse_dateline``.
    """
    if len(text) > MAX_DATELINE_CHARS:
        return None
    if text[-4:].isdecimal():  # `\d` is isdecimal(): the fast form may match
        fast = _fast_form(text)
        if fast is not None:
            return fast
    elif "(" not in text and text.isascii() and _DIGIT_OR_PARENTHESIS_RE.search(text) is None:
        # No fast form (no year at the end), no "(AGENCY)", and no digit for a date to have.
        return None
    return _split_by_patterns(text)


def _fast_form(text: str) -> _Parts | None:
    """The parts of a dateline in the fast form, found where the place must end, or None when this
    shortcut cannot say (then `_split_by_patterns` decides: either way the answer is the same).

    `_DATELINE_RE` gives the place the fewest characters that let the rest match, and neither the
    place nor the date holds a "(". So with a "(" in the text, the agency starts at the first one and
    the place is everything before it less trailing spaces and commas; without one, the date starts
    at the first position from which a date runs to the end (a date holds at most three spaces, so
    the search starts after the fourth space from the end) and the place is, again, what precedes
    it less spaces and commas. The check of that place is the one `_split_by_patterns` makes, and
    it passes only for a place `_DATELINE_RE` accepts (letters and punctuation, at most 80 long).
    """
    paren = text.find("(")
    if paren >= 0:
        m = _AGENCY_DATE_RE.fullmatch(text, paren)
        if m is None:
            return None
        place = text[:paren].rstrip(" ,")
        if not _place_chars_ok(place):
            return None
        agency, date_text, month, day, year = m.groups()  # the groups in the pattern's order
        return (month, day, year), place, agency, date_text
    start = len(text)
    for _ in range(4):
        start = text.rfind(" ", 0, start)
        if start < 0:
            break
    m = _DATE_AT_END_RE.search(text, start + 1)
    if m is None:
        return None
    place = text[: m.start()].rstrip(" ,")
    if not _is_place_name(place):
        return None
    date_text, month, day, year = m.groups()
    return (month, day, year), place, None, date_text


def _split_by_patterns(text: str) -> _Parts | None:
    """`_split` by the general patterns, in order; each is tried only when it can match."""
    if text[-4:].isdecimal():  # the fast form ends with a year
        m = _DATELINE_RE.fullmatch(text)
        if m is not None:
            place, agency = m["place"], m["agency"]
            ok = _place_chars_ok(place) if agency else _is_place_name(place)
            return ((m["month"], m["day"], m["year"]), place, agency, m["date"]) if ok else None
    if "(" in text:  # an agency needs one
        m = _AGENCY_SPLIT_RE.fullmatch(text)
        if m is not None:
            if not _place_chars_ok(m["place"]):
                return None
            return None, m["place"], m["agency"], m["tail"].strip()
    start = _DATE_START_RE.search(text)
    if start is None:
        return None
    place, date_text = text[: start.start()], text[start.start() :]
    if not (_is_place_name(place.strip(" ,")) and _looks_like_date(date_text)):
        return None
    return None, place, None, date_text


def looks_like_dateline(text: str) -> bool:
    """Cheap test for a dateline line among other lines of a page (regular expressions only).

    True exactly when ``parse_dateline(text)`` would return a Dateline, without reading the date.
    """
    return _split(normalise_spaces(text)) is not None


def parse_dateline(text: str) -> Dateline | None:
    """Parse ``<place> (<AGENCY>) <date>``; None when ``text`` is not a dateline at all.

    A line with an "(AGENCY)" is a dateline even when its date cannot be read (``date=None``, a
    note says why); a line without one must have a place name and something date-like.
    """
    raw = text.strip()
    parts = _split(normalise_spaces(raw))
    if parts is None:
        return None
    fast, place, agency, date_text = parts
    agency = agency.strip() if agency else None
    if fast is not None:
        month, day_text, year_text = fast
        # casefold, not lower: the pattern matches "ſep" (a long s) through case folding, and
        # lower() left it no key of the month table (a KeyError that lost the page). A year out of
        # range needs no calendar check.
        month_number = _MONTH_NUMBERS[month[:3].casefold()]
        year = int(year_text)
        if MIN_YEAR <= year <= MAX_YEAR:
            try:
                day = datetime.date(year, month_number, int(day_text))
            except ValueError:  # Feb 30, day 0, day 45: printed wrong, so stored as unknown
                pass
            else:
                return _dateline(raw, _clean_place(place), agency, day, ())
        # The form is right but the day is impossible; dateparser would not do better.
        return _dateline(raw, _clean_place(place), agency, None, (_note_unparsed(date_text),))
    found, notes = _fallback_date(date_text)
    return _dateline(raw, _clean_place(place), agency, found, notes)
