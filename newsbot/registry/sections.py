"""Sections as the live navigation names them (the truth of the day), sites.toml's RECONSTRUCTED ones
as hints. A section's identity (`key`, the slug of its label) is what the store and the walk records
use, so it keeps them when its URL moves."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import urlsplit

from newsbot.registry.model import Section, Site, fold_name


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
    return re.sub(r"\.(?:html?|shtml|php|aspx?)$", "", last, flags=re.I)


def section_key(label: str, fallback: str = "") -> str:
    """A section's identity: the slug of its label (`MISSILE DEFENSE` -> `missile-defense`)."""
    slugs = (re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") for name in (label, fallback))
    return next((slug for slug in slugs if slug), "")


@dataclass(frozen=True)
class ResolvedSection:
    key: str
    label: str
    url: str
    declared: bool
    in_navigation: bool
    declared_url: str | None = None  # the registry's

    @property
    def moved(self) -> bool:
        return self.declared and self.in_navigation and self.declared_url != self.url

    @property
    def section(self) -> Section:
        """The walkable section: keyed by identity, fetched at the resolved URL."""
        return Section(slug=self.key, label=self.label)

    def names(self) -> set[str]:
        """Everything a user may call it by, folded."""
        names = (self.key, self.label, page_name(self.url), page_name(self.declared_url or ""))
        return {fold_name(name) for name in names} - {""}

    def as_dict(self) -> dict[str, Any]:
        declared_url = self.declared_url if self.moved or not self.in_navigation else None
        return {**asdict(self), "declared_url": declared_url, "moved": self.moved}


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
        return [s for s in self.sections if not s.declared]

    @property
    def missing(self) -> list[ResolvedSection]:
        """Declared sections the navigation, when read, does not name."""
        return [s for s in self.sections if s.declared and not s.in_navigation and self.navigation_read]

    def default(self) -> list[ResolvedSection]:
        """What a run without `-a sections` walks: the declared sections, else the navigation's."""
        return [s for s in self.sections if s.declared] or list(self.sections)

    def select(self, names: Iterable[str]) -> tuple[list[ResolvedSection], list[str]]:
        """The sections named, in the order given (each once), and the names found nowhere."""
        found = {
            name: next((s for s in self.sections if fold_name(name) in s.names()), None) for name in names
        }
        chosen = dict.fromkeys(section for section in found.values() if section is not None)
        return list(chosen), [name for name, section in found.items() if section is None]

    def describe(self) -> str:
        """The sections on offer, for an error message: `superpowers (SUPERPOWERS), ...`."""
        return ", ".join(f"{s.key} ({s.label})" for s in self.sections) or "none"


def resolve_sections(
    site: Site, navigation: Sequence[NavLink] | None, *, not_sections: Sequence[NavLink] = ()
) -> SectionResolution:
    """The declared sections of `site` matched to the navigation's section links (None: unread): by
    label (folded), then by slug (the link's label or page name); the navigation's URL wins."""
    matched: dict[str, Section] = {}  # nav URL -> declared section
    for section in site.sections:
        links = [link for link in navigation or () if link.url not in matched]
        label, slug = fold_name(section.label), fold_name(section.slug)
        link = next((link for link in links if fold_name(link.label) == label), None) or next(
            (link for link in links if slug in (fold_name(link.label), fold_name(link.page_name))), None
        )
        if link is not None:
            matched[link.url] = section
    found = [_resolved(site, matched.get(link.url), link) for link in navigation or ()]
    found += [_resolved(site, section, None) for section in site.sections if section not in matched.values()]
    # Two entries of one section identity (a label repeated in a second menu): the first stands.
    by_key: dict[str, ResolvedSection] = {}
    for entry in found:
        if entry.key:
            by_key.setdefault(entry.key, entry)
    return SectionResolution(site, tuple(by_key.values()), navigation is not None, tuple(not_sections))


def _resolved(site: Site, section: Section | None, link: NavLink | None) -> ResolvedSection:
    if section is None:
        assert link is not None
        return ResolvedSection(section_key(link.label, link.page_name), link.label, link.url, False, True)
    declared_url = f"https://www.{site.host}/{section.slug}.html"
    key = section_key(section.label, section.slug)
    return ResolvedSection(
        key, section.label, link.url if link else declared_url, True, bool(link), declared_url
    )


def find_by_label(links: Sequence[NavLink], label: str) -> NavLink | None:
    """A navigation link for a section label: exact (folded) first, then the one link containing the
    label or contained in it ("SUPERPOWERS" and "SUPERPOWERS NEWS")."""
    wanted = fold_name(label)
    exact = next((link for link in links if fold_name(link.label) == wanted), None)
    if exact is not None or not wanted:
        return exact
    near = [link for link in links if (name := fold_name(link.label)) and (wanted in name or name in wanted)]
    return near[0] if len(near) == 1 else None
