"""Replay a saved copy of the network (wget --mirror layout) instead of fetching the live sites.

With the setting `NEWSBOT_MIRROR` (`http://127.0.0.1:8000` or `file:///path/to/folder`), the add-on
installs a download handler that fetches `https://www.<smn-host>/<path>` from
`<mirror>/www.<smn-host>/<path>` and hands the response back under the real URL. Everything above
the download handler (offsite and robots checks, per-domain slots and delays, the spider, the
pipelines) sees only real URLs, so a replay runs exactly the code of a live crawl.
"""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.misc import build_from_crawler, load_object

from newsbot.registry import load_registry

logger = logging.getLogger(__name__)

_SAFE_PATH_CHARS = "/%:@!$&()*+,;=-._~"


def mirror_url(mirror: str, url: str) -> str | None:
    """The mirror's copy of a network URL, or None for a URL off the network."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not load_registry().is_network_host(host):
        return None
    if not host.startswith("www."):
        host = f"www.{host}"
    path = parts.path or "/"
    if path.endswith("/"):
        path += "index.html"
    return f"{mirror.rstrip('/')}/{host}{quote(path, safe=_SAFE_PATH_CHARS)}"


class MirrorAddon:
    """Installs MirrorDownloadHandler for http and https when NEWSBOT_MIRROR is set."""

    def update_settings(self, settings: BaseSettings) -> None:
        mirror = settings.get("NEWSBOT_MIRROR")
        if not mirror:
            return
        handlers = settings.getdict("DOWNLOAD_HANDLERS_BASE")
        settings.set("NEWSBOT_MIRROR_DELEGATES", {s: handlers[s] for s in ("http", "https", "file")}, "addon")
        handlers_path = f"{MirrorDownloadHandler.__module__}.{MirrorDownloadHandler.__qualname__}"
        settings.set("DOWNLOAD_HANDLERS", {"http": handlers_path, "https": handlers_path}, "addon")


class MirrorDownloadHandler:
    lazy = False

    def __init__(self, crawler: Crawler) -> None:
        self.mirror: str = crawler.settings.get("NEWSBOT_MIRROR")
        delegates = crawler.settings.getdict("NEWSBOT_MIRROR_DELEGATES")
        scheme = urlsplit(self.mirror).scheme or "file"
        self._delegate = build_from_crawler(load_object(delegates[scheme]), crawler)
        # Off-network URLs keep their own transport; they are never rewritten.
        self._direct = build_from_crawler(load_object(delegates["https"]), crawler)
        logger.info("Replaying the network from the mirror %s", self.mirror)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> MirrorDownloadHandler:
        return cls(crawler)

    async def download_request(self, request: Request) -> Response:
        target = mirror_url(self.mirror, request.url)
        if target is None:
            return await self._direct.download_request(request)
        response = await self._delegate.download_request(request.replace(url=target))
        return response.replace(url=request.url, request=request)

    async def close(self) -> None:
        for handler in {id(h): h for h in (self._delegate, self._direct)}.values():
            await handler.close()
