"""Sections as the live navigation names them, with the registry's declared sections as hints.

`sites.toml` holds RECONSTRUCTED section slugs, labels and URLs: a best guess. The home page's
navigation is the truth of the day. A declared section is matched to a navigation link by label
(case and spacing folded) or by slug; when both name it, the navigation's URL wins and the section
is reported as moved. A section's identity (`key`, the slug of its label) is what the store and the
walk records use, so a section whose URL moved keeps its walk record and its articles.

No Scrapy and no parsing here: the navigation links come from `newsbot.parsing.navigation`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from newsbot.registry.model import Section, Site, fold_name

_PAGE_SUFFIX = re.compile(r"\.(?:html?|shtml|php|aspx?)$", re.I)


@dataclass(frozen=True)
class NavLink:
    """One same-site link of the home page navigation."""

    label: str
    url: str

    @property
    def page_name(self) -> str:
        return page_name(self.url)


def page_name(url: str) -> str:
    """The URL's last path part without its extension: `superpowers` for `/superpowers.html`."""
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    return _PAGE_SUFFIX.sub("", last)


def section_key(label: str, fallback: str = "") -> str:
    """A section's identity: the slug of its label (`MISSILE DEFENSE` -> `missile-defense`)."""
    key = re.sub(r"[^a-z0-9]+", "-", (label or "").lower()).strip("-")
    return key or re.sub(r"[^a-z0-9]+", "-", fallback.lower()).strip("-")


@dataclass(frozen=True)
class ResolvedSection:
    key: str
    label: str
    url: str
    site_host: str
    declared: bool
    in_navigation: bool
    # The registry's URL of a declared section, kept to report a move.
    declared_url: str | None = None
    declared_slug: str | None = None

    @property
    def moved(self) -> bool:
        return self.declared and self.in_navigation and self.declared_url != self.url

    @property
    def section(self) -> Section:
        """The walkable section: keyed by identity, fetched at the resolved URL."""
        return Section(slug=self.key, label=self.label, site_host=self.site_host, page_url=self.url)

    def names(self) -> set[str]:
        """Everything a user may call it by, folded."""
        declared = (self.declared_slug or "", page_name(self.declared_url or ""))
        return {fold_name(name) for name in (self.key, self.label, page_name(self.url), *declared)} - {""}

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "url": self.url,
            "declared": self.declared,
            "in_navigation": self.in_navigation,
            "declared_url": self.declared_url if self.moved or not self.in_navigation else None,
            "moved": self.moved,
        }


@dataclass(frozen=True)
class SectionResolution:
    site: Site
    # Navigation order first, then declared sections the navigation does not name.
    sections: tuple[ResolvedSection, ...]
    # False when the home page could not be read: only declared sections are known.
    navigation_read: bool
    not_sections: tuple[NavLink, ...] = ()

    @property
    def moved(self) -> list[ResolvedSection]:
        return [s for s in self.sections if s.moved]

    @property
    def new(self) -> list[ResolvedSection]:
        """Sections the navigation names and the registry does not declare."""
        return [s for s in self.sections if not s.declared]

    @property
    def missing(self) -> list[ResolvedSection]:
        """Declared sections the navigation (when read) does not name."""
        if not self.navigation_read:
            return []
        return [s for s in self.sections if s.declared and not s.in_navigation]

    def default(self) -> list[ResolvedSection]:
        """What a run without `-a sections` walks: the declared sections, else the navigation's."""
        return [s for s in self.sections if s.declared] or list(self.sections)

    def find(self, name: str) -> ResolvedSection | None:
        """The section a user's name means: by key, label, slug or page name, case and spacing folded."""
        wanted = fold_name(name)
        return next((s for s in self.sections if wanted in s.names()), None)

    def select(self, names: Iterable[str]) -> tuple[list[ResolvedSection], list[str]]:
        """The sections named, in the order given (each once), and the names found nowhere."""
        found = [(name, self.find(name)) for name in names]
        chosen = dict.fromkeys(section for _, section in found if section is not None)
        return list(chosen), [name for name, section in found if section is None]

    def describe(self) -> str:
        """The sections on offer, for an error message: `superpowers (SUPERPOWERS), ...`."""
        return ", ".join(f"{s.key} ({s.label})" for s in self.sections) or "none"


def resolve_sections(
    site: Site, navigation: Sequence[NavLink] | None, *, not_sections: Sequence[NavLink] = ()
) -> SectionResolution:
    """Match the declared sections of `site` to the navigation's section links.

    `navigation` None means the home page could not be had: the declared sections stand as declared.
    """
    if navigation is None:
        as_declared = tuple(_declared(section, None) for section in site.sections)
        return SectionResolution(site=site, sections=as_declared, navigation_read=False)
    matched: dict[str, Section] = {}  # nav URL -> declared section
    for section in site.sections:
        link = _match(section, [link for link in navigation if link.url not in matched])
        if link is not None:
            matched[link.url] = section
    found = [
        _declared(matched[link.url], link) if link.url in matched else _undeclared(link, site.host)
        for link in navigation
    ]
    found += [_declared(section, None) for section in site.sections if section not in matched.values()]
    # Two entries of one section identity (a label repeated in a second menu): the first stands.
    by_key: dict[str, ResolvedSection] = {}
    for entry in found:
        if entry.key:
            by_key.setdefault(entry.key, entry)
    return SectionResolution(
        site=site, sections=tuple(by_key.values()), navigation_read=True, not_sections=tuple(not_sections)
    )


def _match(section: Section, links: Sequence[NavLink]) -> NavLink | None:
    """A declared section's navigation link: by label first, then by slug (label or page name)."""
    label, slug = fold_name(section.label), fold_name(section.slug)
    by_label = next((link for link in links if fold_name(link.label) == label), None)
    return by_label or next(
        (link for link in links if slug in (fold_name(link.label), fold_name(link.page_name))), None
    )


def _declared(section: Section, link: NavLink | None) -> ResolvedSection:
    return ResolvedSection(
        key=section_key(section.label, section.slug),
        label=section.label,
        url=link.url if link else section.url,
        site_host=section.site_host,
        declared=True,
        in_navigation=link is not None,
        declared_url=section.url,
        declared_slug=section.slug,
    )


def _undeclared(link: NavLink, site_host: str) -> ResolvedSection:
    key = section_key(link.label, link.page_name)
    return ResolvedSection(key, link.label, link.url, site_host, declared=False, in_navigation=True)


def find_by_label(links: Sequence[NavLink], label: str) -> NavLink | None:
    """A navigation link for a section label: exact (folded) first, then the one link containing the
    label or contained in it ("SUPERPOWERS" and "SUPERPOWERS NEWS")."""
    wanted = fold_name(label)
    exact = next((link for link in links if fold_name(link.label) == wanted), None)
    if exact is not None or not wanted:
        return exact
    near = [link for link in links if (name := fold_name(link.label)) and (wanted in name or name in wanted)]
    return near[0] if len(near) == 1 else None
