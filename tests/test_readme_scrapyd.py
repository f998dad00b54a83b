"""README's Scrapyd commands, as written: install, start, deploy, schedule and list the jobs; the
job's articles, store and report land in the absolute paths the schedule gives, not in Scrapyd's
folder.

`pip install` goes to a folder of this test (PIP_PREFIX): the test's venv gains nothing. Scrapyd runs
in network and process namespaces of its own (`unshare`), so that `localhost:6800` is free whatever
else runs on the machine, and nothing outlives the test."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from types import SimpleNamespace

import pytest

from tests.conftest import ROOT
from tests.crawling import expected_for_sections
from tests.readme_commands import command_lines, fresh_checkout, readme_blocks, run_shell, shell_env

# Glue between the README's lines, in the namespaces: wait for Scrapyd, then for the job.
DRIVER = """\
{ip} link set lo up || exit 90
{{ {start}
}} > scrapyd.out 2> scrapyd.err
n=0
until curl -sf http://localhost:6800/daemonstatus.json > /dev/null; do
  n=$((n + 1)); [ $n -le 600 ] || exit 91; sleep 0.1
done
{{ {deploy}
}} > deploy.out 2> deploy.err || exit 92
{{ {schedule}
}} > schedule.out 2> schedule.err || exit 93
n=0
until {{ {listjobs}
}} > listjobs.out 2> listjobs.err && grep -q '"finished": \\[{{' listjobs.out; do
  n=$((n + 1)); [ $n -le 1200 ] || exit 94; sleep 0.1
done
"""


@pytest.fixture(scope="module")
def scrapyd_run(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    (block,) = readme_blocks("sh", under="### Scrapyd")
    install, start, deploy, schedule, listjobs = command_lines(block)
    checkout = fresh_checkout(tmp_path_factory.mktemp("clone") / "newsbot")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, checkout / name)
    shutil.copytree(ROOT / "newsbot", checkout / "newsbot", ignore=shutil.ignore_patterns("__pycache__"))
    home, prefix = tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("prefix")
    # Scrapyd reads the scrapyd.conf of its folder: look for jobs every 0.1 s, not every 5 s.
    (home / "scrapyd").mkdir()
    (home / "scrapyd" / "scrapyd.conf").write_text("[scrapyd]\npoll_interval = 0.1\n", encoding="utf-8")
    scheme = sysconfig.get_paths(vars={"base": str(prefix), "platbase": str(prefix)})
    env = {
        "HOME": str(home),
        "PIP_PREFIX": str(prefix),
        "PYTHONPATH": scheme["purelib"],
        "PATH": f"{scheme['scripts']}:{shell_env(checkout)['PATH']}",
    }
    installed = run_shell(install, cwd=checkout, timeout=300, **env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    ip = shutil.which("ip", path=f"{os.environ['PATH']}:/usr/sbin:/sbin")
    assert ip, "iproute2's ip is needed to bring up the loopback of Scrapyd's network namespace"
    script = DRIVER.format(ip=ip, start=start, deploy=deploy, schedule=schedule, listjobs=listjobs)
    driven = subprocess.run(
        ["unshare", "--map-root-user", "--net", "--pid", "--fork", "/bin/sh", "-c", script],
        cwd=checkout,
        env=shell_env(checkout, **env),
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = {
        path.name: path.read_text(encoding="utf-8")
        for step in ("scrapyd", "deploy", "schedule", "listjobs")
        for path in (checkout / f"{step}.out", checkout / f"{step}.err")
        if path.exists()
    }
    assert driven.returncode == 0, f"exit {driven.returncode}: {driven.stderr}\n{said}"
    return SimpleNamespace(checkout=checkout, scrapyd=home / "scrapyd", said=said)


def test_the_job_runs_and_delivers_where_it_was_told(scrapyd_run, manifest):
    said = scrapyd_run.said
    assert 'Deploying to project "newsbot"' in said["deploy.err"] and '"spiders": 15' in said["deploy.out"]
    assert json.loads(said["schedule.out"])["status"] == "ok"
    (job,) = json.loads(said["listjobs.out"])["finished"]
    assert job["spider"] == "spacewar"
    output = scrapyd_run.checkout / "output"
    [report_path] = output.glob("spacewar-*.report.json")  # beside the job's delivery
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert report["outcome"] == "ok", report
    items = [json.loads(line) for path in output.glob("spacewar-*.jsonl") for line in path.open()]
    listed, _ = expected_for_sections(manifest, "spacewar.com", {"superpowers", "missile-defense"})
    assert {item["url"] for item in items} <= set(listed)
    assert len(items) == report["articles_written"] > 0
    assert (scrapyd_run.checkout / ".scrapy" / "newsbot" / "seen.sqlite").exists()
    # Scrapyd's folder holds Scrapyd's things only: no output, no report, no store of ours.
    assert {path.name for path in scrapyd_run.scrapyd.iterdir()} <= {
        "scrapyd.conf", "eggs", "logs", "dbs", "twistd.pid"
    }  # fmt: skip
    (log,) = (scrapyd_run.scrapyd / "logs" / "newsbot" / "spacewar").glob("*.log")
    assert "newsbot spacewar: ok" in log.read_text(encoding="utf-8")
