"""Datelines (``Moscow (AFP) Dec 30, 2022``) and bylines (``by AFP Staff Writers``) of SMN articles
(docs/ANATOMY.md, "Datelines, bylines, dates"). Every real dateline has one shape: one regular
expression and a month table read it, without the process locale ``strptime("%b")`` depends on.
``dateparser`` reads other forms (``2022-12-30``) and never invents a date: one that cannot be read
is ``None`` with a note. The date is the calendar day printed; no time, no zone."""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from newsbot.parsing.text import clean_text

if TYPE_CHECKING:  # dateparser is imported when a date needs it: its first call costs ~100 ms.
    from dateparser.date import DateDataParser

# The network has published since the 1990s; a year outside this window is a typo or no date at all.
MIN_YEAR, MAX_YEAR = 1990, 2100
# A dateline or a byline is one short line; the cap also bounds the regular expressions' work on
# hostile input.
MAX_LINE_CHARS = 200
# Longest tail we still hand to dateparser, e.g. "Wednesday, September 30th, 2022 at 10:00 GMT".
_MAX_DATE_CHARS = 48

_NOTE_FALLBACK = "dateline: dateparser fallback"
# Month spellings seen on the sites: "Oct", "Sept", "April", upper case "APR"; their first three
# letters, unique for English months, tell the month.
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # date.weekday()'s order
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_WEEKDAYS = (
    r"mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?"
    r"|fri(?:day)?|sat(?:urday)?|sun(?:day)?"
)

# The place: parentheses only around a word of its own ("Vandenberg AFB (CA) (SPX)": the agency is
# the last group). Lazy, so it stops at the first "(AGENCY)" or date rather than swallowing them.
_PLACE = r"(?P<place>(?:[^()]|\([^()\d]{1,30}\)){0,80}?)[\s,]*"
# The agency: "AFP", "SPX", "RIA Novosti"; a letter first so "(2)" or "( )" is not an agency.
_AGENCY = r"\((?P<agency>[^\W\d_][^()\d]{0,29})\)\s*"

# The form every real dateline has ("Paris, France (AFP) Sept 24, 2025", "Athens Sept 24, 2025",
# "Moscow (AFP) Fri Sep 26, 2025"), matched whole on text whose white space is normalised.
_DATELINE_RE = re.compile(  # verbose: the spaces only separate the parts
    rf"{_PLACE} (?:{_AGENCY})? \b(?P<date> (?:(?P<weekday>{_WEEKDAYS})\.?,?\s)? (?P<month>{_MONTHS})\.?\s"
    r" (?P<day>\d{1,2}),?\s (?P<year>\d{4}))",
    re.IGNORECASE | re.VERBOSE,
)
# Other forms: "<place> (<AGENCY>) <anything>" ...
# ... (a tail that opens with another "(AGENCY)" is not one: that agency is the last group) ...
_AGENCY_SPLIT_RE = re.compile(
    _PLACE + _AGENCY + r"(?P<tail>(?!\s*\([^\W\d_][^()\d]{0,29}\)).*)", re.IGNORECASE
)
# ... or, without an agency, the date starts at the first month/weekday name, or number before
# another or a month ("30 December", "2022-12-30"; not the 51 of "Area 51 NV 8 October 2025").
_DATE_START_RE = re.compile(
    rf"\b(?:{_MONTHS}|{_WEEKDAYS})\b|\d++(?:st|nd|rd|th)?[\s,./-]*(?=\d|(?:{_MONTHS})\b)", re.IGNORECASE
)
_MONTH_NAME_RE = re.compile(rf"\b(?:{_MONTHS})\b", re.IGNORECASE)
_NUMERIC_DATE_RE = re.compile(r"(\d{1,4})[-/.](\d{1,2})[-/.](\d{1,4})")
_FOUR_DIGIT_YEAR_RE = re.compile(r"(?<!\d)\d{4}(?!\d)")

# &nbsp; arrives either decoded (U+00A0, matched by \s) or, from raw HTML, as an entity.
_SPACES_RE = re.compile(r"(?:&nbsp;|&#160;|&#xa0;|\s)+", re.IGNORECASE)

