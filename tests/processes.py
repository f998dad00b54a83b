"""Start `scrapy ...` and `newsbot ...` as real processes forked from one that imported them already.

Hundreds of tests start a `scrapy` or `newsbot` process, and each such interpreter spent about 0.5 s
of CPU importing Scrapy, Twisted, dateparser and newsbot before its ~0.4 s of work (the suite runs
on two cores). Here a multiprocessing forkserver imports them once per test worker; each process is
forked from that pristine, single-threaded server and calls the very function the console script
calls (`scrapy` is scrapy.cmdline:execute, `newsbot` is newsbot.cli.main:main) with its own cwd,
environment, stdin (/dev/null) and stdout and stderr. It is still a real process of its own (its
pid, signals, kill -9, a full disk are real); only the interpreter's start is skipped, and with it
the str hash seed an interpreter picks as it starts: processes forked from one server iterate sets
of strings in one order (each test worker's server has its own seed; the cluster's workers, machines
of their own, are real interpreters for that). What that start does with the environment
(PYTHONPATH, a sitecustomize) cannot be had this way either: `run` starts a real interpreter for
such an environment, and `Process` refuses it.
"""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import multiprocessing.forkserver
import os
import signal
import subprocess
import sys
import tempfile
import traceback
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

# Imported once by the server. Not newsbot.settings: it reads the environment when imported, and
# each process's own environment must be the one it reads (Scrapy imports it in the child); so not
# newsbot.cli.main either, which imports it (3 ms once the rest is in). Nothing here installs a
# Twisted reactor: each crawl installs its own. tests/test_processes.py checks both.
PRELOAD = [
    "scrapy.cmdline",
    "scrapy.crawler",
    "scrapy.commands.crawl",
    "scrapy.core.engine",
    "scrapy.core.downloader.handlers.http11",
    "scrapy.extensions.feedexport",
    "scrapy.pipelines",
    "twisted.internet.defer",
    "dateparser",
    "newsbot.spiders.loader",
    "newsbot.pipelines.judge",
    "newsbot.pipelines.writer",
    "newsbot.extensions.store",
    "newsbot.extensions.report",
    "newsbot.extensions.archive",
    "newsbot.middlewares.downloader",
    "newsbot.middlewares.walk",
    "newsbot.middlewares.ledger",
    "newsbot.middlewares.sections",
    "newsbot.middlewares.claims",
    "newsbot.cli.commands.crawl",
    # What every crawl imported again in each process (~0.2 s of CPU): Scrapy's default remote
    # control extension imports aiohttp, its cookies middleware tldextract (and with it requests),
    # newsbot's writer jsonschema.
    "scrapy.extensions.remote_control",
    "scrapy.downloadermiddlewares.cookies",
    "jsonschema",
    "tests.processes",
]

_FORKSERVER = multiprocessing.get_context("forkserver")
_FORKSERVER.set_forkserver_preload(PRELOAD)

# Variables the interpreter reads when it starts, which a forked process never does.
_AT_START = ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONWARNINGS", "PYTHONIOENCODING", "PYTHONUTF8")


def stop_server() -> None:
    """Stop the server and wait for it, so that its CPU time (and its processes') is counted where
    this process's is (a `time` of the suite), not lost to an orphan reaped by init."""
    multiprocessing.forkserver._forkserver._stop()  # type: ignore[attr-defined]


def _read_at_start(env: Mapping[str, str]) -> list[str]:
    return [name for name in _AT_START if env.get(name) != os.environ.get(name)]


def _scrapy(words: Sequence[str]) -> None:
    from scrapy.cmdline import execute

    execute(["scrapy", *words])


def _newsbot(words: Sequence[str]) -> None:
    from newsbot.cli.main import main

    raise SystemExit(main(list(words)))


ENTRY_POINTS = {"scrapy": _scrapy, "newsbot": _newsbot}
# `python -m scrapy` and `python -m newsbot.cli` call the same function as the console script.
_MODULES = {"scrapy": "scrapy", "newsbot.cli": "newsbot"}


