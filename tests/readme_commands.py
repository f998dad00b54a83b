"""The commands of README.md, ARCHITECTURE.md and bench/README.md as written, run in a fresh checkout
with the snapshot standing in for the live sites (NEWSBOT_MIRROR in the environment, which newsbot's
settings read)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests import processes
from tests.conftest import ROOT, SNAPSHOT

README = ROOT / "README.md"
DOCS = (README, ROOT / "ARCHITECTURE.md", ROOT / "bench" / "README.md")
# The fenced blocks that are commands or code a reader runs (```text is output, tables are not).
RUNNABLE = ("sh", "cron", "python")


@dataclass(frozen=True)
class Block:
    path: Path
    heading: str  # the heading it stands under, as written: "### A cluster on Redis"
    index: int  # its place among the blocks under that heading, from 1
    line: int  # the line of its opening fence
    language: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line} (block {self.index} under {self.heading!r})"


def doc_blocks(path: Path = README) -> list[Block]:
    """Every fenced block of a Markdown file, with the heading it stands under (fences skipped)."""
    blocks: list[Block] = []
    heading, fence, body, counts = "", None, [], dict[str, int]()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if fence is not None:
            if line.startswith("```"):
                counts[heading] = counts.get(heading, 0) + 1
                text = "".join(f"{row}\n" for row in body)
                blocks.append(Block(path, heading, counts[heading], fence[0], fence[1], text))
                fence = None
            else:
                body.append(line)
        elif line.startswith("```"):
            fence, body = (number, line[3:].strip()), []
        elif re.match(r"#{1,6} ", line):
            heading = line
    return blocks


def readme_blocks(language: str, under: str | None = None, path: Path = README) -> list[str]:
    """The fenced blocks of one language, all or those under the heading `under`."""
    return [
        block.text
        for block in doc_blocks(path)
        if block.language == language and (under is None or block.heading == under)
    ]


def command_lines(block: str) -> list[str]:
    """The commands of a shell block, one a line (a line ending in a backslash goes on in the next)."""
    lines = [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    commands: list[str] = []
    for line in lines:
        if commands and commands[-1].endswith("\\"):
            commands[-1] += "\n" + line
        else:
            commands.append(line)
    return commands


SHELL_SYNTAX = set("|&;<>()$`\\*?[]{}~\n")


def fresh_checkout(folder: Path) -> Path:
    """What a clone with its venv set up holds, for the commands' purposes: scrapy.cfg at the top,
    `.venv/bin/{python,scrapy,newsbot,pip}` (this interpreter, where newsbot is installed) and the
    snapshot in tests/site; no `logs/`, no `output/`, no store."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "scrapy.cfg", folder / "scrapy.cfg")
    (folder / "tests").mkdir()
    (folder / "tests" / "site").symlink_to(SNAPSHOT)
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    # Scripts, not symlinks: a venv's python is known by the pyvenv.cfg beside the path it was run by.
    for tool, module in (("python", ""), ("scrapy", "scrapy"), ("newsbot", "newsbot.cli"), ("pip", "pip")):
        script = bin_dir / tool
        run = f"-m {module} " if module else ""
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" {run}"$@"\n', encoding="utf-8")
        script.chmod(0o755)
    return folder


def shell_env(cwd: Path, mirror: Path = SNAPSHOT, **extra: str) -> dict[str, str]:
    # The checkout's .venv/bin first: `scrapy` and `newsbot` as an activated venv gives them.
    path = f"{cwd / '.venv' / 'bin'}{os.pathsep}{extra.pop('PATH', os.environ.get('PATH', ''))}"
    return {**os.environ, "NEWSBOT_MIRROR": str(mirror), "PYTHONUNBUFFERED": "1", **extra, "PATH": path}


def plain_invocation(line: str, cwd: Path) -> list[str] | None:
    """The words of `line` if it is one plain `scrapy ...` or `newsbot ...` (no pipe, redirection,
    variable, glob, `&`, `;` or environment prefix), else None. Such a line runs the checkout's
    .venv/bin script, which execs `python -m scrapy` or `python -m newsbot.cli` with these words:
    the very function a process of tests/processes.py calls, in the same folder and environment,
    without the interpreter's start (~0.5 s of CPU). Any other line goes to /bin/sh."""
    joined = line.replace("\\\n", " ")  # the shell's line continuation
    if not any(quote in joined for quote in "'\""):
        # A comment, from a `#` after white space, is not run: its words are no shell syntax.
        joined = re.split(r"\s#", joined, maxsplit=1)[0]
    # shlex takes a `#` inside a word for a comment, as sh does not.
    if any(char in SHELL_SYNTAX for char in joined) or re.search(r"\S#", joined):
        return None
    words = shlex.split(joined, comments=True)
    # `scrapy` as the venv puts it on PATH, or the checkout's script by its path (.venv/bin/scrapy).
    if not words or not re.fullmatch(r"(.*/)?\.venv/bin/(scrapy|newsbot)|scrapy|newsbot", words[0]):
        return None
    if "/" in words[0] and not (cwd / words[0]).is_file():
        return None
    return [words[0].rsplit("/", 1)[-1], *words[1:]]


def run_shell(
    line: str,
    cwd: Path,
    mirror: Path = SNAPSHOT,
    timeout: float = 300,
    typed: str | None = None,
    **extra: str,
) -> subprocess.CompletedProcess[str]:
    """Run `line` in /bin/sh; `typed`: standard input is a terminal where the user types that."""
    env = shell_env(cwd, mirror, **extra)
    if typed is None and (words := plain_invocation(line, cwd)):
        return processes.run(words, cwd, env, timeout)
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
