"""The shared frontier: a priority queue in Redis that loses no request a worker took.

It is the reliable-queue pattern (LMOVE from a list into a per-worker list) on a sorted set, so
that priorities hold across workers (newer section pages first, a section page before the articles
it lists), which a Stream cannot order. Taking a request moves it, in one Lua script, from
`<spider>:requests` into the worker's in-flight hash; it leaves that hash only when its outcome is
final. Every script checks the run marker (`newsbot:epoch`): on a Redis that lost its data it
changes nothing and reports the loss.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from scrapy import Request

from newsbot.cluster import codec
from newsbot.cluster.connection import DataLost, text
from newsbot.cluster.keys import EPOCH_KEY, REFUSED_KEPT, FrontierKeys, heartbeat_key

logger = logging.getLogger(__name__)

LOST = -1

# KEYS: epoch, seen, queue, own in-flight. ARGV: epoch, fingerprint, score, member, dont_filter,
# released fingerprints... The seen-check and the push are one step; a retry (dont_filter, same
# fingerprint) hands its in-flight entry back in that step; a redirect releases what it replaces.
_PUSH = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if ARGV[5] == '0' and redis.call('SADD', KEYS[2], ARGV[2]) == 0 then return 0 end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
if ARGV[5] == '1' then redis.call('HDEL', KEYS[4], ARGV[2]) end
for i = 6, #ARGV do redis.call('HDEL', KEYS[4], ARGV[i]) end
return 1
"""

# KEYS: epoch, queue, own in-flight. ARGV: epoch. The best entry moves into the in-flight hash,
# under its fingerprint (the first 40 bytes), as "<score> <member>" to be queued again as it was.
_POP = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local popped = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #popped == 0 then return false end
redis.call('ZREM', KEYS[2], popped[1])
redis.call('HSET', KEYS[3], string.sub(popped[1], 1, 40), popped[2] .. ' ' .. popped[1])
return popped[1]
"""

# KEYS: own in-flight, refused. ARGV: field, member, kept. Sets a refused entry aside.
_REFUSE = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
local space = value and string.find(value, ' ', 1, true)
if space and string.sub(value, space + 1) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('LPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], 0, ARGV[3] - 1)
return 1
"""

# KEYS: epoch, heartbeat, in-flight, queue, workers. ARGV: epoch, worker, force, fields...
# Unless forced, only a worker whose heartbeat is gone is requeued (-2 otherwise): check and move
# are one step, so two workers never both move one request. With fields, only those move.
_REQUEUE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if ARGV[3] ~= '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -2 end
local entries = {}
if #ARGV > 3 then
  for i = 4, #ARGV do
    local value = redis.call('HGET', KEYS[3], ARGV[i])
    if value then table.insert(entries, ARGV[i]); table.insert(entries, value) end
  end
else
  entries = redis.call('HGETALL', KEYS[3])
end
local moved = 0
for i = 2, #entries, 2 do
  local space = string.find(entries[i], ' ', 1, true)
  local score = space and tonumber(string.sub(entries[i], 1, space - 1))
  if score then
    redis.call('ZADD', KEYS[4], score, string.sub(entries[i], space + 1))
    moved = moved + 1
  end
  redis.call('HDEL', KEYS[3], entries[i - 1])
end
if #ARGV == 3 then redis.call('HDEL', KEYS[5], ARGV[2]) end
return moved
"""


class Frontier:
    """One worker's view of its spider's frontier."""

    def __init__(self, server: redis.Redis, spider: str, worker: str) -> None:
        self.server = server
        self.keys = FrontierKeys(spider)
        self.worker = worker
        self.inflight = self.keys.inflight(worker)
        self.epoch = ""
        self._push = server.register_script(_PUSH)
        self._pop = server.register_script(_POP)
        self._refuse = server.register_script(_REFUSE)
        self._requeue = server.register_script(_REQUEUE)

    def push(self, request: Request) -> bool:
        """Queue the request unless its fingerprint was queued in this run (a retry always is)."""
        member = codec.encode(request)
        released = _redirected_from(request)
        keys = [EPOCH_KEY, self.keys.seen, self.keys.queue, self.inflight]
        args: list[bytes | str | int] = [self.epoch, member[:40], -request.priority, member]
        args += [int(request.dont_filter), *released]
        return bool(self._checked(self._push(keys=keys, args=args)) == 1)

    def pop(self) -> bytes | None:
        member = self._checked(self._pop(keys=[EPOCH_KEY, self.keys.queue, self.inflight], args=[self.epoch]))
        return bytes(member) if member is not None else None

    def refuse(self, member: bytes) -> None:
        self._refuse(keys=[self.inflight, self.keys.refused], args=[member[:40], member, REFUSED_KEPT])

    def release(self, fingerprints: list[str]) -> None:
        if fingerprints:
            self.server.hdel(self.inflight, *fingerprints)

    def requeue(self, worker: str, *, force: bool, fingerprints: list[str] | None = None) -> int:
        """Queue again what `worker` holds (all, or some); -2 if it is alive and not forced."""
        keys = [
            EPOCH_KEY,
            heartbeat_key(worker),
            self.keys.inflight(worker),
            self.keys.queue,
            self.keys.workers,
        ]
        args = [self.epoch, worker, "1" if force else "0", *(fingerprints or [])]
        return int(self._checked(self._requeue(keys=keys, args=args)))

    def held(self, worker: str | None = None) -> list[str]:
        return [text(key) for key in self.server.hkeys(self.keys.inflight(worker or self.worker))]

    def queued(self) -> int:
        return int(self.server.zcard(self.keys.queue))

    def _checked(self, result: Any) -> Any:
        if result == LOST:
            raise DataLost("Redis lost its data: the run marker this worker joined under is gone")
        return result


def _redirected_from(request: Request) -> list[str]:
    """Fingerprints of the requests a redirected request replaces (GET, as our spiders send)."""
    fingerprints = []
    for url in request.meta.get("redirect_urls") or ():
        try:
            fingerprints.append(codec.request_fingerprint(Request(url)))
        except (TypeError, ValueError):
            continue  # not a URL: nothing of ours to release
    return fingerprints


def released_by(request: Request) -> list[str]:
    """Every in-flight field a finished request frees: its own and those it was redirected from."""
    return [codec.request_fingerprint(request), *_redirected_from(request)]
