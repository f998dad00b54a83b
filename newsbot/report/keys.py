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
# Another run holds the output file (its lock): nothing was fetched or written (exit 2).
FINISH_OUTPUT_LOCKED = "output_locked"
USAGE_FINISH_REASONS = frozenset({FINISH_UNKNOWN_SECTION, FINISH_STORE_UNUSABLE, FINISH_OUTPUT_LOCKED})
# The output could not be written (disk full, I/O error, file too large): the run stops (exit 1).
FINISH_OUTPUT_FAILED = "output_write_failed"
# The store stayed locked by another process longer than NEWSBOT_STATE_BUSY_TIMEOUT (exit 1).
FINISH_STORE_BUSY = "store_busy"

# Marks article requests, for the middleware that skips articles another process wrote meanwhile.
ARTICLE_META_KEY = "newsbot_article"
# Marks an article request made from the ledger (an earlier run's failure), for the report.
LEDGER_META_KEY = "newsbot_ledger"
# The origin (stats newsbot/section_requested/<origin>) of requests made from the ledger: not a
# section, so that an article failing again does not read as a section whose articles all fail.
LEDGER_ORIGIN = "ledger"

STATS_OUTCOME = "newsbot/outcome"
STATS_FAILURES = "newsbot/failures"
STATS_ITEMS_VALID = "newsbot/items_valid"
STATS_FIELD_MISSING = "newsbot/field_missing/"
STATS_NOTES = "newsbot/notes/"
STATS_UNKNOWN_SECTIONS = "newsbot/unknown_sections"

# Sections resolved from the home page navigation (newsbot.registry.sections), for the run report.
# No section at all to walk: the run fails (`scrapy crawl` exits 1), never `ok` with nothing done.
FINISH_NO_SECTIONS = "no_sections"
STATS_HOME_PAGES = "newsbot/home_pages"
STATS_HOME_FAILED = "newsbot/home_page_failed"
STATS_SECTIONS = "newsbot/sections"  # the resolved list: key, label, URL, declared or not, moved
STATS_SECTIONS_WALKED = "newsbot/sections_walked"
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
# Bounds a walk hit: a section's page limit, links past a page's limit, a page listing nothing new.
STATS_BOUND_PAGES = "newsbot/bounds/section_page_limit"
STATS_BOUND_LINKS = "newsbot/bounds/links_over_page_limit"
STATS_BOUND_REPEAT = "newsbot/bounds/page_without_new_entries"
