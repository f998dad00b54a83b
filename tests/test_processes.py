"""The processes tests start from a pre-imported server (tests/processes.py) are what a console
script would have started: nothing of the server or of an earlier process leaks into them."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

import pytest
import scrapy

from tests import processes
from tests.conftest import ROOT


def _server_state(path: str) -> None:
    """Run in a forked process, before any entry point: what it was handed by the server."""
    state = {
        "preloaded": [name for name in processes.PRELOAD if name in sys.modules],
        "reactor": "twisted.internet.reactor" in sys.modules,
        "settings": "newsbot.settings" in sys.modules,
        "threads": threading.active_count(),
    }
    Path(path).write_text(json.dumps(state))


def test_the_server_has_everything_imported_and_no_reactor_no_settings_no_thread(tmp_path):
    # An installed reactor would clash with the one each crawl installs; newsbot.settings reads the
    # environment when imported, which must be the process's own; a thread does not survive a fork.
    child = processes._FORKSERVER.Process(target=_server_state, args=(str(tmp_path / "state.json"),))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    state = json.loads((tmp_path / "state.json").read_text())
    assert state == {"preloaded": processes.PRELOAD, "reactor": False, "settings": False, "threads": 1}


def test_a_process_has_its_own_environment_cwd_and_exit_status_and_leaves_none_behind(tmp_path):
    # newsbot.settings reads NEWSBOT_MIRROR when Scrapy imports it: in each process, anew.
    env = {**os.environ, "NEWSBOT_MIRROR": str(tmp_path)}
    mirrored = processes.run(["scrapy", "settings", "--get", "NEWSBOT_MIRROR"], ROOT, env, 60)
    plain = processes.run(["scrapy", "settings", "--get", "NEWSBOT_MIRROR"], ROOT, None, 60)
    assert (mirrored.returncode, mirrored.stdout.strip()) == (0, str(tmp_path))
    assert (plain.returncode, plain.stdout.strip()) == (0, os.environ.get("NEWSBOT_MIRROR", ""))
    # Outside the project folder Scrapy finds no project, as the console script would not.
    # (Less the SCRAPY_SETTINGS_MODULE an in-process test of this worker may have left in os.environ.)
    environ = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    outside = processes.run(["scrapy", "list"], tmp_path, environ, 60)
    assert outside.returncode != 0
    assert "no active project" in outside.stdout + outside.stderr
    usage = processes.run(["newsbot", "state", "--no-such-option"], ROOT, None, 60)
    assert usage.returncode == 2
    assert "unrecognized arguments: --no-such-option" in usage.stderr


def test_a_process_is_a_real_one_that_a_signal_ends(tmp_path, snapshot_server):
    # A slow crawl of a mirror that never answers, killed while it runs.
    words = ["crawl", "spacewar", "-s", f"NEWSBOT_MIRROR={snapshot_server.url}"]
    words += ["-s", "DOWNLOAD_DELAY=30", "-s", f"NEWSBOT_OUTPUT={tmp_path / 'out.jsonl'}"]
    words += ["-s", f"NEWSBOT_STATE={tmp_path / 'seen.sqlite'}"]
    with processes.Process(["scrapy", *words], ROOT) as process:
        assert process.pid != os.getpid()
        with pytest.raises(processes.subprocess.TimeoutExpired):
            process.wait(1)
        process.send_signal(signal.SIGKILL)
        assert process.wait(30) == -signal.SIGKILL


def test_an_environment_an_interpreter_reads_at_its_start_gets_a_real_interpreter(tmp_path):
    (tmp_path / "sitecustomize.py").write_text("import sys\nprint('started afresh', file=sys.stderr)\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    result = processes.run(["scrapy", "version"], ROOT, env, 60)
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        f"Scrapy {scrapy.__version__}\n",
        "started afresh\n",
    )
    with pytest.raises(ValueError, match="start a real one"):
        processes.Process(["scrapy", "version"], ROOT, env)
