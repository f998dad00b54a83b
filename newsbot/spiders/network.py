"""The spider of one SMN site: it starts the crawl and hands pages to the parsers. What is fetched is
the policy of newsbot/middlewares; `parse` reads any page by its URL, for `scrapy parse`/`shell`."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any, ClassVar
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from twisted.python.failure import Failure

from newsbot import keys
from newsbot.clock import fetched_at
from newsbot.parsing.article import ListingContext, ParseError, parse_article
from newsbot.parsing.feed import FeedError, parse_feed
from newsbot.parsing.listing import parse_listing_page
from newsbot.parsing.navigation import Navigation, parse_navigation
from newsbot.reasons import UNPARSED, RobotsUnreachable, failure_reason, page_reason
from newsbot.registry import (
    Section,
    SectionResolution,
    Site,
    load_registry,
    resolve_sections,
)
from newsbot.registry.sections import find_by_label, page_name
from newsbot.signals import miss_article, section_page_failed
from newsbot.spiders.args import SpiderArguments
from newsbot.spiders.priorities import RequestKind

# A declared section page answering these is gone, not down: worth looking for elsewhere.
GONE_STATUSES = [404, 410]


class NetworkSpider(scrapy.Spider):
    """One subclass per registry site (newsbot.spiders.loader)."""

    site_name: ClassVar[str]

    def __init__(self, **kwargs: Any) -> None:
        # Scrapy's Spider sets every keyword as an attribute; ours are read from one typed place.
        self.arguments = SpiderArguments.parse(kwargs)
        super().__init__(**{k: v for k, v in kwargs.items() if k not in SpiderArguments.model_fields})
        registry = load_registry()
        self.site: Site = registry.site(self.site_name)
        self.arguments.check_site(self.site)
        # Scrapy's OffsiteMiddleware keeps every request on the network (a host's subdomains too).
        self.allowed_domains = [site.host for site in registry.sites]

    @classmethod
    def handles_request(cls, request: scrapy.Request) -> bool:
        """A page of its site: `scrapy parse URL`, `shell URL` find this spider without --spider."""
        return getattr(load_registry().site_for_url(request.url), "name", None) == cls.site_name

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if self.arguments.source == "feed":
            assert self.site.feed  # SpiderArguments.check_site refused it
            yield self._request(self.site.feed, self.parse_feed, RequestKind.FEED)
        else:
            yield self.home_request()

    def _request(
        self, url: str, callback: Any, kind: RequestKind, page: int = 1, **kwargs: Any
    ) -> scrapy.Request:
        meta = {keys.KIND_META_KEY: kind.value, **kwargs.pop("meta", {})}
        return scrapy.Request(
            url, callback=callback, errback=self.failed, priority=kind.priority(page), meta=meta, **kwargs
        )

    def home_request(self) -> scrapy.Request:
        return self._request(self.site.home_url, self.parse_home, RequestKind.HOME)

    def section_request(
        self, section: Section, url: str, page: int, name: str, **meta: Any
    ) -> scrapy.Request:
        # What its page needs travels with it (plain values: in a cluster, through Redis as JSON), not in
        # the spider that made it: another worker, or a JOBDIR resume, may read the page. `name`: the
        # page name of the section's first page, which its next pages carry (`<name>-02.html`).
        cb_kwargs = {"slug": section.slug, "label": section.label, "page": page, "name": name}
        return self._request(
            url, self.parse_section, RequestKind.SECTION_PAGE, page, meta=meta, cb_kwargs=cb_kwargs
        )

    def article_request(
        self,
        url: str,
        *,
        section: str | None,
        summary: str | None,
        origin: str,
        kind: RequestKind,
        page: int = 1,
        listed_date: str | None = None,
        **meta: Any,
    ) -> scrapy.Request:
        return self._request(
            url,
            self.parse_article,
            kind,
            page,
            # The listed URL: a redirected request's own URL is where it ended up.
            meta={keys.ARTICLE_META_KEY: url, keys.LISTED_DATE_META_KEY: listed_date, **meta},
            cb_kwargs={"section": section, "summary": summary, "origin": origin},
        )

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        """Any page of the network, read by what its URL is.

        @url https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html
        @returns items 1 1
        @returns requests 0 0
        @scrapes schema_version url site title body paragraphs date_published
        """
        registry = load_registry()
        if registry.is_article_url(response.url):
            yield from self.parse_article(response, section=None, summary=None, origin="parse")
        elif response.url in {site.feed for site in registry.sites if site.feed}:
            yield from self.parse_feed(response)
        else:
            section, page = _section_of(response.url, registry.site_for_url(response.url) or self.site)
            yield from self.parse_section(response, section.slug, section.label, page, name=section.slug)

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value(keys.STATS_HOME_PAGES)
        nav = parse_navigation(response.url, response.body, content_type=_content_type(response))
        yield from self._walk(resolve_sections(self.site, nav.sections, not_sections=nav.not_sections), nav)

    def parse_section(
        self, response: Response, slug: str, label: str, page: int, name: str | None = None
    ) -> Iterator[scrapy.Request]:
        """A request per article listed, then the next page.

        @url https://www.spacewar.com/superpowers.html
        @cb_kwargs {"slug": "superpowers", "label": "SUPERPOWERS", "page": 1, "name": "superpowers"}
        @returns items 0 0
        @returns requests 1
        """
        if response.status in GONE_STATUSES:
            return  # the healer's
        listing = parse_listing_page(
            response.url,
            response.body,
            content_type=_content_type(response),
            section_slug=name or slug,  # none in a request an earlier newsbot queued (JOBDIR, Redis)
        )
        stats = self.crawler.stats
        stats.inc_value(keys.STATS_SECTION_PAGES)
        stats.inc_value(keys.STATS_LISTED_ENTRIES, len(listing.entries))
        if not listing.entries:
            stats.inc_value(keys.STATS_SECTION_PAGES_EMPTY)
        # A first page the navigation did not vouch for is the healer's to judge.
        level = logging.INFO if response.meta.get(keys.HEAL_META_KEY) else logging.WARNING
        for note in listing.notes:
            self.logger.log(level, "%s: %s", response.url, note)
        for entry in listing.entries:
            yield self.article_request(
                entry.url,
                section=label,
                summary=entry.teaser,
                origin=slug,
                kind=RequestKind.SECTION_ARTICLE,
                page=page,
                listed_date=entry.date_published,
            )
        if next_url := _next_page(listing.pagination, page):
            yield self.section_request(Section(slug=slug, label=label), next_url, page + 1, name or slug)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        """A request per article.

        @url https://www.spacewar.com/spacewar.xml
        @returns items 0 0
        @returns requests 1
        """
        try:
            entries = parse_feed(response.url, response.body)
        except FeedError as error:
            self.logger.error("%s", error)
            self.crawler.stats.inc_value(keys.STATS_ERROR_BAD_FEED)
            return
        self.crawler.stats.inc_value(keys.STATS_LISTED_ENTRIES, len(entries))
        usual = self.settings.getint("NEWSBOT_FEED_MIN_ITEMS")
        if len(entries) < usual:
            # A feed cut short, or one that has changed: what it no longer lists is not had this run.
            self.crawler.stats.set_value(keys.STATS_FEED_SHORT, len(entries))
            self.logger.warning(
                "The feed %s lists %d item(s), fewer than its usual %d (NEWSBOT_FEED_MIN_ITEMS): cut short?",
                response.url, len(entries), usual,
            )  # fmt: skip
        for entry in entries:
            if entry.site is not None:
                yield self.article_request(
                    entry.url,
                    section=None,
                    summary=entry.teaser,
                    origin="feed",
                    kind=RequestKind.FEED_ARTICLE,
                    listed_date=entry.date_published,
                )

    def parse_article(
        self, response: Response, section: str | None, summary: str | None, origin: str
    ) -> Iterator[Any]:
        """Its item.

        @url https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html
        @cb_kwargs {"section": "SUPERPOWERS", "summary": null, "origin": "superpowers"}
        @returns items 1 1
        @scrapes schema_version url site title section body paragraphs date_published content_hash
        """
        self.crawler.stats.inc_value(f"{keys.STATS_SECTION_FETCHED_PREFIX}{origin}")
        listed = response.meta.get(keys.ARTICLE_META_KEY) or response.url
        content_type = _content_type(response)
        try:
            item = parse_article(
                response.url,
                response.body,
                content_type=content_type,
                context=ListingContext(section=section, summary=summary),
                scraped_at=fetched_at(response.meta),
            )
        except ParseError as error:
            item, reason, detail = None, UNPARSED, str(error)
        else:  # no article on it: counted under newsbot/missing/ by its reason, as every page not had
            reason, detail = page_reason(content_type, response.body), ""
        if item is None:
            miss_article(self.crawler, listed, reason, section=section, summary=summary, detail=detail)
            return
        self.crawler.stats.inc_value(f"{keys.STATS_SECTION_PARSED_PREFIX}{origin}")
        yield item

    def failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request: scrapy.Request = failure.request  # type: ignore[attr-defined]  # Scrapy sets it
        reason = failure_reason(failure)
        kind = request.meta.get(keys.KIND_META_KEY)
        stats = self.crawler.stats
        if kind == RequestKind.HOME.value:
            stats.inc_value(keys.STATS_HOME_FAILED)
            if isinstance(failure.value, RobotsUnreachable):
                return  # none of the site's pages is fetched this run: the robots.txt line said why
            self.logger.warning(
                "Home page %s could not be fetched (%s); using the declared section URLs",
                self.site.home_url,
                failure.value,
            )
            yield from self._walk(resolve_sections(self.site, None), None)
        elif kind in (RequestKind.SECTION_PAGE.value, RequestKind.FEED.value):
            self.logger.error("%s %s could not be had (%s): %s", kind, request.url, reason, failure.value)
            if kind == RequestKind.FEED.value:
                stats.inc_value(keys.STATS_ERROR_BAD_FEED)
            else:
                self.crawler.signals.send_catch_log(
                    section_page_failed, slug=request.cb_kwargs["slug"], reason=reason
                )
        else:  # not fetched: missed for its reason (the ledger asks again), and no page the parser failed
            listed = request.meta.get(keys.ARTICLE_META_KEY) or request.url
            section, summary = request.cb_kwargs.get("section"), request.cb_kwargs.get("summary")
            miss_article(
                self.crawler, listed, reason, section=section, summary=summary, detail=str(failure.value)
            )

    def section_gone(self, key: str, reason: str, why: str) -> None:
        self.crawler.stats.inc_value(keys.STATS_SECTIONS_FAILED)
        self.crawler.signals.send_catch_log(section_page_failed, slug=key, reason=reason)
        self.logger.error("Section %s: %s", key, why)

    def _walk(self, resolution: SectionResolution, nav: Navigation | None) -> Iterator[scrapy.Request]:
        self._report(resolution)
        requested = self.arguments.sections
        if requested is not None:
            chosen, unknown = resolution.select(requested)
            if unknown:
                elsewhere = "".join(  # another site's declared section
                    f"; {name!r} is {site.name}'s: scrapy crawl {site.name}"
                    for name, site in itertools.product(unknown, load_registry().sites)
                    if site.section(name)
                )
                self.logger.error(
                    "unknown section(s) %s on %s: not %s. Known sections: %s%s",
                    ", ".join(map(repr, unknown)),
                    self.site.host,
                    "in the home page navigation" if resolution.navigation_read else "in the registry",
                    resolution.describe(),
                    elsewhere,
                )
                self.crawler.stats.set_value(keys.STATS_UNKNOWN_SECTIONS, ", ".join(unknown))
                raise CloseSpider(keys.FINISH_UNKNOWN_SECTION)
        elif self.arguments.all_sections:
            chosen = list(resolution.sections)
        else:
            chosen = resolution.default()
        if not chosen:
            self.logger.error(
                "%s: no section to walk: the registry declares none and the home page navigation %s",
                self.site.host,
                "names none" if resolution.navigation_read else "could not be read",
            )
            raise CloseSpider(keys.FINISH_NO_SECTIONS)
        self.crawler.stats.set_value(keys.STATS_SECTIONS_WALKED, [s.key for s in chosen])
        for resolved in chosen:
            if resolved.moved:
                self.logger.warning(
                    "Section %s moved: the registry says %s, the navigation links %s; walking it there",
                    resolved.label,
                    resolved.declared_url,
                    resolved.url,
                )
            # A declared URL the navigation does not vouch for, or a navigation link the registry
            # does not know: its first page tells whether it is a section (newsbot.middlewares.sections);
            # a declared page gone is the healer's to answer, not the errback's, with the navigation's
            # link nearest its label, if any.
            meta: dict[str, Any] = {}
            if resolved.declared and not resolved.in_navigation:
                meta[keys.HEAL_META_KEY] = "declared"
                meta["handle_httpstatus_list"] = GONE_STATUSES
                near = find_by_label(nav.sections, resolved.label) if nav else None
                if near is not None and near.url != resolved.url:
                    meta[keys.HEAL_URL_META_KEY] = near.url
            elif not resolved.declared:
                meta[keys.HEAL_META_KEY] = "link"
            yield self.section_request(resolved.section, resolved.url, 1, page_name(resolved.url), **meta)

    def _report(self, resolution: SectionResolution) -> None:
        stats = self.crawler.stats
        stats.set_value(keys.STATS_SECTIONS, [s.as_dict() for s in resolution.sections])
        moved = [
            {"key": s.key, "label": s.label, "declared_url": s.declared_url, "url": s.url}
            for s in resolution.moved
        ]
        if moved:
            stats.set_value(keys.STATS_SECTIONS_MOVED, moved)
            stats.set_value(keys.NOTE_SECTIONS_MOVED, len(moved))
        if resolution.navigation_read:
            stats.set_value(keys.STATS_SECTIONS_NEW, [s.key for s in resolution.new])
            stats.set_value(keys.STATS_SECTIONS_MISSING, [s.key for s in resolution.missing])
            stats.set_value(keys.STATS_NAV_NOT_SECTIONS, [link.label for link in resolution.not_sections])


def _next_page(pagination: list[tuple[str, int | None]], page: int) -> str | None:
    """By number when links carry one (their URL or their text), else the first that reads "older"/"next"."""
    if any(number is not None for _, number in pagination):
        return next((url for url, number in pagination if number == page + 1), None)
    return pagination[0][0] if pagination else None


def _content_type(response: Response) -> str | None:
    value = response.headers.get(b"Content-Type")
    return value.decode("latin-1") if value else None


def _section_of(url: str, site: Site) -> tuple[Section, int]:
    """Declared, or made from the URL (`/cyber-wars-02.html`: slug `cyber-wars`, page 2)."""
    match = re.match(r"^/(?P<slug>.+?)(?:-(?P<page>[0-9]{2,3}))?\.html$", urlsplit(url).path)
    slug, page = (match["slug"], int(match["page"] or 1)) if match else ("index", 1)
    made = Section(slug=slug, label=slug.replace("-", " ").upper())
    return next((s for s in site.sections if s.slug == slug), made), page
