"""How well the parsers fit the pages: the thresholds, and the pure functions that judge against them.

`newsbot check` (newsbot/cli/check.py) and the run report use this module; nothing here fetches or
imports Scrapy. Every threshold lives here, as declared data, and ARCHITECTURE.md ("Judging a
site") shows them as a table: change both together (a test compares them).

A threshold is a pair of shares: at or above `fits` the measure fits; below `broken` it is broken;
in between it is degraded. The thresholds are there to catch a layout change, which empties a field
on (nearly) every page at once, not to grade single pages: they leave room for the pages that
legitimately lack a value, so that the default sample of a check (10 articles) may hold one such
page and still fit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

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


FITS, DEGRADED, BROKEN = "fits", "degraded", "broken"
VERDICTS = (FITS, DEGRADED, BROKEN)  # best first


class Threshold(NamedTuple):
    fits: float  # the lowest share that fits
    broken: float  # below this share the measure is broken
    look_at: str = ""  # the markup to look at when a field's share falls (ends the report's warning)

    def grade(self, share: float) -> str:
        return FITS if share >= self.fits else DEGRADED if share >= self.broken else BROKEN


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

# Measures of a `newsbot check` run as a whole: the label its table shows, and the threshold.
RUN_THRESHOLDS: dict[str, tuple[str, Threshold]] = {
    # A section whose first page was not had (a 404) has moved.
    "section_pages": ("section pages fetched, of the sections asked for", Threshold(1.0, 0.5)),
    # A first section page listing no article link is breakage.
    "section_pages_listing": ("section pages listing article links", Threshold(1.0, 0.5)),
    # Not an item: an error response, or "not an article page".
    "articles_parsed": ("articles parsed, of the article links followed", Threshold(0.90, 0.50)),
    # The rest would be dropped from the dataset.
    "items_valid": ("items valid against the JSON Schema", Threshold(1.0, 0.50)),
}

# A parser note (a fallback) on more than this share of the articles makes the site degraded: the
# markup the parser expects has moved, even if the fallback still fills the field. Notes never make
# a site broken on their own.
NOTE_MAX_SHARE = 0.25
# Notes that say a field is empty rather than that a fallback was used: the field's own threshold
# judges them (an advertorial has no dateline, and says so).
NOTES_NOT_JUDGED = frozenset({"dateline: none found", "body: no paragraphs found", "title: none found"})


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=VERDICTS.index, default=FITS)


def format_share(share: float) -> str:
    """`100%`, `83.3%`, `0%`: one decimal at most, never rounded up to a threshold it misses."""
    tenths = int(share * 1000 + 1e-9) / 10
    return f"{tenths:.1f}".removesuffix(".0") + "%"


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
        sentence = (
            f"{name} was filled on {format_share(rate)} of the items, below the "
            f"{format_share(threshold.fits)} a sound run reaches ({threshold.grade(rate)}: under "
            f"{format_share(threshold.broken)} means the parser no longer finds it)"
        )
        warnings.append(sentence + (f"; look at {threshold.look_at}." if threshold.look_at else "."))
    return warnings


# --- One site's `newsbot check` run, judged ---


def assess_site(
    figures: Mapping[str, Any], items: Sequence[Mapping[str, Any]], unknown_sections: str | None = None
) -> dict[str, Any]:
    """Judge one site's check run: its run measures, each field's fill rate, each note's frequency.

    `figures` are the counts of the site's `newsbot check` report (sections_requested, section_pages,
    section_pages_empty, articles_requested, items_invalid, finish_reason, pages_fetched,
    download_errors); `items` the parsed items as dicts (duplicates included: a syndicated copy
    dropped by the dedupe pipeline was still parsed). Returns the report's `verdict`, `reasons`,
    `run`, `fields` and `notes`.
    """
    parsed, pages = len(items), figures["section_pages"]
    counts = {
        "section_pages": (pages, figures["sections_requested"]),
        "section_pages_listing": (pages - figures["section_pages_empty"], pages),
        "articles_parsed": (parsed, figures["articles_requested"]),
        "items_valid": (parsed - figures["items_invalid"], parsed),
    }
    run = {
        name: {"label": label, **_measure(*counts[name], threshold)}
        for name, (label, threshold) in RUN_THRESHOLDS.items()
    }
    fields = {
        name: _measure(sum(item.get(name) not in (None, "", [], ()) for item in items), parsed, threshold)
        for name, threshold in FIELD_THRESHOLDS.items()
    }
    kinds = Counter(kind for item in items for kind in {note_kind(note) for note in item.get("notes") or ()})
    notes: dict[str, dict[str, Any]] = {}
    for kind, count in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])):
        share, limit = count / parsed, None if kind in NOTES_NOT_JUDGED else NOTE_MAX_SHARE
        status = None if limit is None else DEGRADED if share > limit else FITS
        notes[kind] = dict(articles=count, total=parsed, share=share, degraded_above=limit, status=status)
    judged = {"run": run, "fields": fields, "notes": notes}

    # A run that never got to the articles has one reason; the measures would only repeat it.
    if figures["pages_fetched"] == 0:
        # Not a parser problem, but nothing can be judged, and a crawl would fetch nothing either.
        errors = figures["download_errors"]
        sole = f"nothing fetched ({errors} download errors): the site could not be reached"
        return {"verdict": BROKEN, "reasons": [sole], **judged}
    if figures["finish_reason"] == "unknown_section":
        return {"verdict": BROKEN, "reasons": [f"section(s) not found: {unknown_sections or '?'}"], **judged}

    reasons: list[tuple[str, str]] = []
    if figures["finish_reason"] not in (None, "finished"):
        reasons.append((BROKEN, f"the crawl ended early ({figures['finish_reason']})"))
    if figures["articles_requested"] == 0:
        reasons.append((BROKEN, "no article link was found to follow"))
    measures = [(f"{m['label']}:", "", m) for m in run.values()]
    measures += [(f"{name} filled on", " articles", m) for name, m in fields.items()]
    for what, unit, m in measures:
        if m["status"] in (DEGRADED, BROKEN):
            bound = (
                f"broken below {format_share(m['broken_below'])}"
                if m["status"] == BROKEN
                else f"fits at {format_share(m['fits_at'])}"
            )
            counted = f"{what} {m['count']} of {m['total']}{unit}"
            reasons.append((m["status"], f"{counted} ({format_share(m['share'])}; {bound})"))
    for kind, note in notes.items():
        if note["status"] == DEGRADED:
            counted = f"fallback '{kind}' on {note['articles']} of {parsed} articles"
            bound = f"degraded above {format_share(NOTE_MAX_SHARE)}"
            reasons.append((DEGRADED, f"{counted} ({format_share(note['share'])}; {bound})"))
    reasons.sort(key=lambda reason: -VERDICTS.index(reason[0]))  # stable: broken first, in table order
    return {
        "verdict": worst(status for status, _ in reasons),
        "reasons": [text for _, text in reasons],
        **judged,
    }


def _measure(count: int, total: int, threshold: Threshold | None) -> dict[str, Any]:
    """`count` of `total`, judged (status None: not judged, or nothing to judge)."""
    share = count / total if total else None
    return {
        "count": count,
        "total": total,
        "share": share,
        "fits_at": threshold.fits if threshold else None,
        "broken_below": threshold.broken if threshold else None,
        "status": threshold.grade(share) if threshold and share is not None else None,
    }
