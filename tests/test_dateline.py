"""Tests of newsbot.parsing.dateline: every documented dateline/byline form, the 60 real datelines
of the evidence feeds, the dateparser fallback and its limits, and properties on arbitrary text."""

from __future__ import annotations

import datetime
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsbot.parsing import dateline as dl
from newsbot.parsing.dateline import Byline, Dateline, parse_byline, parse_dateline, split_glued_dateline

FALLBACK = "dateline: dateparser fallback"
D = datetime.date

# --- documented forms -----------------------------------------------------------------------------

# Every spelling of each month seen or allowed: 3 letters, "Sept", full names.
_MONTH_SPELLINGS = {
    1: ["Jan", "January"], 2: ["Feb", "February"], 3: ["Mar", "March"], 4: ["Apr", "April"],
    5: ["May", "MAY"], 6: ["Jun", "June"], 7: ["Jul", "July"], 8: ["Aug", "August"],
    9: ["Sep", "Sept", "September"], 10: ["Oct", "October"], 11: ["Nov", "November"],
    12: ["Dec", "December"],
}  # fmt: skip

# (text, place, agency, date): the forms listed in ANATOMY.md and the brief, read by the one pattern.
FAST_FORMS = [
    ("Moscow (AFP) Dec 30, 2022", "Moscow", "AFP", D(2022, 12, 30)),
    ("Budapest, Hungary (SPX) Oct 09, 2025", "Budapest, Hungary", "SPX", D(2025, 10, 9)),
    ("Paris, France (AFP) Oct 8, 2025", "Paris, France", "AFP", D(2025, 10, 8)),
    ("Copenhagen (AFP) Sept 24, 2025", "Copenhagen", "AFP", D(2025, 9, 24)),
    ("Brussels (AFP) April 03, 2013", "Brussels", "AFP", D(2013, 4, 3)),
    ("Washington DC (UPI) Oct 8, 2025 ", "Washington DC", "UPI", D(2025, 10, 8)),
    ("Moscow (AFP) Fri Sep 26, 2025", "Moscow", "AFP", D(2025, 9, 26)),
    ("Moscow (AFP) Friday, Sep 26, 2025", "Moscow", "AFP", D(2025, 9, 26)),
    ("Los Angeles CA (SPX) Sep 17, 2025", "Los Angeles CA", "SPX", D(2025, 9, 17)),
    (
        "United Nations, United States (AFP) Sept 22, 2025",
        "United Nations, United States",
        "AFP",
        D(2025, 9, 22),
    ),
    (
        "Aboard A Nato Aircraft, Poland (AFP) Oct 1, 2025",
        "Aboard A Nato Aircraft, Poland",
        "AFP",
        D(2025, 10, 1),
    ),
    ("Tel Aviv Israel (AFP) Oct 2, 2025", "Tel Aviv Israel", "AFP", D(2025, 10, 2)),
    ("Pasadena CA (JPL) Apr 04, 2013", "Pasadena CA", "JPL", D(2013, 4, 4)),
    ("Paris (ESA) Apr 04, 2013", "Paris", "ESA", D(2013, 4, 4)),
    ("Moscow (RIA Novosti) APR 03, 2013", "Moscow", "RIA Novosti", D(2013, 4, 3)),
    ("New Delhi (IANS) march 5, 2013", "New Delhi", "IANS", D(2013, 3, 5)),
    ("Strasbourg, France Oct 8, 2025", "Strasbourg, France", None, D(2025, 10, 8)),
    ("Athens Sept 24, 2025", "Athens", None, D(2025, 9, 24)),
    ("Rio de Janeiro Sep 26, 2025", "Rio de Janeiro", None, D(2025, 9, 26)),
    # A place that starts with a weekday name must not lose it to the date.
    ("Friday Harbor WA Sep 26, 2025", "Friday Harbor WA", None, D(2025, 9, 26)),
    ("Paris, France, (AFP) Oct 8, 2025", "Paris, France", "AFP", D(2025, 10, 8)),
    # A place with a word in parentheses: the agency is the last group, the one before the date.
    ("Vandenberg AFB (CA) (SPX) Oct 8, 2025", "Vandenberg AFB (CA)", "SPX", D(2025, 10, 8)),
    ("Abu Dhabi (UAE) (WAM) Oct 8, 2025", "Abu Dhabi (UAE)", "WAM", D(2025, 10, 8)),
    # Figures in a place's name: the agency says where the place ends.
    ("Area 51 NV (SPX) Oct 8, 2025", "Area 51 NV", "SPX", D(2025, 10, 8)),
    ("Launch Complex 39A, Florida (SPX) Oct 8, 2025", "Launch Complex 39A, Florida", "SPX", D(2025, 10, 8)),
    # Non-breaking spaces, decoded or as entities, and doubled spaces.
    ("Moscow\xa0(AFP)\xa0Dec\xa030,\xa02022", "Moscow", "AFP", D(2022, 12, 30)),
    ("Moscow&nbsp;(AFP)&nbsp;Dec 30, 2022", "Moscow", "AFP", D(2022, 12, 30)),
    ("Paris,  France  (AFP)  Oct  8,  2025", "Paris, France", "AFP", D(2025, 10, 8)),
    ("  Moscow (AFP) Dec 30, 2022\n", "Moscow", "AFP", D(2022, 12, 30)),
    # Every month in its abbreviated and full spelling maps to the right number.
    *[
        (f"Oslo (AFP) {name} 2, 2020", "Oslo", "AFP", D(2020, number, 2))
        for number, names in _MONTH_SPELLINGS.items()
        for name in names
    ],
]


