"""Names shared across the crawl: finish reasons, request meta keys and stats keys, in one place so
that a rename is one edit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# A run that did its job (Scrapy's CLOSESPIDER_* limits are deliberate bounds): exit 0.
GOOD_FINISH_REASONS = frozenset(
    {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}
)
# Runs that could not start: nothing was fetched (exit 2).
FINISH_UNKNOWN_SECTION = "unknown_section"
FINISH_STORE_UNUSABLE = "store_unusable"
FINISH_OUTPUT_LOCKED = "output_locked"  # another run holds the output folder
FINISH_OUTPUT_UNWRITABLE = "output_unwritable"
USAGE_FINISH_REASONS = frozenset(
    {FINISH_UNKNOWN_SECTION, FINISH_STORE_UNUSABLE, FINISH_OUTPUT_LOCKED, FINISH_OUTPUT_UNWRITABLE}
)
# Runs that failed (exit 1).
FINISH_OUTPUT_FAILED = "output_write_failed"
FINISH_STORE_BUSY = "store_busy"  # locked by another process past NEWSBOT_STATE_BUSY_TIMEOUT
FINISH_NO_SECTIONS = "no_sections"  # never `ok` with nothing done

# Cluster mode: its Redis, and the worker's name there (the add-on sets it).
REDIS_URL_SETTING, CLUSTER_WORKER_SETTING = "NEWSBOT_REDIS_URL", "NEWSBOT_CLUSTER_WORKER"

KIND_META_KEY = "newsbot_kind"  # newsbot.spiders.priorities.RequestKind's value
ARTICLE_META_KEY = "newsbot_article"  # the URL as listed (a redirected request's own is where it ended)
LISTED_DATE_META_KEY = "newsbot_listed_date"  # `YYYY-MM-DD` the listing gives, for `-a since`
FETCHED_AT_META_KEY = "newsbot_fetched_at"  # newsbot.clock.fetched_at
# A section's first page the navigation did not vouch for ("declared": a declared URL it does not name;
# "link": a link the registry does not declare), and the navigation's link to walk a gone declared one at.
HEAL_META_KEY = "newsbot_heal"
HEAL_URL_META_KEY = "newsbot_heal_url"
# A ledger request for an article once answered by another: a second such answer is how the site serves it.
MISDIRECTED_META_KEY = "newsbot_misdirected"
# The origin of ledger requests: not a section, so an article failing again fails no section.
LEDGER_ORIGIN = "ledger"

STATS_OUTCOME = "newsbot/outcome"
STATS_FAILURES = "newsbot/failures"
STATS_ITEMS_VALID = "newsbot/items_valid"
STATS_ITEMS_INVALID_PREFIX = "newsbot/items_invalid/"  # + the schema's reason
STATS_FIELD_MISSING = "newsbot/field_missing/"  # + the field's name
STATS_NOTES = "newsbot/notes/"  # + the note's kind
STATS_ITEMS_DROPPED_PREFIX = "newsbot/items_dropped/"  # + why
STATS_DROPPED_DUPLICATE_URL = STATS_ITEMS_DROPPED_PREFIX + "duplicate_url"
STATS_DROPPED_KNOWN_URL = STATS_ITEMS_DROPPED_PREFIX + "known_url"
STATS_DROPPED_DUPLICATE_CONTENT = STATS_ITEMS_DROPPED_PREFIX + "duplicate_content"
STATS_ITEMS_WRITTEN = "newsbot/items_written"
STATS_DELIVERY = "newsbot/delivery"  # its path: the report and archive are named after it
STATS_DELIVERIES_SETTLED = "newsbot/deliveries_settled"  # killed runs' part files
STATS_OUTPUT_REPAIRED_BYTES = "newsbot/output_repaired_bytes"

STATS_SECTION_PAGES = "newsbot/section_pages"
STATS_SECTION_PAGES_EMPTY = "newsbot/section_pages_empty"
STATS_SECTION_PAGES_FAILED_PREFIX = "newsbot/section_pages_failed/"  # + the reason
STATS_LISTED_ENTRIES = "newsbot/listed_entries"
STATS_ERRORS_PREFIX = "newsbot/errors/"  # + the kind of error
STATS_ERROR_BAD_FEED = STATS_ERRORS_PREFIX + "bad_feed"
STATS_FEED_SHORT = "newsbot/feed_short"  # the items a feed listed, when fewer than usual
STATS_SKIPPED_OLDER_THAN_SINCE = "newsbot/skipped/older_than_since"
STATS_SKIPPED_KNOWN = "newsbot/skipped/known"
STATS_SKIPPED_MAX_ARTICLES = "newsbot/skipped/max_articles"
STATS_ARTICLES_REQUESTED = "newsbot/articles_requested"
# + origin (a section, "feed", the ledger): its article pages this process had an answer for, or gave up
STATS_SECTION_FETCHED_PREFIX = "newsbot/section_fetched/"
STATS_SECTION_PARSED_PREFIX = "newsbot/section_parsed/"  # + origin
STATS_MISSING_PREFIX = "newsbot/missing/"  # + the reason (newsbot.reasons)
STATS_OG_URL_CLAIMS_REFUSED = "newsbot/og_url_claims_refused"

STATS_BLOCKED = "newsbot/blocked"
STATS_ROBOTS_UNREACHABLE = "newsbot/robots_unreachable"  # hosts
STATS_HOSTS_UNREACHABLE = "newsbot/hosts_unreachable"  # one line each, naming the host
STATS_RETRY_AFTER_HONOURED = "newsbot/retry/retry_after_honoured"
STATS_MIRROR_REFUSED_PATHS = "newsbot/mirror/refused_paths"
STATS_UNKNOWN_SECTIONS = "newsbot/unknown_sections"

STATS_HOME_PAGES = "newsbot/home_pages"
STATS_HOME_FAILED = "newsbot/home_page_failed"
STATS_SECTIONS = "newsbot/sections"  # the resolved list: key, label, URL, declared or not, moved
STATS_SECTIONS_WALKED = "newsbot/sections_walked"
STATS_WALKS_BEGUN = "newsbot/walks_begun"
STATS_SECTIONS_MOVED = "newsbot/sections_moved"  # declared sections the navigation puts elsewhere
STATS_SECTIONS_NEW = "newsbot/sections_new"  # navigation sections the registry does not declare
STATS_SECTIONS_MISSING = "newsbot/sections_missing"  # declared sections the navigation lacks
STATS_SECTIONS_HEALED = "newsbot/sections_healed"  # declared URL failed, walked from the navigation
STATS_SECTIONS_FAILED = "newsbot/sections_failed"
STATS_SECTIONS_EMPTY = "newsbot/sections_empty"  # navigation sections whose first page lists nothing
STATS_NAV_NOT_SECTIONS = "newsbot/navigation_not_sections"
NOTE_SECTIONS_MOVED = "newsbot/notes/sections_moved"

STATS_STORE_ERROR = "newsbot/store_error"
STATS_OUTPUT_ERROR = "newsbot/output_error"
# The ledger: requested again, written at last, given up (counts, and the URLs for the report).
STATS_LEDGER_RETRIED = "newsbot/ledger/retried"
STATS_LEDGER_RECOVERED = "newsbot/ledger/recovered"
STATS_LEDGER_GIVEN_UP = "newsbot/ledger/given_up"
STATS_LEDGER_RETRIED_URLS = "newsbot/ledger/retried_urls"
STATS_LEDGER_RECOVERED_URLS = "newsbot/ledger/recovered_urls"
STATS_LEDGER_GIVEN_UP_URLS = "newsbot/ledger/given_up_urls"
# Bounds a walk hit: a section's page limit, links past a page's limit, a page listing nothing new; a
# cluster's queue entries that are not newsbot requests (junk, another version's): nobody fetched them.
STATS_BOUNDS_PREFIX = "newsbot/bounds/"
STATS_REDIS_REFUSED = STATS_BOUNDS_PREFIX + "redis_entries_refused"
STATS_BOUND_PAGES = STATS_BOUNDS_PREFIX + "section_page_limit"
STATS_BOUND_LINKS = STATS_BOUNDS_PREFIX + "links_over_page_limit"
STATS_BOUND_REPEAT = STATS_BOUNDS_PREFIX + "page_without_new_entries"
STATS_BOUND_MAX_PAGES = STATS_BOUNDS_PREFIX + "max_pages"


def stats_under(stats: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The stats whose keys start with `prefix` (one of the *_PREFIX names), by the rest of the key."""
    return {key.removeprefix(prefix): value for key, value in sorted(stats.items()) if key.startswith(prefix)}
