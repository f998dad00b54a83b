import json

import pytest

from newsbot.parsing.feed import FeedError, looks_like_feed, parse_feed
from tests.conftest import evidence_file

REAL_FEED = "spacedaily-rss-2013-04-04.xml"


def test_real_feed_gives_its_15_entries_dated_by_their_datelines_not_pubdate():
    body = evidence_file(REAL_FEED).read_bytes()
    assert looks_like_feed(body)
    entries = parse_feed("https://www.spacedaily.com/spacedaily.xml", body)
    assert len(entries) == 15
    first = entries[0]
    assert first.url == "https://www.spacedaily.com/reports/Collision_Course_A_Comet_Heads_for_Mars_999.html"
    assert first.title == "Collision Course? A Comet Heads for Mars"
    assert first.dateline == "Huntsville AL (SPX) Apr 04, 2013"
    assert first.date_published == "2013-04-04"
    assert first.thumbnail == "http://www.spxdaily.com/images-bg/comet-2013-a1-mars-bg.jpg"
    assert first.teaser.startswith("Over the years, the spacefaring nations")
    assert "<" not in first.teaser and "img" not in first.teaser
    # pubDate is the build time (Apr 4) for all; the datelines say Apr 2 and Apr 3 for some.
    assert {e.date_published for e in entries} == {"2013-04-02", "2013-04-03", "2013-04-04"}
    brussels = next(e for e in entries if e.dateline.startswith("Brussels"))
    assert (brussels.agency, brussels.date_published) == ("AFP", "2013-04-03")
    assert {e.site for e in entries} >= {"spacedaily.com", "marsdaily.com", "saturndaily.com", "gpsdaily.com"}
    assert all(e.thumbnail.startswith("http://www.spxdaily.com/images-bg/") for e in entries)


def test_2025_feed_item_descriptions_give_dateline_and_teaser():
    items = json.loads(evidence_file("rss-items-2025-sample.json").read_text(encoding="utf-8"))
    xml = (
        "<rss version='2.0'><channel>"
        + "".join(
            f"<item><title><![CDATA[{i['title']}]]></title><link><![CDATA[{i['link']}]]></link>"
            f"<description><![CDATA[{i['description']}]]></description><pubDate>{i['pubDate']}</pubDate></item>"
            for i in items
        )
        + "</channel></rss>"
    )
    entries = parse_feed("https://www.spacewar.com/spacewar.xml", xml.encode())
    assert len(entries) == len(items) == 45
    assert all(e.date_published and e.date_published.startswith("2025-") for e in entries)
    strasbourg = next(e for e in entries if e.dateline.startswith("Strasbourg"))
    assert (strasbourg.agency, strasbourg.dateline_place) == (None, "Strasbourg, France")
    assert all(e.notes == [] for e in entries)


def test_garbage_is_a_clear_error_not_a_crash():
    with pytest.raises(FeedError):
        parse_feed("https://www.spacewar.com/spacewar.xml", b"\x00\x01 not xml at all")


@pytest.mark.parametrize(
    "description",
    [
        "<p>Moscow (AFP) Dec 30, 2022</p><p>Russia and China will</p>",
        "<img src='/images-bg/a-bg.jpg'><br>Moscow (AFP) Dec 30, 2022<br/>Russia and China will",
        "Moscow (AFP) Dec 30, 2022<br/>Russia and<br>China will",
    ],
)
def test_a_description_in_lines_or_paragraphs_gives_its_dateline_and_a_teaser_of_whole_words(description):
    """Paragraphs or a picture before the dateline hid it, and glued its words to the teaser's."""
    feed = (
        "<rss version='2.0'><channel><item><title>A</title>"
        "<link>https://www.spacewar.com/reports/A_999.html</link>"
        f"<description><![CDATA[{description}]]></description></item></channel></rss>"
    )
    (entry,) = parse_feed("https://www.spacewar.com/spacewar.xml", feed.encode())
    assert (entry.dateline, entry.date_published, entry.teaser) == (
        "Moscow (AFP) Dec 30, 2022",
        "2022-12-30",
        "Russia and China will",
    )
