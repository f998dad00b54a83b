"""The site registry: what newsbot knows about the Space Media Network, loaded from registry/sites.toml.

Everything here is declared data plus the few lookups every other module needs (which site a URL
belongs to, whether a path is an article, which section a slug names), so that site knowledge lives
in one place.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import resources
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Section:
    """A section to walk. `slug` is its identity in the store and the walk records; `page_url`, when
    given, is where the live navigation puts its first page (else the registry's `/<slug>.html`)."""

    slug: str
    label: str
    site_host: str
    page_url: str | None = None

    @property
    def url(self) -> str:
        return self.page_url or f"https://www.{self.site_host}/{self.slug}.html"


@dataclass(frozen=True)
class Site:
    name: str
    host: str
    display_name: str
    feed: str | None
    sections: tuple[Section, ...] = field(default_factory=tuple)
    tagline: str | None = None

    @property
    def home_url(self) -> str:
        return f"https://www.{self.host}/index.html"

    def section(self, name: str) -> Section | None:
        """The declared section named by slug or by label, case-insensitively."""
        wanted = fold_name(name)
        for section in self.sections:
            if wanted in (fold_name(section.slug), fold_name(section.label)):
                return section
        return None


@dataclass(frozen=True)
class Registry:
    sites: tuple[Site, ...]
    asset_hosts: tuple[str, ...]
    article_path_patterns: tuple[re.Pattern[str], ...]
    section_page_template: str

    def site(self, name: str) -> Site:
        for site in self.sites:
            if name in (site.name, site.host):
                return site
        raise KeyError(f"unknown site {name!r}; known: {', '.join(s.name for s in self.sites)}")

    def site_for_url(self, url: str) -> Site | None:
        """The network site a URL belongs to (www or bare host, any scheme), or None off the network."""
        return self.site_for_host(urlsplit(url).hostname or "")

    def site_for_host(self, host: str) -> Site | None:
        """The network site a host names (www or bare, any case), or None."""
        return self._site_by_host.get(host.lower().removeprefix("www."))

    def is_network_host(self, host: str) -> bool:
        return host.lower().removeprefix("www.") in self._network_hosts

    def is_article_path(self, path: str) -> bool:
        either = self._article_path_alternation
        if either is not None:
            return either.match(path) is not None
        return any(pattern.match(path) for pattern in self.article_path_patterns)

    def is_article_url(self, url: str) -> bool:
        # One split for the scheme, the host (site_for_url's) and the path.
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and self.site_for_host(parts.hostname or "") is not None
            and self.is_article_path(parts.path)
        )

    # Lookups built once per Registry (load_registry makes one per process) instead of a scan of
    # the sites per URL. Cached properties, not fields: equality, hash, repr and fields() stay those
    # of the declared data.

    @cached_property
    def _site_by_host(self) -> dict[str, Site]:
        """Each declared host's site; the first one declared when two share a host, as a scan finds."""
        by_host: dict[str, Site] = {}
        for site in self.sites:
            by_host.setdefault(site.host, site)
        return by_host

    @cached_property
    def _network_hosts(self) -> frozenset[str]:
        return frozenset((*self.asset_hosts, *(site.host for site in self.sites)))

    @cached_property
    def _article_path_alternation(self) -> re.Pattern[str] | None:
        """The article path patterns as one pattern, `(?:p1)|(?:p2)|...`, or None when they do not
        combine so (none, different flags, groups that the alternation would renumber)."""
        patterns = self.article_path_patterns
        if not patterns or any(p.flags != patterns[0].flags or p.groups for p in patterns):
            return None
        try:
            return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), patterns[0].flags)
        except re.error:
            return None

    def section_page_number(self, path: str, slug: str) -> int | None:
        """1 for `/<slug>.html`, N for `/<slug>-NN.html`, None for any other path."""
        pattern = self.section_page_template.replace("{slug}", re.escape(slug))
        match = re.match(pattern, path)
        if not match:
            return None
        return int(match.group("page") or 1)


def fold_name(name: str) -> str:
    """Case and spacing folded: `Missile  Defense`, `missile-defense` and `MISSILE DEFENSE` match."""
    return re.sub(r"[^a-z0-9]+", "", (name or "").lower())


@cache
def load_registry() -> Registry:
    text = resources.files("newsbot.registry").joinpath("sites.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    network = data["network"]
    sites = tuple(
        Site(
            name=entry["name"],
            host=entry["host"],
            display_name=entry["display_name"],
            feed=entry.get("feed"),
            sections=tuple(Section(s["slug"], s["label"], entry["host"]) for s in entry.get("sections", [])),
            tagline=entry.get("tagline"),
        )
        for entry in data["sites"]
    )
    return Registry(
        sites=sites,
        asset_hosts=tuple(network["asset_hosts"]),
        article_path_patterns=tuple(re.compile(p) for p in network["article_path_patterns"]),
        section_page_template=network["section_page_pattern"],
    )
