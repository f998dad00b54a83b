"""One lxml parse per article page: markers, regions and fields are read from that one tree."""

from __future__ import annotations

import json

from lxml import etree

from newsbot.parsing.article import parse_article
from tests.conftest import SNAPSHOT

ARTICLES = json.loads((SNAPSHOT / "manifest.json").read_text(encoding="utf-8"))["articles"]


def test_every_snapshot_article_page_is_parsed_once(monkeypatch):
    calls = []
    real = etree.fromstring

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    # lxml.html's parsers go through etree.fromstring too: every parse of any kind is counted.
    monkeypatch.setattr(etree, "fromstring", counting)
    for article in ARTICLES:
        calls.clear()
        path = SNAPSHOT / article["url"].split("://", 1)[1]
        item = parse_article(article["url"], path.read_bytes(), scraped_at="2000-01-01T00:00:00Z")
        assert item is not None and item.paragraphs == article["paragraphs"]
        assert len(calls) == 1, article["url"]
