"""How well the parsers fit the pages: the thresholds (ARCHITECTURE.md "Judging a site" shows them
and why; a test keeps the two equal) and the judging that `newsbot check` and the run report share."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from newsbot import keys
from newsbot.parsing.article import FIELD_HINTS

FITS, DEGRADED, BROKEN = "fits", "degraded", "broken"
VERDICTS = (FITS, DEGRADED, BROKEN)  # best first


class Threshold(NamedTuple):
    fits: float  # the lowest share that fits
    broken: float  # below this share the measure is broken

    def grade(self, share: float) -> str:
        return FITS if share >= self.fits else DEGRADED if share >= self.broken else BROKEN


# Share of valid items with the field filled (not None, "", []); None: shown, never judged. The crawl
# counts these fields empty (newsbot/field_missing/<field>), for the run report and the check.
FIELD_THRESHOLDS: dict[str, Threshold | None] = {
    "title": Threshold(0.95, 0.50),
    "section": Threshold(0.90, 0.50),
    "byline": Threshold(0.80, 0.30),
    "authors": None,
    "agency": Threshold(0.70, 0.30),
    "dateline": Threshold(0.80, 0.30),
    "dateline_place": Threshold(0.80, 0.30),
    "date_published": Threshold(0.80, 0.30),
    "paragraphs": Threshold(0.95, 0.50),
    "summary": Threshold(0.80, 0.30),
    "images": Threshold(0.70, 0.30),
    "related_links": Threshold(0.50, 0.10),
}
# Fill rates of fewer items are reported, not warned of: one advertorial without a dateline is no redesign.
FILL_RATES_MIN_ITEMS = 5
# The markup to look at when a field empties across a run.
LOOK_AT = {
    **FIELD_HINTS,
    "byline": "the byline markup above the dateline",
    "agency": "the dateline's '(AGENCY)' part",
    "summary": "the teaser of the section page entries",
    "images": "og:image and the pictures in the body",
}

# Measures of a `newsbot check` run as a whole: the label its table shows, and the threshold.
RUN_THRESHOLDS: dict[str, tuple[str, Threshold]] = {
    "section_pages": ("section pages fetched, of the sections asked for", Threshold(1.0, 0.5)),
    "section_pages_listing": ("section pages listing article links", Threshold(1.0, 0.5)),
    "articles_parsed": ("articles parsed, of the article links followed", Threshold(0.90, 0.50)),
    "items_valid": ("items valid against the JSON Schema", Threshold(1.0, 0.50)),
}

# A fallback on more than this share of the articles degrades a site (never breaks it): the markup
# moved, even if the fallback still fills the field.
NOTE_MAX_SHARE = 0.25
# Notes that say a field is empty, not that a fallback was used: the field's threshold judges them.
NOTES_NOT_JUDGED = frozenset({"dateline: none found", "body: no paragraphs found", "title: none found"})


def note_kind(note: str) -> str:
    """A note without its quoted values, so that counts group alike fallbacks."""
    return note.split(" '", 1)[0]


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=VERDICTS.index, default=FITS)


def format_share(share: float) -> str:
    """`100%`, `83.3%`, `0%`: one decimal at most, never rounded up to a threshold it misses."""
    tenths = int(share * 1000 + 1e-9) / 10
    return f"{tenths:.1f}".removesuffix(".0") + "%"


def measure(count: int, total: int, threshold: Threshold | None) -> dict[str, Any]:
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


def shortfall(what: str, judged: Mapping[str, Any], unit: str = "") -> str | None:
    """Why a measure does not fit, in words; None when it fits or is not judged."""
    if judged["status"] not in (DEGRADED, BROKEN):
        return None
    words, bound = ("broken below", "broken_below") if judged["status"] == BROKEN else ("fits at", "fits_at")
    shares = f"{format_share(judged['share'])}; {words} {format_share(judged[bound])}"
    return f"{what} {judged['count']} of {judged['total']}{unit} ({shares})"


def fields_from_stats(stats: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Each field's fill among a crawl's valid items, measured as `newsbot check` does."""
    valid = stats.get(keys.STATS_ITEMS_VALID, 0)
    missing = keys.stats_under(stats, keys.STATS_FIELD_MISSING)
    return {
        name: measure(valid - missing.get(name, 0), valid, threshold)
        for name, threshold in FIELD_THRESHOLDS.items()
        if valid
    }


