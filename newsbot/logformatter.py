"""How a crawl logs: a drop as one line with the article's URL; each crawler counts its own lines."""

from __future__ import annotations

import logging
from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.extensions.logcount import LogCount
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


class NewsbotLogFormatter(LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        # At Scrapy's level: the exception's log_level, else DEFAULT_DROPITEM_LOG_LEVEL.
        return {
            **super().dropped(item, exception, response, spider),
            "msg": "Dropped %(url)s: %(exception)s",
            "args": {"url": ItemAdapter(item).get("url"), "exception": exception},
        }


class CrawlerLogCount(LogCount):
    """Scrapy's log counts, which NEWSBOT_MAX_ERRORS judges, without the lines of another crawler
    of the process (scrapy/scrapy#1362): under `scrapy crawlall` a healthy site failed on the errors
    of a site that was down. A line that names no crawler nor spider still counts for each."""

    def spider_opened(self, spider: Spider) -> None:
        super().spider_opened(spider)
        assert self.handler is not None
        self.handler.addFilter(self._of_this_crawler)

    def _of_this_crawler(self, record: logging.LogRecord) -> bool:
        spider = getattr(record, "spider", None)
        crawler = getattr(record, "crawler", None) or getattr(spider, "crawler", None)
        return crawler is None or crawler is self.crawler
