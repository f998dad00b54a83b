"""Names shared across the crawl: finish reasons, stats keys and request meta keys.

Every module that writes or reads one of these names imports it from here, so a rename is one edit
and a reader sees in one place what the run report can hold.
"""

from __future__ import annotations

# Finish reasons of a run that did its job (Scrapy's CLOSESPIDER_* limits are deliberate bounds).
GOOD_FINISH_REASONS = frozenset(
    {"finished", "closespider_itemcount", "closespider_pagecount", "closespider_timeout"}
)
# A section name found nowhere: the run could not start (`scrapy crawl` exits 2).
FINISH_UNKNOWN_SECTION = "unknown_section"
# The store cannot be used (not a store, a newer schema, read-only): nothing was fetched (exit 2).
FINISH_STORE_UNUSABLE = "store_unusable"
# Another run of the spider holds its output folder (its lock): nothing was fetched or written (exit 2).
FINISH_OUTPUT_LOCKED = "output_locked"
# The output cannot be written at all (a read-only folder, a path under a file): nothing was fetched.
FINISH_OUTPUT_UNWRITABLE = "output_unwritable"
USAGE_FINISH_REASONS = frozenset(
    {FINISH_UNKNOWN_SECTION, FINISH_STORE_UNUSABLE, FINISH_OUTPUT_LOCKED, FINISH_OUTPUT_UNWRITABLE}
)
# The output could not be written (disk full, I/O error, file too large): the run stops (exit 1).
FINISH_OUTPUT_FAILED = "output_write_failed"
# The store stayed locked by another process longer than NEWSBOT_STATE_BUSY_TIMEOUT (exit 1).
FINISH_STORE_BUSY = "store_busy"

# What a request is (newsbot.spiders.priorities.RequestKind's value), for the walk policy.
KIND_META_KEY = "newsbot_kind"
# An article request's URL as its listing gave it (a redirected request's own URL is where it ended).
ARTICLE_META_KEY = "newsbot_article"
# The day a listing entry gives for its article, `YYYY-MM-DD` or absent: for `-a since`.
LISTED_DATE_META_KEY = "newsbot_listed_date"
# A section's first page the navigation did not vouch for (the section's key): healed if it is gone
# or lists nothing (newsbot.middlewares.sections).
HEAL_META_KEY = "newsbot_heal"
# Why a home page is read again to heal a section (the section's page reason: `gone`, `no_articles`).
HEAL_REASON_META_KEY = "newsbot_heal_reason"
# Marks an article request made from the ledger (an earlier run's failure), for the report.
LEDGER_META_KEY = "newsbot_ledger"
# Marks a ledger request for an article an earlier run saw answered by another article: a second
# such answer is how the site serves it, not a passing mix-up.
MISDIRECTED_META_KEY = "newsbot_misdirected"
# The origin (stats newsbot/section_requested/<origin>) of requests made from the ledger: not a
# section, so that an article failing again does not read as a section whose articles all fail.
LEDGER_ORIGIN = "ledger"

STATS_OUTCOME = "newsbot/outcome"
STATS_FAILURES = "newsbot/failures"
STATS_ITEMS_VALID = "newsbot/items_valid"
STATS_ITEMS_INVALID_PREFIX = "newsbot/items_invalid/"  # + the schema's reason
STATS_FIELD_MISSING = "newsbot/field_missing/"  # + the field's name
STATS_NOTES = "newsbot/notes/"  # + the note's kind
# Items dropped before writing, by why (the prefix sums them for the report).
STATS_ITEMS_DROPPED_PREFIX = "newsbot/items_dropped/"
STATS_DROPPED_DUPLICATE_URL = STATS_ITEMS_DROPPED_PREFIX + "duplicate_url"
STATS_DROPPED_KNOWN_URL = STATS_ITEMS_DROPPED_PREFIX + "known_url"
STATS_DROPPED_DUPLICATE_CONTENT = STATS_ITEMS_DROPPED_PREFIX + "duplicate_content"
STATS_ITEMS_WRITTEN = "newsbot/items_written"
STATS_ITEMS_EXPORTED = "newsbot/items_exported"
STATS_ITEMS_NOT_WRITTEN = "newsbot/items_not_written"
# The delivery this run writes (its path, chosen at open): its report and archive are named after it.
STATS_DELIVERY = "newsbot/delivery"
# Part files of killed runs this run settled (repaired, marked, published) before it wrote.
STATS_DELIVERIES_SETTLED = "newsbot/deliveries_settled"
# What the output's reconciliation with the store did at the start of a run.
STATS_OUTPUT_REPAIRED_BYTES = "newsbot/output_repaired_bytes"
STATS_OUTPUT_RECONCILED_LINES = "newsbot/output_reconciled_lines"

