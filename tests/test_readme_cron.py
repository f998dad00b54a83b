"""The cron line of README, as written, on a fresh checkout: silent and exit 0 when every site's run
did its job, one line per failed site naming its run's report and a non-zero exit status when one
failed, a distinct line and exit 0 when the previous run holds the lock."""

from __future__ import annotations

import fcntl
import json

from newsbot.registry import load_registry
from tests.readme_commands import fresh_checkout, readme_blocks, run_shell
from tests.snapshot_copies import copy_snapshot

LOCK = "/tmp/newsbot.lock"


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
    return str(checkout.parent / "newsbot.lock")


def test_the_cron_line_runs_silently_on_a_fresh_checkout(tmp_path):
    checkout = fresh_checkout(tmp_path / "newsbot")
    # A home cron cannot write to (a read-only image): Scrapy's remote-control server wrote its
    # job file there, logging an ERROR with a traceback in every run.
    (unwritable := tmp_path / "state").write_text("", encoding="utf-8")
    result = run_shell(_cron_command(checkout), cwd=tmp_path, XDG_STATE_HOME=str(unwritable))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    log = (checkout / "logs" / "newsbot.log").read_text(encoding="utf-8")
    assert "Traceback" not in log and "] ERROR:" not in log
    for site in load_registry().sites:  # every site, in the one process; each report beside its delivery
        [report_path] = (checkout / "output").glob(f"{site.name}-*.report.json")
        report = json.loads(report_path.read_text(encoding="utf-8"))
        assert report["outcome"] == "ok" and report["articles_written"] > 0, site.name
        assert f"newsbot {site.name}: ok" in log
    # The store is the checkout's own.
    assert (checkout / ".scrapy" / "newsbot" / "seen.sqlite").exists()


def test_a_failed_run_names_its_own_report(tmp_path):
    checkout = fresh_checkout(tmp_path / "newsbot")
    (checkout / "output").mkdir()
    earlier = checkout / "output" / "moondaily-2026-01-01T000000.report.json"
    earlier.write_text('{"outcome": "ok"}', encoding="utf-8")
    # One site fails (a section page gone), the others do their job.
    mirror = copy_snapshot(tmp_path / "site")
    (mirror / "www.moondaily.com" / "lunar-news-02.html").unlink()
    result = run_shell(_cron_command(checkout), cwd=tmp_path, mirror=mirror)
    [report] = set((checkout / "output").glob("moondaily-*.report.json")) - {earlier}
    assert result.returncode == 1  # a monitor reading the cron line's status sees the failure
    assert result.stderr.strip() == (
        f"newsbot moondaily: failed (exit 1); report {report}; log {checkout / 'logs' / 'newsbot.log'}"
    )
    assert json.loads(report.read_text(encoding="utf-8"))["outcome"] == "failed"
    assert json.loads(earlier.read_text(encoding="utf-8")) == {"outcome": "ok"}  # another run's


def test_an_overlap_is_a_skip_not_a_failure(tmp_path):
    checkout = fresh_checkout(tmp_path / "newsbot")
    lock = _lock(checkout)
    with open(lock, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run_shell(_cron_command(checkout), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"newsbot: skipped, the previous run still holds {lock}"
    assert result.stderr == ""
    assert not (checkout / "output").exists()