# Characters a place name is made of: "St. Louis", "Cergy-Pontoise", "Val-d'Oise", "Trinidad &
# Tobago". Anything else (quotes, "$", ":", "!") means prose, not a place.
_PLACE_PUNCTUATION = frozenset(" ,.'\u2019-&/()")
# A first word that labels a date rather than naming a place: "Updated Oct 10, 2025".
_DATE_LABELS = frozenset({"updated", "posted", "published", "modified", "revised"})
# Lower-case words allowed inside a place name without an agency ("Rio de Janeiro", "Frankfurt am
# Main"); every other word must be capitalised, which is what tells a place from a sentence.
_PLACE_PARTICLES = frozenset({
    "a", "al", "am", "an", "and", "at", "aan", "bei", "da", "das", "de", "del", "della", "der", "des",
    "di", "do", "dos", "du", "el", "en", "im", "la", "le", "les", "of", "on", "sur", "the", "upon", "van",
    "von", "y",
})  # fmt: skip
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
    return _SPACES_RE.sub(" ", text).strip()


def _place_chars_ok(place: str) -> bool:
    """Letters and punctuation; figures in a name ("Area 51 NV"), not in a date ("Moscow Dec 30, 2022")."""
    a_date = any(c.isdigit() for c in place) and _MONTH_NAME_RE.search(place)
    return len(place) <= 80 and all(c.isalnum() or c in _PLACE_PUNCTUATION for c in place) and not a_date


def _is_place_name(place: str) -> bool:
    """Where no "(AGENCY)" vouches for the line: else "Launch is set for Oct 8, 2025" would be a
    dateline. An empty place passes ("Oct 8, 2025")."""
    words = place.replace(",", " ").split()
    if len(words) > _MAX_PLACE_WORDS or not _place_chars_ok(place):
        return False
    if words and (not words[0][0].isupper() or words[0].lower() in _DATE_LABELS):
        return False
    return all(word[0].isupper() or word.lower() in _PLACE_PARTICLES for word in words)


@functools.cache
def fallback_date_parser() -> DateDataParser:
    """The one dateparser instance: English only (the sites are), day, month and year required and
    strict (a missing part is not filled in from today), absolute dates only ("2 days ago" or a
    bare number would be a date computed from now: an invention)."""
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings={
        "REQUIRE_PARTS": ["day", "month", "year"], "STRICT_PARSING": True,
        "RETURN_AS_TIMEZONE_AWARE": False, "PARSERS": ["absolute-time"],
    })  # fmt: skip


def _fallback_date(date_text: str) -> tuple[datetime.date | None, tuple[str, ...]]:
    unparsed = f"dateline: unparsed date '{date_text}'"
    if not date_text:
        return None, ("dateline: no date",)
    if len(date_text) > _MAX_DATE_CHARS or not any(c.isdigit() for c in date_text):
        return None, (unparsed,)  # without a digit there is no day or year to find
    if _reads_two_ways(date_text):
        return None, (f"dateline: ambiguous date '{date_text}'",)
    if not _FOUR_DIGIT_YEAR_RE.search(date_text):
        return None, (unparsed,)  # "Dec 30, 20": a page cut short in its year; a century guessed
    try:
        found = fallback_date_parser().get_date_data(date_text).date_obj
    except (ValueError, OverflowError):  # dateparser can raise on odd digit runs
        found = None
    if found is None or not MIN_YEAR <= found.year <= MAX_YEAR:
        return None, (_NOTE_FALLBACK, unparsed)
    return found.date(), (_NOTE_FALLBACK,)  # a calendar day: drop any time dateparser read


def _reads_two_ways(date_text: str) -> bool:
    """Whether a date in figures alone reads as two days: 05/06/2022 (5 June or May 6), 22/05/06 (its
    year first or last). A four-digit year first (ISO order), or last after a day over 12, does not."""
    figures = _NUMERIC_DATE_RE.search(date_text)
    if figures is None or _MONTH_NAME_RE.search(date_text):
        return False
    first, second, last = figures.groups()
    if len(first) == 4 or len(last) != 4:
        return len(first) != 4
    return int(first) <= 12 and int(second) <= 12 and int(first) != int(second)