@pytest.mark.parametrize(("text", "place", "agency", "date"), FAST_FORMS)
def test_usual_forms(text: str, place: str, agency: str | None, date: D) -> None:
    parsed = parse_dateline(text)
    assert parsed == Dateline(text.strip(), place, agency, date, ())


def test_date_is_a_calendar_day_not_a_datetime() -> None:
    parsed = parse_dateline("Moscow (AFP) Dec 30, 2022")
    assert parsed is not None
    assert type(parsed.date) is datetime.date


# (text, place, agency, date): not the known form, so read by dateparser, which the notes say.
FALLBACK_FORMS = [
    ("Moscow (AFP) 30 December 2022", "Moscow", "AFP", D(2022, 12, 30)),
    ("Moscow (AFP) 2022-12-30", "Moscow", "AFP", D(2022, 12, 30)),
    ("Moscow (AFP) December 30th, 2022", "Moscow", "AFP", D(2022, 12, 30)),
    ("Moscow 30 December 2022", "Moscow", None, D(2022, 12, 30)),
    ("Moscow December 30th, 2022", "Moscow", None, D(2022, 12, 30)),
    ("Vandenberg AFB (CA) (SPX) 8 October 2025", "Vandenberg AFB (CA)", "SPX", D(2025, 10, 8)),
    # A time of day is read and dropped: only the day is stored.
    ("Moscow (AFP) Dec 30, 2022 10:00 UTC", "Moscow", "AFP", D(2022, 12, 30)),
]


@pytest.mark.parametrize(("text", "place", "agency", "date"), FALLBACK_FORMS)
def test_fallback_forms(text: str, place: str, agency: str | None, date: D) -> None:
    parsed = parse_dateline(text)
    assert parsed == Dateline(text, place, agency, date, (FALLBACK,))
    assert type(parsed.date) is datetime.date


