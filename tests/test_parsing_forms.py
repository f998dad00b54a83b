"""Forms of docs/ANATOMY.md a live page may print otherwise than the snapshot does, each fed to the
parser in the spellings one page folder each would be too many for (tests/cases/ holds one page
of each): the field comes out right, or empty with a note, never silently wrong.

The article page is the case `2022/related-links-heading-nbsp` (the network template, abridged),
the feed the real 2013 one (tests/evidence), each with one part swapped for each spelling.
"""

from __future__ import annotations

import pytest

from newsbot.parsing.article import parse_article
from newsbot.parsing.feed import parse_feed
from newsbot.parsing.listing import parse_listing_page
from newsbot.parsing.navigation import parse_navigation
from tests.conftest import CASES, evidence_file

PAGE = (CASES / "2022" / "related-links-heading-nbsp" / "page.html").read_bytes()
URL = "https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"
FIXED_TIME = "2030-01-01T00:00:00Z"  # after every fixture's date: no page is dated after its fetch
HEADING = b"<P><B>RELATED&nbsp;LINKS</B><BR>"
RELATED = [
    (
        "Learn about the Superpowers of the 21st Century at SpaceWar.com",
        "https://www.spacewar.com/superpowers.html",
    ),
    ("NASA", "https://www.nasa.gov/"),
]


def parse(*swaps: tuple[bytes, bytes]):
    page = PAGE
    for old, new in swaps:
        assert old in page, old
        page = page.replace(old, new)
    item = parse_article(URL, page, scraped_at=FIXED_TIME)
    assert item is not None
    return item


@pytest.mark.parametrize(
    "heading",
    [
        b"<p><b>Related Links</b><br>",
        b"<p><b>Related&nbsp;Links</b><br>",
        b"<p><b>Related&#160;links:</b><br>",
        b"<p><b>Related</b> <b>Links</b><br>",
        b"<p><b>Related <!-- heading -->Links</b><br>",
        b"<p><font size=2><b>Related\r\n Links</b></font><br>",
    ],
)
def test_the_related_links_heading_in_any_spelling_opens_the_block(heading):
    item = parse((HEADING, heading))
    assert [(link.text, link.url) for link in item.related_links] == RELATED


def test_a_related_links_heading_with_nbsp_ends_a_body_without_its_end_marker():
    item = parse((b"<!--RELATED LINKS-->", b""))
    assert item.paragraphs[-1].endswith("Putin told Xi by video link.")
    assert "body: end marker missing, ended at the Related Links heading" in item.notes
    assert [(link.text, link.url) for link in item.related_links] == RELATED


DATELINE = b"Moscow (AFP) Dec 30, 2022"
HEADER = (
    b'<span class="BHS">by AFP Staff Writers</span><br><span class="BHS">Moscow (AFP) Dec 30, 2022</span>'
)


@pytest.mark.parametrize(
    "header",
    [
        b'<span class="BHS">By Laure FILLON</span><br><span class="BHS">By Issam AHMED</span><br>'
        b'<span class="BHS">Moscow (AFP) Dec 30, 2022</span>',
        b'<span class="BHS">By Laure FILLON</span>'
        b'<span class="BHS">By Issam AHMEDMoscow (AFP) Dec 30, 2022</span>',
        b'<span class="BHS">By Laure FILLON<br/>\r\nby Issam AHMED</span><br>'
        b'<span class="BHS">Moscow (AFP) Dec 30, 2022</span>',
        b"By Laure FILLON<br>By Issam AHMED<br>Moscow (AFP) Dec 30, 2022",
    ],
)
def test_two_bylines_give_both_authors(header):
    item = parse((HEADER, header))
    assert item.authors == ["Laure FILLON", "Issam AHMED"]
    assert (item.agency, item.dateline, item.date_published) == ("AFP", DATELINE.decode(), "2022-12-30")


@pytest.mark.parametrize(
    "second", [b"by Staff Writers", b"by AFP Staff Writers", b"By the numbers: Russia and China"]
)
def test_a_second_by_line_naming_nobody_leaves_the_byline_as_it_was(second):
    header = HEADER.replace(b"</span><br>", b"</span><br><span class='BHS'>" + second + b"</span><br>", 1)
    item = parse((HEADER, header))
    assert (item.byline, item.authors, item.agency) == ("by AFP Staff Writers", [], "AFP")


# The real 2013 feed (ASCII, `<?xml version="1.0"?>`, no encoding named) with its first item's
# title and dateline in other words: as the windows-1252 its pages are in, or as UTF-8 that claims
# ISO-8859-1. A reading of the feed's bytes that ignores what they are drops or garbles letters.
FEED = evidence_file("spacedaily-rss-2013-04-04.xml").read_bytes()
FEED_SWAPS = (
    ("Collision Course? A Comet Heads for Mars", "Caf\u00e9 talk: a comet\u2019s course for Mars"),
    ("Huntsville AL (SPX) Apr 04, 2013", "S\u00e3o Paulo (AFP) Apr 04, 2013"),
    ("Over the years, the spacefaring", "Over the years \u2014 the spacefaring"),
)