def entry_point(command: Sequence[str]) -> tuple[str, list[str]] | None:
    """(program, words) of a command that runs `scrapy` or `newsbot`, as a console script or as
    `python -m`; None for any other command."""
    if command and command[0] in ENTRY_POINTS:
        return command[0], list(command[1:])
    if len(command) >= 3 and command[0] == sys.executable and command[1] == "-m" and command[2] in _MODULES:
        return _MODULES[command[2]], list(command[3:])
    return None


def _child(program: str, words: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    """In the forked process: become `program words` as its console script would have started it."""
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, out, os.O_WRONLY), (2, err, os.O_WRONLY)):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    if env.get("PYTHONUNBUFFERED"):
        for stream in (sys.stdout, sys.stderr):
            stream.reconfigure(write_through=True)  # type: ignore[union-attr]
    sys.argv = [program, *words]
    status = 0
    try:
        ENTRY_POINTS[program](words)
    except SystemExit as stop:
        status = _exit_status(stop.code)
    except BaseException:
        traceback.print_exc()
        status = 1
    # What the interpreter does at its exit and multiprocessing's os._exit skips (logging.shutdown
    # among them), after the error is printed, as Python orders them.
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    raise SystemExit(status)


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)  # as Python does with a string code
    return 1


def _temporary_file(prefix: str) -> str:
    fd, name = tempfile.mkstemp(prefix=prefix)
    os.close(fd)
    return name


def _remove(names: list[str]) -> None:
    for name in names:
        Path(name).unlink(missing_ok=True)


class Process:
    """A started `scrapy`/`newsbot` process, with the part of subprocess.Popen the tests use."""

    def __init__(
        self,
        command: Sequence[str],
        cwd: Path | str,
        env: Mapping[str, str] | None = None,
        stderr: Path | None = None,
    ) -> None:
        """`stderr`: a file to write it to (made anew), which the caller reads, instead of a pipe."""
        started = entry_point(command)
        if started is None:
            raise ValueError(f"{command}: not a scrapy or newsbot command")
        program, words = started
        env = dict(os.environ if env is None else env)
        if changed := _read_at_start(env):
            raise ValueError(f"{changed} act when an interpreter starts: start a real one")
        self.args = list(command)
        self.returncode: int | None = None
        self._outputs = [_temporary_file("stdout-"), _temporary_file("stderr-")]
        weakref.finalize(self, _remove, self._outputs)  # where nobody reads them
        if stderr is not None:
            stderr.write_bytes(b"")
        child_args = (program, words, str(cwd), env, self._outputs[0], str(stderr or self._outputs[1]))
        self._process = _FORKSERVER.Process(target=_child, args=child_args)
        self._process.start()
        assert self._process.pid is not None
        self.pid: int = self._process.pid

    def poll(self) -> int | None:
        if self.returncode is None and not self._process.is_alive():
            self.returncode = self._process.exitcode
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self.poll() is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        assert self.returncode is not None
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Wait for the end and return (stdout, stderr) as text; kill it if `timeout` passes."""
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()
            raise subprocess.TimeoutExpired(self.args, timeout or 0, *self._read()) from None
        return self._read()

    def _read(self) -> tuple[str, str]:
        texts = []
        for name in self._outputs:
            path = Path(name)
            texts.append(path.read_text(errors="replace") if path.exists() else "")
        return texts[0], texts[1]

    def __enter__(self) -> Process:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.poll() is None:
            self.kill()
        self.communicate()


def run(
    command: Sequence[str],
    cwd: Path | str,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """`command` (`scrapy ...`, `newsbot ...` or the same as `python -m`) to its end, as
    subprocess.run(capture_output=True, text=True) would: a TimeoutExpired kills it. In a real
    interpreter if `env` sets what one reads when it starts (PYTHONPATH...)."""
    if env is not None and _read_at_start(env):
        program, words = entry_point(command) or ("", [])
        real = [sys.executable, "-m", *(name for name, entry in _MODULES.items() if entry == program), *words]
        return subprocess.run(
            real, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout
        )
    process = Process(command, cwd, env)
    stdout, stderr = process.communicate(timeout)
    assert process.returncode is not None
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


# The server imports this module last of PRELOAD: what it imported is frozen out of the collector's
# reach, so that a full collection in a forked process neither walks nor, by touching their
# reference counts, copies the pages of those objects (~0.07 s of CPU a crawl). In a test worker it
# only spares the collector the modules imported so far.
gc.freeze()