# (text, place, agency, unparsed date text): the date is impossible or not a full date.
UNPARSED_FORMS = [
    ("Moscow (AFP) Feb 30, 2022", "Moscow", "AFP", "Feb 30, 2022"),
    ("Moscow Feb 30, 2022", "Moscow", None, "Feb 30, 2022"),
    ("Moscow (AFP) Apr 31, 2013", "Moscow", "AFP", "Apr 31, 2013"),
    ("Moscow (AFP) Dec 00, 2022", "Moscow", "AFP", "Dec 00, 2022"),
    ("Moscow (AFP) Dec 30, 1850", "Moscow", "AFP", "Dec 30, 1850"),
    ("Moscow (AFP) Dec 30, 2222", "Moscow", "AFP", "Dec 30, 2222"),
    # Dateparser tried and failed: a missing year, a relative date, an out-of-range ISO date.
    ("Moscow (AFP) Dec 30", "Moscow", "AFP", "Dec 30"),
    ("Moscow (AFP) 2 days ago", "Moscow", "AFP", "2 days ago"),
    ("Moscow (AFP) 0022-12-30", "Moscow", "AFP", "0022-12-30"),
    # A year in two figures (a page cut short in its year, a typo): its century would be a guess.
    ("Moscow (AFP) Dec 30, 20", "Moscow", "AFP", "Dec 30, 20"),
    ("Moscow Dec 30, 20", "Moscow", None, "Dec 30, 20"),
    ("Moscow (AFP) 30 Dec 25", "Moscow", "AFP", "30 Dec 25"),
]


# Figures only: 05/06/2022 is 5 June in Paris and May 6 in Washington, 22/05/06 has its year first
# or last. Which is which is a guess, so the day is not stored; a four-digit year and a day over 12
# (or first, the ISO order) leave no doubt.
AMBIGUOUS_FORMS = [
    "Moscow (AFP) 05/06/2022",
    "Moscow (AFP) 5.6.2022",
    "Moscow 06-05-2022",
    "Moscow (AFP) 22/05/06",
]


@pytest.mark.parametrize("text", AMBIGUOUS_FORMS)
def test_a_date_in_figures_that_reads_two_ways_is_none_with_a_note(text: str) -> None:
    parsed = parse_dateline(text)
    assert parsed is not None and parsed.date is None
    assert f"dateline: ambiguous date '{text.rsplit(' ', 1)[1]}'" in parsed.notes


@pytest.mark.parametrize(
    ("text", "date"),
    [("Moscow (AFP) 13/06/2022", D(2022, 6, 13)), ("Moscow (AFP) 2022/06/05", D(2022, 6, 5))],
)
def test_a_date_in_figures_that_reads_one_way_is_read(text: str, date: D) -> None:
    assert parse_dateline(text) == Dateline(text, "Moscow", "AFP", date, (FALLBACK,))


@pytest.mark.parametrize(("text", "place", "agency", "date_text"), UNPARSED_FORMS)
def test_unparsed_dates_are_none_with_a_note(
    text: str, place: str, agency: str | None, date_text: str
) -> None:
    parsed = parse_dateline(text)
    assert parsed is not None
    assert (parsed.place, parsed.agency, parsed.date) == (place, agency, None)
    assert f"dateline: unparsed date '{date_text}'" in parsed.notes