@pytest.mark.parametrize(
    "declaration, encoding",
    [
        ('<?xml version="1.0"?>', "cp1252"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "cp1252"),
        ('<?xml version="1.0" encoding="ISO-8859-1"?>', "utf-8"),
        ('<?xml version="1.0" encoding="utf-8"?>', "cp1252"),
        ('<?xml version="1.0"?>', "utf-8"),
    ],
)
def test_a_feed_in_any_of_its_sites_encodings_keeps_every_letter(declaration, encoding):
    text = FEED.decode("ascii").replace('<?xml version="1.0"?>', declaration, 1)
    for old, new in FEED_SWAPS:
        assert old in text
        text = text.replace(old, new, 1)
    first = parse_feed("https://www.spacedaily.com/spacedaily.xml", text.encode(encoding))[0]
    assert first.title == "Caf\u00e9 talk: a comet\u2019s course for Mars"
    assert (first.dateline_place, first.agency, first.date_published) == (
        "S\u00e3o Paulo",
        "AFP",
        "2013-04-04",
    )
    assert first.teaser.startswith("Over the years \u2014 the spacefaring nations")


@pytest.mark.parametrize("entity", [b"&#xFFFF;", b"&#65535;", b"&#65535"])
def test_a_noncharacter_the_page_names_as_an_entity_does_not_split_its_paragraph(entity):
    item = parse((b"Putin told Xi&nbsp;by", b"Putin told Xi&nbsp;" + entity + b"by"))
    assert item.paragraphs[-1].endswith("Putin told Xi by video link.")


# Header and body forms a live page may print otherwise: each field right, or empty with a note.
PICTURE = b'<img src="https://www.spxdaily.com/images-lg/putin-xi-video-lg.jpg" width="400">'
CAPTION = b'<span class="BCaption">Putin and Xi spoke by video link.</span>'
FIRST_PARAGRAPH = b"<p>Russian leader"


def test_a_place_with_figures_keeps_them():
    item = parse((DATELINE, b"Area 51 NV (SPX) Oct 8, 2025"))
    assert (item.dateline_place, item.agency, item.date_published) == ("Area 51 NV", "SPX", "2025-10-08")
    assert not [note for note in item.notes if note.startswith("dateline")]


def test_an_update_date_before_the_dateline_is_not_the_dateline():
    item = parse((HEADER, b'<span class="BHS">Updated Oct 10, 2025</span><br>' + HEADER))
    assert (item.dateline, item.dateline_place, item.date_published) == (
        DATELINE.decode(),
        "Moscow",
        "2022-12-30",
    )


def test_an_update_date_alone_leaves_the_dateline_empty_with_a_note():
    item = parse((DATELINE, b"Updated Oct 10, 2025"))
    assert (item.dateline, item.dateline_place, item.date_published) == (None, None, None)
    assert "dateline: none found" in item.notes


def test_a_body_start_marker_before_the_headline_starts_the_body_after_the_dateline():
    marker = b"<!--body-2-incontainer.php-->"
    item = parse((marker, b""), (b'<span class="BSection">', marker + b'\r\n<span class="BSection">'))
    assert item.paragraphs[0].startswith("Russian leader Vladimir Putin")
    assert (item.section, item.byline, item.date_published) == (
        "SUPERPOWERS",
        "by AFP Staff Writers",
        "2022-12-30",
    )
    assert "body: start marker before the headline, started after the dateline" in item.notes


@pytest.mark.parametrize("separator", [b" - ", b" -- ", b" &#8212; ", b"</p><p>"])
def test_a_wire_dateline_opening_the_body_is_read_with_a_note_where_the_header_has_none(separator):
    item = parse(
        (HEADER, b'<span class="BHS">by AFP Staff Writers</span>'),
        (FIRST_PARAGRAPH, b"<p>" + DATELINE + separator + b"Russian leader"),
    )
    assert (item.dateline, item.dateline_place, item.agency, item.date_published) == (
        DATELINE.decode(),
        "Moscow",
        "AFP",
        "2022-12-30",
    )
    assert item.paragraphs[0].startswith("Russian leader Vladimir Putin")
    assert "dateline: none in the header, read from the start of the body" in item.notes


