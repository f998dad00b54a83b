"""Section and home page parsers: which articles a listing names, and where its other pages are.
Entry markup and pagination are RECONSTRUCTED (ANATOMY.md), so an entry is any network article
link, its headline the link's text, its dateline the first dateline-shaped line after it and its
teaser the text up to "read more"."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from newsbot.parsing.dateline import Dateline, parse_dateline
from newsbot.parsing.encoding import decode_html
from newsbot.parsing.text import clean_text, http_url
from newsbot.parsing.tree import BLOCK_TAGS, base_url, parse_html, visible, visible_text, walk
from newsbot.registry import load_registry
from newsbot.registry.urls import canonical_url


@dataclass(frozen=True)
class ListingEntry:
    url: str
    title: str
    dateline: str | None = None
    date_published: str | None = None
    teaser: str | None = None


@dataclass
class ListingPage:
    url: str
    entries: list[ListingEntry] = field(default_factory=list)
    # Other pages of the same listing, with their page number when the URL shape tells it.
    pagination: list[tuple[str, int | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# A page as tokens in reading order: ("text", text, None), ("link", text, URL) or ("break", "", None).
Token = tuple[str, str, str | None]
_BREAK = "\uffff"


class SectionPage:
    """A section or home page read as text, links and breaks in reading order, noise left out."""

    read_more = re.compile(r"^(?:\.\.\.|…)?\s*read more\W*$", re.I)
    trailing_ellipsis = re.compile(r"\s*(?:\.\.\.|…)\s*$")
    # Not "newer": it leads back to pages the walk has read.
    pagination_text = re.compile(r"^(?:«|»|<|>|\s)*(?:older|next|previous|prev|more|\d{1,3})\b", re.I)

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        self.tokens: list[Token] = []
        inside_link, root = None, parse_html(html)  # a link's text is its token's
        base = base_url(root, url)
        for _, kind, item in visible(list(walk(root))):
            if inside_link is not None:
                inside_link = None if kind == "end" and item is inside_link else inside_link
            elif kind == "text":
                self.tokens.append(("text", item, None))
            elif kind == "start" and item.tag == "a":
                self.tokens.append(("link", clean_text(visible_text(item)), http_url(base, item.get("href"))))
                inside_link = item
            elif item.tag in BLOCK_TAGS or (kind == "start" and item.tag == "br"):
                self.tokens.append(("break", "", None))

    def entries(self) -> list[ListingEntry]:
        """Every network article link, once, with the dateline and teaser that follow its headline
        link; an article no headline link names (only a picture's, "read more") with neither: what
        follows its link is the next entry's."""
        registry = load_registry()
        headlines: dict[str, tuple[int, str]] = {}
        unnamed: dict[str, int] = {}
        for index, (kind, text, url) in enumerate(self.tokens):
            if kind != "link" or not url or not registry.is_article_url(url):
                continue
            if text and not self.read_more.match(text):
                headlines.setdefault(canonical_url(url), (index, text))
            else:
                unnamed.setdefault(canonical_url(url), index)
        starts = [index for index, _ in headlines.values()] + [len(self.tokens)]
        entries = [(index, ListingEntry(url, "")) for url, index in unnamed.items() if url not in headlines]
        for (url, (index, title)), end in zip(headlines.items(), starts[1:], strict=True):
            dateline, teaser = self._dateline_and_teaser(self.tokens[index + 1 : end], url)
            date = dateline.date.isoformat() if dateline and dateline.date else None
            entries.append(
                (index, ListingEntry(url, title, dateline.raw if dateline else None, date, teaser))
            )
        return [entry for _, entry in sorted(entries, key=lambda pair: pair[0])]

    def _dateline_and_teaser(
        self, tokens: list[Token], article_url: str
    ) -> tuple[Dateline | None, str | None]:
        """An entry's dateline (in its first two lines) and its teaser: the text up to "read more", else
        the line after the dateline, else none (what follows is the next entry's label, a pager, the
        footer: a headline-only list has no teasers)."""
        parts, ended = [], False
        for kind, text, url in tokens:
            if kind == "link" and (self.read_more.match(text) or (url and canonical_url(url) == article_url)):
                ended = True
                break
            # A break is a noncharacter, taken out of the text (clean_text would remove it anyway).
            parts.append(_BREAK if kind == "break" else text.replace(_BREAK, ""))
        lines = [line for line in map(clean_text, "".join(parts).split(_BREAK)) if line]
        dateline = None
        for position, line in enumerate(lines[:2]):
            dateline = parse_dateline(line)
            if dateline is not None:
                lines = lines[position + 1 :]
                break
        lines = lines if ended else lines[:1] if dateline else []
        return dateline, self.trailing_ellipsis.sub("", " ".join(lines)).strip() or None

    def pagination(self, section_slug: str | None) -> list[tuple[str, int | None]]:
        """Same-site pages that are not articles, named by URL shape (`<slug>-02.html`) or by link text
        ("older", "next"), numbered by the one or the other ("3")."""
        registry = load_registry()
        site = registry.site_for_url(self.url)
        found: dict[str, int | None] = {}
        for _, text, url in self.tokens:
            if not url or registry.site_for_url(url) != site or registry.is_article_url(url):
                continue
            number = registry.section_page_number(urlsplit(url).path, section_slug) if section_slug else None
            if number is None and text.isdigit():  # a page number as the link's text
                number = int(text)
            target = canonical_url(url)
            if (number is not None or self.pagination_text.match(text)) and target != canonical_url(self.url):
                found.setdefault(target, number)
        return list(found.items())


def parse_listing_page(
    url: str, body: bytes | str, *, content_type: str | None = None, section_slug: str | None = None
) -> ListingPage:
    """The article entries of a section page (newest first, as listed) and its pagination links."""
    decoded = decode_html(body, content_type)
    section = SectionPage(url, decoded.text)
    page = ListingPage(url, section.entries(), section.pagination(section_slug), list(decoded.notes))
    if not page.entries:
        page.notes.append("listing: no article links found")
    if unnamed := sum(not entry.title for entry in page.entries):
        page.notes.append(
            f"listing: {unnamed} article link(s) without a headline link, listed with no teaser or date"
        )
    return page
