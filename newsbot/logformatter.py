"""Log drops as one line with the article's URL, not the whole item."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter
from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure


class NewsbotLogFormatter(LogFormatter):
    def dropped(
        self, item: Any, exception: BaseException, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        url = ItemAdapter(item).get("url") if ItemAdapter.is_item(item) else None
        # Scrapy's level: the exception's log_level, else DEFAULT_DROPITEM_LOG_LEVEL.
        level = super().dropped(item, exception, response, spider)["level"]
        return {
            "level": level,
            "msg": "Dropped %(url)s: %(exception)s",
            "args": {"url": url, "exception": exception},
        }
