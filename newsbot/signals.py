"""Signals of newsbot's own, beside Scrapy's (scrapy.signals), and the one way to say an article is
missing. Components react to these instead of reading each other's state."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler

from newsbot.keys import STATS_MISSING_PREFIX

logger = logging.getLogger(__name__)

# Sent by the run report (newsbot.extensions.report.RunReport) once the run's outcome is known, with
# `spider` and `outcome` ("ok" or "failed"). What may be recorded only for a run that did its job
# (a section walk recorded complete) waits for it, not for the finish reason alone.
run_judged = object()
# An article a listing or feed named could not be written, with `url` (as listed), `reason`
# (newsbot.reasons), `section` (its label, or None) and `summary` (the listing's teaser, or None):
# the ledger asks for it again, the run report lists it.
article_missed = object()
# A page of a section walk could not be had, with `slug` and `reason`: the walk did not reach its
# end, so it is not recorded complete.
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
