"""Layout versions (the Fundus habit, as classes): a redesign is one subclass plus its cases.

`Layout2027` (tests/cases_support.py) is an example redesign: it overrides the markers and selectors
that changed as class attributes and one step (the Related Links block) as a method. Its cases live
in tests/cases/2027/. Nothing here patches a module global: the versions are an argument of
parse_article.
"""

from __future__ import annotations

import dataclasses
import inspect
import re

from newsbot.parsing.article import FIELD_HINTS, is_article_page, parse_article
from newsbot.parsing.article.layouts import LAYOUTS, Layout2022, choose_layout, layout_for
from newsbot.parsing.article.page import Page
from newsbot.parsing.dateline import parse_dateline
from tests import cases_support
from tests.cases_support import CASE_LAYOUTS, Layout2027, all_cases
from tests.test_seed_and_cli import SEED_PAGE, SEED_URL

TWO_VERSIONS = (Layout2022, Layout2027)
FIXED_TIME = "2030-01-01T00:00:00Z"  # after every fixture's date: no page is dated after its fetch


def _redesigned(page: bytes) -> bytes:
    """The seed page as the 2027 template would serve it, dated 2027."""
    html = page.decode("latin-1")
    html = re.sub(r"<h1>(.*?)<br\s*/?></h1>", r'<div class="headline">\1</div>', html, flags=re.S)
    html = html.replace("<!--body-2-incontainer.php-->", "<!--article-body-->")
    html = re.sub(
        r"<!--RELATED LINKS-->\s*<p><b>Related Links</b><br>(.*?)<div class=\"donate\">",
        lambda m: (
            '<!--article-end--><ul class="related">'
            + re.sub(r"(<a [^>]*>.*?</a>)<br>", r"<li>\1", m.group(1))
            + '</ul><div class="donate">'
        ),
        html,
        flags=re.S,
    )
    html = html.replace(
        '<span class="BHS">Moscow (AFP) Dec 30, 2022', '<span class="Dateline">Moscow (AFP) Mar 30, 2027'
    )
    html = html.replace('<span class="BHS">by AFP', '<span class="Dateline">by AFP')
    return html.encode("latin-1")


def test_a_redesign_is_a_subclass_overriding_only_what_changed():
    changed = {name for name in vars(Layout2027) if not name.startswith("__")}
    assert changed == {
        "name", "valid_from", "body_start", "body_end", "headline", "dateline_class", "related",
        "related_anchors",
    }  # fmt: skip
    assert Layout2027.section_labels is Layout2022.section_labels
    assert Layout2027.dateline is Layout2022.dateline
    source, _ = inspect.getsourcelines(Layout2027)
    assert len(source) <= 30


def test_each_version_parses_its_own_pages():
    seed = SEED_PAGE.read_bytes()
    old = parse_article(SEED_URL, seed, scraped_at=FIXED_TIME, layouts=TWO_VERSIONS)
    new = parse_article(SEED_URL, _redesigned(seed), scraped_at=FIXED_TIME, layouts=TWO_VERSIONS)
    assert old is not None and new is not None
    assert old.notes == [] and new.notes == []
    assert old.date_published == "2022-12-30" and new.date_published == "2027-03-30"
    assert new.title == old.title == "Putin tells Xi he wants to ramp up military cooperation"
    assert new.byline == old.byline == "by AFP Staff Writers"
    assert new.paragraphs == old.paragraphs and len(old.paragraphs) == 17
    assert new.related_links == old.related_links and len(old.related_links) == 2


def test_an_old_page_parses_the_same_once_a_new_version_exists():
    seed = SEED_PAGE.read_bytes()
    before = parse_article(SEED_URL, seed, scraped_at=FIXED_TIME)
    after = parse_article(SEED_URL, seed, scraped_at=FIXED_TIME, layouts=TWO_VERSIONS)
    assert dataclasses.replace(after, parsed_at=before.parsed_at) == before  # parsed a second apart, maybe


def test_without_its_version_a_redesigned_page_only_parses_by_fallbacks():
    item = parse_article(SEED_URL, _redesigned(SEED_PAGE.read_bytes()), scraped_at=FIXED_TIME)
    # The 2022 markers find neither the headline nor the body: the page is no article to them.
    assert item is None


def test_a_page_in_the_new_template_but_dated_before_it_keeps_the_version_it_fits():
    page = _redesigned(SEED_PAGE.read_bytes()).replace(b"Mar 30, 2027", b"Dec 30, 2026")
    item = parse_article(SEED_URL, page, scraped_at=FIXED_TIME, layouts=TWO_VERSIONS)
    assert item is not None and len(item.paragraphs) == 17
    assert item.date_published == "2026-12-30"
    assert "layout: dated for layout 2022 but fits layout 2027" in item.notes


