"""Every Redis key, setting and stats key of the cluster, with its default: one place to read them.

Leaf module: it imports nothing of newsbot, so the store (newsbot/store/redis.py) and the cluster
modules can all name their keys from here without an import cycle.
"""

from __future__ import annotations

# --- settings -----------------------------------------------------------------------------------

REDIS_URL_SETTING = "NEWSBOT_REDIS_URL"
# Seconds a worker's heartbeat lives; it is refreshed five times in that span. A worker silent for
# longer (as seen by another worker, on its own clock) is taken for dead and its work recovered.
HEARTBEAT_TTL_SETTING = "NEWSBOT_REDIS_HEARTBEAT_TTL"
DEFAULT_HEARTBEAT_TTL = 5.0
# Seconds Redis may stay unreachable before a worker gives up: until then every Redis call is
# retried with exponential backoff and the worker waits; past it the worker stops and exits 1.
OUTAGE_LIMIT_SETTING = "NEWSBOT_REDIS_OUTAGE_LIMIT"
DEFAULT_OUTAGE_LIMIT = 180.0
# Seconds a worker waits, at start, for a Redis it cannot reach before it exits 2.
START_TIMEOUT_SETTING = "NEWSBOT_REDIS_START_TIMEOUT"
DEFAULT_START_TIMEOUT = 10.0
# The name this worker gives for its machine; a worker on another machine cannot read its files.
HOST_SETTING = "NEWSBOT_CLUSTER_HOST"
# The output files are on storage every machine sees at the same path (NFS, say): a worker that
# recovers a dead worker of another machine may then read and repair its output file.
SHARED_OUTPUT_SETTING = "NEWSBOT_CLUSTER_SHARED_OUTPUT"
# Seconds a writer waits for another live worker's claim on the same article before it gives up.
CLAIM_WAIT_SETTING = "NEWSBOT_REDIS_CLAIM_WAIT"
DEFAULT_CLAIM_WAIT = 60.0
# Socket timeouts: a Redis that stops answering (a network partition) fails a call in this time,
# which the retry then counts against the outage limit.
SOCKET_TIMEOUT = 5.0

# --- finish reasons (each fails the run: exit 1) ----------------------------------------------------

REASON_UNREACHABLE = "redis_unreachable"
REASON_DATA_LOST = "redis_data_lost"

# --- keys -----------------------------------------------------------------------------------------

# The run marker: a random value set by the first worker to find it absent. A Redis restarted
# without its data has none; a worker that joined under one value and finds another (or none) knows
# the frontier and the store vanished under it.
EPOCH_KEY = "newsbot:epoch"
HEARTBEAT_PREFIX = "newsbot:worker:"
STORE_PREFIX = "newsbot:seen"


def heartbeat_key(worker: str) -> str:
    return f"{HEARTBEAT_PREFIX}{worker}"


class FrontierKeys:
    """The keys of one spider's frontier."""

    def __init__(self, spider: str) -> None:
        self.spider = spider
        self.queue = f"{spider}:requests"  # sorted set: fingerprint + JSON, scored by -priority
        self.seen = f"{spider}:dupefilter"  # set of fingerprints queued in this run
        self.workers = f"{spider}:workers"  # hash worker -> JSON {host, pid, output, started_at}
        self.refused = f"{spider}:refused"  # list: the last REFUSED_KEPT refused entries
        self.lock = f"{spider}:lock"  # redis.lock.Lock around joining and recovering
        # hash worker -> info: dead workers whose output no one could read; their claims wait
        # for a worker started again on their machine with their file.
        self.orphans = f"{spider}:orphans"

    def inflight(self, worker: str) -> str:
        return f"{self.spider}:inflight:{worker}"  # hash fingerprint -> "<score> <member>"


class StoreKeys:
    """The keys of the seen-articles store, shared by every spider."""

    def __init__(self, prefix: str = STORE_PREFIX) -> None:
        self.articles = f"{prefix}:articles"  # hash URL -> JSON record
        self.hashes = f"{prefix}:hashes"  # hash content hash -> URL written under it
        self.copies = f"{prefix}:copies"  # hash URL -> JSON {copy_of, site, first_seen}
        self.outputs = f"{prefix}:outputs"  # hash "<host>:<path>" -> bytes reconciled
        self.walks_started = f"{prefix}:walks:started"
        self.walks_completed = f"{prefix}:walks:completed"
        self.url_claims = f"{prefix}:claims:urls"  # hash URL -> worker
        self.hash_claims = f"{prefix}:claims:hashes"  # hash content hash -> "<worker> <URL>"
        self.ledger = f"{prefix}:ledger"  # hash URL -> JSON LedgerEntry fields: articles not yet had


REFUSED_KEPT = 100

# --- stats ------------------------------------------------------------------------------------------

STATS_PREFIX = "newsbot/redis/"
STAT_REFUSED = f"{STATS_PREFIX}refused_payloads"
STAT_RECOVERED = f"{STATS_PREFIX}recovered_requests"
STAT_REQUEUED_AT_CLOSE = f"{STATS_PREFIX}requeued_at_close"
STAT_REQUEUED_AT_IDLE = f"{STATS_PREFIX}requeued_at_idle"
STAT_RELEASED_AT_IDLE = f"{STATS_PREFIX}released_at_idle"
STAT_FRONTIER_RESET = f"{STATS_PREFIX}frontier_reset"
STAT_CLAIMS_WAITED = f"{STATS_PREFIX}claims_waited"
STAT_CLAIMS_KEPT = f"{STATS_PREFIX}claims_kept_for_their_host"
STAT_LINES_MARKED = f"{STATS_PREFIX}lines_marked_for_dead_workers"
STAT_LINES_CUT = f"{STATS_PREFIX}partial_lines_cut_for_dead_workers"
STAT_OUTPUTS_RECONCILED = f"{STATS_PREFIX}outputs_reconciled_at_join"
STAT_OUTAGE = f"{STATS_PREFIX}outage"