def fill_warnings(fields: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """One sentence per field below its `fits` share, worst first, naming the markup to look at."""
    ranked = sorted(fields.items(), key=lambda kv: (kv[1]["share"], kv[0]))
    judged = [(name, m) for name, m in ranked if m["total"] >= FILL_RATES_MIN_ITEMS]
    shortfalls = [(name, shortfall(f"{name} filled on", m, " items")) for name, m in judged]
    return [f"{text}; look at {LOOK_AT[name]}" for name, text in shortfalls if text]


def notes_from_stats(stats: Mapping[str, Any]) -> dict[str, int]:
    """Counts of the stats keys `newsbot/notes/<kind>`, keyed by the kind, most frequent first."""
    counts = {kind: n for kind, n in keys.stats_under(stats, keys.STATS_NOTES).items() if n}
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def assess_site(figures: Mapping[str, Any], stats: Mapping[str, Any]) -> dict[str, Any]:
    """Judge one site's `newsbot check` run from its figures (newsbot/cli/check.py) and its stats, the
    fields and notes of its valid items counted as a crawl's run report counts them."""
    parsed, pages = figures["articles_parsed"], figures["section_pages"]
    valid = parsed - figures["items_invalid"]
    counts = {
        "section_pages": (pages, figures["sections_requested"]),
        "section_pages_listing": (pages - figures["section_pages_empty"], pages),
        "articles_parsed": (parsed, figures["articles_requested"]),
        "items_valid": (valid, parsed),
    }
    run = {
        name: {"label": label, **measure(*counts[name], threshold)}
        for name, (label, threshold) in RUN_THRESHOLDS.items()
    }
    fields = fields_from_stats(stats)
    # Fewer items cannot tell one page without the value (an advertorial) from a drift: broken or not.
    few = valid < FILL_RATES_MIN_ITEMS
    for judged in fields.values():
        if few and judged["status"] == DEGRADED:
            judged["status"] = None
    measured = [(f"{m['label']}:", "", m) for m in run.values()]
    measured += [(f"{name} filled on", " articles", m) for name, m in fields.items()]
    reasons = [(m["status"], text) for what, unit, m in measured if (text := shortfall(what, m, unit))]
    notes: dict[str, dict[str, Any]] = {}
    for kind, count in notes_from_stats(stats).items():
        if keys.STATS_NOTES + kind == keys.NOTE_SECTIONS_MOVED:
            continue  # the navigation's, not a page's: the check shows moved sections apart
        share, limit = count / valid, None if kind in NOTES_NOT_JUDGED or few else NOTE_MAX_SHARE
        status = None if limit is None else DEGRADED if share > limit else FITS
        notes[kind] = dict(count=count, total=valid, share=share, degraded_above=limit, status=status)
        if status == DEGRADED:
            bound = f"{format_share(share)}; degraded above {format_share(NOTE_MAX_SHARE)}"
            reasons.append((DEGRADED, f"fallback '{kind}' on {count} of {valid} articles ({bound})"))
    if figures["articles_requested"] == 0:
        reasons.insert(0, (BROKEN, "no article link was found to follow"))
    if figures["finish_reason"] not in (None, "finished"):
        reasons.insert(0, (BROKEN, f"the crawl ended early ({figures['finish_reason']})"))
    # A run that never got to the articles has one reason; the measures would only repeat it.
    if figures["finish_reason"] == "unknown_section":
        reasons = [(BROKEN, f"section(s) not found: {stats.get(keys.STATS_UNKNOWN_SECTIONS) or '?'}")]
    reasons.sort(key=lambda reason: -VERDICTS.index(reason[0]))  # stable: broken first, in table order
    judged = {"run": run, "fields": fields, "notes": notes}
    return {"verdict": worst(s for s, _ in reasons), "reasons": [text for _, text in reasons], **judged}
