"""A dropped item is logged as one line naming its URL, at the level its DropItem asks for."""

from __future__ import annotations

import logging

from scrapy import Spider
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from newsbot.logformatter import NewsbotLogFormatter

URL = "https://www.spacewar.com/reports/X_999.html"


def test_a_drop_is_one_line_with_the_url_at_the_exceptions_level_else_warning():
    spider = Spider.from_crawler(get_crawler(Spider), name="drops")
    formatter = NewsbotLogFormatter()
    quiet = formatter.dropped({"url": URL, "body": "long"}, DropItem("seen", log_level="INFO"), None, spider)
    assert quiet["level"] == logging.INFO
    assert quiet["msg"] % quiet["args"] == f"Dropped {URL}: seen"
    loud = formatter.dropped({"url": URL}, DropItem("invalid"), None, spider)
    assert loud["level"] == logging.WARNING
