"""Extensions: the run report written when a crawl ends."""

from __future__ import annotations

import datetime
import json
import logging
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class RunReport:
    """Writes the run's figures as JSON (NEWSBOT_STATS_FILE) and logs a one-line summary."""

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunReport:
        template = crawler.settings.get("NEWSBOT_STATS_FILE")
        if not template:
            raise NotConfigured
        assert crawler.spidercls is not None
        extension = cls(crawler, Path(template.format(spider=crawler.spidercls.name)))
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider: Spider, reason: str) -> None:
        stats = {key: _jsonable(value) for key, value in (self.crawler.stats.get_stats() or {}).items()}
        stats["finish_reason"] = reason
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(stats, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        logger.info(
            "newsbot %s finished (%s): %s pages fetched, %s articles written, %s duplicates dropped; "
            "report %s",
            spider.name,
            reason,
            stats.get("downloader/response_count", 0),
            stats.get("newsbot/items_written", 0),
            sum(v for k, v in stats.items() if k.startswith("newsbot/items_dropped/")),
            self.path,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    return value
