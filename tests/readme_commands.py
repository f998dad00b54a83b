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


def readme_blocks(language: str, under: str | None = None) -> list[str]:
    """The fenced blocks of one language, all or those of the section whose heading is `under`."""
    text = README.read_text(encoding="utf-8")
    if under is not None:
        start = text.index(f"{under}\n")
        end = re.search(r"\n#{1,3} ", text[start + len(under) :])
        text = text[start : start + len(under) + (end.start() if end else len(text))]
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def command_lines(block: str) -> list[str]:
    return [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]


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
    line: str, cwd: Path, mirror: Path = SNAPSHOT, timeout: float = 300, typed: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `line` in /bin/sh; `typed`: standard input is a terminal where the user types that."""
    # The checkout's .venv/bin first: `scrapy` and `newsbot` as an activated venv gives them.
    path = f"{cwd / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "NEWSBOT_MIRROR": str(mirror), "PYTHONUNBUFFERED": "1", "PATH": path}
    command = ["/bin/sh", "-c", line]
    if typed is None:
        return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    terminal, user = os.openpty()
    try:
        os.write(terminal, typed.encode())
        return subprocess.run(
            command, cwd=cwd, env=env, stdin=user, capture_output=True, text=True, timeout=timeout
        )
    finally:
        os.close(user)
        os.close(terminal)