def test_the_version_is_chosen_by_fit_then_by_date():
    seed = SEED_PAGE.read_bytes().decode("latin-1")
    notes: list[str] = []
    reading = choose_layout(Page(seed), TWO_VERSIONS, notes)
    assert reading is not None and reading.name == "2022" and notes == []
    redesigned = _redesigned(SEED_PAGE.read_bytes()).decode("latin-1")
    reading = choose_layout(Page(redesigned), TWO_VERSIONS, notes)
    assert reading is not None and reading.name == "2027" and notes == []
    assert layout_for(parse_dateline("Moscow (AFP) Feb 28, 2027"), TWO_VERSIONS).name == "2022"
    assert layout_for(parse_dateline("Moscow (AFP) Mar 1, 2027"), TWO_VERSIONS).name == "2027"
    assert layout_for(None, TWO_VERSIONS).name == "2027"


def test_the_shipped_versions_and_the_case_folders():
    assert [layout.name for layout in LAYOUTS] == ["2022"]
    assert CASE_LAYOUTS["2027"][-1] is cases_support.Layout2027
    assert {case.layout for case in all_cases()} == {"2022", "2027"}


def test_markers_in_raw_text_are_no_markers_whichever_comes_first():
    body = "<!--body-2-incontainer.php-->"
    pages = {
        # The body start in a <noscript> first, the real one beside the headline after it.
        f"<body><div><noscript>{body}</noscript><h1>T</h1>{body}<p>x</p></div></body>": (0, 1),
        # A headline in raw text, then the real headline and body start as siblings.
        f"<body><div><noscript><h1>N</h1></noscript><h1>T</h1>{body}</div></body>": (1, 0),
        # Headline and body start share a parent inside a <noscript>: neither counts.
        f"<body><noscript><div><h1>N</h1>{body}</div></noscript></body>": (None, None),
        # One sibling in raw text, the next outside it: the first one's parent says nothing.
        f"<body><noscript><h1>N</h1></noscript><div><h1>T</h1>{body}</div></body>": (1, 0),
    }
    for html, (headline_number, body_number) in pages.items():
        page = Page(html)
        reading = Layout2022(page)
        body_start = None if reading.body_start_at is None else page.events[reading.body_start_at][1]
        headlines = list(page.root.iter("h1"))
        comments = [node for node in page.root.iter() if not isinstance(node.tag, str)]
        assert reading.headline_element is (None if headline_number is None else headlines[headline_number])
        assert body_start is (None if body_number is None else comments[body_number]), html


def test_other_modules_ask_the_layout_api():
    assert is_article_page(SEED_PAGE.read_bytes())
    assert not is_article_page(b"<html><body><h1>Blocked</h1></body></html>")
    assert Layout2022.field_hints == FIELD_HINTS and FIELD_HINTS is not Layout2022.field_hints


def test_a_field_that_fails_is_empty_and_noted(monkeypatch):
    def broken(self):
        raise RuntimeError("selector broke")

    monkeypatch.setattr(Layout2022, "related_links", lambda self, base_url: broken(self))
    item = parse_article(SEED_URL, SEED_PAGE.read_bytes(), scraped_at=FIXED_TIME)
    assert item is not None and item.related_links == [] and len(item.paragraphs) == 17
    assert "related_links: not read (RuntimeError: selector broke)" in item.notes


def test_a_dateline_a_day_after_the_fetch_is_kept_two_days_after_is_not():
    # The dateline's day is its place's: up to a day ahead of the fetch's UTC day (Sydney, Tokyo).
    seed = SEED_PAGE.read_bytes()
    kept = parse_article(SEED_URL, seed, scraped_at="2022-12-29T20:00:00Z")
    refused = parse_article(SEED_URL, seed, scraped_at="2022-12-28T20:00:00Z")
    assert kept is not None and kept.date_published == "2022-12-30"
    assert refused is not None and refused.date_published is None
    assert "dateline: date 2022-12-30 after the fetch, not stored" in refused.notes


def test_a_byline_naming_no_person_gives_no_authors_and_says_so():
    page = SEED_PAGE.read_bytes().replace(b"by AFP Staff Writers", b"By NASA")
    item = parse_article(SEED_URL, page, scraped_at=FIXED_TIME)
    assert item is not None and item.byline == "By NASA" and item.authors == []
    assert "byline: no authors read, its names are no person's" in item.notes


def test_a_dateline_long_before_the_previous_articles_is_not_stored():
    # The teaser after the body is the section's previous article (Dec 29, 2022): 2012 is a typo.
    page = SEED_PAGE.read_bytes().replace(b"Moscow (AFP) Dec 30, 2022", b"Moscow (AFP) Dec 30, 2012")
    item = parse_article(SEED_URL, page, scraped_at=FIXED_TIME)
    assert item is not None and item.dateline == "Moscow (AFP) Dec 30, 2012" and item.date_published is None
    assert "dateline: date 2012-12-30 long before the previous article's 2022-12-29, not stored" in item.notes
    # A press release posted days after its date is no typo.
    page = SEED_PAGE.read_bytes().replace(b"Moscow (AFP) Dec 30, 2022", b"Moscow (AFP) Dec 15, 2022")
    item = parse_article(SEED_URL, page, scraped_at=FIXED_TIME)
    assert item is not None and item.date_published == "2022-12-15"
