"""One spider class per registry site, so `scrapy crawl spacewar` works for every declared site.

The classes are made from the registry: adding a site to data/sites.toml adds its spider.
"""

from __future__ import annotations

from newsbot.sites import load_registry
from newsbot.spiders.network import NetworkSpider


def _spider_class(site_name: str) -> type[NetworkSpider]:
    class_name = "".join(part.capitalize() for part in site_name.replace("-", " ").split()) + "Spider"
    return type(
        class_name,
        (NetworkSpider,),
        {
            "name": site_name,
            "site_name": site_name,
            "__module__": __name__,
            "__doc__": f"Crawls {site_name}.",
        },
    )


SPIDERS: dict[str, type[NetworkSpider]] = {
    site.name: _spider_class(site.name) for site in load_registry().sites
}
globals().update({cls.__name__: cls for cls in SPIDERS.values()})
