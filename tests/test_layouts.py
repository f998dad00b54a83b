"""Layout versions (the Fundus habit): a redesign adds a version; older pages keep their own."""

from __future__ import annotations

import re

import pytest

from newsbot.parsing import article
from newsbot.parsing.article import LAYOUT_2022, Markers, parse_article
from tests.test_seed_and_cli import SEED_PAGE, SEED_URL

# The example of article.py's LAYOUTS comment: a redesign of 2027.
LAYOUT_2027 = Markers(
    name="2027",
    body_start=re.compile(r"<!--\s*article-body\s*-->\r?\n?", re.I),
    body_end=re.compile(r"<!--\s*article-end\s*-->", re.I),
    headline_open=re.compile(r'<div class="headline">', re.I),
    headline_close=re.compile(r"</div\s*>", re.I),
    dateline_class="Dateline",
)
TWO_VERSIONS = (("1995-01-01", LAYOUT_2022), ("2027-03-01", LAYOUT_2027))


def _redesigned(page: bytes) -> bytes:
    """The seed page as the 2027 template would serve it, dated 2027."""
    html = page.decode("latin-1")
    html = re.sub(r"<h1>(.*?)<br\s*/?></h1>", r'<div class="headline">\1</div>', html, flags=re.S)
    html = html.replace("<!--body-2-incontainer.php-->", "<!--article-body-->")
    html = html.replace("<!--RELATED LINKS-->", "<!--article-end-->")
    html = html.replace(
        '<span class="BHS">Moscow (AFP) Dec 30, 2022', '<span class="Dateline">Moscow (AFP) Mar 30, 2027'
    )
    html = html.replace('<span class="BHS">by AFP', '<span class="Dateline">by AFP')
    return html.encode("latin-1")


@pytest.fixture
def two_versions(monkeypatch):
    monkeypatch.setattr(article, "LAYOUTS", TWO_VERSIONS)


def test_each_version_parses_its_own_pages(two_versions):
    seed = SEED_PAGE.read_bytes()
    old = parse_article(SEED_URL, seed, scraped_at="2000-01-01T00:00:00Z")
    new = parse_article(SEED_URL, _redesigned(seed), scraped_at="2000-01-01T00:00:00Z")
    assert old is not None and new is not None
    assert old.notes == [] and new.notes == []
    assert old.date_published == "2022-12-30" and new.date_published == "2027-03-30"
    assert new.title == old.title == "Putin tells Xi he wants to ramp up military cooperation"
    assert new.byline == old.byline == "by AFP Staff Writers"
    assert new.paragraphs == old.paragraphs and len(old.paragraphs) == 17
    assert new.related_links == old.related_links


def test_an_old_page_parses_the_same_once_a_new_version_exists(monkeypatch):
    seed = SEED_PAGE.read_bytes()
    before = parse_article(SEED_URL, seed, scraped_at="2000-01-01T00:00:00Z")
    monkeypatch.setattr(article, "LAYOUTS", TWO_VERSIONS)
    after = parse_article(SEED_URL, seed, scraped_at="2000-01-01T00:00:00Z")
    assert after == before


def test_without_its_version_a_redesigned_page_only_parses_by_fallbacks():
    item = parse_article(SEED_URL, _redesigned(SEED_PAGE.read_bytes()), scraped_at="2000-01-01T00:00:00Z")
    # The 2022 markers find neither the headline nor the body: the page is no article to them.
    assert item is None


def test_a_page_in_the_new_template_but_dated_before_it_keeps_the_version_it_fits(two_versions):
    page = _redesigned(SEED_PAGE.read_bytes()).replace(b"Mar 30, 2027", b"Dec 30, 2026")
    item = parse_article(SEED_URL, page, scraped_at="2000-01-01T00:00:00Z")
    assert item is not None and len(item.paragraphs) == 17
    assert item.date_published == "2026-12-30"
    assert "layout: dated for layout 2022 but fits layout 2027" in item.notes