@pytest.fixture
def no_dateparser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any use of dateparser fail the test."""

    def forbidden() -> None:
        raise AssertionError("dateparser was called")

    monkeypatch.setattr(dl, "fallback_date_parser", forbidden)


@pytest.mark.usefixtures("no_dateparser")
@pytest.mark.parametrize("text", ["Moscow (AFP) Tuesday Oct 8, 2025", "Moscow (AFP) Fri Sep 26, 2024"])
def test_a_weekday_that_is_not_the_dates_leaves_the_date_empty_with_a_note(text: str) -> None:
    # Oct 8, 2025 was a Wednesday, Sep 26, 2024 a Thursday: the day or the year is a typo.
    dateline = parse_dateline(text)
    assert dateline is not None and dateline.agency == "AFP" and dateline.date is None
    assert dateline.notes == (f"dateline: weekday not that of the date '{text[13:]}'",)


def test_a_country_in_parentheses_is_no_agency() -> None:
    # The agencies are acronyms (AFP, SPX, UPI) or known (RIA Novosti); "Russia" would be a wrong one.
    dateline = parse_dateline("Moscow (Russia) Oct 8, 2025")
    assert dateline is not None and dateline.agency is None and dateline.date == datetime.date(2025, 10, 8)
    assert dateline.notes == ("dateline: '(Russia)' is no agency known",)


def test_agency_without_date_is_a_dateline_with_no_date() -> None:
    assert parse_dateline("Moscow (AFP)") == Dateline(
        "Moscow (AFP)", "Moscow", "AFP", None, ("dateline: no date",)
    )


@pytest.mark.usefixtures("no_dateparser")
@pytest.mark.parametrize("text", ["Moscow (AFP) Friday", "Moscow (AFP) late December"])
def test_no_digit_never_reaches_dateparser(text: str) -> None:
    parsed = parse_dateline(text)
    assert parsed is not None
    assert parsed.date is None
    assert FALLBACK not in parsed.notes
    assert parsed.notes[0].startswith("dateline: unparsed date '")


@pytest.mark.usefixtures("no_dateparser")
@pytest.mark.parametrize("text", [t for t, *_ in FAST_FORMS])
def test_usual_forms_never_reach_dateparser(text: str) -> None:
    assert parse_dateline(text) is not None


NOT_DATELINES = [
    "Russian leader Vladimir Putin told Chinese President Xi Jinping on Friday he was keen to "
    "ramp up military cooperation and hailed the two countries' efforts.",
    "Russian leader Vladimir Putin told ...",
    "The United States on Thursday announced the approval of a $1.23 billion sale of up to 400",
    "Launch is set for Oct 8, 2025",
    # A date's label is no place: the page's update date is not its dateline.
    "Updated Oct 10, 2025",
    "Posted Oct 10, 2025 10:00 GMT",
    # A date in the place: "(AFP)" after it does not make "Moscow Dec 30, 2022" a place.
    "Moscow Dec 30, 2022 (AFP)",
    "It happened in 2022",
    "by AFP Staff Writers",
    "",
    "   ",
    "Moscow",
    "Moscow (AFP) Dec 30, 2022 " * 10,  # far longer than any dateline
]


@pytest.mark.parametrize("text", NOT_DATELINES)
def test_not_a_dateline(text: str) -> None:
    assert parse_dateline(text) is None


@pytest.mark.parametrize("text", ["Area 51 NV Oct 8, 2025", "Area 51 NV 8 October 2025"])
def test_a_place_with_figures_and_no_agency_is_never_cut_at_them(text: str) -> None:
    # Without an agency, where the place ends is not known: no dateline rather than the place "Area".
    assert parse_dateline(text) is None


def test_dateparser_instance_is_created_once() -> None:
    assert dl.fallback_date_parser() is dl.fallback_date_parser()


# --- the real datelines of the evidence feeds ----------------------------------------------------

EVIDENCE = Path(__file__).resolve().parent / "evidence"
REAL_COUNT = 60  # 45 items of the 2025 sample + 15 of the 2013 feed


def _first_line(description: str) -> str:
    """The dateline: the description's text up to its first <br>."""
    return re.split(r"<br\s*/?>", description.lstrip("\n"), maxsplit=1)[0]


def _real_datelines() -> list[str]:
    items = json.loads((EVIDENCE / "rss-items-2025-sample.json").read_text(encoding="utf-8"))
    lines = [_first_line(item["description"]) for item in items]
    root = ET.parse(EVIDENCE / "spacedaily-rss-2013-04-04.xml").getroot()
    lines += [_first_line(item.findtext("description") or "") for item in root.iter("item")]
    return lines


if EVIDENCE.is_dir():
    REAL = _real_datelines()
    REAL_PARAMS = [pytest.param(line, id=f"{i:02d}:{line.strip()}") for i, line in enumerate(REAL)]