def _split(text: str) -> tuple[re.Match[str] | None, str, str | None, str] | None:
    """The parts of a normalised line: (the usual form's match or None, place, agency, date text),
    or None when the line is no dateline."""
    if len(text) > MAX_LINE_CHARS:
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
    # Without an agency to vouch for it, the tail must look like a date worth parsing.
    dated = _MONTH_NAME_RE.search(date_text) or _NUMERIC_DATE_RE.search(date_text)
    short = len(date_text) <= _MAX_DATE_CHARS and any(c.isdigit() for c in date_text)
    return (None, place, None, date_text) if short and dated and _is_place_name(place.strip(" ,")) else None


def parse_dateline(text: str) -> Dateline | None:
    """Parse ``<place> (<AGENCY>) <date>``; None when ``text`` is not a dateline at all. A line with
    an "(AGENCY)" is one even when its date cannot be read; without, it needs a place and a date.
    An agency is an acronym ("AFP", "AFP/SPX") or a known one ("RIA Novosti"), not "(Russia)"."""
    raw = text.strip()
    parts = _split(normalise_spaces(raw))
    if parts is None:
        return None
    usual, place_text, agency_text, date_text = parts
    place, agency = place_text.strip(" ,") or None, agency_text.strip() if agency_text else None
    date, notes = _fallback_date(date_text) if usual is None else _usual_date(usual, date_text)
    if agency and not agency.isupper() and agency.lower() not in _AGENCIES:
        notes = (*notes, f"dateline: '({agency})' is no agency known")
        agency = None
    return Dateline(raw, place, agency, date, notes)


def _usual_date(usual: re.Match[str], date_text: str) -> tuple[datetime.date | None, tuple[str, ...]]:
    # casefold, not lower: the pattern matches "ſep" (a long s) through case folding.
    month = _MONTH_NAMES.index(usual["month"][:3].casefold()) + 1
    year = int(usual["year"])
    try:
        date = datetime.date(year, month, int(usual["day"])) if MIN_YEAR <= year <= MAX_YEAR else None
    except ValueError:  # Feb 30, day 0, day 45: printed wrong, so stored as unknown
        date = None
    weekday = usual["weekday"]
    # "Tuesday Oct 8, 2025" (a Wednesday): the weekday, the day or the year is a typo, which one unknown.
    if date and weekday and _WEEKDAY_NAMES[date.weekday()] != weekday[:3].casefold():
        return None, (f"dateline: weekday not that of the date '{date_text}'",)
    # The form is right but the day is impossible; dateparser would not do better.
    return date, () if date else (f"dateline: unparsed date '{date_text}'",)


@dataclass(frozen=True)
class Byline:
    """A parsed byline; ``authors`` are people only, because "Staff Writers" names nobody."""

    raw: str
    authors: tuple[str, ...]
    agency: str | None  # "AFP" in "by AFP Staff Writers"


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
# "Paul Handley, Washington", "..., Washington DC": a place after a comma, one word or ending in a
# state code, where a name has a given name and a surname ("Sara HUSSEIN").
_FILED_FROM_PLACE_RE = re.compile(r"[^\W\d_]+|[^\W\d_][^\d,]* [A-Z]{2}")
_NAME_PUNCTUATION = frozenset(" .'\u2019-")
_NAME_PARTICLES = frozenset(
    {"al", "bin", "da", "de", "del", "der", "di", "du", "el", "la", "le", "van", "von"}
)
_MAX_NAME_WORDS = 5


def _is_person_name(name: str) -> bool:
    """Whether ``name`` reads as a printed name ("W.G. Dunlop", "Issam AHMED"): given name and
    surname, capitalised but for a particle ("von der Leyen"). What keeps prose ("By the end of the
    year, NASA will ..."), an organisation ("By NASA") and "Jane Doe for AFP" from being authors."""
    words = name.split()
    return (
        name[:1].isupper()
        and 2 <= len(words) <= _MAX_NAME_WORDS
        and all(word[0].isupper() or word in _NAME_PARTICLES for word in words)
        and all(c.isalpha() or c in _NAME_PUNCTUATION for c in name)
    )