@pytest.mark.parametrize(
    "opening",
    [
        b"<p>On Oct 8, 2025 - Russian leader",  # no agency vouches for it: prose
        b"<p>Moscow (AFP) - Russian leader",  # no date
        b"<p>Moscow (AFP) Dec 30, 2022 Russian leader",  # no separator: where it ends is a guess
    ],
)
def test_a_body_opening_that_is_no_wire_dateline_stays_text(opening):
    item = parse((HEADER, b'<span class="BHS">by AFP Staff Writers</span>'), (FIRST_PARAGRAPH, opening))
    assert item.dateline is None and "dateline: none found" in item.notes
    assert item.paragraphs[0].startswith(opening[3:].decode())


def test_a_wire_dateline_in_the_body_is_text_where_the_header_has_one():
    item = parse((FIRST_PARAGRAPH, b"<p>Paris (AFP) Dec 29, 2022 - Russian leader"))
    assert (item.dateline, item.date_published) == (DATELINE.decode(), "2022-12-30")
    assert item.paragraphs[0].startswith("Paris (AFP) Dec 29, 2022 - Russian leader")


@pytest.mark.parametrize("captioned", [CAPTION + b"<br>" + PICTURE, CAPTION])
def test_a_caption_before_its_picture_or_without_one_is_not_lost_silently(captioned):
    item = parse((PICTURE + b"<br>" + CAPTION, captioned))
    assert [image.caption for image in item.images] == [None]
    assert "images: a caption-class line no picture before it takes, not stored" in item.notes


# A page's `<base href>` (a mirror's copy, a CMS's habit) is where a browser resolves its relative
# links and pictures from, not the page's own URL.
BASE = b'<base href="https://www.spacedaily.com/superpowers/">'


def test_relative_links_and_pictures_of_an_article_resolve_against_its_base_href():
    item = parse(
        (b"</head>", BASE + b"</head>"),
        (PICTURE, b'<img src="../images-lg/xi-lg.jpg" width="400">'),
        (b'<a href="https://www.nasa.gov/">', b'<a href="nasa.html">'),
    )
    assert [image.url for image in item.images][1:] == ["https://www.spacedaily.com/images-lg/xi-lg.jpg"]
    assert [link.url for link in item.related_links] == [
        "https://www.spacedaily.com/superpowers.html",
        "https://www.spacedaily.com/superpowers/nasa.html",
    ]
    assert item.url == URL


LISTING = b"""<html><head>%s</head><body><span class="BSection">SUPERPOWERS</span><br>
<span class="BHS"><a href="reports/Philippines_China_move_999.html">Philippines, China move</a></span><br>
<span class="BHS">Manila (AFP) Dec 29, 2022</span><br>The Philippines and China will ...
<a href="reports/Philippines_China_move_999.html">read more</a> <a href="superpowers-02.html">older</a>
<a href="mars.html">Mars</a></body></html>"""


def test_relative_links_of_listing_and_home_pages_resolve_against_their_base_href():
    base, home = b'<base href="https://www.spacewar.com/">', "https://www.spacewar.com/reports/index.html"
    listing = parse_listing_page(home, LISTING % base, section_slug="superpowers")
    assert [entry.url for entry in listing.entries] == [
        "https://www.spacewar.com/reports/Philippines_China_move_999.html"
    ]
    assert listing.pagination == [("https://www.spacewar.com/superpowers-02.html", 2)]
    assert [link.url for link in parse_navigation(home, LISTING % base).sections] == [
        "https://www.spacewar.com/superpowers-02.html",
        "https://www.spacewar.com/mars.html",
    ]


@pytest.mark.parametrize(
    "headline",
    [
        b'<a href="/reports/Philippines_China_move_999.html"><img src="/images/p.jpg" alt=""></a>',
        b"Philippines, China move",  # the headline as text, "read more" the one link
    ],
)
def test_an_article_no_headline_link_names_is_listed_without_what_its_entry_would_say(headline):
    """ANATOMY: an article link is any network link of an article's URL shape. An entry whose only
    links were a picture and "read more" was dropped: the article was never fetched."""
    old = b'<a href="reports/Philippines_China_move_999.html">Philippines, China move</a>'
    page = (LISTING % b"").replace(old, headline)
    listing = parse_listing_page(
        "https://www.spacewar.com/superpowers.html", page, section_slug="superpowers"
    )
    assert [(entry.url, entry.title, entry.dateline, entry.teaser) for entry in listing.entries] == [
        ("https://www.spacewar.com/reports/Philippines_China_move_999.html", "", None, None)
    ]
    assert listing.notes == [
        "listing: 1 article link(s) without a headline link, listed with no teaser or date"
    ]


def test_a_related_link_showing_only_a_picture_is_kept_under_its_alt_text():
    item = parse(
        (
            b'<a href="https://www.nasa.gov/">NASA</a>',
            b'<a href="https://www.nasa.gov/"><img src="n.gif" alt="NASA"></a>',
        )
    )
    assert [(link.text, link.url) for link in item.related_links] == RELATED