else:
    REAL = []
    REAL_PARAMS = [pytest.param(None, marks=pytest.mark.skip(reason=f"evidence folder missing: {EVIDENCE}"))]
needs_evidence = pytest.mark.skipif(not REAL, reason=f"evidence folder missing: {EVIDENCE}")


@needs_evidence
def test_all_real_datelines_are_read() -> None:
    assert len(REAL) == REAL_COUNT


@pytest.mark.usefixtures("no_dateparser")
@pytest.mark.parametrize("line", REAL_PARAMS)
def test_real_dateline_is_read_by_the_one_pattern_without_dateparser(line: str) -> None:
    parsed = parse_dateline(line)
    assert parsed is not None
    assert parsed.notes == ()
    assert parsed.date is not None
    assert parsed.date.year in (2013, 2025)  # the two feeds' years
    assert parsed.place and parsed.place == parsed.place.strip(" ,")
    assert parsed.agency in (None, "AFP", "SPX", "UPI", "JPL")


@pytest.mark.parametrize("line", REAL_PARAMS)
def test_real_dateline_agrees_with_dateparser(line: str) -> None:
    """An independent reading: dateparser on the last three words ("Sept 29, 2025")."""
    import dateparser

    parsed = parse_dateline(line)
    expected = dateparser.parse(" ".join(line.split()[-3:]), languages=["en"])
    assert expected is not None
    assert parsed is not None and parsed.date == expected.date()


@needs_evidence
def test_real_agencies_and_places() -> None:
    by_line = {line.strip(): parse_dateline(line) for line in REAL}
    strasbourg = by_line["Strasbourg, France Oct 8, 2025"]
    assert strasbourg == Dateline(
        "Strasbourg, France Oct 8, 2025", "Strasbourg, France", None, D(2025, 10, 8), ()
    )
    assert by_line["Pasadena CA (JPL) Apr 04, 2013"].agency == "JPL"
    assert by_line["Washington DC (UPI) Oct 7, 2025"].date == D(2025, 10, 7)
    assert by_line["United Nations, United States (AFP) Sept 22, 2025"].place == (
        "United Nations, United States"
    )


# --- properties -------------------------------------------------------------------------------------

_text_or_dateline = st.one_of(
    st.text(max_size=120),
    st.builds(
        "{} {} {}".format,
        st.text(max_size=30),
        st.sampled_from(["(AFP)", "(RIA Novosti)", "", "("]),
        st.text(alphabet="0123456789 ,-/.JanFebSptDecmbr", max_size=25),
    ),
)


@settings(deadline=None, max_examples=300)  # the first dateparser call loads its locale data
@given(_text_or_dateline)
def test_never_raises_and_dates_are_plausible(text: str) -> None:
    parsed = parse_dateline(text)
    if parsed is not None:
        assert parsed.date is None or dl.MIN_YEAR <= parsed.date.year <= dl.MAX_YEAR
        assert type(parsed.date) in (datetime.date, type(None))
        assert parsed.raw == text.strip()


_PLACES = ["Moscow", "Paris, France", "Washington DC", "Aboard A Nato Aircraft, Poland"]


@settings(deadline=None)
@given(
    place=st.sampled_from(_PLACES),
    agency=st.sampled_from(["AFP", "SPX", "RIA Novosti", None]),
    day=st.dates(min_value=D(1990, 1, 1), max_value=D(2100, 12, 31)),
    data=st.data(),
)
def test_round_trip_of_generated_datelines(
    place: str, agency: str | None, day: D, data: st.DataObject
) -> None:
    month = data.draw(st.sampled_from(_MONTH_SPELLINGS[day.month]))
    month = data.draw(st.sampled_from([month, month.upper(), month.lower()]))
    day_text = data.draw(st.sampled_from([str(day.day), f"{day.day:02d}"]))
    middle = f" ({agency}) " if agency else " "
    text = f"{place}{middle}{month} {day_text}, {day.year}"
    assert parse_dateline(text) == Dateline(text, place, agency, day, ())


