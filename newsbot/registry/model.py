"""The site registry: what newsbot knows about the Space Media Network, loaded from registry/sites.toml.

Everything here is declared data plus the few lookups every other module needs (which site a URL
belongs to, whether a path is an article, which section a slug names), so that site knowledge lives
in one place.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Section:
    slug: str
    label: str
    site_host: str

    @property
    def url(self) -> str:
        return f"https://www.{self.site_host}/{self.slug}.html"


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
        wanted = _section_key(name)
        for section in self.sections:
            if wanted in (_section_key(section.slug), _section_key(section.label)):
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
        host = (urlsplit(url).hostname or "").lower().removeprefix("www.")
        for site in self.sites:
            if host == site.host:
                return site
        return None

    def is_network_host(self, host: str) -> bool:
        host = host.lower().removeprefix("www.")
        return host in self.asset_hosts or any(host == site.host for site in self.sites)

    def is_article_path(self, path: str) -> bool:
        return any(pattern.match(path) for pattern in self.article_path_patterns)

    def is_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and self.site_for_url(url) is not None
            and self.is_article_path(parts.path)
        )

    def section_page_number(self, path: str, slug: str) -> int | None:
        """1 for `/<slug>.html`, N for `/<slug>-NN.html`, None for any other path."""
        pattern = self.section_page_template.replace("{slug}", re.escape(slug))
        match = re.match(pattern, path)
        if not match:
            return None
        return int(match.group("page") or 1)


def _section_key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", name.lower())


@cache
def load_registry() -> Registry:
    text = resources.files("newsbot.registry").joinpath("sites.toml").read_text(encoding="utf-8")
    data = tomllib.loads(text)
    network = data["network"]
    sites = []
    for entry in data["sites"]:
        host = entry["host"]
        sections = tuple(
            Section(slug=s["slug"], label=s["label"], site_host=host) for s in entry.get("sections", [])
        )
        sites.append(
            Site(
                name=entry["name"],
                host=host,
                display_name=entry["display_name"],
                feed=entry.get("feed"),
                sections=sections,
                tagline=entry.get("tagline"),
            )
        )
    return Registry(
        sites=tuple(sites),
        asset_hosts=tuple(network["asset_hosts"]),
        article_path_patterns=tuple(re.compile(p) for p in network["article_path_patterns"]),
        section_page_template=network["section_page_pattern"],
    )
