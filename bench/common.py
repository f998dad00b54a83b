"""What every benchmark stage shares: paths, timing, number formatting and the result section."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "site"
MANIFEST = SNAPSHOT / "manifest.json"
NOT_INSTALLED_HINT = "pip install -e '.[bench]'"


def evidence_dir() -> Path:
    """The evidence files the repository keeps (tests/evidence); NEWSBOT_EVIDENCE overrides."""
    default = Path(__file__).resolve().parents[1] / "tests" / "evidence"
    return Path(os.environ.get("NEWSBOT_EVIDENCE") or default)


@dataclass
class Options:
    quick: bool = False
    profile: bool = False
    # Measurement time per subject (a tool, a configuration) in the in-process benchmarks.
    seconds: float = 2.0
    # Rounds of the three-spider crawl in the throughput stage.
    rounds: int = 5
    # New articles made to appear in the scheduled-run stage.
    new_articles: int = 3
    # URLs inserted and looked up in the store stage.
    store_urls: int = 1_000_000


@dataclass
class Section:
    """One stage's results: a markdown table, the side-by-side ratios, and what bounds the figures."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    ratios: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: str = ""  # printed with --profile, not written to the results file

    def markdown(self) -> str:
        lines = [f"#### {self.title}", ""]
        if self.rows:
            lines.append("| " + " | ".join(self.columns) + " |")
            lines.append("| " + " | ".join("---" for _ in self.columns) + " |")
            lines += ["| " + " | ".join(row) + " |" for row in self.rows]
            lines.append("")
        lines += [f"**Ratio:** {ratio}  " for ratio in self.ratios]
        if self.ratios:
            lines.append("")
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def not_available(key: str, title: str, why: str) -> Section:
    return Section(key, title, [], notes=[f"not available yet: {why}"])


def measure(
    subjects: dict[str, Callable[[], int]], *, seconds: float, min_passes: int = 3
) -> dict[str, list[float]]:
    """Per-pass rates (operations per second) of each subject, passes interleaved round-robin.

    Each callable runs one pass and returns how many operations it did. Interleaving spreads the
    noise of a shared machine over every subject instead of penalising whichever ran during a
    burst; a subject stops once it has `seconds` of measurement and `min_passes` passes.
    """
    rates: dict[str, list[float]] = {name: [] for name in subjects}
    spent = dict.fromkeys(subjects, 0.0)
    while True:
        pending = [n for n in subjects if spent[n] < seconds or len(rates[n]) < min_passes]
        if not pending:
            return rates
        for name in pending:
            start = time.perf_counter()
            count = subjects[name]()
            elapsed = time.perf_counter() - start
            spent[name] += elapsed
            rates[name].append(count / elapsed if elapsed > 0 else float("inf"))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def fmt(value: float, unit: str = "") -> str:
    """Three significant figures, thousands separated: 1,770 / 84.2 / 0.531."""
    if value != value:  # NaN
        return "n/a"
    if value >= 1000:
        text = f"{value:,.0f}"
    elif value >= 100:
        text = f"{value:.0f}"
    elif value >= 10:
        text = f"{value:.1f}"
    elif value >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}".rstrip()


def ratio(a: float, b: float) -> str:
    if not b or a != a or b != b:
        return "n/a"
    r = a / b
    return f"{r:.0f}x" if r >= 100 else f"{r:.1f}x" if r >= 1 else f"{r:.2f}x"


def share(count: int, total: int) -> str:
    return f"{count}/{total}" if total else "n/a"


def spread(rates: list[float]) -> str:
    """The range of per-pass rates, as a check on how noisy the machine was."""
    if len(rates) < 2:
        return ""
    return f"{fmt(min(rates))}-{fmt(max(rates))}"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}, {platform.system()}"
