"""Shared test helpers: where the evidence and the snapshot live."""

from __future__ import annotations

import compileall
import json
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

try:
    from hypothesis import HealthCheck, settings
except ImportError as error:  # the first of the test extra's: one line, not pytest's traceback
    raise SystemExit(
        f"the tests need the test extra ({error.name} is missing): pip install -e '.[test]'"
    ) from None

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "site"
CASES = ROOT / "tests" / "cases"
# Copies of the real pages and feeds the tests read, kept in the repository so that a fresh clone
# runs every test; NEWSBOT_EVIDENCE points at another folder of the same files.
EVIDENCE = Path(os.environ.get("NEWSBOT_EVIDENCE") or ROOT / "tests" / "evidence")

# Property tests held to a plain reference (tests/test_registry_lookups.py): the same examples on
# every run.
settings.register_profile(
    "newsbot-properties",
    derandomize=True,
    deadline=None,
    max_examples=int(os.environ.get("NEWSBOT_PROPERTY_EXAMPLES", "300")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROPERTY_PROFILE = settings.get_profile("newsbot-properties")

# Keep tldextract (pulled in by Scrapy) off the network and quiet.
os.environ.setdefault("TLDEXTRACT_CACHE", str(ROOT / ".pytest_cache" / "tldextract"))


def pytest_configure(config: pytest.Config) -> None:
    # Hundreds of `scrapy crawl` and `newsbot` subprocesses each import newsbot. Where the
    # environment sets PYTHONDONTWRITEBYTECODE no process writes its bytecode, so every one of
    # them compiled newsbot from source again (~0.1 s of CPU each). Compiled once here (by the
    # xdist controller, before the workers start), they read it; a file changed since is compiled
    # anew, as always.
    if sys.dont_write_bytecode and not hasattr(config, "workerinput"):
        compileall.compile_dir(ROOT / "newsbot", quiet=1)
        # The helpers beside the tests too (test modules are pytest's own, rewritten, business).
        compileall.compile_dir(ROOT / "tests", quiet=1, maxlevels=0, rx=re.compile(r"[/\\]test_[^/\\]*$"))


# The modules that take longest (wall time on the quiet 2-core machine), longest first. pytest-xdist
# hands a worker the next module whenever it runs short (--dist loadfile, --no-loadscope-reorder):
# these start first, so that none is left running alone at the end. xdist's own order, by number of
# tests, started the 25 s bench run (one test module of six tests) among the last.
LONGEST_FIRST = [
    "test_bench.py",
    "test_distributed.py",
    "test_parser_robustness.py",
    "test_readme_commands.py",
    "test_cluster_trouble.py",
    "test_write_path.py",
    "test_scheduled_runs.py",
    "test_readme_cron.py",
    "test_whole_network.py",
    "test_readme_cluster.py",
    "test_readme_scrapyd.py",
    "test_faults.py",
    "test_docs_commands.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: index for index, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: a module keeps its order


@pytest.hookimpl(wrapper=True)
def pytest_collection(session: pytest.Session) -> Iterator[object]:
    # Where PYTHONDONTWRITEBYTECODE is set, pytest reads a test module's rewritten bytecode from
    # __pycache__ but never writes it, so each test worker parsed and rewrote every test module of
    # the suite again, each run (~2 s of CPU a worker). Written as they are collected, the next run
    # reads them; a module changed since is rewritten anew, as always.
    before, sys.dont_write_bytecode = sys.dont_write_bytecode, False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = before


@pytest.fixture(autouse=True)
def _scrapy_project_stays_in_its_test() -> Iterator[None]:
    # Scrapy's get_project_settings() puts SCRAPY_SETTINGS_MODULE in os.environ: after one in-process
    # test called it, every later test of its worker (and each process it starts) was "inside the
    # project" wherever it stood (tests/test_rebuild.py failed or passed by the order xdist chose).
    before = os.environ.get("SCRAPY_SETTINGS_MODULE")
    yield
    if before is None:
        os.environ.pop("SCRAPY_SETTINGS_MODULE", None)
    else:
        os.environ["SCRAPY_SETTINGS_MODULE"] = before


def pytest_unconfigure(config: pytest.Config) -> None:
    if "tests.processes" in sys.modules:
        sys.modules["tests.processes"].stop_server()


def evidence_file(name: str) -> Path:
    path = EVIDENCE / name
    if not path.exists():
        # A missing evidence file is a broken checkout, not a reason to skip quietly.
        raise FileNotFoundError(f"evidence file missing: {path}")
    return path


@pytest.fixture(scope="session")
def manifest() -> dict:
    return json.loads((SNAPSHOT / "manifest.json").read_text(encoding="utf-8"))


def snapshot_path(url: str) -> Path:
    """The snapshot file of a real URL (wget --mirror layout)."""
    rest = url.split("://", 1)[1]
    return SNAPSHOT / rest


@pytest.fixture(scope="session")
def snapshot_server():
    """The snapshot served over HTTP on 127.0.0.1 and a free port, for the whole session."""
    from newsbot.snapshot_server import SnapshotServer

    with SnapshotServer(SNAPSHOT) as server:
        yield server
