"""Replay a saved copy of the network (wget --mirror layout, `NEWSBOT_MIRROR`) instead of the live sites:
`https://www.<smn-host>/<path>` is fetched from `<mirror>/www.<smn-host>/<path>` and answered under
the real URL, so everything above the download handler runs exactly the code of a live crawl."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from scrapy import Request
from scrapy.core.downloader.handlers.base import BaseDownloadHandler
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.utils.misc import build_from_crawler, load_object
from w3lib.url import file_uri_to_path

from newsbot.keys import STATS_MIRROR_REFUSED_PATHS
from newsbot.registry import load_registry

logger = logging.getLogger(__name__)

_SAFE_PATH_CHARS = "/%:@!$&()*+,;=-._~"


class MirrorPathRefused(IgnoreRequest):
    """A URL whose decoded path leaves the mirror's folder."""


def normalise_mirror(value: str, given_as: str = "NEWSBOT_MIRROR=") -> str:
    """A URL, a folder made a file:// URL, or "" for none; ValueError (one line) for anything else."""
    value = value.strip()
    if not value:
        return ""
    if "://" in value:
        scheme = urlsplit(value).scheme.lower()
        if scheme not in ("http", "https", "file"):
            raise ValueError(f"{given_as}{value!r}: expected an http(s):// or file:// URL, or a folder")
        if scheme == "file" and not Path(file_uri_to_path(value)).is_dir():
            raise ValueError(f"{given_as}{value!r}: no such folder")
        return value
    if not Path(value).expanduser().is_dir():
        raise ValueError(f"{given_as}{value!r}: not a URL and not a folder")
    return Path(value).expanduser().resolve().as_uri()


def mirror_from_option(option: str | None) -> str:
    """A command's `--mirror`, else the NEWSBOT_MIRROR environment variable."""
    if option is None:
        return normalise_mirror(os.environ.get("NEWSBOT_MIRROR", ""))
    return normalise_mirror(option, given_as="--mirror ")


def mirror_url(mirror: str, url: str) -> str | None:
    """The mirror's copy of a network URL, or None off the network. `..%2f` is not a `..` segment to the
    URL parser but becomes one once a server or the file system decodes it: MirrorPathRefused."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not load_registry().is_network_host(host):
        return None
    path = parts.path or "/"
    if ".." in unquote(path).replace("\\", "/").split("/"):
        raise MirrorPathRefused(f"refused by the mirror: {url} climbs out of the mirror's folder")
    if path.endswith("/"):
        path += "index.html"
    return f"{mirror.rstrip('/')}/www.{host.removeprefix('www.')}{quote(path, safe=_SAFE_PATH_CHARS)}"


class MirrorAddon:
    def update_settings(self, settings: BaseSettings) -> None:
        raw = settings.get("NEWSBOT_MIRROR")
        if not raw:
            return
        # `scrapy crawl` has already checked the value (newsbot.cli.commands.crawl); a folder becomes a URL.
        mirror = normalise_mirror(raw)
        settings.set("NEWSBOT_MIRROR", mirror, settings.getpriority("NEWSBOT_MIRROR") or "addon")
        settings.set("DOWNLOAD_HANDLERS", dict.fromkeys(("http", "https"), MirrorDownloadHandler), "addon")
        # Here, once per crawl: Scrapy makes one handler for each of the two schemes.
        logger.info("Replaying the network from the mirror %s", mirror)
        host = urlsplit(mirror).hostname or ""  # none: a file:// URL
        local = host in ("", "localhost", "::1") or host.startswith("127.")
        if local and not settings.getbool("NEWSBOT_MIRROR_POLITE"):
            # Politeness is for the live sites; a local replay reads our own copy. The project's
            # priority: settings.py's live values yield, a -s on the command line wins.
            settings.setdict(
                {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS_PER_DOMAIN": 8},
                "project",
            )


class MirrorDownloadHandler(BaseDownloadHandler):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.mirror: str = crawler.settings.get("NEWSBOT_MIRROR")
        self.stats = crawler.stats
        # Scrapy's own handlers (the addon replaced them in DOWNLOAD_HANDLERS only): the mirror's
        # transport, and the direct one of off-network URLs, which are never rewritten.
        delegates = crawler.settings.getdict("DOWNLOAD_HANDLERS_BASE")
        self._delegate: BaseDownloadHandler = build_from_crawler(
            load_object(delegates[urlsplit(self.mirror).scheme]), crawler
        )
        self._direct: BaseDownloadHandler = build_from_crawler(load_object(delegates["https"]), crawler)

    async def download_request(self, request: Request) -> Response:
        try:
            target = mirror_url(self.mirror, request.url)
        except MirrorPathRefused as error:
            if self.stats is not None:
                self.stats.inc_value(STATS_MIRROR_REFUSED_PATHS)
            logger.warning("%s", error)
            raise
        if target is None:
            return await self._direct.download_request(request)
        try:
            response = await self._delegate.download_request(request.replace(url=target))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            # Not in a folder copy: what a server answers for a page it lacks (reported `gone`, never
            # retried; a site saved without its robots.txt is then "allow all", as on a server without one).
            return Response(url=request.url, status=404, body=b"", request=request)
        return response.replace(url=request.url, request=request)

    async def close(self) -> None:
        await self._delegate.close()
        await self._direct.close()
