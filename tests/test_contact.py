"""NEWSBOT_CONTACT_URL is in the User-Agent every request carries, wherever it is set (settings.py,
`-s`); a USER_AGENT set explicitly is kept as it is."""

from __future__ import annotations

import importlib.metadata

import pytest
from scrapy import Request
from scrapy.downloadermiddlewares.useragent import UserAgentMiddleware

from newsbot.settings import NEWSBOT_CONTACT_URL
from tests.components import make_crawler, run

VERSION = importlib.metadata.version("newsbot")


def _user_agent(tmp_path, settings) -> bytes | None:
    async def sent() -> bytes | None:
        crawler = make_crawler(tmp_path, settings=settings)
        request = Request("https://www.spacewar.com/")
        UserAgentMiddleware.from_crawler(crawler).process_request(request)
        return request.headers.get("User-Agent")

    return run(sent())


@pytest.mark.parametrize(
    "settings, expected",
    [
        ({}, f"newsbot/{VERSION} (+{NEWSBOT_CONTACT_URL})"),
        ({"NEWSBOT_CONTACT_URL": "https://example.org/bot"}, f"newsbot/{VERSION} (+https://example.org/bot)"),
        ({"NEWSBOT_CONTACT_URL": "https://example.org/bot", "USER_AGENT": "mine/1.0"}, "mine/1.0"),
        ({"NEWSBOT_CONTACT_URL": ""}, f"newsbot/{VERSION}"),  # no contact: no empty "(+)"
    ],
)
def test_the_user_agent_names_the_contact_url_unless_set(tmp_path, settings, expected):
    assert _user_agent(tmp_path, settings) == expected.encode()
