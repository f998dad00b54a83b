"""The Space Media Network as registry/sites.toml declares it, and the lookups every module needs."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from pydantic import TypeAdapter


def did_you_mean(name: str, known: Sequence[str]) -> str:
    """`did you mean 'x'? ` naming the known name closest to a misspelt one, or nothing."""
    close = difflib.get_close_matches(name, known, n=1)
    return f"did you mean {close[0]!r}? " if close else ""


@dataclass(frozen=True)
class Section:
    """A section to walk; `slug` is its identity in the store and the walk records."""

    slug: str
    label: str


@dataclass(frozen=True)
class Site:
    name: str
    host: str
    feed: str | None = None
    sections: tuple[Section, ...] = ()

    @property
    def home_url(self) -> str:
        return f"https://www.{self.host}/index.html"

    def section(self, name: str) -> Section | None:
        """The declared section named by slug or by label, folded."""
        return next((s for s in self.sections if fold_name(name) in map(fold_name, (s.slug, s.label))), None)


class Registry:
    def __init__(self, declared: dict[str, Any]) -> None:
        self.sites = TypeAdapter(tuple[Site, ...]).validate_python(declared["sites"])
        network = declared["network"]
        # Built once: every article page asks these of its og:url and related links.
        self._by_host = {site.host: site for site in reversed(self.sites)}  # the first of a host wins
        self._network_hosts = {*network["asset_hosts"], *self._by_host}
        self._article_path = re.compile("|".join(f"(?:{p})" for p in network["article_path_patterns"]))
        self._section_page = network["section_page_pattern"]

    def site(self, name: str) -> Site:
        for site in self.sites:
            if name in (site.name, site.host):
                return site
        names = [site.name for site in self.sites]
        raise KeyError(f"unknown site {name!r}; {did_you_mean(name, names)}known: {', '.join(names)}")

    def site_for_url(self, url: str) -> Site | None:
        """The network site a URL belongs to (www or bare host, any scheme), or None off the network."""
        return self._by_host.get((urlsplit(url).hostname or "").removeprefix("www."))

    def is_network_host(self, host: str) -> bool:
        return host.lower().removeprefix("www.") in self._network_hosts

    def is_article_url(self, url: str) -> bool:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and self.site_for_url(url) is not None
            and self._article_path.match(parts.path) is not None
        )

    def section_page_number(self, path: str, slug: str) -> int | None:
        """1 for `/<slug>.html`, N for `/<slug>-NN.html`, None for any other path."""
        match = re.match(self._section_page.replace("{slug}", re.escape(slug)), path)
        return int(match.group("page") or 1) if match else None


def fold_name(name: str) -> str:
    """Case and spacing folded: `Missile  Defense`, `missile-defense` and `MISSILE DEFENSE` match."""
    return re.sub(r"[^a-z0-9]+", "", name.lower())


@cache
def load_registry() -> Registry:
    text = resources.files("newsbot.registry").joinpath("sites.toml").read_text(encoding="utf-8")
    return Registry(tomllib.loads(text))
