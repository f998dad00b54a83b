"""Part 2, datelines: newsbot's parse_dateline (one regex, a month table) beside dateparser on the
real dateline strings.

The 60 datelines are the first line of every RSS description in the evidence files: 45 items of
the 2025 sample (JSON) and 15 of the spacedaily feed of 2013-04-04 (CRLF, CDATA).
"""

from __future__ import annotations

import cProfile
import datetime
import io
import json
import pstats
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, Options, Section, evidence_dir, fmt, measure, median, ratio, share, spread

QUICK_LINES = 6
LABELS = ("calls/s", "agreement", "dated", "cold start")
SAMPLE_2025 = "rss-items-2025-sample.json"
FEED_2013 = "spacedaily-rss-2013-04-04.xml"

# The date at the end of a dateline, found without newsbot's code: "Sep 17, 2025", "Fri Sep 26, 2025".
_DATE_PART = re.compile(
    r"((?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?[a-z]{3,9}\.?\s+\d{1,2},?\s+\d{4})\s*$", re.I
)


def load_datelines(folder: Path) -> list[str]:
    lines = []
    items = json.loads((folder / SAMPLE_2025).read_text(encoding="utf-8"))
    lines += [item["description"].split("<br", 1)[0].strip() for item in items]
    root = ET.fromstring((folder / FEED_2013).read_bytes())
    lines += [
        (item.findtext("description") or "").strip().split("<br", 1)[0].strip() for item in root.iter("item")
    ]
    return lines


def date_part(line: str) -> str:
    found = _DATE_PART.search(line)
    return found.group(1) if found else line


def run(options: Options) -> Section:
    folder = evidence_dir()
    title = "2. Datelines: real dateline strings of the evidence files"
    if not ((folder / SAMPLE_2025).exists() and (folder / FEED_2013).exists()):
        return Section(
            "dateline", title, [], notes=[f"skipped: evidence files not found in {folder} (NEWSBOT_EVIDENCE)"]
        )
    lines = load_datelines(folder)
    if options.quick:
        lines = lines[:QUICK_LINES]
    parts = [date_part(line) for line in lines]

    import dateparser

    from newsbot.parsing.dateline import fallback_date_parser, parse_dateline

    # The parser newsbot itself falls back on: English only, strict, absolute dates only.
    tuned = fallback_date_parser()

    def newsbot(text: str) -> datetime.date | None:
        found = parse_dateline(text)
        return found.date if found else None

    def by_parse(text: str) -> datetime.date | None:
        found = dateparser.parse(text)
        return found.date() if found else None

    def by_tuned(text: str) -> datetime.date | None:
        found = tuned.get_date_data(text).date_obj
        return found.date() if found else None

    subjects: dict[str, tuple[Callable[[str], datetime.date | None], list[str], str]] = {
        "newsbot parse_dateline": (newsbot, lines, "`parse_dateline(line)`, whole line"),
        "dateparser.parse, date part": (by_parse, parts, "`dateparser.parse(date)`, default settings"),
        "dateparser.parse, whole line": (by_parse, lines, "`dateparser.parse(line)`, default settings"),
        "dateparser, en strict, date part": (
            by_tuned,
            parts,
            "one `DateDataParser(languages=['en'], strict, absolute-time)` reused",
        ),
    }
    days = {name: [f(text) for text in inputs] for name, (f, inputs, _) in subjects.items()}  # warm-up

    def one_pass(f: Callable[[str], object], inputs: list[str]) -> Callable[[], int]:
        # Repeat the lines so that one pass lasts ~20 ms: a pass of microsecond calls is all timer noise.
        start = time.perf_counter()
        for text in inputs:
            f(text)
        repeated = inputs * max(1, round(0.02 / max(time.perf_counter() - start, 1e-6)))

        def go() -> int:
            for text in repeated:
                f(text)
            return len(repeated)

        return go

    rates = measure(
        {name: one_pass(f, inputs) for name, (f, inputs, _) in subjects.items()},
        seconds=0.05 if options.quick else options.seconds,
        min_passes=1 if options.quick else 3,
    )
    cold = {} if options.quick else cold_starts(parts[0])

    reference = days["newsbot parse_dateline"]
    section = Section(
        "dateline",
        f"{title} ({len(lines)})",
        ["parser", "calls/s", "us/call", "dated", "agreement", "cold start", "call"],
    )
    for name, (_, _, call) in subjects.items():
        found = days[name]
        agree = sum(1 for a, b in zip(found, reference, strict=True) if a is not None and a == b)
        r = median(rates[name])
        section.rows.append(
            [
                name,
                fmt(r),
                fmt(1e6 / r),
                share(sum(d is not None for d in found), len(lines)),
                share(agree, len(lines)) if name != "newsbot parse_dateline" else "(reference)",
                fmt(cold[name] * 1000, "ms") if name in cold else "-",
                call,
            ]
        )
    base = median(rates["newsbot parse_dateline"])
    for name in list(subjects)[1:]:
        section.ratios.append(
            f"parse_dateline makes {ratio(base, median(rates[name]))} as many calls/s as {name}"
        )
    disagreements = []
    for name in list(subjects)[1:]:
        differ = [(line, days[name][i]) for i, line in enumerate(lines) if days[name][i] != reference[i]]
        if differ:
            line, day = differ[0]
            disagreements.append(f"{name}: {len(differ)} (e.g. `{line}` -> {day})")
    section.notes += [
        "calls/s: median over passes of all lines, parsers interleaved (range: "
        + ", ".join(f"{n.split(',')[0]} {spread(rates[n])}" for n in list(subjects)[:2])
        + "); bound by one core's regex and Python call overhead for parse_dateline, by dateparser's "
        "per-call tokenising and language tables for the peers.",
        "agreement: lines where the parser gives the same calendar day as parse_dateline; dated: lines "
        "it gives any day for. The date part is cut off by the benchmark's own regex, not newsbot's.",
        "cold start: a fresh interpreter importing the parser and parsing one date (import + first call).",
        "disagreements with parse_dateline: " + ("; ".join(disagreements) or "none"),
    ]
    if options.profile:
        section.profile = profile(newsbot, lines)
    return section


def cold_starts(sample: str) -> dict[str, float]:
    """Import + first call, each in a fresh interpreter: what a short-lived process pays."""
    code = {
        "newsbot parse_dateline": (
            "from newsbot.parsing.dateline import parse_dateline as f\nf('Paris (AFP) ' + S)"
        ),
        "dateparser.parse, date part": "import dateparser\ndateparser.parse(S)",
        "dateparser, en strict, date part": (
            "from dateparser.date import DateDataParser\n"
            "DateDataParser(languages=['en'], settings={'STRICT_PARSING': True}).get_date_data(S)"
        ),
    }
    found = {}
    for name, body in code.items():
        script = (
            f"import time\nS = {sample!r}\nt = time.perf_counter()\n{body}\nprint(time.perf_counter() - t)"
        )
        runs = []
        for _ in range(3):
            out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
            if out.returncode == 0:
                runs.append(float(out.stdout.strip()))
        if runs:
            found[name] = min(runs)
    return found


def profile(parse: Callable[[str], object], lines: list[str]) -> str:
    out = io.StringIO()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(200):
        for line in lines:
            parse(line)
    profiler.disable()
    out.write(f"newsbot parse_dateline, 200 passes over {len(lines)} lines, by own time:\n")
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(10)
    root = str(ROOT) + "/"
    return "\n".join(x.rstrip() for x in out.getvalue().replace(root, "").splitlines() if x.strip()) + "\n"
