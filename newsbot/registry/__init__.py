"""The site registry: sites, hosts, feeds, sections and URL rules, declared in `sites.toml`."""

from newsbot.registry.model import Registry, Section, Site, did_you_mean, load_registry
from newsbot.registry.sections import NavLink, ResolvedSection, SectionResolution, resolve_sections

__all__ = [
    "NavLink", "Registry", "ResolvedSection", "Section", "SectionResolution", "Site", "did_you_mean",
    "load_registry", "resolve_sections",
]  # fmt: skip
