"""The retry every cluster client uses: it rides out a short outage, and gives up for good on a long one."""

from __future__ import annotations

import pytest
import redis

from newsbot.cluster.connection import Outage, OutageRetry, RedisGone, connect, redacted_url, text
from newsbot.cluster.keys import REASON_DATA_LOST, REASON_UNREACHABLE
from tests.redis_server import free_port


def _flaky(failures: int):
    calls = {"n": 0}

    def do() -> str:
        calls["n"] += 1
        if calls["n"] <= failures:
            raise redis.ConnectionError("connection refused")
        return "PONG"

    return do, calls


def test_an_outage_shorter_than_the_limit_is_ridden_out():
    outage = Outage(limit=60)
    do, calls = _flaky(failures=3)
    assert OutageRetry(outage).call_with_retry(do, lambda error: None) == "PONG"
    assert calls["n"] == 4 and outage.cause is None


def test_past_the_limit_the_breaker_trips_once_and_every_later_call_fails_without_trying():
    outage = Outage(limit=0)
    reasons = []
    outage.on_trip = reasons.append
    do, calls = _flaky(failures=1)
    retry = OutageRetry(outage)
    with pytest.raises(RedisGone, match="Redis unreachable for"):
        retry.call_with_retry(do, lambda error: None)
    with pytest.raises(RedisGone):
        retry.call_with_retry(do, lambda error: None)
    assert calls["n"] == 1, "a call after the trip reached Redis"
    outage.trip("again", REASON_DATA_LOST)
    assert reasons == [REASON_UNREACHABLE] and outage.reason == REASON_UNREACHABLE


def test_errors_that_are_not_about_reaching_redis_are_not_retried():
    def do() -> None:
        raise redis.ResponseError("WRONGTYPE")

    with pytest.raises(redis.ResponseError):
        OutageRetry(Outage(limit=60)).call_with_retry(do, lambda error: None)


def test_every_connection_of_a_client_shares_the_one_outage():
    outage = Outage(limit=0)
    client = connect(f"redis://127.0.0.1:{free_port()}/0", outage)
    with pytest.raises(RedisGone):
        client.ping()
    with pytest.raises(RedisGone):
        client.get("x")
    assert outage.cause is not None


def test_urls_are_logged_without_their_password_and_replies_read_as_text():
    assert redacted_url("redis://:s3cret@10.0.0.5:6379/0") == "redis://10.0.0.5:6379/0"
    assert redacted_url("redis://user:s3cret@host/0") == "redis://host/0"
    assert text(b"abc") == "abc" and text("abc") == "abc"
