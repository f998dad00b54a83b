"""The seen-articles store in Redis, for a cluster's workers on several machines.

It answers what SqliteSeenStore answers (the SeenStore protocol of newsbot/store/base.py) and adds the
writers' claims: before writing an article a worker claims its URL and content hash, atomically,
so that two workers holding two syndicated copies at once write one of them. A claim names its
worker; it is released when the article is recorded, or by whoever recovers a dead worker once
that worker's output file has been read. Every key is named in newsbot/cluster/keys.py.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterable
from typing import Any

import redis
from scrapy.crawler import Crawler

from newsbot.clock import utc_now_iso
from newsbot.cluster.connection import DataLost, Outage, connect, json_object, outage_of, text
from newsbot.cluster.keys import EPOCH_KEY, HOST_SETTING, REDIS_URL_SETTING, StoreKeys
from newsbot.store.base import KnownArticle, LedgerEntry, SectionSummary

# KEYS: articles, copies, hashes, url claims, hash claims, epoch. ARGV: url, content hash, worker,
# epoch. On a Redis that lost its data (another run marker, or none) nothing is claimed.
_CLAIM = """
if ARGV[4] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[4] then return {'lost', ''} end
local owner = redis.call('HGET', KEYS[3], ARGV[2])
if owner then return {'content', owner} end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return {'url', ARGV[1]}
end
local by_url = redis.call('HGET', KEYS[4], ARGV[1])
if by_url and by_url ~= ARGV[3] then return {'held', by_url} end
local by_hash = redis.call('HGET', KEYS[5], ARGV[2])
if by_hash and by_hash ~= ARGV[3] .. ' ' .. ARGV[1] then return {'held', by_hash} end
redis.call('HSET', KEYS[4], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[5], ARGV[2], ARGV[3] .. ' ' .. ARGV[1])
return {'claimed', ''}
"""

# KEYS: articles, hashes, outputs, url claims, hash claims.
# ARGV: output key ('' for none), reconciled bytes, then url, content hash, record per article.
# Marks articles written and how far the output file is reconciled, in one step; releases claims.
# One more failed attempt at an article (newsbot.store.base.LedgerEntry), atomic across workers:
# a new entry, or attempts + 1 with the newest reason; the first section named is kept.
_LEDGER_ADD = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local entry
if raw then
  entry = cjson.decode(raw)
  entry['attempts'] = entry['attempts'] + 1
  entry['reason'] = ARGV[4]
  entry['last_attempt'] = ARGV[5]
  if entry['section'] == '' then entry['section'] = ARGV[3] end
else
  entry = {site = ARGV[2], section = ARGV[3], reason = ARGV[4], attempts = 1,
           first_attempt = ARGV[5], last_attempt = ARGV[5], given_up = false}
end
raw = cjson.encode(entry)
redis.call('HSET', KEYS[1], ARGV[1], raw)
return raw
"""

_RECORD = """
if ARGV[1] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[1] then return -1 end
local added = 0
for i = 4, #ARGV, 3 do
  local url, digest = ARGV[i], ARGV[i + 1]
  added = added + redis.call('HSETNX', KEYS[1], url, ARGV[i + 2])
  redis.call('HSETNX', KEYS[2], digest, url)
  redis.call('HDEL', KEYS[4], url)
  local claim = redis.call('HGET', KEYS[5], digest)
  if claim and string.sub(claim, -(#url + 1)) == ' ' .. url then redis.call('HDEL', KEYS[5], digest) end
end
if ARGV[2] ~= '' then redis.call('HSET', KEYS[3], ARGV[2], ARGV[3]) end
return added
"""

# KEYS: url claims, hash claims. ARGV: worker, then url and content hash pairs (none: all its claims).
_UNCLAIM = """
local released = 0
local function drop(key, field, prefix)
  local value = redis.call('HGET', key, field)
  if value and (value == prefix or string.sub(value, 1, #prefix + 1) == prefix .. ' ') then
    released = released + redis.call('HDEL', key, field)
  end
end
if #ARGV == 1 then
  for _, key in ipairs(KEYS) do
    local entries = redis.call('HGETALL', key)
    for i = 1, #entries, 2 do drop(key, entries[i], ARGV[1]) end
  end
else
  for i = 2, #ARGV, 2 do
    drop(KEYS[1], ARGV[i], ARGV[1])
    drop(KEYS[2], ARGV[i + 1], ARGV[1])
  end
end
return released
"""

