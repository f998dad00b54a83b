"""Components driven in-process, the way Scrapy tests its own (get_crawler, then call the component):
a crawler of the project's settings with its spider, extensions and engine built, no reactor and no
download. Pages come from the snapshot through the spider's own callbacks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

import newsbot.settings
from newsbot.registry import Section
from newsbot.spiders.loader import site_spiders
from tests.conftest import snapshot_path

PROJECT = {name: getattr(newsbot.settings, name) for name in dir(newsbot.settings) if name.isupper()}


def make_crawler(
    tmp_path: Path, spider: str = "spacewar", settings: dict[str, Any] | None = None, **arguments: Any
) -> Crawler:
    """Call within a running asyncio loop (`run`): the engine's download handlers ask for one."""
    crawler = get_crawler(
        site_spiders()[spider],
        {
            **PROJECT,
            "NEWSBOT_STATE": str(tmp_path / "seen.sqlite"),
            "NEWSBOT_OUTPUT": str(tmp_path / "out.jsonl"),
            "NEWSBOT_PROGRESS_INTERVAL": 0,
            # Nothing is downloaded: no HTTP client is made.
            "DOWNLOAD_HANDLERS": {"http": None, "https": None},
            **(settings or {}),
        },
    )
    crawler.spider = crawler._create_spider(**arguments)
    crawler.engine = crawler._create_engine()
    return crawler


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


async def through(middleware: Any, response: Response, outputs: Iterable[Any]) -> list[Any]:
    """What a spider middleware's process_spider_output lets out of `outputs`."""

    async def source() -> AsyncIterator[Any]:
        for output in outputs:
            yield output

    return [output async for output in middleware.process_spider_output(response, source())]


def snapshot_response(request: Request, status: int = 200, body: bytes | None = None) -> HtmlResponse:
    if body is None:
        body = snapshot_path(request.url).read_bytes() if status == 200 else b""
    return HtmlResponse(request.url, status=status, body=body, request=request)


def section_page(
    crawler: Crawler, slug: str, url: str, page: int = 1, label: str | None = None
) -> tuple[HtmlResponse, list[Any]]:
    """A snapshot section page as the spider answers it: the response, and the spider's output."""
    spider: Any = crawler.spider
    section = Section(slug=slug, label=label or slug.upper())
    response = snapshot_response(spider.section_request(section, url, page, slug))
    return response, list(spider.parse_section(response, **response.request.cb_kwargs))


def urls(outputs: Iterable[Any]) -> list[str]:
    return [output.url for output in outputs if isinstance(output, Request)]


def article_item(crawler: Crawler, url: str, body: bytes | None = None) -> Any:
    """The item the spider makes of the snapshot's page at `url` (or of `body`)."""
    from newsbot.spiders.priorities import RequestKind

    spider: Any = crawler.spider
    request = spider.article_request(
        url, section="SUPERPOWERS", summary=None, origin="superpowers", kind=RequestKind.SECTION_ARTICLE
    )
    [item] = spider.parse_article(snapshot_response(request, body=body), **request.cb_kwargs)
    return item
