"""Shared test helpers: where the evidence and the snapshot live."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / "tests" / "site"
CASES = ROOT / "tests" / "cases"
# The evidence lives beside the repository (../shared/site/evidence); NEWSBOT_EVIDENCE overrides.
EVIDENCE = Path(os.environ.get("NEWSBOT_EVIDENCE", ROOT.parent / "shared" / "site" / "evidence"))

# Keep tldextract (pulled in by Scrapy) off the network and quiet.
os.environ.setdefault("TLDEXTRACT_CACHE", str(ROOT / ".pytest_cache" / "tldextract"))


def evidence_file(name: str) -> Path:
    path = EVIDENCE / name
    if not path.exists():
        pytest.skip(f"evidence file missing: {path}")
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
