"""The spider of one SMN site. It decides what to fetch next; the parsers in newsbot.parsing read pages.

Arguments (`scrapy crawl spacewar -a name=value`):

- `sections`: comma list of section slugs or labels, or `all` (default: every declared section).
  A name the registry does not know is looked up by its label in the home page's navigation; a
  name found nowhere ends the run at once (finish reason `unknown_section`, exit status 2).
- `max_pages`: pages walked per section (default: no bound).
- `max_articles`: articles fetched by the whole run (default: no bound); `newsbot check` uses it.
- `since`: `YYYY-MM-DD`; a section is walked no further once its entries are older.
- `source`: `sections` (default) or `feed`, the site's RSS feed.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar

import scrapy
from scrapy.exceptions import CloseSpider, UsageError
from scrapy.http import Response
from twisted.python.failure import Failure

from newsbot.parsing.article import ListingContext, ParseError, parse_article, utc_now
from newsbot.parsing.feed import FeedError, parse_feed
from newsbot.parsing.listing import ListingEntry, find_nav_link, parse_listing_page
from newsbot.registry import Section, Site, load_registry
from newsbot.report.keys import ARTICLE_META_KEY, FINISH_UNKNOWN_SECTION, GOOD_FINISH_REASONS
from newsbot.report.outcomes import KNOWN, failure_reason, page_reason
from newsbot.store import SeenStore, store_for

SOURCES = ("sections", "feed")


class NetworkSpider(scrapy.Spider):
    """Base class: one subclass per site of the registry, named by the site's short name."""

    site_name: ClassVar[str]

    def __init__(
        self,
        sections: str = "all",
        max_pages: str | int | None = None,
        max_articles: str | int | None = None,
        since: str | None = None,
        source: str = "sections",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        registry = load_registry()
        self.site: Site = registry.site(self.site_name)
        self.allowed_domains = [f"www.{s.host}" for s in registry.sites] + [s.host for s in registry.sites]
        self.source = _choice("source", source, SOURCES)
        self.max_pages = _positive_int("max_pages", max_pages)
        self.max_articles = _positive_int("max_articles", max_articles)
        self.articles_requested = 0
        # The spider's own memory of what it asked for. Requests bypass Scrapy's duplicate filter,
        # whose record survives a killed job (JOBDIR) even for requests that were never answered.
        self._requested_articles: set[str] = set()
        self._requested_pages: set[str] = set()
        # Sections walked in this run, and whether each may stop at its first all-known page.
        self._walks: dict[str, bool] = {}
        self._broken_walks: set[str] = set()
        # Articles listed but not had, by reason (newsbot.report.outcomes), for the run report.
        self.missing: dict[str, list[str]] = {}
        self.since = _day("since", since)
        self.requested_sections = _section_names(sections)
        if self.source == "feed" and not self.site.feed:
            raise UsageError(f"{self.site.host} has no known feed; use -a source=sections")

    @property
    def store(self) -> SeenStore | None:
        return store_for(self.crawler)

    @property
    def bypass_duplicate_filter(self) -> bool:
        """Alone, the spider keeps its own memory of requests: Scrapy's duplicate filter would
        remember, in a killed JOBDIR job, requests that were never answered. With a shared frontier
        (NEWSBOT_SHARED_FRONTIER, set by the Redis add-on) the shared filter is what keeps two
        workers from fetching one page twice, so requests go through it."""
        return not self.settings.getbool("NEWSBOT_SHARED_FRONTIER", False)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.source == "feed":
            yield scrapy.Request(self.site.feed, callback=self.parse_feed, priority=10)
            return
        known, unknown = self._resolve_sections()
        if unknown:
            # Look the unknown names up first: a name found nowhere must end the run before any crawl.
            yield scrapy.Request(
                self.site.home_url,
                callback=self.parse_home,
                cb_kwargs={"known": [s.slug for s in known], "unknown": unknown},
                priority=100,
            )
            return
        for section in known:
            if request := self._begin_walk(section):
                yield request

    def _resolve_sections(self) -> tuple[list[Section], list[str]]:
        if self.requested_sections is None:
            return list(self.site.sections), []
        known, unknown = [], []
        for name in self.requested_sections:
            section = self.site.section(name)
            if section is None:
                unknown.append(name)
            else:
                known.append(section)
        return known, unknown

    def parse_home(
        self, response: Response, known: list[str], unknown: list[str]
    ) -> Iterator[scrapy.Request]:
        """Find sections the registry does not declare by their label in the home page navigation."""
        sections = [self.site.section(slug) for slug in known]
        missing = []
        for name in unknown:
            url = find_nav_link(response.url, response.body, name)
            if url is None:
                missing.append(name)
                continue
            slug = url.rsplit("/", 1)[-1].removesuffix(".html")
            sections.append(Section(slug=slug, label=name.upper(), site_host=self.site.host))
            self.logger.info("Section %r is not in the registry; found it in the navigation: %s", name, url)
        if missing:
            declared = ", ".join(f"{s.slug} ({s.label})" for s in self.site.sections) or "none"
            message = (
                f"unknown section(s) {', '.join(map(repr, missing))} on {self.site.host}: "
                "not in the registry "
                f"and not in the home page navigation. Known sections: {declared}"
            )
            self.logger.error(message)
            self.crawler.stats.set_value("newsbot/unknown_sections", ", ".join(missing))
            raise CloseSpider(FINISH_UNKNOWN_SECTION)
        for section in sections:
            if request := self._begin_walk(section):
                yield request

    def _begin_walk(self, section: Section) -> scrapy.Request | None:
        store = self.store
        self._walks[section.slug] = bool(store and store.last_walk_completed(self.site.host, section.slug))
        if store is not None:
            store.begin_walk(self.site.host, section.slug)
        if not self._walks[section.slug]:
            self.logger.info("Section %s: no completed walk on record, walking it to the end", section.slug)
        return self._section_request(section, section.url, page=1)

    def closed(self, reason: str) -> None:
        completed = [slug for slug in self._walks if slug not in self._broken_walks]
        if self.store is not None and reason in GOOD_FINISH_REASONS and completed:
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
            # Newer pages first; a section page before the articles it lists.
            priority=20 - page,
            dont_filter=self.bypass_duplicate_filter,
            errback=self.section_failed,
        )

    def parse_section(
        self, response: Response, slug: str, label: str, page: int, overshoot: int
    ) -> Iterator[scrapy.Request]:
        section = Section(slug=slug, label=label, site_host=self.site.host)
        listing = parse_listing_page(
            response.url,
            response.body,
            content_type=_content_type(response),
            section_slug=section.slug,
        )
        stats = self.crawler.stats
        stats.inc_value("newsbot/section_pages")
        stats.inc_value("newsbot/listed_entries", len(listing.entries))
        if not listing.entries:
            stats.inc_value("newsbot/section_pages_empty")
        for note in listing.notes:
            self.logger.warning("%s: %s", response.url, note)
            stats.inc_value(f"newsbot/listing_notes/{note}")
        known = self.store.known_urls(e.url for e in listing.entries) if self.store else set()
        reached_since = False
        for entry in listing.entries:
            if self._older_than_since(entry.date_published):
                stats.inc_value("newsbot/skipped/older_than_since")
                reached_since = True
            elif entry.url in known:
                stats.inc_value("newsbot/skipped/known")
            elif request := self._article_request(entry, section.label, section.slug, priority=10 - page):
                yield request
        if reached_since:
            # Listings run newest first: past one entry older than `since`, every later page is older.
            self.logger.info("%s: entries older than %s; not walking further", response.url, self.since)
            return
        all_known = bool(listing.entries) and len(known) == len({e.url for e in listing.entries})
        if all_known and self._walks.get(section.slug, False):
            # Everything here was written by earlier runs, and older pages hold older articles.
            if overshoot <= 0:
                self.logger.info("%s: every entry is known; not walking further", response.url)
                return
            overshoot -= 1
        if self.max_pages is not None and page >= self.max_pages:
            return
        next_url = _next_page(listing.pagination, page)
        if next_url and (request := self._section_request(section, next_url, page + 1, overshoot)):
            yield request

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        try:
            entries = parse_feed(response.url, response.body)
        except FeedError as error:
            self.logger.error("%s", error)
            self.crawler.stats.inc_value("newsbot/errors/bad_feed")
            return
        self.crawler.stats.inc_value("newsbot/listed_entries", len(entries))
        known = self.store.known_urls(e.url for e in entries) if self.store else set()
        for entry in entries:
            if entry.site is None:
                continue
            if self._older_than_since(entry.date_published):
                self.crawler.stats.inc_value("newsbot/skipped/older_than_since")
                continue
            if entry.url in known:
                self.crawler.stats.inc_value("newsbot/skipped/known")
                continue
            listing_entry = ListingEntry(url=entry.url, title=entry.title, teaser=entry.teaser)
            if request := self._article_request(listing_entry, None, "feed", priority=5):
                yield request

    def _article_request(
        self, entry: ListingEntry, section_label: str | None, origin: str, priority: int
    ) -> scrapy.Request | None:
        """A request for a listed article; `origin` (section slug or "feed") is what the report counts by."""
        if entry.url in self._requested_articles:
            return None
        if self.max_articles is not None and self.articles_requested >= self.max_articles:
            self.crawler.stats.inc_value("newsbot/skipped/max_articles")
            return None
        self.articles_requested += 1
        self.crawler.stats.inc_value("newsbot/articles_requested")
        self._requested_articles.add(entry.url)
        self.crawler.stats.inc_value(f"newsbot/section_requested/{origin}")
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
        try:
            item = parse_article(
                response.url,
                response.body,
                content_type=_content_type(response),
                context=ListingContext(section=section, summary=summary),
                scraped_at=utc_now(),
            )
        except ParseError as error:
            self.logger.warning("%s: %s", response.url, error)
            self.crawler.stats.inc_value("newsbot/pages_unparsed")
            return
        if item is None:
            self.crawler.stats.inc_value("newsbot/pages_not_article")
            listed = response.meta.get(ARTICLE_META_KEY) or response.url
            self._missing(listed, page_reason(_content_type(response), response.body))
            return
        self.crawler.stats.inc_value("newsbot/articles_parsed")
        self.crawler.stats.inc_value(f"newsbot/section_parsed/{origin}")
        yield item

    def article_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        if reason == KNOWN:
            return
        listed = failure.request.meta.get(ARTICLE_META_KEY) or failure.request.url
        self._missing(listed, reason, detail=str(failure.value))

    def section_failed(self, failure: Failure) -> None:
        reason = failure_reason(failure)
        self.crawler.stats.inc_value(f"newsbot/section_pages_failed/{reason}")
        # The walk did not reach its end: the next run must not stop early on its account.
        self._broken_walks.add(failure.request.cb_kwargs.get("slug", ""))
        self.logger.error(
            "Section page %s could not be had (%s): %s", failure.request.url, reason, failure.value
        )

    def _missing(self, url: str, reason: str, detail: str = "") -> None:
        self.crawler.stats.inc_value(f"newsbot/missing/{reason}")
        self.missing.setdefault(reason, []).append(url)
        self.logger.warning("Missing article %s (%s)%s", url, reason, f": {detail}" if detail else "")

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


def _section_names(value: str | None) -> list[str] | None:
    names = [name.strip() for name in (value or "all").split(",") if name.strip()]
    if not names or any(name.lower() == "all" for name in names):
        return None
    return names


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise UsageError(f"-a {name}={value!r}: expected one of {', '.join(choices)}")
    return value


def _positive_int(name: str, value: str | int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if number < 1:
        raise UsageError(f"-a {name}={value!r}: expected a whole number of 1 or more")
    return number


def _day(name: str, value: str | None) -> datetime.date | None:
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"-a {name}={value!r}: expected a day as YYYY-MM-DD") from None
