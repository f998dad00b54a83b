"""The benchmark scripts run end to end on a small input. No timing is asserted: only that every
figure is printed, and that a missing peer is reported as missing instead of breaking the run."""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from bench.__main__ import STAGES
from bench.dateline import date_part
from bench.extraction import normalise, token_f1
from tests.conftest import EVIDENCE, ROOT
from tests.readme_commands import command_lines, readme_blocks


@pytest.fixture(scope="module")
def quick_run() -> subprocess.CompletedProcess[str]:
    """The command of bench/README.md, as written, in the checkout (whose .venv it names)."""
    (block,) = readme_blocks("sh", under="# newsbot: benchmarks", path=ROOT / "bench" / "README.md")
    (line,) = command_lines(block)
    assert line == ".venv/bin/python -m bench --quick"
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NEWSBOT_EVIDENCE": str(EVIDENCE)}
    # A guard against a hung run, not a bound: ~25 s on quiet cores, but it starts first of the suite
    # (tests/conftest.py LONGEST_FIRST) and went past 240 s beside two suites on a loaded machine.
    return subprocess.run(
        ["/bin/sh", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )


def test_quick_run_exits_0_and_prints_every_figure(quick_run):
    assert quick_run.returncode == 0, quick_run.stdout[-3000:] + quick_run.stderr[-3000:]
    out = quick_run.stdout
    for name, module in STAGES.items():
        if name == "dateline" and not (EVIDENCE / "rss-items-2025-sample.json").exists():
            assert "evidence files not found" in out
            continue
        for label in importlib.import_module(module).LABELS:
            assert label in out, f"{name}: {label!r} not printed"
    assert "### Ratios, newsbot beside its peers" in out
    assert "total wall time" in out
    # --quick never overwrites the committed results.
    assert "results written to" not in out


@pytest.mark.parametrize(("peer", "module"), [("trafilatura", "trafilatura"), ("newspaper4k", "newspaper")])
def test_each_extraction_peer_is_measured_or_said_to_be_missing(quick_run, peer, module):
    rows = [line for line in quick_run.stdout.splitlines() if line.startswith(f"| {peer} |")]
    assert len(rows) == 1
    if importlib.util.find_spec(module) is None:
        assert "not installed" in rows[0]
    else:
        assert "not installed" not in rows[0]
        assert f"as many pages/s as {peer}" in quick_run.stdout


def test_redis_is_measured_or_said_to_be_missing(quick_run):
    if shutil.which("redis-server") and importlib.util.find_spec("redis"):
        # newsbot's own Redis store where the checkout has one, else a bare Redis set.
        assert "| Redis (newsbot." in quick_run.stdout or "| Redis set" in quick_run.stdout
    else:
        assert "| Redis | not available" in quick_run.stdout


def test_an_unknown_stage_is_refused():
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--only", "nonesuch"], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "unknown stage" in proc.stderr


def test_scoring_helpers():
    assert normalise("  It\u2019s \u201cfine\u201d\u00a0\u2014 ok \n") == 'It\'s "fine" - ok'
    assert token_f1("The cat sat", "the cat sat") == 1.0
    assert token_f1("", "words") == 0.0
    assert 0 < token_f1("the cat sat on a mat", "the cat sat") < 1
    assert date_part("Los Angeles CA (SPX) Sep 17, 2025") == "Sep 17, 2025"
    assert date_part("Moscow (AFP) Fri Sep 26, 2025") == "Fri Sep 26, 2025"
    assert date_part("Athens Sept 24, 2025") == "Sept 24, 2025"
