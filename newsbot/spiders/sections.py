"""Which sections a run walks: the home page navigation, read once at the start, with the registry's
declared sections as hints (newsbot.registry.sections), and the self-healing of a declared section
whose page is gone.

A mixin of NetworkSpider: it owns the start of the section walks, the spider keeps the walks.
"""

from __future__ import annotations

from collections.abc import Iterator

import scrapy
from scrapy.exceptions import CloseSpider
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from newsbot.keys import (
    FINISH_NO_SECTIONS,
    FINISH_UNKNOWN_SECTION,
    NOTE_SECTIONS_MOVED,
    STATS_HOME_FAILED,
    STATS_HOME_PAGES,
    STATS_NAV_NOT_SECTIONS,
    STATS_SECTION_PAGES_FAILED_PREFIX,
    STATS_SECTIONS,
    STATS_SECTIONS_EMPTY,
    STATS_SECTIONS_FAILED,
    STATS_SECTIONS_HEALED,
    STATS_SECTIONS_MISSING,
    STATS_SECTIONS_MOVED,
    STATS_SECTIONS_NEW,
    STATS_SECTIONS_WALKED,
    STATS_UNKNOWN_SECTIONS,
)
from newsbot.parsing.listing import parse_listing_page
from newsbot.parsing.navigation import Navigation, parse_navigation
from newsbot.reasons import failed_request
from newsbot.registry import NavLink, ResolvedSection, Section, SectionResolution, Site, resolve_sections
from newsbot.registry.model import fold_name
from newsbot.registry.sections import page_name
from newsbot.spiders.priorities import RequestKind

# A declared section page answering these is gone, not down: worth looking for elsewhere.
GONE_STATUSES = frozenset({404, 410})


