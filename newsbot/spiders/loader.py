"""Scrapy's spider loader, plus one spider per registry site: adding a site to sites.toml adds its spider."""

from __future__ import annotations

from functools import cache

from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newsbot.registry import load_registry
from newsbot.spiders.network import NetworkSpider


@cache
def site_spiders() -> dict[str, type[NetworkSpider]]:
    return {
        site.name: type(
            site.name.title().replace("-", "") + "Spider",
            (NetworkSpider,),
            {"name": site.name, "site_name": site.name, "__module__": __name__},
        )
        for site in load_registry().sites
    }


class RegistrySpiderLoader(SpiderLoader):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        for name, spider_class in site_spiders().items():
            self._spiders.setdefault(name, spider_class)
