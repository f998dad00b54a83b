"""URLs a page cannot steal: when a page's og:url names another article than the listed URL.

The parser takes a page's og:url as the item's URL when it is a network article URL (a redirect, or
an alias, names the same article under its real URL). A page whose og:url names *another* article
(a template bug, a copy-paste, a hostile page) would take that article's place: the real one
dropped as a duplicate when it comes, the page's own URL fetched again every run. So the claim is
kept only when no other article has that URL: not one written by an earlier run with another body,
not one this run wrote, not one this run asked for (it will come under its own URL). Otherwise the
item keeps the listed URL, with a note. The listed URL is marked known once the item is written
(newsbot.ledger.LedgerMiddleware.item_scraped), so it is not fetched every run either way.
"""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from newsbot.keys import STATS_OG_URL_CLAIMS_REFUSED
from newsbot.registry import load_registry


def keep_listed_url_if_claim_is_false(spider: Any, item: Any, listed: str | None) -> None:
    """Judge the item's URL (from og:url) against the URL the listing gave; edits `item` in place."""
    item = ItemAdapter(item)
    claimed, digest = item["url"], item["content_hash"]
    memory = _claims(spider)
    rival = None
    if listed and claimed != listed:
        if memory.get(claimed, digest) != digest:
            rival = "an article this run wrote"
        elif claimed in getattr(spider, "_requested_articles", ()):
            rival = "an article this run asked for"
        elif _written_with_another_body(spider.store, claimed, digest):
            rival = "an article written by an earlier run"
    if rival is not None and listed:
        site = load_registry().site_for_url(listed)
        item["url"] = listed
        if site is not None:
            item["site"] = site.host
        item["notes"] = [
            *(item.get("notes") or []),
            f"url: og:url names {rival}, kept the listed URL '{claimed}'",
        ]
        spider.crawler.stats.inc_value(STATS_OG_URL_CLAIMS_REFUSED)
    memory.setdefault(item["url"], digest)


def _written_with_another_body(store: Any, url: str, digest: str) -> bool:
    return store is not None and store.is_known_url(url) and store.owner_of_hash(digest) != url


def _claims(spider: Any) -> dict[str, str]:
    """URL -> content hash of every item this crawl yielded."""
    crawler = spider.crawler
    memory = getattr(crawler, "_newsbot_claims", None)
    if not isinstance(memory, dict):
        memory = {}
        crawler._newsbot_claims = memory
    return memory
