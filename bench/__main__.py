"""`python -m bench`: every benchmark stage in one run, figures and ratios side by side.

    python -m bench                      # every stage; writes bench/results/latest.md
    python -m bench --quick              # small input, for the test suite (writes nothing)
    python -m bench --only extraction,dateline --profile

Stages are registered in STAGES: a module with `run(Options) -> Section` and the LABELS its table
prints. A stage that cannot run here says so in its section instead of printing numbers.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import importlib.metadata
import os
import sys
import time
import traceback
from pathlib import Path

from bench.common import ROOT, Options, Section, machine

# name -> module; the order is the order of the run and of the results.
STAGES = {
    "extraction": "bench.extraction",
    "dateline": "bench.dateline",
    "crawl": "bench.crawl",
    "rerun": "bench.rerun",
    "store": "bench.store",
    "cluster": "bench.cluster",
}
RESULTS = ROOT / "bench" / "results" / "latest.md"
COMMAND = ".venv/bin/python -m bench"
VERSIONED = ("newsbot", "Scrapy", "lxml", "dateparser", "trafilatura", "newspaper4k", "redis")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small input: a few pages, lines and runs")
    parser.add_argument("--only", default="", help=f"comma list of stages: {','.join(STAGES)}")
    parser.add_argument("--profile", action="store_true", help="print a profile of newsbot in each stage")
    parser.add_argument("--seconds", type=float, default=2.0, help="measurement time per subject (default 2)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the three-spider crawl (default 5)")
    parser.add_argument(
        "--out",
        type=Path,
        help=f"write the results as markdown here (default: {RESULTS.relative_to(ROOT)} after a full run "
        "of every stage, nothing otherwise)",
    )
    return parser.parse_args(argv)


def versions() -> str:
    found = []
    for name in VERSIONED:
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()] or list(STAGES)
    unknown = [name for name in only if name not in STAGES]
    if unknown:
        print(f"unknown stage(s): {', '.join(unknown)}; stages: {', '.join(STAGES)}", file=sys.stderr)
        return 2
    options = Options(quick=args.quick, profile=args.profile, seconds=args.seconds, rounds=args.rounds)
    started = time.perf_counter()
    print(f"newsbot benchmarks{' (quick)' if args.quick else ''}: {', '.join(only)}", flush=True)
    load = os.getloadavg()[0]
    print(f"machine: {machine()}, load average {load:.1f} at the start\nversions: {versions()}\n", flush=True)

    sections: list[Section] = []
    failed: list[str] = []
    for name in only:
        stage_start = time.perf_counter()
        try:
            section = importlib.import_module(STAGES[name]).run(options)
        except Exception:  # one broken stage must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            section = Section(name, f"{name}: FAILED", [], notes=["the stage raised; traceback above"])
        section.notes.append(f"stage time: {time.perf_counter() - stage_start:.1f} s")
        sections.append(section)
        print(section.markdown(), flush=True)
        if section.profile:
            print(f"#### Profile: {name}\n\n```\n{section.profile}```\n", flush=True)

    total = time.perf_counter() - started
    ratios = [f"- {r}" for s in sections for r in s.ratios]
    print("### Ratios, newsbot beside its peers\n\n" + "\n".join(ratios or ["- none measured"]) + "\n")
    print(f"total wall time: {total:.1f} s", flush=True)

    out = args.out
    if out is None and not args.quick and not args.only and not failed:
        out = RESULTS
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(report(sections, total, args, load), encoding="utf-8")
        print(f"results written to {out}")
    if failed:
        print(f"FAILED stage(s): {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


def report(sections: list[Section], total: float, args: argparse.Namespace, load: float) -> str:
    command = COMMAND + (" --quick" if args.quick else "") + (f" --only {args.only}" if args.only else "")
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d")
    head = (
        f"Latest run: `{command}` on {today}, {machine()}, load average {load:.1f} at the start; "
        f"total wall time {total:.0f} s.  \n"
        f"Versions: {versions()}.\n"
    )
    return head + "\n" + "\n".join(section.markdown() for section in sections)


if __name__ == "__main__":
    sys.exit(main())