def parse_byline(text: str) -> Byline | None:
    """Parse ``by <names>``; None when ``text`` is not a byline. Names are kept as printed: "AHMED"
    may be how the agency marks a surname."""
    raw = text.strip()
    normalised = normalise_spaces(raw)
    if len(normalised) > MAX_LINE_CHARS or not _BY.match(normalised):
        return None
    rest = normalised[3:]
    authors: list[str] = []
    agency: str | None = None
    desk = False  # whether a part is a "Staff Writers" desk
    for part in _AUTHOR_SEPARATOR_RE.split(rest.strip(" ,")):
        # "By Laure FILLON, By Issam AHMED": two bylines of a page read as one.
        part = _FILED_FROM_RE.sub("", part[3:] if _BY.match(part) else part)
        if not part:
            continue
        staff = _STAFF_RE.fullmatch(part)
        desk = desk or staff is not None
        # Before "Staff Writers": an agency ("AFP", an acronym "TASS"), a person on the staff ("Jane
        # Doe") or nobody known ("Doe").
        name = staff["org"].strip() if staff else part
        first_word = name.split(" ", 1)[0]
        if name.lower() in _AGENCIES or (staff and name.isupper()):
            agency = agency or _AGENCIES.get(name.lower(), name)
        elif authors and first_word in _AGENCIES.values():  # "UPI Correspondent": a title, not a name
            agency = agency or first_word
        elif authors and not staff and _FILED_FROM_PLACE_RE.fullmatch(name):
            continue
        elif _is_person_name(name):
            authors.append(name)
        elif not staff:
            return None
    if not authors and agency is None and not desk:
        return None
    return Byline(raw, tuple(authors), agency)


# Where a glued dateline may start: a capital after a small letter or a dot ("WritersMoscow") but
# for the one inside a name after Mc or Mac ("McDonald") and an initial ("W.G. Dunlop"), or a
# capital word after a capitalised surname ("AHMEDDakar": AHMED + Dakar).
_GLUED_WORD_BOUNDARY = re.compile(
    r"[A-Z](?<=[a-z.][A-Z])(?<!\bMc[A-Z])(?<!\bMac[A-Z])(?!\.)|[A-Z](?<=[A-Z][A-Z])(?=[a-z])"
)
# A word that is itself two glued words, surname and place: "HUSSEINParis".
_GLUED_SURNAME = re.compile(r"[A-Z]{2}[a-z]")


# Where a byline surely ends when a space, not a tag, parts it from its dateline: after "Staff
# Writers", else after a surname in capitals (AFP's "Issam AHMED") before a capitalised word. After
# "By Jane Doe " the place could start at either word, so such a line stays whole.
_SPACED_BYLINE_ENDS = (
    re.compile(r"\b[Ss]taff\s+(?:[Ww]riters?|[Rr]eporters?)\s+(?=[A-Z])"),
    re.compile(r"\b[A-Z]{2,}\s+(?=[A-Z][a-z])"),
)


def is_byline(text: str) -> bool:
    # parse_byline says whether it is one.
    return _BY.match(text) is not None


def split_glued_dateline(text: str) -> tuple[str, Dateline | None]:
    """Split a byline from the dateline extracted text glued to it (`By Issam AHMEDDakar (AFP) Oct
    7, 2025`) at the first boundary whose tail is a dated dateline with no glued surname in its place
    ("G. Dunlop, Sara HUSSEINParis"), else a space apart where the byline surely ends; in the last
    MAX_LINE_CHARS only (else quadratic)."""
    for boundary in _GLUED_WORD_BOUNDARY.finditer(text, max(0, len(text) - MAX_LINE_CHARS)):
        dateline = parse_dateline(text[boundary.start() :])
        if dateline and dateline.date and not (dateline.place and _GLUED_SURNAME.search(dateline.place)):
            return clean_text(text[: boundary.start()]), dateline
    for byline_end in _SPACED_BYLINE_ENDS:
        for boundary in byline_end.finditer(text, max(0, len(text) - MAX_LINE_CHARS)):
            dateline, byline = parse_dateline(text[boundary.end() :]), clean_text(text[: boundary.end()])
            if dateline and dateline.date and parse_byline(byline):
                return byline, dateline
    return text, None
