"""The RSS feed parser. Knows nothing of Scrapy.

An SMN feed item has CDATA title, link and description, and no guid, author or category. Every
item's pubDate is the feed's build time (VERIFIED), so an entry's date comes from the dateline at the
head of its description, never from pubDate.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from newsbot.parsing.dateline import parse_dateline
from newsbot.parsing.links import http_url
from newsbot.parsing.text import clean_text
from newsbot.parsing.tree import html_text, parse_html, visible, walk
from newsbot.registry import load_registry
from newsbot.registry.urls import canonical_url


@dataclass
class FeedEntry:
    url: str
    site: str | None
    title: str
    dateline: str | None = None
    dateline_place: str | None = None
    agency: str | None = None
    date_published: str | None = None
    teaser: str | None = None
    thumbnail: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FeedError(ValueError):
    """The bytes are not an RSS feed."""


def looks_like_feed(body: bytes | str) -> bool:
    head = body[:2048]
    if isinstance(head, bytes):
        head = head.decode("latin-1")
    return "<rss" in head or "<rdf:RDF" in head or "<feed" in head


def parse_feed(url: str, body: bytes | str) -> list[FeedEntry]:
    """Every item of the feed that links to a page of the network, in feed order."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise FeedError(f"{url}: not XML: {error}") from error
    if root is None or (root.find(".//item") is None and root.tag != "rss"):
        raise FeedError(f"{url}: not an RSS feed")
    registry = load_registry()
    entries = []
    for item in root.iter("item"):
        link = http_url(url, _findtext(item, "link").strip())
        # A CDATA title is HTML to feed readers (`Q&amp;A`, `<b>`): its text, not its markup.
        title = html_text(_findtext(item, "title"))
        if not link or not title:
            continue
        site = registry.site_for_url(link)
        entry = FeedEntry(url=canonical_url(link), site=site.host if site else None, title=title)
        _read_description(entry, _findtext(item, "description"), url)
        entries.append(entry)
    return entries


def _findtext(item: etree._Element, name: str) -> str:
    """The text of a child element, even when the recovering parser kept bytes that are not UTF-8.

    `&#xD800;` (a surrogate, which XML forbids) survives recovery as invalid UTF-8, and lxml then
    raises UnicodeDecodeError on reading the text; such a field is read with the bad bytes replaced.
    """
    try:
        return item.findtext(name) or ""
    except UnicodeDecodeError:
        child = item.find(name)
        if child is None:
            return ""
        raw = etree.tostring(child, method="text", encoding="utf-8", with_tail=False)
        return raw.decode("utf-8", errors="replace")


def _read_description(entry: FeedEntry, description: str, base_url: str) -> None:
    """Dateline, `<br/>`, thumbnail, then the teaser, cut mid-word by the feed."""
    events = list(visible(list(walk(parse_html(f"<div>{description}</div>")))))
    image = next((item for _, kind, item in events if kind == "start" and item.tag == "img"), None)
    if image is not None:
        entry.thumbnail = http_url(base_url, image.get("src"))
    first_break = next(
        (at for at, (_, kind, item) in enumerate(events) if kind == "start" and item.tag == "br"), None
    )
    texts = [item for _, kind, item in events if kind == "text"]
    head = ""
    if first_break is not None:
        head = clean_text("".join(item for _, kind, item in events[:first_break] if kind == "text"))
    dateline = parse_dateline(head) if head else None
    if dateline is None:
        entry.notes.append("feed: no dateline at the head of the description")
        entry.teaser = clean_text("".join(texts)) or None
        return
    entry.dateline = dateline.raw
    entry.dateline_place = dateline.place
    entry.agency = dateline.agency
    entry.date_published = dateline.date.isoformat() if dateline.date else None
    entry.notes.extend(dateline.notes)
    entry.teaser = clean_text(clean_text("".join(texts)).removeprefix(head)) or None
