"""The spider of one SMN site. It decides what to fetch next; the parsers in newsbot.parsing read pages.

Its arguments (`scrapy crawl spacewar -a name=value`: sections, max_pages, max_articles, since,
source) are declared, described and checked in newsbot/spiders/args.py. A section name the
registry does not know is looked up by its label in the home page's navigation; a name found
nowhere ends the run at once (finish reason `unknown_section`, exit status 2).

- `sections`: comma list of section slugs or labels, or `all`: every section the home page's
  navigation names plus the declared ones it does not. Default: the declared sections (at the URL
  the navigation gives them), or the navigation's sections for a site that declares none. See
  spiders/sections.py.

`parse` reads any page by what its URL is, for Scrapy's own tools (`scrapy parse`, `scrapy shell`);
the callbacks carry contracts for `scrapy check`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar, Self
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from twisted.python.failure import Failure

from newsbot.claims import keep_listed_url_if_claim_is_false
from newsbot.clock import utc_now_iso
from newsbot.extensions.store import seen_store
from newsbot.keys import (
    ARTICLE_META_KEY,
    STATS_ARTICLES_PARSED,
    STATS_ARTICLES_REQUESTED,
    STATS_ERROR_BAD_FEED,
    STATS_LISTED_ENTRIES,
    STATS_LISTING_NOTES_PREFIX,
    STATS_MISSING_PREFIX,
    STATS_PAGES_NOT_ARTICLE,
    STATS_PAGES_UNPARSED,
    STATS_SECTION_PAGES,
    STATS_SECTION_PAGES_EMPTY,
    STATS_SECTION_PAGES_FAILED_PREFIX,
    STATS_SECTION_PARSED_PREFIX,
    STATS_SECTION_REQUESTED_PREFIX,
    STATS_SKIPPED_KNOWN,
    STATS_SKIPPED_MAX_ARTICLES,
    STATS_SKIPPED_OLDER_THAN_SINCE,
)
from newsbot.ledger import UNPARSED, ledger_keeper
from newsbot.parsing.article import ListingContext, ParseError, parse_article
from newsbot.parsing.feed import FeedError, parse_feed
from newsbot.parsing.listing import ListingEntry, parse_listing_page
from newsbot.reasons import KNOWN, failed_request, failure_reason, page_reason
from newsbot.registry import Section, Site, load_registry
from newsbot.signals import run_judged
from newsbot.spiders.args import ARGUMENT_NAMES, SpiderArguments
from newsbot.spiders.priorities import RequestKind
from newsbot.spiders.sections import SectionResolutionMixin
from newsbot.store import SeenStore
from newsbot.walks import walk_bounds


class NetworkSpider(SectionResolutionMixin):
    """Base class: one subclass per site of the registry, named by the site's short name."""

    site_name: ClassVar[str]

    def __init__(self, **kwargs: Any) -> None:
        # Scrapy's Spider sets every keyword as an attribute; ours are read from one typed place.
        arguments = SpiderArguments.parse(kwargs)
        super().__init__(**{k: v for k, v in kwargs.items() if k not in ARGUMENT_NAMES})
        registry = load_registry()
        self.site: Site = registry.site(self.site_name)
        self.allowed_domains = [f"www.{s.host}" for s in registry.sites] + [s.host for s in registry.sites]
        self.source = arguments.source
        self.max_pages = arguments.max_pages
        self.max_articles = arguments.max_articles
        self.articles_requested = 0
        # The spider's own memory of what it asked for. Requests bypass Scrapy's duplicate filter,
        # whose record survives a killed job (JOBDIR) even for requests that were never answered.
        self._requested_articles: set[str] = set()
        self._requested_pages: set[str] = set()
        # Sections walked in this run, and whether each may stop at its first all-known page.
        self._walks: dict[str, bool] = {}
        self._broken_walks: set[str] = set()
        # Articles listed but not had, by reason (newsbot.reasons), for the run report.
        self.missing: dict[str, list[str]] = {}
        self.since = arguments.since
        self.requested_sections: list[str] | None = arguments.sections
        self.all_sections = arguments.all_sections
        arguments.check_site(self.site)
        self._init_section_resolution()

    @property
    def store(self) -> SeenStore | None:
        return seen_store(self.crawler)

    @property
    def bypass_duplicate_filter(self) -> bool:
        """Alone, the spider keeps its own memory of requests: Scrapy's duplicate filter would
        remember, in a killed JOBDIR job, requests that were never answered. With a shared frontier
        (NEWSBOT_SHARED_FRONTIER, set by the Redis add-on) the shared filter is what keeps two
        workers from fetching one page twice, so requests go through it."""
        return not self.settings.getbool("NEWSBOT_SHARED_FRONTIER", False)

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Reads any page of the network by what its URL is: for `scrapy parse --spider=<site> URL`
        and `fetch` in `scrapy shell`, which call `parse` with no keyword arguments. An article page
        gives its item, a section page (declared or not) its article requests and next page, the
        site's feed its article requests.

        @url https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html
        @returns items 1 1
        @returns requests 0 0
        @scrapes schema_version url site title body paragraphs date_published
        """
        registry = load_registry()
        if registry.is_article_url(response.url):
            yield from self.parse_article(response, section=None, summary=None, origin="parse")
            return
        if response.url in {site.feed for site in registry.sites if site.feed}:
            yield from self.parse_feed(response)
            return
        section, page = _section_of(response.url, registry.site_for_url(response.url) or self.site)
        yield from self.parse_section(
            response, slug=section.slug, label=section.label, page=page, overshoot=0
        )

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.source == "feed":
            # SpiderArguments.check_site refused `source=feed` for a site without a feed.
            if self.site.feed:
                yield scrapy.Request(
                    self.site.feed, callback=self.parse_feed, priority=RequestKind.FEED.priority()
                )
            return
        # The sections come from the home page's navigation (newsbot.spiders.sections): nothing is
        # walked before it is read, or found missing.
        yield self.home_request()

    def _begin_walk(self, section: Section) -> scrapy.Request | None:
        store = self.store
        self._walks[section.slug] = bool(store and store.last_walk_completed(self.site.host, section.slug))
        if store is not None:
            store.begin_walk(self.site.host, section.slug)
        if not self._walks[section.slug]:
            self.logger.info("Section %s: no completed walk on record, walking it to the end", section.slug)
        return self._section_request(section, section.url, page=1)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.record_completed_walks, signal=run_judged)
        return spider

    def record_completed_walks(self, spider: scrapy.Spider, outcome: str) -> None:
        """A walk is recorded complete only when the run's verdict is ok: a run that failed (blocks,
        errors, a store or Redis in trouble) may have missed pages, so the next one walks to the end."""
        completed = [slug for slug in self._walks if slug not in self._broken_walks]
        if spider is self and outcome == "ok" and self.store is not None and completed:
            self.store.complete_walks(self.site.host, completed)

    def _section_request(
        self, section: Section, url: str, page: int, overshoot: int | None = None
    ) -> scrapy.Request | None:
        if url in self._requested_pages:
            return None
        self._requested_pages.add(url)
        if overshoot is None:
            overshoot = self.settings.getint("NEWSBOT_KNOWN_PAGES_OVERSHOOT", 0)
        return scrapy.Request(
            url,
            callback=self.parse_section,
            # Plain values only: with a shared frontier requests travel through Redis as JSON.
            cb_kwargs={"slug": section.slug, "label": section.label, "page": page, "overshoot": overshoot},
            priority=RequestKind.SECTION_PAGE.priority(page),
            dont_filter=self.bypass_duplicate_filter,
            errback=self.section_failed,
        )

    def parse_section(
        self, response: Response, slug: str, label: str, page: int, overshoot: int
    ) -> Iterator[scrapy.Request]:
        """A section page: a request per new article it lists, then the next page.

        @url https://www.spacewar.com/superpowers.html
        @cb_kwargs {"slug": "superpowers", "label": "SUPERPOWERS", "page": 1, "overshoot": 0}
        @returns items 0 0
        @returns requests 1
        """
        section = Section(slug=slug, label=label, site_host=self.site.host)
        listing = parse_listing_page(
            response.url,
            response.body,
            content_type=_content_type(response),
            section_slug=self.section_page_names.get(section.slug, section.slug),
        )
        stats = self.crawler.stats
        stats.inc_value(STATS_SECTION_PAGES)
        stats.inc_value(STATS_LISTED_ENTRIES, len(listing.entries))
        if not listing.entries:
            stats.inc_value(STATS_SECTION_PAGES_EMPTY)
        for note in listing.notes:
            self.logger.warning("%s: %s", response.url, note)
            stats.inc_value(f"{STATS_LISTING_NOTES_PREFIX}{note}")
        bounds = walk_bounds(self)
        fresh = bounds.new_to_walk(self, section.slug, [e.url for e in listing.entries])
        entries = bounds.links_taken(self, response.url, listing.entries)
        known = self.store.known_urls(e.url for e in entries) if self.store else set()
        if (keeper := ledger_keeper(self.crawler)) is not None:
            known |= keeper.given_up_among(e.url for e in entries)
        reached_since = False
        for entry in entries:
            if self._older_than_since(entry.date_published):
                stats.inc_value(STATS_SKIPPED_OLDER_THAN_SINCE)
                reached_since = True
            elif entry.url in known:
                stats.inc_value(STATS_SKIPPED_KNOWN)
            elif request := self._article_request(
                entry, section.label, section.slug, priority=RequestKind.SECTION_ARTICLE.priority(page)
            ):
                yield request
        if reached_since:
            # Listings run newest first: past one entry older than `since`, every later page is older.
            self.logger.info("%s: entries older than %s; not walking further", response.url, self.since)
            return
        if not fresh:
            # A pagination loop, or a page repeating pages already walked: the walk has ended. A page
            # listing nothing ends it too, but hit no bound: it is counted as an empty page above.
            if listing.entries:
                bounds.stop_repeating(self, response.url)
            return
        all_known = bool(entries) and len(known) == len({e.url for e in entries})
        if all_known and self._walks.get(section.slug, False):
            # Everything here was written by earlier runs, and older pages hold older articles.
            if overshoot <= 0:
                self.logger.info("%s: every entry is known; not walking further", response.url)
                return
            overshoot -= 1
        if self.max_pages is not None and page >= self.max_pages:
            return
        next_url = _next_page(listing.pagination, page)
        if next_url and bounds.page_limit_reached(self, section.slug, page):
            return
        if next_url and (request := self._section_request(section, next_url, page + 1, overshoot)):
            yield request

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """The site's RSS feed: a request per new article.

        @url https://www.spacewar.com/spacewar.xml
        @returns items 0 0
        @returns requests 1
        """
        try:
            entries = parse_feed(response.url, response.body)
        except FeedError as error:
            self.logger.error("%s", error)
            self.crawler.stats.inc_value(STATS_ERROR_BAD_FEED)
            return
        self.crawler.stats.inc_value(STATS_LISTED_ENTRIES, len(entries))
        known = self.store.known_urls(e.url for e in entries) if self.store else set()
        for entry in entries:
            if entry.site is None:
                continue
            if self._older_than_since(entry.date_published):
                self.crawler.stats.inc_value(STATS_SKIPPED_OLDER_THAN_SINCE)
                continue
            if entry.url in known:
                self.crawler.stats.inc_value(STATS_SKIPPED_KNOWN)
                continue
            listing_entry = ListingEntry(url=entry.url, title=entry.title, teaser=entry.teaser)
            if request := self._article_request(
                listing_entry, None, "feed", priority=RequestKind.FEED_ARTICLE.priority()
            ):
                yield request

    def _article_request(
        self, entry: ListingEntry, section_label: str | None, origin: str, priority: int
    ) -> scrapy.Request | None:
        """A request for a listed article; `origin` (section slug or "feed") is what the report counts by."""
        if entry.url in self._requested_articles:
            return None
        if self.max_articles is not None and self.articles_requested >= self.max_articles:
            self.crawler.stats.inc_value(STATS_SKIPPED_MAX_ARTICLES)
            return None
        self.articles_requested += 1
        self.crawler.stats.inc_value(STATS_ARTICLES_REQUESTED)
        self._requested_articles.add(entry.url)
        self.crawler.stats.inc_value(f"{STATS_SECTION_REQUESTED_PREFIX}{origin}")
        return scrapy.Request(
            entry.url,
            callback=self.parse_article,
            cb_kwargs={"section": section_label, "summary": entry.teaser, "origin": origin},
            priority=priority,
            dont_filter=self.bypass_duplicate_filter,
            # The listed URL: a redirected request's own URL is where it ended up.
            meta={ARTICLE_META_KEY: entry.url},
            errback=self.article_failed,
        )

    def parse_article(
        self, response: Response, section: str | None, summary: str | None, origin: str
    ) -> Iterator[Any]:
        """An article page: its item.

        @url https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html
        @cb_kwargs {"section": "SUPERPOWERS", "summary": null, "origin": "superpowers"}
        @returns items 1 1
        @scrapes schema_version url site title section body paragraphs date_published content_hash
        """
        listed = response.meta.get(ARTICLE_META_KEY) or response.url
        try:
            item = parse_article(
                response.url,
                response.body,
                content_type=_content_type(response),
                context=ListingContext(section=section, summary=summary),
                scraped_at=utc_now_iso(),
            )
        except ParseError as error:
            self.logger.warning("%s: %s", response.url, error)
            self.crawler.stats.inc_value(STATS_PAGES_UNPARSED)
            self._missing(listed, UNPARSED, detail=str(error), section=section)
            return
        if item is None:
            self.crawler.stats.inc_value(STATS_PAGES_NOT_ARTICLE)
            self._missing(listed, page_reason(_content_type(response), response.body), section=section)
            return
        keep_listed_url_if_claim_is_false(self, item, listed)
        self.crawler.stats.inc_value(STATS_ARTICLES_PARSED)
        self.crawler.stats.inc_value(f"{STATS_SECTION_PARSED_PREFIX}{origin}")
        yield item

    def article_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        if reason == KNOWN:
            return
        request = failed_request(failure)
        listed = request.meta.get(ARTICLE_META_KEY) or request.url
        section = request.cb_kwargs.get("section")
        self._missing(listed, reason, detail=str(failure.value), section=section)

    def section_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"{STATS_SECTION_PAGES_FAILED_PREFIX}{reason}")
        # The walk did not reach its end: the next run must not stop early on its account.
        request = failed_request(failure)
        self._broken_walks.add(request.cb_kwargs.get("slug", ""))
        self.logger.error("Section page %s could not be had (%s): %s", request.url, reason, failure.value)

    def _missing(self, url: str, reason: str, detail: str = "", section: str | None = None) -> None:
        self.crawler.stats.inc_value(f"{STATS_MISSING_PREFIX}{reason}")
        self.missing.setdefault(reason, []).append(url)
        self.logger.warning("Missing article %s (%s)%s", url, reason, f": {detail}" if detail else "")
        # Listed but not had: the ledger asks for it again in the next runs, whatever page listed it.
        if (keeper := ledger_keeper(self.crawler)) is not None:
            keeper.record(url, reason=reason, section=section)

    def _older_than_since(self, day: str | None) -> bool:
        return self.since is not None and day is not None and day < self.since.isoformat()


def _next_page(pagination: list[tuple[str, int | None]], page: int) -> str | None:
    """The next older page: by number when URLs carry one, else the first link that reads "older"/"next"."""
    numbered = [url for url, number in pagination if number == page + 1]
    if numbered:
        return numbered[0]
    if any(number is not None for _, number in pagination):
        return None
    return pagination[0][0] if pagination else None


def _content_type(response: Response) -> str | None:
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None


def _section_of(url: str, site: Site) -> tuple[Section, int]:
    """The section a section page URL belongs to, and its page number: declared, or made from the
    URL (`/cyber-wars-02.html`: slug `cyber-wars`, page 2) as the navigation lookup would."""
    path = urlsplit(url).path
    for section in site.sections:
        page = load_registry().section_page_number(path, section.slug)
        if page is not None:
            return section, page
    match = re.match(r"^/(?P<slug>.+?)(?:-(?P<page>[0-9]{2,3}))?\.html$", path)
    slug = match.group("slug") if match else path.strip("/") or "index"
    page = int(match.group("page") or 1) if match else 1
    return Section(slug=slug, label=slug.replace("-", " ").upper(), site_host=site.host), page