# --- bylines ------------------------------------------------------------------------------------------

BYLINES = [
    ("by AFP Staff Writers", (), "AFP"),
    ("by Staff Writers", (), None),
    ("by Staff Writer", (), None),
    ("by Staff Reporters", (), None),
    ("By Issam AHMED", ("Issam AHMED",), None),
    ("By W.G. Dunlop, Sara HUSSEIN", ("W.G. Dunlop", "Sara HUSSEIN"), None),
    ("by Erica Marchand", ("Erica Marchand",), None),
    ("by Ivan Couronne", ("Ivan Couronne",), None),
    ("by Erica Marchand and Ivan Couronne", ("Erica Marchand", "Ivan Couronne"), None),
    ("by Ivan Couronne, AFP", ("Ivan Couronne",), "AFP"),
    ("by Ivan Couronne and RIA Novosti", ("Ivan Couronne",), "RIA Novosti"),
    ("by Ivan Couronne with Sara HUSSEIN in Paris", ("Ivan Couronne", "Sara HUSSEIN"), None),
    ("BY\xa0Issam\xa0AHMED ", ("Issam AHMED",), None),
    ("by UPI Staff Writers", (), "UPI"),
    # Where the reporter filed from, after a comma, is no author: one word or a state code.
    ("By Paul Handley, Washington", ("Paul Handley",), None),
    ("By Paul Handley, Washington DC", ("Paul Handley",), None),
    ("By W.G. Dunlop, Sara HUSSEIN, Paris", ("W.G. Dunlop", "Sara HUSSEIN"), None),
    # A person who is a staff writer is an author, not an agency; an acronym there is an agency.
    ("by Jane Doe Staff Writer", ("Jane Doe",), None),
    ("by TASS Staff Writers", (), "TASS"),
    ("By Ursula von der Leyen", ("Ursula von der Leyen",), None),
    # Two bylines of a page read as one (newsbot/parsing/article/layouts.py, _joined_byline).
    ("By Laure FILLON, By Issam AHMED", ("Laure FILLON", "Issam AHMED"), None),
    # A person's title after the agency as printed is the agency's, no second person.
    ("by Richard Tomkins, UPI Correspondent", ("Richard Tomkins",), "UPI"),
    ("BY JOHN SMITH, UPI CORRESPONDENT", ("JOHN SMITH",), "UPI"),
    ("by Esa Saarinen", ("Esa Saarinen",), None),
]


@pytest.mark.parametrize(("text", "authors", "agency"), BYLINES)
def test_bylines(text: str, authors: tuple[str, ...], agency: str | None) -> None:
    assert parse_byline(text) == Byline(text.strip(), authors, agency)


@pytest.mark.parametrize(
    "text",
    [
        "Moscow (AFP) Dec 30, 2022",
        "Issam AHMED",
        "by",
        "",
        "By the end of the year, NASA will launch 12 missions.",
        "Standby mode was engaged",
        # No person: an organisation's one word, a name with a lower-case word ("for AFP") in it.
        "By NASA",
        "by Jane Doe for AFP",
    ],
)
def test_not_a_byline(text: str) -> None:
    assert parse_byline(text) is None


@settings(deadline=None)
@given(st.text(max_size=80))
def test_byline_never_raises(text: str) -> None:
    parsed = parse_byline(text)
    if parsed is not None:
        assert parsed.raw == text.strip()
        assert all(parsed.authors)


# --- bylines glued to datelines ------------------------------------------------------------------


