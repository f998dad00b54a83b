"""How well the parsers fit the pages: the thresholds, and the pure functions that judge against them.

`newsbot check` (newsbot/cli/check.py) and the run report use this module; nothing here fetches or
imports Scrapy. Every threshold lives here, as declared data, and README.md ("Checking the live
sites") shows them as a table: change both together.

A threshold is a pair of shares: at or above `fits` the measure fits; below `broken` it is broken;
in between it is degraded. The thresholds are there to catch a layout change, which empties a field
on (nearly) every page at once, not to grade single pages: they leave room for the pages that
legitimately lack a value, so that the default sample of a check (10 articles) may hold one such
page and still fit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from newsbot.keys import STATS_FIELD_MISSING, STATS_ITEMS_VALID, STATS_NOTES
from newsbot.parsing.article import FIELD_HINTS

# Fields whose emptiness is counted: each is expected on a normal article page.
TRACKED_FIELDS = (
    "section",
    "byline",
    "dateline",
    "dateline_place",
    "date_published",
    "paragraphs",
    "summary",
    "images",
    "related_links",
)


def note_kind(note: str) -> str:
    """A note without its quoted values, so that counts group alike fallbacks."""
    return note.split(" '", 1)[0]


FITS = "fits"
DEGRADED = "degraded"
BROKEN = "broken"
_SEVERITY = {FITS: 0, DEGRADED: 1, BROKEN: 2}


@dataclass(frozen=True)
class Threshold:
    """`fits`: the lowest share that fits; `broken`: below this share the measure is broken."""

    fits: float
    broken: float
    # What to look at when the share falls: ends the warning sentence of the run report.
    hint: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.broken <= self.fits <= 1:
            raise ValueError(f"a threshold needs 0 <= broken <= fits <= 1, got {self}")

    def grade(self, share: float) -> str:
        if share >= self.fits:
            return FITS
        if share >= self.broken:
            return DEGRADED
        return BROKEN


# Item fields, share of parsed articles where the field is filled (not None, "", []).
# None: shown by `newsbot check`, never judged.
_HINTS = FIELD_HINTS  # the markup each field depends on, as the layout names it
FIELD_THRESHOLDS: dict[str, Threshold | None] = {
    # Every article page has a headline; the item cannot exist without one (the parser falls back to
    # og:title / <title> and notes it, and the notes rule below catches that).
    "title": Threshold(0.95, 0.50, _HINTS["title"]),
    # The page's section label, else the listing's: empty only when neither is known.
    "section": Threshold(0.90, 0.50, _HINTS["section"]),
    # Wire stories and releases carry "by AFP Staff Writers" / "by Staff Writers"; an advertorial may
    # carry none: one page in ten may lack it.
    "byline": Threshold(0.80, 0.30, "the byline markup above the dateline"),
    # "by Staff Writers" names nobody, and most articles are staff-written wire copy (5 of 68 snapshot
    # articles name a person): an empty list is the normal case, so it is never judged.
    "authors": None,
    # From the dateline, else the byline; 44 of 45 real 2025 feed items name one ("Strasbourg,
    # France Oct 8, 2025" does not).
    "agency": Threshold(0.70, 0.30, "the dateline's '(AGENCY)' part"),
    # Advertorials may have no dateline at all (ANATOMY.md): one page in ten may lack it.
    "dateline": Threshold(0.80, 0.30, _HINTS["dateline"]),
    "dateline_place": Threshold(0.80, 0.30, _HINTS["dateline_place"]),
    "date_published": Threshold(0.80, 0.30, _HINTS["date_published"]),
    # An article page without body text is never right. `body` and `word_count` are made from the
    # paragraphs, so they are not rated apart.
    "paragraphs": Threshold(0.95, 0.50, _HINTS["paragraphs"]),
    # The teaser of the section entry (or feed item) the article was found through: a listing entry
    # without one is rare; a listing whose teasers are no longer found empties it everywhere.
    "summary": Threshold(0.80, 0.30, "the teaser of the section page entries"),
    # The lead picture (og:image) of current articles; pages of the early 2000s have none.
    "images": Threshold(0.70, 0.30, "og:image and the pictures in the body"),
    # Most articles close with a "Related Links" block, but not every one does.
    "related_links": Threshold(0.50, 0.10, _HINTS["related_links"]),
}

# Measures of a `newsbot check` run as a whole.
RUN_THRESHOLDS: dict[str, Threshold] = {
    # Sections asked for whose first page was fetched and parsed (a 404 means the section moved).
    "section_pages": Threshold(1.0, 0.5),
    # Section pages that list at least one article link: a first page listing none is breakage.
    "section_pages_listing": Threshold(1.0, 0.5),
    # Article links followed that became an item (not: an error response, "not an article page").
    "articles_parsed": Threshold(0.90, 0.50),
    # Items that pass the shipped JSON Schema (the rest would be dropped from the dataset).
    "items_valid": Threshold(1.0, 0.50),
}

# A parser note (a fallback) on more than this share of the articles makes the site degraded: the
# markup the parser expects has moved, even if the fallback still fills the field. Notes never make
# a site broken on their own.
NOTE_MAX_SHARE = 0.25
# Notes that say a field is empty rather than that a fallback was used: the field's own threshold
# judges them (an advertorial has no dateline, and says so).
NOTES_NOT_JUDGED = frozenset(
    {
        "dateline: none found",
        "body: no paragraphs found",
        "title: none found",
    }
)


def is_filled(value: Any) -> bool:
    """A field is filled unless it is None, "" or an empty list."""
    return value not in (None, "", [], ())


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=_SEVERITY.__getitem__, default=FITS)


def severity(status: str) -> int:
    return _SEVERITY[status]


def note_status(kind: str, share: float) -> str | None:
    """`degraded` when a judged note is on more than NOTE_MAX_SHARE of the articles; None if not judged."""
    if kind in NOTES_NOT_JUDGED:
        return None
    return DEGRADED if share > NOTE_MAX_SHARE else FITS


# --- The run report of a scheduled crawl (the stats a crawl collects) ---


def fill_rates_from_stats(stats: Mapping[str, Any]) -> dict[str, float]:
    """Share of valid items with each tracked field filled; empty when the run wrote no valid item.

    Denominator `newsbot/items_valid`; numerator that minus `newsbot/field_missing/<field>`, for each
    field of TRACKED_FIELDS.
    """
    valid = int(stats.get(STATS_ITEMS_VALID) or 0)
    if valid <= 0:
        return {}
    return {
        name: max(0, valid - int(stats.get(f"{STATS_FIELD_MISSING}{name}") or 0)) / valid
        for name in TRACKED_FIELDS
    }


def notes_from_stats(stats: Mapping[str, Any]) -> dict[str, int]:
    """Counts of the stats keys `newsbot/notes/<kind>`, keyed by the kind, most frequent first."""
    counts = {
        key.removeprefix(STATS_NOTES): int(value)
        for key, value in stats.items()
        if key.startswith(STATS_NOTES) and value
    }
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def fill_warnings(rates: Mapping[str, float]) -> list[str]:
    """One sentence per field filled on fewer items than its `fits` threshold, worst first."""
    warnings = []
    for name, rate in sorted(rates.items(), key=lambda kv: (kv[1], kv[0])):
        threshold = FIELD_THRESHOLDS.get(name)
        if threshold is None or rate >= threshold.fits:
            continue
        level = "broken" if threshold.grade(rate) == BROKEN else "degraded"
        sentence = (
            f"{name} was filled on {format_share(rate)} of the items, below the "
            f"{format_share(threshold.fits)} a sound run reaches ({level}: under "
            f"{format_share(threshold.broken)} means the parser no longer finds it)"
        )
        if threshold.hint:
            sentence += f"; look at {threshold.hint}"
        warnings.append(sentence + ".")
    return warnings


# --- One site's `newsbot check` run, judged ---


@dataclass(frozen=True)
class SiteFigures:
    """What a check run of one site counted, besides the items themselves."""

    sections_requested: int
    section_pages: int = 0
    section_pages_empty: int = 0
    article_links: int = 0
    articles_requested: int = 0
    items_valid: int = 0
    finish_reason: str | None = "finished"
    unknown_sections: str | None = None
    # Responses received (robots.txt included) and downloads that failed after retries; None: unknown.
    pages_fetched: int | None = None
    download_errors: int = 0


@dataclass(frozen=True)
class Measure:
    """`count` of `total`, judged against a threshold (status None: not judged, or nothing to judge)."""

    name: str
    label: str
    count: int
    total: int
    threshold: Threshold | None
    status: str | None

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "total": self.total,
            "share": self.share,
            "fits_at": self.threshold.fits if self.threshold else None,
            "broken_below": self.threshold.broken if self.threshold else None,
            "status": self.status,
        }


@dataclass(frozen=True)
class NoteCount:
    kind: str
    articles: int
    total: int
    status: str | None

    @property
    def share(self) -> float:
        return self.articles / self.total if self.total else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "total": self.total,
            "share": self.share,
            "degraded_above": None if self.kind in NOTES_NOT_JUDGED else NOTE_MAX_SHARE,
            "status": self.status,
        }


@dataclass(frozen=True)
class Assessment:
    run: list[Measure]
    fields: list[Measure]
    notes: list[NoteCount]
    verdict: str
    reasons: list[str]


_RUN_LABELS = {
    "section_pages": "section pages fetched, of the sections asked for",
    "section_pages_listing": "section pages listing article links",
    "articles_parsed": "articles parsed, of the article links followed",
    "items_valid": "items valid against the JSON Schema",
}


def assess_site(
    figures: SiteFigures,
    items: Iterable[Mapping[str, Any]],
    kind_of: Callable[[str], str] | None = None,
) -> Assessment:
    """Judge one site's check run: its run measures, each field's fill rate, each note's frequency.

    `items` are the parsed items as dicts (duplicates included: a syndicated copy dropped by the
    dedupe pipeline was still parsed). `kind_of` maps a note to its kind (default: the pipeline's
    note_kind, which strips quoted values).
    """
    if kind_of is None:
        kind_of = note_kind
    items = list(items)
    parsed = len(items)
    run = [
        _measure("section_pages", figures.section_pages, figures.sections_requested),
        _measure(
            "section_pages_listing",
            figures.section_pages - figures.section_pages_empty,
            figures.section_pages,
        ),
        _measure("articles_parsed", parsed, figures.articles_requested),
        _measure("items_valid", figures.items_valid, parsed),
    ]
    fields = []
    for name, threshold in FIELD_THRESHOLDS.items():
        filled = sum(is_filled(item.get(name)) for item in items)
        status = threshold.grade(filled / parsed) if threshold is not None and parsed else None
        fields.append(Measure(name, name, filled, parsed, threshold, status))
    per_kind: dict[str, int] = {}
    for item in items:
        for kind in {kind_of(note) for note in item.get("notes") or ()}:
            per_kind[kind] = per_kind.get(kind, 0) + 1
    notes = [
        NoteCount(kind, count, parsed, note_status(kind, count / parsed))
        for kind, count in sorted(per_kind.items(), key=lambda kv: (-kv[1], kv[0]))
    ]

    # A run that never got to the articles has one reason; the measures would only repeat it.
    if figures.pages_fetched == 0:
        # Not a parser problem, but nothing can be judged, and a crawl would fetch nothing either.
        sole = f"nothing fetched ({figures.download_errors} download errors): the site could not be reached"
    elif figures.finish_reason == "unknown_section":
        sole = f"section(s) not found: {figures.unknown_sections or '?'}"
    else:
        sole = None
    if sole is not None:
        return Assessment(run=run, fields=fields, notes=notes, verdict=BROKEN, reasons=[sole])

    reasons: list[tuple[str, str]] = []
    if figures.finish_reason not in (None, "finished"):
        reasons.append((BROKEN, f"the crawl ended early ({figures.finish_reason})"))
    if figures.articles_requested == 0:
        reasons.append((BROKEN, "no article link was found to follow"))
    for measure in run:
        if measure.status in (DEGRADED, BROKEN):
            reasons.append((measure.status, _measure_reason(measure)))
    for measure in fields:
        if measure.status in (DEGRADED, BROKEN):
            reasons.append((measure.status, _field_reason(measure)))
    for note in notes:
        if note.status == DEGRADED:
            reasons.append(
                (
                    DEGRADED,
                    f"fallback '{note.kind}' on {note.articles} of {note.total} articles "
                    f"({format_share(note.share)}; degraded above {format_share(NOTE_MAX_SHARE)})",
                )
            )
    reasons.sort(key=lambda reason: -severity(reason[0]))  # stable: broken first, in table order
    return Assessment(
        run=run,
        fields=fields,
        notes=notes,
        verdict=worst(status for status, _ in reasons),
        reasons=[text for _, text in reasons],
    )


def _measure(name: str, count: int, total: int) -> Measure:
    threshold = RUN_THRESHOLDS[name]
    status = threshold.grade(count / total) if total else None
    return Measure(name, _RUN_LABELS[name], count, total, threshold, status)


def _measure_reason(measure: Measure) -> str:
    assert measure.threshold is not None and measure.share is not None
    return (
        f"{measure.label}: {measure.count} of {measure.total} ({format_share(measure.share)}; "
        f"{_bound(measure)})"
    )


def _field_reason(measure: Measure) -> str:
    assert measure.threshold is not None and measure.share is not None
    return (
        f"{measure.name} filled on {measure.count} of {measure.total} articles "
        f"({format_share(measure.share)}; {_bound(measure)})"
    )


def _bound(measure: Measure) -> str:
    assert measure.threshold is not None
    if measure.status == BROKEN:
        return f"broken below {format_share(measure.threshold.broken)}"
    return f"fits at {format_share(measure.threshold.fits)}"


def format_share(share: float) -> str:
    """`100%`, `83.3%`, `0%`: one decimal at most, never rounded up to a threshold it misses."""
    tenths = int(share * 1000 + 1e-9) / 10
    return f"{tenths:.1f}".removesuffix(".0") + "%"
