"""newsbot's own signals, beside Scrapy's: components react to these instead of reading each other's
state."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from newsbot.keys import STATS_MISSING_PREFIX

logger = logging.getLogger(__name__)

# The run's verdict, with `spider`, `outcome` ("ok", "failed") and the finish `reason`: what may be
# recorded only for a run that did its job (a section walk complete) waits for it.
run_judged = object()
# An article listed could not be written, with `url` (as listed), `reason` (newsbot.reasons),
# `section` and `summary` (the listing's, or None): the ledger asks for it again, the report lists it.
article_missed = object()
# A page of a section walk could not be had, with `slug` and `reason`: the walk is not complete.
section_page_failed = object()


def miss_article(
    crawler: Crawler,
    url: str,
    reason: str,
    *,
    section: str | None,
    summary: str | None = None,
    detail: str = "",
) -> None:
    """Count, log and announce an article that could not be had."""
    assert crawler.stats is not None
    crawler.stats.inc_value(f"{STATS_MISSING_PREFIX}{reason}")
    logger.warning("Missing article %s (%s)%s", url, reason, f": {detail}" if detail else "")
    crawler.signals.send_catch_log(
        signal=article_missed, url=url, reason=reason, section=section, summary=summary
    )
