"""The home page navigation: which links name the site's sections. Section URLs and labels are
RECONSTRUCTED (ANATOMY.md): a section is any same-site link that is not an article, a feed, an
asset or a page every site has ("Home", "About", RSS...); whether it lists articles shows once
it is walked."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lxml import etree

from newsbot.parsing.encoding import decode_html
from newsbot.parsing.text import clean_text, http_url
from newsbot.parsing.tree import alt_text, base_url, parse_html, visible_text
from newsbot.registry import load_registry
from newsbot.registry.model import fold_name as fold
from newsbot.registry.sections import NavLink, page_name
from newsbot.registry.urls import canonical_url

# Labels (folded: lower case, letters and digits only) of links that every site has beside its
# sections. Matched whole, so "SPACE INDUSTRY" is never mistaken for "industry news" or the like.
NOT_SECTION_LABELS = frozenset({
    "home", "homepage", "frontpage", "index", "main", "about", "aboutus", "contact", "contactus", "advertise",
    "advertising", "advertisewithus", "mediakit", "privacy", "privacypolicy", "terms", "termsofuse",
    "termsofservice", "legal", "copyright", "disclaimer", "cookies", "cookiepolicy", "rss", "rssfeed",
    "rssfeeds", "feed", "feeds", "xml", "newsletter", "subscribe", "subscription", "login", "logout",
    "signin", "register", "account", "search", "sitemap", "help", "faq", "donate", "donation", "support",
    "supportus", "share", "facebook", "twitter", "linkedin", "email", "print", "comments", "latestnews",
    "latest", "archive", "archives",
})  # fmt: skip
# Page names (the last path part without its extension, folded) of the same kind of pages.
NOT_SECTION_PAGES = NOT_SECTION_LABELS | {"default", "robots"}
# Only pages: feeds, pictures, scripts and documents are never sections.
_NOT_A_PAGE = re.compile(r"\.(?:xml|rss|atom|jpe?g|png|gif|svg|css|js|pdf|zip|txt|json)$", re.I)


@dataclass
class Navigation:
    url: str
    sections: list[NavLink] = field(default_factory=list)
    # Same-site links that are pages but not sections (Home, About...): reported, never walked.
    not_sections: list[NavLink] = field(default_factory=list)


class HomePage:
    """A home page's links, in page order; a section is any that `is_not_section` does not rule out."""

    anchors = etree.XPath("//a")

    def __init__(self, url: str, html: str) -> None:
        self.url, self.root = url, parse_html(html)

    def navigation(self) -> Navigation:
        registry = load_registry()
        site = registry.site_for_url(self.url)
        navigation, seen, base = Navigation(url=self.url), set(), base_url(self.root, self.url)
        for anchor in self.anchors(self.root):
            href = http_url(base, anchor.get("href")) or ""
            if site is None or registry.site_for_url(href) != site or registry.is_article_url(href):
                continue
            target = canonical_url(href)
            if target not in seen:
                seen.add(target)
                label = (
                    clean_text(visible_text(anchor)) or clean_text(anchor.get("title")) or alt_text(anchor)
                )
                link = NavLink(label=label or page_name(target), url=target)
                (navigation.not_sections if is_not_section(link) else navigation.sections).append(link)
        return navigation


def parse_navigation(url: str, body: bytes | str, *, content_type: str | None = None) -> Navigation:
    """The section links of a home page, in page order, one per URL (its first label wins)."""
    return HomePage(url, decode_html(body, content_type).text).navigation()


def is_not_section(link: NavLink) -> bool:
    """Known not to be a section: by its label, its page name, or for not being a plain page."""
    parts = urlsplit(link.url)
    if parts.query or _NOT_A_PAGE.search(parts.path) or parts.path.startswith("/cgi-bin/"):
        return True
    name = fold(link.page_name)
    return not name or fold(link.label) in NOT_SECTION_LABELS or name in NOT_SECTION_PAGES