# KEYS: started, completed. ARGV: fields, then the time. Completes the walks that were begun.
_COMPLETE_WALKS = """
for i = 1, #ARGV - 1 do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 1 then redis.call('HSET', KEYS[2], ARGV[i], ARGV[#ARGV]) end
end
return 1
"""


class RedisSeenStore:
    """SqliteSeenStore's questions and marks, in Redis, for workers on several machines.

    Keys (prefix `newsbot:seen`): `:articles` (hash URL -> JSON record), `:hashes` (content hash ->
    the URL written under it), `:copies` (URL -> JSON {copy_of, site, first_seen}), `:walks:started`
    and `:walks:completed` (JSON [site, section] -> time), `:outputs` ("<host>:<absolute path>" ->
    bytes reconciled: each worker has its own output file), and the writers' claims `:claims:urls`
    and `:claims:hashes`, empty between writes.
    """

    def __init__(
        self, url: str, *, outage: Outage | None = None, host: str | None = None, prefix: str | None = None
    ) -> None:
        self.url = url
        self.host = host or socket.gethostname()
        # The worker's Outage when in a crawl; alone (the `newsbot state` command) a short one.
        self._redis: redis.Redis = connect(url, outage or Outage(30.0))
        self.keys = StoreKeys(prefix) if prefix else StoreKeys()
        # The run marker a worker joined under: marks and claims are refused on a Redis without
        # it (one that lost its data). Empty (the `newsbot state` command): not checked.
        self.epoch = ""
        self._claim = self._redis.register_script(_CLAIM)
        self._record = self._redis.register_script(_RECORD)
        self._unclaim = self._redis.register_script(_UNCLAIM)
        self._complete_walks = self._redis.register_script(_COMPLETE_WALKS)
        self._ledger_add = self._redis.register_script(_LEDGER_ADD)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RedisSeenStore:
        settings = crawler.settings
        return cls(
            settings.get(REDIS_URL_SETTING), outage=outage_of(crawler), host=settings.get(HOST_SETTING)
        )

    def for_host(self, host: str) -> RedisSeenStore:
        """The same store, keeping output offsets under another machine's name (its files)."""
        view = object.__new__(RedisSeenStore)
        view.__dict__.update(self.__dict__, host=host)
        return view

    def close(self) -> None:
        self._redis.close()

    # --- questions ---------------------------------------------------------------------------------

    def is_known_url(self, url: str) -> bool:
        return bool(self.known_urls([url]))

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        wanted = list(dict.fromkeys(urls))
        known: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            with self._redis.pipeline(transaction=False) as pipe:
                pipe.hmget(self.keys.articles, chunk)
                pipe.hmget(self.keys.copies, chunk)
                written, copies = pipe.execute()
            known.update(url for url, a, c in zip(chunk, written, copies, strict=True) if a or c)
        return known

    def owner_of_hash(self, content_hash: str) -> str | None:
        owner = self._redis.hget(self.keys.hashes, content_hash)
        return text(owner) if owner else None

    # --- marks ---------------------------------------------------------------------------------------

    def record(self, article: KnownArticle, *, output: str | None = None, reconciled_bytes: int = 0) -> None:
        self._record_articles([article], output, reconciled_bytes)

    def record_many(self, articles: Iterable[KnownArticle], *, output: str, reconciled_bytes: int) -> int:
        return self._record_articles(list(articles), output, reconciled_bytes)

    def _record_articles(self, articles: list[KnownArticle], output: str | None, size: int) -> int:
        now = utc_now_iso()
        args: list[Any] = [self.epoch, self._output_key(output) if output is not None else "", size]
        for article in articles:
            record = {
                "content_hash": article.content_hash,
                "site": article.site,
                "section": article.section,
                "date_published": article.date_published,
                "first_seen": now,
            }
            args += [article.url, article.content_hash, json.dumps(record, ensure_ascii=False)]
        k = self.keys
        keys = [k.articles, k.hashes, k.outputs, k.url_claims, k.hash_claims, EPOCH_KEY]
        if (added := int(self._record(keys=keys, args=args))) < 0:
            # Marks on an emptied Redis would tell the next run that files are reconciled.
            raise DataLost("Redis lost its data: the run marker this worker joined under is gone")
        return added

    def record_copy(self, url: str, copy_of: str, site: str) -> None:
        record = {"copy_of": copy_of, "site": site, "first_seen": utc_now_iso()}
        self._redis.hsetnx(self.keys.copies, url, json.dumps(record, ensure_ascii=False))

    def reconciled_bytes(self, output: str) -> int:
        value = self._redis.hget(self.keys.outputs, self._output_key(output))
        return int(value) if value else 0

    def set_reconciled_bytes(self, output: str, size: int) -> None:
        self._redis.hset(self.keys.outputs, self._output_key(output), size)

    def _output_key(self, output: str) -> str:
        # Each worker appends to its own file, on its own machine: "/srv/out/spacewar.jsonl" on two
        # machines are two files.
        return f"{self.host}:{os.path.abspath(output)}"

    def last_walk_completed(self, site: str, section: str) -> bool:
        return bool(self._redis.hexists(self.keys.walks_completed, _walk_field(site, section)))

    def begin_walk(self, site: str, section: str) -> None:
        field = _walk_field(site, section)
        with self._redis.pipeline() as pipe:
            pipe.hset(self.keys.walks_started, field, utc_now_iso())
            pipe.hdel(self.keys.walks_completed, field)
            pipe.execute()

    def complete_walks(self, site: str, sections: Iterable[str]) -> None:
        fields = [_walk_field(site, section) for section in sections]
        if fields:
            keys = [self.keys.walks_started, self.keys.walks_completed]
            self._complete_walks(keys=keys, args=[*fields, utc_now_iso()])

    # --- claims (ClaimArticlesPipeline) ------------------------------------------------------------

    def claim(self, url: str, content_hash: str, worker: str, epoch: str = "") -> tuple[str, str]:
        """Claim the right to write an article, atomically. The verdict and its detail:

        ("claimed", ""): write it; ("content", owner URL): its body was written under another URL;
        ("url", url): it was written; ("held", "<worker>" or "<worker> <url>"): another writer holds
        the claim on its URL or body and has not recorded it yet; ("lost", ""): Redis no longer
        holds the run marker `epoch` (given non-empty): it lost its data.
        """
        k = self.keys
        keys = [k.articles, k.copies, k.hashes, k.url_claims, k.hash_claims]
        args = [url, content_hash, worker, epoch or self.epoch]
        verdict, detail = self._claim(keys=[*keys, EPOCH_KEY], args=args)
        return verdict.decode(), detail.decode()

    def release_claims_of(
        self, worker: str, *, url: str | None = None, content_hash: str | None = None
    ) -> int:
        """Release the claims a worker holds: those on one article, or all of them."""
        args = [worker] if url is None else [worker, url, content_hash or ""]
        return int(self._unclaim(keys=[self.keys.url_claims, self.keys.hash_claims], args=args))

    def claims_of(self, worker: str) -> int:
        """How many article claims a worker holds."""
        prefix = worker.encode()
        return sum(
            1
            for key in (self.keys.url_claims, self.keys.hash_claims)
            for _, holder in self._redis.hscan_iter(key)
            if holder == prefix or holder.startswith(prefix + b" ")
        )

    # --- the `newsbot state` command ---------------------------------------------------------------

    def summary(self) -> list[SectionSummary]:
        groups: dict[tuple[str, str | None], list[Any]] = {}
        for _, record in self._articles():
            key = (record.get("site", ""), record.get("section"))
            group = groups.setdefault(key, [0, None, ""])
            group[0] += 1
            if record.get("date_published") and (group[1] is None or record["date_published"] > group[1]):
                group[1] = record["date_published"]
            group[2] = max(group[2], record.get("first_seen") or "")
        ordered = sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] is not None, kv[0][1] or ""))
        return [SectionSummary(site, section, *values) for (site, section), values in ordered]

    def counts(self) -> dict[str, int]:
        return {
            "articles": self._redis.hlen(self.keys.articles),
            "copies": self._redis.hlen(self.keys.copies),
        }

    def forget(self, *, site: str | None = None, section: str | None = None) -> int:
        """As SqliteSeenStore.forget. Run it with the workers stopped: it is not one transaction."""
        forgotten: list[str] = []
        forgotten_hashes: set[str] = set()
        kept_by_hash: dict[str, str] = {}
        for url, record in self._articles():
            matches = (site is None or record.get("site") == site) and (
                section is None or (record.get("section") or "").upper() == section.upper()
            )
            if section is not None and record.get("section") is None:
                matches = False
            if matches:
                forgotten.append(url)
                forgotten_hashes.add(record.get("content_hash", ""))
            else:
                kept_by_hash.setdefault(record.get("content_hash", ""), url)
        with self._redis.pipeline() as pipe:
            for start in range(0, len(forgotten), 500):
                pipe.hdel(self.keys.articles, *forgotten[start : start + 500])
            for digest in forgotten_hashes:
                if digest in kept_by_hash:
                    pipe.hset(self.keys.hashes, digest, kept_by_hash[digest])
                else:
                    pipe.hdel(self.keys.hashes, digest)
            # What was forgotten must be walked to the end again to be found.
            for key in (self.keys.walks_started, self.keys.walks_completed):
                if site is None:
                    pipe.delete(key)
                else:
                    fields = [f for f in self._redis.hkeys(key) if json.loads(f)[0] == site]
                    if fields:
                        pipe.hdel(key, *fields)
            pipe.execute()
        # A copy is skipped because of the article it copies; with that article gone, so is it.
        stale = []
        for url, raw in self._redis.hscan_iter(self.keys.copies):
            record = json_object(raw.decode())
            gone = not self._redis.hexists(self.keys.articles, record.get("copy_of", ""))
            if gone or (site is not None and section is None and record.get("site") == site):
                stale.append(url)
        for start in range(0, len(stale), 500):
            self._redis.hdel(self.keys.copies, *stale[start : start + 500])
        # What was forgotten is forgotten as not had, too: the next walk lists it afresh.
        self._forget_ledger(site, section)
        return len(forgotten)

    # --- the ledger of articles not yet had (as SqliteSeenStore's) -------------------------------

    def ledger_add(self, url: str, *, site: str, section: str | None, reason: str) -> LedgerEntry:
        raw = self._ledger_add(
            keys=[self.keys.ledger], args=[url, site, section or "", reason, utc_now_iso()]
        )
        return _ledger_entry(url, text(raw))

    def ledger_pending(self, site: str) -> list[LedgerEntry]:
        pending = [e for e in self.ledger_entries() if e.site == site and not e.given_up]
        return sorted(pending, key=lambda e: (e.first_attempt, e.url))

    def ledger_entries(self) -> list[LedgerEntry]:
        entries = [
            _ledger_entry(text(url), text(raw)) for url, raw in self._redis.hscan_iter(self.keys.ledger)
        ]
        return sorted(entries, key=lambda e: (e.site, e.section or "", e.url))

    def ledger_resolve(self, url: str) -> bool:
        return bool(self._redis.hdel(self.keys.ledger, url))

    def ledger_give_up(self, url: str) -> None:
        raw = self._redis.hget(self.keys.ledger, url)
        if raw is not None:
            record = json_object(text(raw))
            record["given_up"] = True
            self._redis.hset(self.keys.ledger, url, json.dumps(record))

    def ledger_counts(self) -> dict[str, int]:
        entries = self.ledger_entries()
        given_up = sum(1 for entry in entries if entry.given_up)
        return {"pending": len(entries) - given_up, "given_up": given_up}

    def _forget_ledger(self, site: str | None, section: str | None) -> None:
        doomed = [
            entry.url
            for entry in self.ledger_entries()
            if (site is None or entry.site == site)
            and (section is None or (entry.section or "").upper() == section.upper())
        ]
        for start in range(0, len(doomed), 500):
            self._redis.hdel(self.keys.ledger, *doomed[start : start + 500])

    def _articles(self) -> Iterable[tuple[str, dict[str, Any]]]:
        for url, raw in self._redis.hscan_iter(self.keys.articles, count=1000):
            yield url.decode(), json_object(raw.decode())


def _walk_field(site: str, section: str) -> str:
    return json.dumps([site, section], ensure_ascii=False)


def _ledger_entry(url: str, raw: str) -> LedgerEntry:
    record = json_object(raw)
    return LedgerEntry(
        url=url,
        site=str(record.get("site", "")),
        section=record.get("section") or None,
        reason=str(record.get("reason", "")),
        attempts=int(record.get("attempts", 0)),
        first_attempt=str(record.get("first_attempt", "")),
        last_attempt=str(record.get("last_attempt", "")),
        given_up=bool(record.get("given_up", False)),
    )
