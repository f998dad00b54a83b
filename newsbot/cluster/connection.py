"""Redis clients that ride out an outage, and a breaker that makes a long one final.

Every client of a worker shares one `Outage`: each Redis call is retried with redis-py's `Retry`
and exponential backoff for as long as Redis has been unreachable for less than the outage limit.
The worker simply waits: nothing it was doing meets an error, so nothing is lost or half-done.
Past the limit, or once Redis is found to have lost its data, the breaker trips for good: every
call of this process fails at once with `RedisGone`, so that nothing is marked written, released
or counted on a Redis the worker no longer trusts, and the worker closes (exit status 1).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry

from newsbot.cluster.keys import (
    DEFAULT_OUTAGE_LIMIT,
    OUTAGE_LIMIT_SETTING,
    REASON_UNREACHABLE,
    SOCKET_TIMEOUT,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")


class RedisGone(redis.ConnectionError):
    """Redis stayed unreachable past the outage limit, or lost its data: this worker stops."""


class DataLost(redis.RedisError):
    """The run marker is gone or changed: Redis lost the frontier and the store under the worker."""


class Outage:
    """How long Redis has been unreachable, and whether this process gave up on it."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.cause: str | None = None
        self._since: float | None = None
        self._lock = threading.Lock()
        self.reason = REASON_UNREACHABLE
        # Told the finish reason when the breaker trips (the worker closes the crawl).
        self.on_trip: Callable[[str], None] = lambda reason: None

    def trip(self, cause: str, reason: str = REASON_UNREACHABLE) -> None:
        """Give up on Redis for the rest of this process; listeners get the finish reason."""
        with self._lock:
            if self.cause is not None:
                return
            self.cause, self.reason = cause, reason
        logger.error("%s", cause)
        self.on_trip(reason)

    def failed(self, error: Exception) -> None:
        """A call failed; trips the breaker once the outage outlasts the limit."""
        now = time.monotonic()
        with self._lock:
            if self._since is None:
                self._since = now
                logger.warning("Redis is unreachable (%s); waiting up to %.0f s for it", error, self.limit)
            lasted = now - self._since
        if lasted >= self.limit:
            self.trip(f"Redis unreachable for {lasted:.0f} s, more than the limit of {self.limit:.0f} s")

    def succeeded(self) -> None:
        if self._since is None:
            return
        with self._lock:
            since, self._since = self._since, None
        if since is not None:
            logger.warning("Redis is reachable again after %.1f s", time.monotonic() - since)


class OutageRetry(Retry):
    """Retry with exponential backoff (capped at 1 s) until the shared `Outage` gives up."""

    def __init__(self, outage: Outage) -> None:
        super().__init__(ExponentialBackoff(cap=1.0, base=0.05), retries=-1)
        self.outage = outage
        self.update_supported_errors([redis.BusyLoadingError])

    def __deepcopy__(self, memo: dict[int, Any]) -> OutageRetry:
        # redis-py copies the retry into each connection; the outage must stay one, shared.
        return self

    def call_with_retry(
        self,
        do: Callable[[], T],
        fail: Callable[..., Any],
        is_retryable: Callable[[Exception], bool] | None = None,
        with_failure_count: bool = False,
    ) -> T:
        failures = 0
        while True:
            if self.outage.cause is not None:
                raise RedisGone(self.outage.cause)
            try:
                result = do()
            except self._supported_errors as error:
                if isinstance(error, RedisGone) or (is_retryable and not is_retryable(error)):
                    raise
                failures += 1
                fail(error, failures) if with_failure_count else fail(error)
                self.outage.failed(error)
                if self.outage.cause is not None:
                    raise RedisGone(self.outage.cause) from None
                time.sleep(self._backoff.compute(failures))
            else:
                self.outage.succeeded()
                return result


def connect(url: str, outage: Outage) -> redis.Redis:
    """A client whose every call (connecting included) rides out outages shorter than the limit."""
    return redis.Redis.from_url(
        url,
        retry=OutageRetry(outage),
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
        health_check_interval=30,
    )


def outage_of(crawler: Any) -> Outage:
    """The crawler's one Outage, shared by the worker's and the store's clients."""
    outage = getattr(crawler, "_newsbot_redis_outage", None)
    if outage is None:
        limit = crawler.settings.getfloat(OUTAGE_LIMIT_SETTING, DEFAULT_OUTAGE_LIMIT)
        outage = Outage(max(limit, 0.0))
        crawler._newsbot_redis_outage = outage
    return outage


def text(value: bytes | str) -> str:
    """A reply of our clients (bytes: they do not decode) as text."""
    return value.decode() if isinstance(value, bytes) else value


def redacted_url(url: str) -> str:
    """A Redis URL fit for a log: without its password."""
    return re.sub(r"//[^@/]*@", "//", url)


def json_object(raw: str) -> dict[str, Any]:
    """A JSON object read from Redis, or {} for anything else (a value another writer garbled)."""
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
