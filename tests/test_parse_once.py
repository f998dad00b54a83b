"""One lxml parse per article page: markers and regions are found in that one tree (issue 10)."""

from __future__ import annotations

import json

from lxml import etree

from newsbot.parsing.article import parse_article
from newsbot.parsing.events import END, Document
from newsbot.parsing.tree import parse_page
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


def test_events_are_made_only_as_far_as_they_are_read():
    root = parse_page("<html><body><h1>T</h1><p>a</p>" + "<p>x</p>" * 1000 + "</body></html>")
    doc = Document(root, start_at=next(root.iter("h1")))
    assert doc.blocks(0, 4) == ["T"]
    assert len(doc.kinds) < 200 and not doc.complete
    assert doc.end() == len(doc.kinds) and doc.complete


def test_noise_is_tracked_per_region_as_a_slice_would_be():
    root = parse_page("<body><form>in form<!--m--> after marker</form> tail<script>x()</script></body>")
    doc = Document(root)
    doc.end()
    marker = next(i for i, item in enumerate(doc.items) if getattr(item, "text", None) == "m")
    # From the marker on, the form's end closes nothing (a slice never saw its start).
    assert doc.blocks(marker + 1, END) == ["after marker tail"]
    assert doc.blocks(0, END) == ["tail"]
