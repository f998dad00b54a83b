"""README commands as written, run in a fresh checkout with the snapshot standing in for the live
sites (NEWSBOT_MIRROR in the environment, which newsbot's settings read)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, SNAPSHOT

README = ROOT / "README.md"


def readme_blocks(language: str) -> list[str]:
    text = README.read_text(encoding="utf-8")
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def fresh_checkout(folder: Path) -> Path:
    """What a clone with its venv set up holds, for the commands' purposes: scrapy.cfg at the top
    and `.venv/bin/{python,scrapy,newsbot}` (this interpreter, where newsbot is installed); no
    `logs/`, no `output/`, no store."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "scrapy.cfg", folder / "scrapy.cfg")
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    for tool, module in (("scrapy", "scrapy"), ("newsbot", "newsbot.cli")):
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m {module} "$@"\n', encoding="utf-8")
        script.chmod(0o755)
    return folder


def run_shell(
    line: str, cwd: Path, mirror: Path = SNAPSHOT, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBOT_MIRROR": str(mirror), "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        ["/bin/sh", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
