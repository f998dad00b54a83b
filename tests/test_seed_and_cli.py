"""The seed article and the real feed through `newsbot parse`, as a user checks a saved page."""

import json
import subprocess
import sys

import pytest

from newsbot.cli.parse import url_from_mirror_path
from tests import processes
from tests.conftest import ROOT, SNAPSHOT, evidence_file

SEED_URL = "https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"
SEED_PAGE = (
    SNAPSHOT / "www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"
)


def _seed_paragraphs_from_evidence() -> list[str]:
    """The 17 body paragraphs of the real page's text: between the dateline and "Related Links"."""
    lines = evidence_file("seed-article-page.txt").read_text(encoding="utf-8").splitlines()
    start = lines.index("Moscow (AFP) Dec 30, 2022") + 1
    end = lines.index("Related Links")
    return [line.strip() for line in lines[start:end] if line.strip()]


def _newsbot(*args: str) -> subprocess.CompletedProcess:
    return processes.run(["newsbot", *args], ROOT, timeout=60)


def test_newsbot_parse_gives_the_seed_articles_17_paragraphs_exactly_and_nothing_else():
    expected = _seed_paragraphs_from_evidence()
    assert len(expected) == 17
    result = _newsbot("parse", str(SEED_PAGE))
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.splitlines()
    item = json.loads(line)
    assert item["paragraphs"] == expected
    assert item["body"] == "\n\n".join(expected)
    assert item["url"] == SEED_URL
    assert (item["title"], item["section"], item["byline"]) == (
        "Putin tells Xi he wants to ramp up military cooperation",
        "SUPERPOWERS",
        "by AFP Staff Writers",
    )
    assert (item["dateline"], item["dateline_place"], item["agency"], item["date_published"]) == (
        "Moscow (AFP) Dec 30, 2022",
        "Moscow",
        "AFP",
        "2022-12-30",
    )
    assert item["authors"] == []
    assert [link["text"] for link in item["related_links"]] == [
        "Learn about the Superpowers of the 21st Century at SpaceWar.com",
        "Learn about nuclear weapons doctrine and defense at SpaceWar.com",
    ]
    assert item["images"][0]["url"] == "https://www.spxdaily.com/images-hg/putin-xi-video-hg.jpg"
    # Nothing of the blocks around the body leaks into any text field.
    text_fields = json.dumps({k: v for k, v in item.items() if k not in ("related_links", "url", "images")})
    for leak in (
        "Related Links",
        "Thanks for being here",
        "SpaceDaily Contributor",
        "Philippines",
        "read more",
        "Disqus",
        "del.icio.us",
        "Ditching concrete",
        "Copyright 1995",
        "Space Industry and Business News",
    ):
        assert leak not in text_fields, leak
    assert item["notes"] == []


def test_newsbot_parse_gives_the_real_feeds_15_entries_with_dateline_dates():
    result = _newsbot("parse", str(evidence_file("spacedaily-rss-2013-04-04.xml")))
    assert result.returncode == 0, result.stderr
    entries = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(entries) == 15
    assert [e["date_published"] for e in entries].count("2013-04-04") == 10
    assert all(e["url"].startswith("https://www.") and e["title"] and e["teaser"] for e in entries)
    assert all(e["thumbnail"].startswith("http://www.spxdaily.com/images-bg/") for e in entries)


def test_newsbot_parse_says_clearly_when_a_page_is_not_an_article():
    result = _newsbot("parse", str(SNAPSHOT / "www.spacewar.com/superpowers.html"))
    assert result.returncode == 1
    assert result.stdout == ""
    assert "not an article page" in result.stderr
    missing = _newsbot("parse", str(SNAPSHOT / "no-such-file.html"))
    assert missing.returncode == 1 and "No such file" in missing.stderr


def test_url_of_a_saved_page_is_read_from_its_mirror_path():
    assert url_from_mirror_path(SEED_PAGE) == SEED_URL
    assert url_from_mirror_path(ROOT / "README.md") is None


def test_newsbot_parse_into_a_reader_that_goes_away_ends_quietly():
    # `newsbot parse *.html | head -1`: the lines head never reads are no error of ours.
    command = [sys.executable, "-m", "newsbot.cli", "parse", *[str(SEED_PAGE)] * 40]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stdout.readline().startswith(b"{")
    process.stdout.close()
    assert process.wait(timeout=60) == 0
    assert process.stderr is not None and process.stderr.read() == b""


@pytest.mark.parametrize("words", [["schema"], ["parse", str(SEED_PAGE)]])
def test_any_newsbot_command_whose_reader_has_gone_ends_quietly(words):
    # `newsbot schema | true`: the reader closed before a line was written.
    command = [sys.executable, "-m", "newsbot.cli", *words]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    process.stdout.close()
    assert process.wait(timeout=60) == 0
    assert process.stderr is not None and process.stderr.read() == b""
