"""The site registry: sites, hosts, feeds, sections and URL rules, declared in `sites.toml`.

`model` loads the declared data; `urls` holds the URL rules built on it (canonical URLs, absolute
links); `sections` matches the declared sections to the live navigation. Site knowledge lives
here and nowhere else.
"""

from newsbot.registry.model import Registry, Section, Site, load_registry
from newsbot.registry.sections import NavLink, ResolvedSection, SectionResolution, resolve_sections

__all__ = [
    "NavLink", "Registry", "ResolvedSection", "Section", "SectionResolution", "Site", "load_registry",
    "resolve_sections",
]  # fmt: skip
