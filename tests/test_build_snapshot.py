"""The snapshot generator, run as ARCHITECTURE.md says on a clean clone, gives tests/site back byte for
byte: the snapshot and its manifest are the generator's, and it needs nothing outside the repository."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
import sys

from tests.conftest import ROOT, SNAPSHOT


def _differences(left: filecmp.dircmp[str]) -> list[str]:
    found = [*left.left_only, *left.right_only, *left.diff_files, *left.funny_files]
    return found + [name for sub in left.subdirs.values() for name in _differences(sub)]


def test_the_generator_on_a_clean_clone_gives_the_snapshot_back(tmp_path):
    clone = tmp_path / "newsbot"
    for part in ("tests/tools", "tests/evidence", "newsbot/registry"):
        shutil.copytree(ROOT / part, clone / part, ignore=shutil.ignore_patterns("__pycache__"))
    command = [sys.executable, "tests/tools/build_snapshot.py"]
    result = subprocess.run(command, cwd=clone, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    # Files just written differ in mtime from the repository's, so dircmp compares their contents.
    assert not _differences(filecmp.dircmp(clone / "tests" / "site", SNAPSHOT))
