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