@pytest.mark.parametrize(
    "glued, byline, authors, place",
    [
        ("by AFP Staff WritersMoscow (AFP) Dec 30, 2022", "by AFP Staff Writers", (), "Moscow"),
        ("by Staff WritersWashington DC (SPX) Oct 09, 2025", "by Staff Writers", (), "Washington DC"),
        ("By Issam AHMEDDakar (AFP) Oct 7, 2025", "By Issam AHMED", ("Issam AHMED",), "Dakar"),
        (
            "By W.G. Dunlop, Sara HUSSEINParis (AFP) Oct 7, 2025",
            "By W.G. Dunlop, Sara HUSSEIN",
            ("W.G. Dunlop", "Sara HUSSEIN"),
            "Paris",
        ),
        (
            "by Erica MarchandParis, France (AFP) Oct 8, 2025",
            "by Erica Marchand",
            ("Erica Marchand",),
            "Paris, France",
        ),
        (
            "by Ivan CouronneWashington (AFP) Oct 8, 2025",
            "by Ivan Couronne",
            ("Ivan Couronne",),
            "Washington",
        ),
        ("by Staff WritersMcLean VA (SPX) Oct 8, 2025", "by Staff Writers", (), "McLean VA"),
        # A capital after Mc or Mac is inside a name, not where a place begins.
        ("By Kelly McDonaldHouston (AFP) Oct 8, 2025", "By Kelly McDonald", ("Kelly McDonald",), "Houston"),
        ("By Jim MacKennaMcLean VA (UPI) Oct 8, 2025", "By Jim MacKenna", ("Jim MacKenna",), "McLean VA"),
    ],
)
def test_a_byline_glued_to_its_dateline_splits_where_the_place_begins(glued, byline, authors, place):
    head, dateline = split_glued_dateline(glued)
    assert head == byline and dateline is not None and dateline.place == place
    parsed = parse_byline(head)
    assert parsed is not None and parsed.authors == authors


@pytest.mark.parametrize(
    "spaced, byline, place",
    [
        ("by Staff Writers Washington DC (SPX) Oct 09, 2025", "by Staff Writers", "Washington DC"),
        ("by TASS Staff Writers Moscow (TASS) Oct 8, 2025", "by TASS Staff Writers", "Moscow"),
        ("By Issam AHMED Dakar (AFP) Oct 7, 2025", "By Issam AHMED", "Dakar"),
        (
            "By W.G. Dunlop, Sara HUSSEIN Paris, France (AFP) Oct 7, 2025",
            "By W.G. Dunlop, Sara HUSSEIN",
            "Paris, France",
        ),
    ],
)
def test_a_byline_a_space_before_its_dateline_splits_where_the_byline_surely_ends(spaced, byline, place):
    head, dateline = split_glued_dateline(spaced)
    assert head == byline and dateline is not None and dateline.place == place


def test_a_byline_a_space_before_its_dateline_stays_whole_where_the_place_could_start_anywhere():
    # "Doe Paris" or "Paris": no sign of where the name ends, so no split and no wrong place; an
    # initial is no glued word either ("By W." and the place "G. Dunlop, Sara Hussein Paris").
    for line in (
        "By Jane Doe Paris (AFP) Oct 7, 2025",
        "By W.G. Dunlop, Sara Hussein Paris (AFP) Oct 7, 2025",
    ):
        assert split_glued_dateline(line) == (line, None)


def test_a_byline_with_no_dateline_glued_stays_whole():
    assert split_glued_dateline("By Issam AHMED") == ("By Issam AHMED", None)
    assert split_glued_dateline("by AFP Staff Writers") == ("by AFP Staff Writers", None)


def test_a_month_spelled_with_a_long_s_is_read_not_raised():
    # The usual form matches "ſep" (re.IGNORECASE folds the long s to s); the month table was read
    # with lower(), which keeps the long s, and the KeyError lost the whole page.
    dateline = parse_dateline("Moscow (AFP) ſep 26, 2025")
    assert dateline is not None
    assert dateline.date == datetime.date(2025, 9, 26)
    assert dateline.agency == "AFP"
