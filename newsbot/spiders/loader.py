"""Scrapy's spider loader, plus one spider per registry site: adding a site to sites.toml adds its spider."""

from __future__ import annotations

from functools import cache

from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newsbot.registry import load_registry
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


@cache
def site_spiders() -> dict[str, type[NetworkSpider]]:
    return {site.name: _spider_class(site.name) for site in load_registry().sites}


class RegistrySpiderLoader(SpiderLoader):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        for name, spider_class in site_spiders().items():
            self._found[name].append((__name__, spider_class.__name__))
            self._spiders.setdefault(name, spider_class)
