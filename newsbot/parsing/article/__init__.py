"""The article page parser: URL and page bytes in, ArticleItem out. Knows nothing of Scrapy.
The page's markers and fields belong to a layout version (layouts.py); where a RECONSTRUCTED detail
(ANATOMY.md) differs on a live page it falls back and says so in `notes`. Other modules ask about
the template through `is_article_page` and `FIELD_HINTS`, never a version."""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlsplit

from newsbot.clock import utc_now_iso
from newsbot.item import ArticleItem
from newsbot.parsing.article.layouts import LAYOUTS, Layout2022, choose_layout
from newsbot.parsing.article.page import Page
from newsbot.parsing.dateline import parse_byline
from newsbot.parsing.encoding import decode_html
from newsbot.parsing.text import collapse_spaces
from newsbot.parsing.tree import base_url

# Which markup each item field depends on, for `newsbot check` and the quality report.
FIELD_HINTS: dict[str, str] = dict(LAYOUTS[-1].field_hints)


def is_article_page(body: bytes) -> bool:
    """Whether a response's bytes hold a known layout's body start marker (no block page does)."""
    return any(layout.body_start.in_bytes(body) for layout in LAYOUTS)


class ParseError(ValueError):
    """The input cannot become an item at all (for example: no URL known for the page)."""


@dataclass(frozen=True)
class ListingContext:
    """What a section entry or feed item said about the article before it was fetched."""

    section: str | None = None
    summary: str | None = None


# How much older than the section's previous article (the teaser after the body) an article's date
# may be: a press release is posted some days after its date; a typo's year is a year away.
PREVIOUS_ARTICLE_DAYS = 30
T = TypeVar("T")


def parse_article(
    url: str | None,
    body: bytes | str,
    *,
    content_type: str | None = None,
    context: ListingContext | None = None,
    scraped_at: str | None = None,
    layouts: Sequence[type[Layout2022]] = LAYOUTS,
) -> ArticleItem | None:
    """One article page's item; None for a page that is not an article (a section or home page).
    `url`: where it was fetched from (its own og:url wins, if a network article's; ParseError when
    there is neither); `layouts`: the template versions, oldest first."""
    decoded = decode_html(body, content_type)
    page = Page(decoded.text)
    notes = list(decoded.notes)
    reading = choose_layout(page, layouts, notes)
    if reading is None:
        return None
    article_url = reading.url(url)
    if article_url is None:
        if url is None:
            raise ParseError("the page names no og:url and no URL was given (use --url)")
        return None

    def field(name: str, read: Callable[[], T]) -> T | None:
        # A field that cannot be read is empty and noted; the rest of the item stands.
        try:
            return read()
        except Exception as error:
            reading.notes.append(f"{name}: not read ({type(error).__name__}: {error})"[:200])
            return None

    title = field("title", reading.title)
    if not title:
        return None
    byline, dateline = field("byline", reading.byline), field("dateline", reading.dateline)
    paragraphs = field("paragraphs", reading.paragraphs) or []
    links_base = base_url(page.root, article_url)
    images = field("images", lambda: reading.images(links_base)) or []
    related_links = field("related_links", lambda: reading.related_links(links_base)) or []
    context = context or ListingContext()
    section = field("section", reading.section)
    if section is None and context.section:
        section = context.section
        reading.notes.append("section: taken from the listing, none on the page")
    reading.notes.extend(dateline.notes if dateline else ["dateline: none found"])
    date = dateline.date if dateline else None
    previous = field("dateline", reading.previous_article_date) if date else None
    # No page is dated after its fetch (a day later in the dateline's zone at most), nor long before
    # the section's previous article: such a year is a typo (2032 or 2012 for 2022). With no fetch
    # time (a page parsed by hand, an import's record without a date) no date is refused for it.
    fetched = scraped_at[:10] if scraped_at and scraped_at[:1].isdigit() else None
    if date and fetched and (date - datetime.timedelta(days=1)).isoformat() > fetched:
        reading.notes.append(f"dateline: date {date} after the fetch, not stored")
        date = None
    elif date and previous and date < previous - datetime.timedelta(days=PREVIOUS_ARTICLE_DAYS):
        reading.notes.append(
            f"dateline: date {date} long before the previous article's {previous}, not stored"
        )
        date = None
    if not paragraphs:
        reading.notes.append("body: no paragraphs found")
    parsed_byline = parse_byline(byline) if byline else None
    if byline and parsed_byline is None:
        reading.notes.append("byline: no authors read, its names are no person's")
    text = "\n\n".join(paragraphs)
    return ArticleItem(
        url=article_url,
        site=(urlsplit(article_url).hostname or "").removeprefix("www."),
        title=title,
        section=section,
        byline=byline,
        authors=list(parsed_byline.authors) if parsed_byline else [],
        agency=(dateline.agency if dateline else None) or (parsed_byline.agency if parsed_byline else None),
        dateline=dateline.raw if dateline else None,
        dateline_place=dateline.place if dateline else None,
        date_published=date.isoformat() if date else None,
        paragraphs=paragraphs,
        body=text,
        summary=context.summary,
        images=images,
        related_links=related_links,
        word_count=len(text.split()),
        language="en",
        # A page without text (a video) has no body to tell its story from another's: its headline does.
        content_hash=content_hash(text or title),
        scraped_at=scraped_at or utc_now_iso(),
        parsed_at=utc_now_iso(),
        notes=list(dict.fromkeys([*notes, *reading.notes])),
    )


# Curly quotes, dashes and NBSP folded to their plain forms.
_TYPOGRAPHY = str.maketrans("\u2018\u2019\u201c\u201d\u2013\u2014\xa0", "''\"\"-- ")


def content_hash(body: str) -> str:
    """SHA-256 of the body folded so that syndicated copies hash alike: copies of one agency story
    differ at most in typography (curly quotes, dashes, NBSP) and white space, which the fold removes."""
    folded = collapse_spaces(unicodedata.normalize("NFKC", body).casefold().translate(_TYPOGRAPHY))
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()
