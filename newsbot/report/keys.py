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
USAGE_FINISH_REASONS = frozenset({FINISH_UNKNOWN_SECTION})

# Marks article requests, for the middleware that skips articles another process wrote meanwhile.
ARTICLE_META_KEY = "newsbot_article"

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
