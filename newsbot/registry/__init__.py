"""The site registry: sites, hosts, feeds, sections and URL rules, declared in `sites.toml`.

`model` loads the declared data; `urls` holds the URL rules built on it (canonical URLs, absolute
links). Site knowledge lives here and nowhere else.
"""

from newsbot.registry.model import Registry, Section, Site, load_registry

__all__ = ["Registry", "Section", "Site", "load_registry"]
