"""The cron line of README, as written, on a fresh checkout: silent and exit 0 when the run did its
job, one line naming this run's report and the run's non-zero exit status when it failed, a distinct
line and exit 0 when the previous run holds the lock."""

from __future__ import annotations

import fcntl
import json

from tests.readme_commands import fresh_checkout, readme_blocks, run_shell

LOCK = "/tmp/newsbot-spacewar.lock"


def _cron_command(checkout) -> str:
    (line,) = [
        line
        for block in readme_blocks("cron", under="### cron")
        for line in block.splitlines()
        if line.strip()
    ]
    schedule_fields = 5
    command = line.split(None, schedule_fields)[schedule_fields]
    # The lock of this test's checkout: another checkout's suite on this machine holds README's at times.
    return command.replace("/srv/newsbot", str(checkout)).replace(LOCK, _lock(checkout))


def _lock(checkout) -> str:
    return str(checkout.parent / "newsbot-spacewar.lock")


def test_the_cron_line_runs_silently_on_a_fresh_checkout(tmp_path):
    checkout = fresh_checkout(tmp_path / "newsbot")
    result = run_shell(_cron_command(checkout), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    report = json.loads((checkout / "output" / "spacewar.report.json").read_text(encoding="utf-8"))
    assert report["outcome"] == "ok" and report["articles_written"] > 0
    assert "newsbot spacewar: ok" in (checkout / "logs" / "spacewar.log").read_text(encoding="utf-8")
    # The store is the checkout's own.
    assert (checkout / ".scrapy" / "newsbot" / "seen.sqlite").exists()


def test_a_failed_run_names_its_own_report(tmp_path):
    checkout = fresh_checkout(tmp_path / "newsbot")
    (checkout / "output").mkdir()
    (checkout / "output" / "spacewar.report.json").write_text('{"outcome": "ok"}', encoding="utf-8")
    empty_mirror = tmp_path / "empty"
    empty_mirror.mkdir()
    result = run_shell(_cron_command(checkout), cwd=tmp_path, mirror=empty_mirror)
    report = checkout / "output" / "spacewar.report.json"
    assert result.returncode == 1  # a monitor reading the cron line's status sees the failure
    assert result.stderr.strip() == (
        f"newsbot spacewar: failed (exit 1); report {report}; log {checkout / 'logs' / 'spacewar.log'}"
    )
    assert json.loads(report.read_text(encoding="utf-8"))["outcome"] == "failed"


def test_an_overlap_is_a_skip_not_a_failure(tmp_path):
    checkout = fresh_checkout(tmp_path / "newsbot")
    lock = _lock(checkout)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run_shell(_cron_command(checkout), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"newsbot spacewar: skipped, the previous run still holds {lock}"
    assert result.stderr == ""
    assert not (checkout / "output").exists()
