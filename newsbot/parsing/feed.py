"""The RSS feed parser, no Scrapy inside. An SMN feed item has CDATA title, link and description;
every item's pubDate is the feed's build time (VERIFIED): an entry's date is its dateline's."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from lxml import etree

from newsbot.parsing.dateline import parse_dateline
from newsbot.parsing.encoding import decode_html
from newsbot.parsing.text import http_url
from newsbot.parsing.tree import html_text, parse_html, text_blocks, visible, walk
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
    head = body[:2048].decode("latin-1") if isinstance(body, bytes) else body[:2048]
    return "<rss" in head or "<rdf:RDF" in head or "<feed" in head


class Feed:
    """An RSS feed: its items and the fields of each, as XPath selectors."""

    items = etree.XPath("//item")
    link, title, description = etree.XPath("link"), etree.XPath("title"), etree.XPath("description")

    def __init__(self, url: str, body: bytes | str) -> None:
        self.url = url
        # Bytes read as a page's are (the charset they declare while they fit it, else what they
        # are): lxml trusts the declaration and, recovering, drops a windows-1252 byte it cannot
        # read as UTF-8 ("Caf" for "Café"). The parser is then told the text's encoding.
        data = decode_html(body).text.encode("utf-8")
        parser = etree.XMLParser(
            recover=True, resolve_entities=False, no_network=True, huge_tree=False, encoding="utf-8"
        )
        try:
            self.root = etree.fromstring(data, parser=parser)
        except (etree.XMLSyntaxError, ValueError) as error:
            raise FeedError(f"{url}: not XML: {error}") from error
        if self.root is None or (not self.items(self.root) and self.root.tag != "rss"):
            raise FeedError(f"{url}: not an RSS feed")

    def entries(self) -> list[FeedEntry]:
        registry = load_registry()
        entries = []
        for item in self.items(self.root):
            link = http_url(self.url, self._text(self.link, item).strip())
            # A CDATA title is HTML to feed readers (`Q&amp;A`, `<b>`): its text, not its markup.
            title = html_text(self._text(self.title, item))
            if link and title:
                site = registry.site_for_url(link)
                entry = FeedEntry(url=canonical_url(link), site=site.host if site else None, title=title)
                self._read_description(entry, self._text(self.description, item))
                entries.append(entry)
        return entries

    @staticmethod
    def _text(selector: etree.XPath, item: etree._Element) -> str:
        """The text of the first child selected, even where the recovering parser kept bytes that are
        not UTF-8 (`&#xD800;`, a surrogate XML forbids): those are replaced."""
        found = selector(item)
        try:
            return (found[0].text or "") if found else ""
        except UnicodeDecodeError:
            raw = etree.tostring(found[0], method="text", encoding="utf-8", with_tail=False)
            return raw.decode("utf-8", errors="replace")

    def _read_description(self, entry: FeedEntry, description: str) -> None:
        """Dateline, `<br/>`, thumbnail, then the teaser, cut mid-word by the feed: its first line
        of text, and the rest, each line break or block a space."""
        events = list(visible(list(walk(parse_html(f"<div>{description}</div>")))))
        image = next((item for _, kind, item in events if kind == "start" and item.tag == "img"), None)
        entry.thumbnail = http_url(self.url, image.get("src")) if image is not None else None
        lines = text_blocks(events, split_on_br=True)
        dateline = parse_dateline(lines[0]) if lines else None
        if dateline is None:
            entry.notes.append("feed: no dateline at the head of the description")
            entry.teaser = " ".join(lines) or None
            return
        entry.dateline, entry.dateline_place, entry.agency = dateline.raw, dateline.place, dateline.agency
        entry.date_published = dateline.date.isoformat() if dateline.date else None
        entry.notes.extend(dateline.notes)
        entry.teaser = " ".join(lines[1:]) or None


def parse_feed(url: str, body: bytes | str) -> list[FeedEntry]:
    """Every item of the feed that links to a page of the network, in feed order."""
    return Feed(url, body).entries()