class SectionResolutionMixin(scrapy.Spider):
    """Resolves the run's sections from the navigation and begins their walks."""

    site: Site
    requested_sections: list[str] | None
    # `-a sections=all`: every navigation section plus the declared ones it does not name. Without
    # the argument a run walks the declared sections (at their navigation URL), or, for a site that
    # declares none, the navigation's sections.
    all_sections: bool = False

    def _init_section_resolution(self) -> None:
        self.resolution: SectionResolution | None = None
        self._navigation: Navigation | None = None
        # Section key -> page name of its first page, for pagination by URL shape (`<name>-02.html`).
        self.section_page_names: dict[str, str] = {}
        self._healing: set[str] = set()

    # Hooks of NetworkSpider.
    def _begin_walk(self, section: Section) -> scrapy.Request | None:
        raise NotImplementedError

    def section_failed(self, failure: Failure) -> None:
        raise NotImplementedError

    def parse_section(
        self, response: Response, slug: str, label: str, page: int, overshoot: int
    ) -> Iterator[scrapy.Request]:
        raise NotImplementedError

    def home_request(self) -> scrapy.Request:
        return scrapy.Request(
            self.site.home_url,
            callback=self.parse_home,
            errback=self.home_failed,
            priority=RequestKind.HOME.priority(),
            dont_filter=True,
        )

    def parse_home(self, response: Response) -> Iterator[scrapy.Request]:
        """Read the navigation, resolve the run's sections and begin their walks."""
        self.crawler.stats.inc_value(STATS_HOME_PAGES)
        content_type = response.headers.get(b"Content-Type")
        navigation = parse_navigation(
            response.url, response.body, content_type=content_type.decode("latin-1") if content_type else None
        )
        self._navigation = navigation
        resolution = resolve_sections(self.site, navigation.sections, not_sections=navigation.not_sections)
        yield from self._walk(resolution)

    def home_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        """No navigation: the declared sections are walked at their declared URLs."""
        self.crawler.stats.inc_value(STATS_HOME_FAILED)
        self.logger.warning(
            "Home page %s could not be fetched (%s); using the declared section URLs",
            self.site.home_url,
            failure.value,
        )
        yield from self._walk(resolve_sections(self.site, None))

    def _walk(self, resolution: SectionResolution) -> Iterator[scrapy.Request]:
        self.resolution = resolution
        self._report(resolution)
        if self.requested_sections is not None:
            chosen, unknown = resolution.select(self.requested_sections)
            if unknown:
                offered = resolution.describe()
                where = "in the home page navigation" if resolution.navigation_read else "in the registry"
                self.logger.error(
                    "unknown section(s) %s on %s: not %s. Known sections: %s",
                    ", ".join(map(repr, unknown)),
                    self.site.host,
                    where,
                    offered,
                )
                self.crawler.stats.set_value(STATS_UNKNOWN_SECTIONS, ", ".join(unknown))
                raise CloseSpider(FINISH_UNKNOWN_SECTION)
        elif self.all_sections:
            chosen = list(resolution.sections)
        else:
            chosen = resolution.default()
        if not chosen:
            self.logger.error(
                "%s: no section to walk: the registry declares none and the home page navigation %s",
                self.site.host,
                "names none" if resolution.navigation_read else "could not be read",
            )
            raise CloseSpider(FINISH_NO_SECTIONS)
        self.crawler.stats.set_value(STATS_SECTIONS_WALKED, [s.key for s in chosen])
        for resolved in chosen:
            if resolved.moved:
                self.logger.warning(
                    "Section %s moved: the registry says %s, the navigation links %s; walking %s",
                    resolved.label,
                    resolved.declared_url,
                    resolved.url,
                    resolved.url,
                )
            elif not resolved.declared:
                self.logger.info(
                    "Section %s (%s) is not in the registry; walking it from the navigation",
                    resolved.label,
                    resolved.url,
                )
            if request := self._begin_resolved_walk(resolved):
                yield request

    def _begin_resolved_walk(self, resolved: ResolvedSection) -> scrapy.Request | None:
        self.section_page_names[resolved.key] = page_name(resolved.url)
        request = self._begin_walk(resolved.section)
        if request is None:
            return None
        if resolved.declared and not resolved.in_navigation:
            # A declared URL the navigation does not vouch for: heal it if it turns out gone.
            return request.replace(callback=self.parse_section_first, errback=self.section_first_failed)
        if not resolved.declared:
            return request.replace(callback=self.parse_section_first)
        return request

    def _report(self, resolution: SectionResolution) -> None:
        stats = self.crawler.stats
        stats.set_value(STATS_SECTIONS, [s.as_dict() for s in resolution.sections])
        moved = [
            {"key": s.key, "label": s.label, "declared_url": s.declared_url, "url": s.url}
            for s in resolution.moved
        ]
        if moved:
            stats.set_value(STATS_SECTIONS_MOVED, moved)
            stats.set_value(NOTE_SECTIONS_MOVED, len(moved))
        if resolution.navigation_read:
            stats.set_value(STATS_SECTIONS_NEW, [s.key for s in resolution.new])
            stats.set_value(STATS_SECTIONS_MISSING, [s.key for s in resolution.missing])
            stats.set_value(STATS_NAV_NOT_SECTIONS, [link.label for link in resolution.not_sections])
            for missing in resolution.missing:
                self.logger.warning(
                    "Declared section %s is not in the home page navigation; trying its declared URL %s",
                    missing.label,
                    missing.url,
                )

    def parse_section_first(
        self, response: Response, slug: str, label: str, page: int, overshoot: int
    ) -> Iterator[scrapy.Request]:
        """The first page of a section the navigation did not vouch for: does it list articles?"""
        resolved = self._resolved(slug)
        content_type = response.headers.get(b"Content-Type")
        listing = parse_listing_page(
            response.url, response.body, content_type=content_type.decode("latin-1") if content_type else None
        )
        if not listing.entries and resolved is not None:
            if resolved.declared and slug not in self._healing:
                self.logger.warning("Section %s: %s lists no article link", label, response.url)
                yield from self._heal(resolved, reason="lists no article link")
                return
            if not resolved.declared:
                # A navigation link that is not a section after all: counted, not a failure.
                self.crawler.stats.inc_value(STATS_SECTIONS_EMPTY)
                self.logger.warning(
                    "Navigation link %s (%s) lists no article; not a section", label, response.url
                )
        yield from self.parse_section(response, slug=slug, label=label, page=page, overshoot=overshoot)

    def section_first_failed(self, failure: Failure) -> Iterator[scrapy.Request]:
        request = failed_request(failure)
        slug = request.cb_kwargs.get("slug", "")
        resolved = self._resolved(slug)
        error = failure.value
        status = error.response.status if isinstance(error, HttpError) else None
        if status in GONE_STATUSES and resolved is not None and slug not in self._healing:
            self.logger.warning("Section %s: %s answered %s", resolved.label, request.url, status)
            yield from self._heal(resolved, reason=f"answered {status}", failure=failure)
            return
        self.section_failed(failure)

    def _heal(
        self, resolved: ResolvedSection, *, reason: str, failure: Failure | None = None
    ) -> Iterator[scrapy.Request]:
        """Look a declared section up in the navigation by its label and walk it from there, once."""
        self._healing.add(resolved.key)
        if self._navigation is None:
            # The home page could not be had at the start: one more try, for this section only.
            yield scrapy.Request(
                self.site.home_url,
                callback=self.parse_home_for_healing,
                errback=self.home_failed_for_healing,
                cb_kwargs={"key": resolved.key, "reason": reason},
                priority=RequestKind.HOME.priority(),
                dont_filter=True,
            )
            return
        link = _lookup(self._navigation.sections, resolved)
        yield from self._healed_walk(resolved, link, reason, failure)

    def parse_home_for_healing(self, response: Response, key: str, reason: str) -> Iterator[scrapy.Request]:
        self.crawler.stats.inc_value(STATS_HOME_PAGES)
        content_type = response.headers.get(b"Content-Type")
        self._navigation = parse_navigation(
            response.url, response.body, content_type=content_type.decode("latin-1") if content_type else None
        )
        resolved = self._resolved(key)
        if resolved is not None:
            yield from self._healed_walk(resolved, _lookup(self._navigation.sections, resolved), reason)

    def home_failed_for_healing(self, failure: Failure) -> None:
        request = failed_request(failure)
        resolved = self._resolved(request.cb_kwargs.get("key", ""))
        if resolved is not None:
            self._section_gone(resolved, request.cb_kwargs.get("reason", ""))

    def _healed_walk(
        self, resolved: ResolvedSection, link: NavLink | None, reason: str, failure: Failure | None = None
    ) -> Iterator[scrapy.Request]:
        if link is None or link.url == resolved.url:
            self._section_gone(resolved, reason, failure)
            return
        self.crawler.stats.inc_value(STATS_SECTIONS_HEALED)
        self.logger.warning(
            "Section %s: its declared URL %s %s; the navigation links it at %s, walking it from there",
            resolved.label,
            resolved.url,
            reason,
            link.url,
        )
        self.section_page_names[resolved.key] = page_name(link.url)
        # Same identity, new first page: the walk record and the stored articles carry over.
        section = resolved.section
        healed = Section(
            slug=section.slug, label=section.label, site_host=section.site_host, page_url=link.url
        )
        if request := self._begin_walk(healed):
            yield request

    def _section_gone(self, resolved: ResolvedSection, reason: str, failure: Failure | None = None) -> None:
        self.crawler.stats.inc_value(STATS_SECTIONS_FAILED)
        if failure is not None:
            # Counted and logged as any section page that could not be fetched.
            self.section_failed(failure)
        else:
            self.crawler.stats.inc_value(f"{STATS_SECTION_PAGES_FAILED_PREFIX}{_reason_key(reason)}")
            self._broken_walks.add(resolved.key)
        self.logger.error(
            "Section %s: %s %s and the home page navigation names it nowhere else",
            resolved.label,
            resolved.url,
            reason,
        )

    def _resolved(self, key: str) -> ResolvedSection | None:
        if self.resolution is None:
            return None
        return next((s for s in self.resolution.sections if s.key == key), None)

    _broken_walks: set[str]


def _lookup(links: list[NavLink], resolved: ResolvedSection) -> NavLink | None:
    """A navigation link for a declared section, by label: exact (folded) first, then one containing
    the other ("SUPERPOWERS" and "SUPERPOWERS NEWS")."""
    label = fold_name(resolved.label)
    exact = [link for link in links if fold_name(link.label) == label]
    if exact:
        return exact[0]
    folded = [(link, fold_name(link.label)) for link in links]
    near = [link for link, name in folded if label and name and (label in name or name in label)]
    return near[0] if len(near) == 1 else None


def _reason_key(reason: str) -> str:
    if reason.startswith("answered "):
        return f"http_{reason.removeprefix('answered ')}"
    return "no_articles"