# The walk of section pages and the feed.
STATS_SECTION_PAGES = "newsbot/section_pages"
STATS_SECTION_PAGES_EMPTY = "newsbot/section_pages_empty"
STATS_SECTION_PAGES_FAILED_PREFIX = "newsbot/section_pages_failed/"  # + the failure's reason
STATS_LISTED_ENTRIES = "newsbot/listed_entries"
STATS_LISTING_NOTES_PREFIX = "newsbot/listing_notes/"  # + the listing parser's note
STATS_ERRORS_PREFIX = "newsbot/errors/"  # + the kind of error
STATS_ERROR_BAD_FEED = STATS_ERRORS_PREFIX + "bad_feed"
STATS_FEED_SHORT = "newsbot/feed_short"  # the items a feed listed, when fewer than usual
# Listed articles not requested, by why.
STATS_SKIPPED_OLDER_THAN_SINCE = "newsbot/skipped/older_than_since"
STATS_SKIPPED_KNOWN = "newsbot/skipped/known"
STATS_SKIPPED_MAX_ARTICLES = "newsbot/skipped/max_articles"
# Articles requested and parsed, in all and by origin (a section's slug, "feed" or the ledger's).
STATS_ARTICLES_REQUESTED = "newsbot/articles_requested"
STATS_SECTION_REQUESTED_PREFIX = "newsbot/section_requested/"  # + origin
STATS_ARTICLES_PARSED = "newsbot/articles_parsed"
STATS_SECTION_PARSED_PREFIX = "newsbot/section_parsed/"  # + origin
STATS_PAGES_UNPARSED = "newsbot/pages_unparsed"
STATS_PAGES_NOT_ARTICLE = "newsbot/pages_not_article"
STATS_MISSING_PREFIX = "newsbot/missing/"  # + the reason (newsbot.reasons)
STATS_OG_URL_CLAIMS_REFUSED = "newsbot/og_url_claims_refused"

# Downloads: blocked by the site, waits asked for by Retry-After.
STATS_BLOCKED = "newsbot/blocked"
STATS_ROBOTS_UNREACHABLE = "newsbot/robots_unreachable"  # hosts whose robots.txt could not be had
# Why hosts could not be reached at all (no DNS, refused, no route): one line each, naming the host.
STATS_HOSTS_UNREACHABLE = "newsbot/hosts_unreachable"
STATS_RETRY_WAITS = "newsbot/retry/waits"
STATS_RETRY_WAITED_SECONDS = "newsbot/retry/waited_seconds"
STATS_RETRY_AFTER_HONOURED = "newsbot/retry/retry_after_honoured"
STATS_MIRROR_REFUSED_PATHS = "newsbot/mirror/refused_paths"
STATS_UNKNOWN_SECTIONS = "newsbot/unknown_sections"

# Sections resolved from the home page navigation (newsbot.registry.sections), for the run report.
# No section at all to walk: the run fails (`scrapy crawl` exits 1), never `ok` with nothing done.
FINISH_NO_SECTIONS = "no_sections"
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
# The ledger of articles not yet had: requested again, written at last, given up (counts).
STATS_LEDGER_RETRIED = "newsbot/ledger/retried"
STATS_LEDGER_RECOVERED = "newsbot/ledger/recovered"
STATS_LEDGER_GIVEN_UP = "newsbot/ledger/given_up"
STATS_LEDGER_ADDED = "newsbot/ledger/added"
# The URLs behind those counts, for the run report.
STATS_LEDGER_RETRIED_URLS = "newsbot/ledger/retried_urls"
STATS_LEDGER_RECOVERED_URLS = "newsbot/ledger/recovered_urls"
STATS_LEDGER_GIVEN_UP_URLS = "newsbot/ledger/given_up_urls"
# Bounds a walk hit: a section's page limit, links past a page's limit, a page listing nothing new.
STATS_BOUND_PAGES = "newsbot/bounds/section_page_limit"
STATS_BOUND_LINKS = "newsbot/bounds/links_over_page_limit"
STATS_BOUND_REPEAT = "newsbot/bounds/page_without_new_entries"

STATS_ARCHIVED_PAGES = "newsbot/archived_pages"
