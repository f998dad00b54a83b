"""`newsbot check`: the thresholds (newsbot/quality.py) and the command against the snapshot and
against copies of it altered the way a redesign would alter the article pages."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from scrapy.exceptions import UsageError
from scrapy.utils.test import get_crawler

from newsbot.cli import check as check_command
from newsbot.cli.main import main
from newsbot.parsing.article import parse_article
from newsbot.pipelines.judge import ValidatePipeline
from newsbot.quality import (
    BROKEN,
    DEGRADED,
    FIELD_THRESHOLDS,
    FITS,
    NOTE_MAX_SHARE,
    RUN_THRESHOLDS,
    Threshold,
    assess_site,
    fields_from_stats,
    fill_warnings,
    format_share,
    notes_from_stats,
)
from newsbot.reasons import InvalidItem
from newsbot.registry import load_registry
from newsbot.snapshot_server import SnapshotServer
from tests import processes
from tests.conftest import ROOT, SNAPSHOT, snapshot_path
from tests.faultserver import FaultPlan, FaultServer, faults

# --- quality.py: thresholds and verdicts ---


def test_a_threshold_fits_at_its_minimum_and_breaks_just_below_its_broken_share():
    threshold = Threshold(fits=0.8, broken=0.3)
    assert threshold.grade(1.0) == FITS
    assert threshold.grade(0.8) == FITS
    assert threshold.grade(0.79) == DEGRADED
    assert threshold.grade(0.3) == DEGRADED
    assert threshold.grade(0.29) == BROKEN
    assert threshold.grade(0.0) == BROKEN
    declared = [t for t in FIELD_THRESHOLDS.values() if t] + [t for _, t in RUN_THRESHOLDS.values()]
    assert all(0 <= t.broken <= t.fits <= 1 for t in declared)


_SEED = "https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"


def _item(**changes) -> dict:
    """A valid item with every judged field filled (the seed article's), changed by `changes`."""
    item = parse_article(_SEED, snapshot_path(_SEED).read_bytes())
    assert item is not None
    return {**item.to_dict(), "summary": "Teaser", **changes}


ADVERTORIAL = {
    "byline": None,
    "agency": None,
    "dateline": None,
    "dateline_place": None,
    "date_published": None,
    "notes": ["dateline: none found"],
}


def _assess(items: list[dict], articles: int = 10, stats: dict | None = None, **changes) -> dict:
    """`newsbot check`'s judgement of a site whose crawl parsed `items`, counted by the crawl's own
    ValidatePipeline, out of `articles` links followed."""
    crawler = get_crawler()
    validate = ValidatePipeline.from_crawler(crawler)
    invalid = 0
    for item in items:
        try:
            validate.process_item(item)
        except InvalidItem:
            invalid += 1
    figures = dict(
        sections_requested=3,
        section_pages=3,
        section_pages_empty=0,
        articles_requested=articles,
        articles_parsed=len(items),
        items_invalid=invalid,
        finish_reason="finished",
        pages_fetched=20,
        download_errors=0,
    )
    return assess_site({**figures, **changes}, {**crawler.stats.get_stats(), **(stats or {})})


def test_a_sound_sample_fits_even_with_an_advertorial_and_staff_written_bylines():
    # Fewer than 5 items do not tell an advertorial from a drift: not degraded; an emptied field breaks.
    notes = {"newsbot/notes/title: no <h1>, used <title>": 1}
    small = _assess([_item(), _item(), _item(**ADVERTORIAL)], 3, stats=notes)
    assert small["verdict"] == FITS and small["fields"]["dateline"]["status"] is None, small["reasons"]
    assert _assess([_item(date_published=None) for _ in range(3)], 3)["verdict"] == BROKEN
    items = [_item() for _ in range(9)] + [_item(**ADVERTORIAL)]
    # A moved section is a note of the run's (the navigation's), not of a page's: not judged here.
    result = _assess(items, stats={"newsbot/notes/sections_moved": 1})
    assert result["verdict"] == FITS, result["reasons"]
    assert result["reasons"] == []
    fields = result["fields"]
    assert (fields["dateline"]["count"], fields["dateline"]["total"], fields["dateline"]["status"]) == (
        9,
        10,
        FITS,
    )
    # Nobody is named in "by AFP Staff Writers": shown, never judged.
    assert (fields["authors"]["count"], fields["authors"]["status"]) == (0, None)
    assert result["notes"] == {
        "dateline: none found": {
            "count": 1,
            "total": 10,
            "share": 0.1,
            "degraded_above": None,
            "status": None,
        }
    }


@pytest.mark.parametrize(
    ("missing", "verdict"), [(2, FITS), (3, DEGRADED), (7, DEGRADED), (8, BROKEN), (10, BROKEN)]
)
def test_a_field_emptied_on_more_pages_degrades_then_breaks_the_site(missing, verdict):
    items = [_item(date_published=None) for _ in range(missing)] + [_item() for _ in range(10 - missing)]
    result = _assess(items)
    assert result["verdict"] == verdict
    if verdict != FITS:
        (reason,) = result["reasons"]
        assert reason.startswith(f"date_published filled on {10 - missing} of 10 articles")


def test_a_fallback_on_more_than_a_quarter_of_the_articles_degrades_a_site_whose_fields_are_full():
    note = "dateline: no span.BHS dateline, found by text pattern"
    quoted = "dateline: unparsed date 'Octember 3'"
    assert NOTE_MAX_SHARE == 0.25
    at_limit = [_item(notes=[note]) for _ in range(1)] + [_item() for _ in range(3)]
    assert _assess(at_limit, 4)["verdict"] == FITS  # 25% is not more than 25%
    over = [_item(notes=[note]) for _ in range(3)] + [_item() for _ in range(7)]
    result = _assess(over)
    assert result["verdict"] == DEGRADED
    assert result["reasons"] == [f"fallback '{note}' on 3 of 10 articles (30%; degraded above 25%)"]
    # Notes are counted by kind: quoted values do not split them.
    grouped = [_item(notes=[quoted.replace("Octember", f"Oct{n}")]) for n in range(3)] + [_item()]
    notes = _assess(grouped, 4)["notes"]
    assert [(kind, note["count"]) for kind, note in notes.items()] == [("dateline: unparsed date", 3)]


def test_section_pages_listing_nothing_and_pages_that_are_not_articles_are_breakage():
    items = [_item() for _ in range(10)]
    one_empty = _assess(items, section_pages_empty=1)
    assert one_empty["verdict"] == DEGRADED
    assert one_empty["reasons"] == ["section pages listing article links: 2 of 3 (66.6%; fits at 100%)"]

    missing_section = _assess(items, section_pages=1)
    assert missing_section["verdict"] == BROKEN
    assert "section pages fetched, of the sections asked for: 1 of 3" in missing_section["reasons"][0]

    all_empty = _assess([], 0, section_pages_empty=3)
    assert all_empty["verdict"] == BROKEN
    assert "no article link was found to follow" in all_empty["reasons"]
    assert all(m["status"] is None for m in all_empty["fields"].values())

    not_articles = _assess(items[:2], 10)
    assert not_articles["verdict"] == BROKEN
    assert not_articles["reasons"][0].startswith("articles parsed, of the article links followed: 2 of 10")


def test_invalid_items_and_an_unknown_section_are_reported():
    one_invalid = [_item() for _ in range(9)] + [_item(url="not a URL")]
    invalid = _assess(one_invalid)
    assert invalid["verdict"] == DEGRADED
    assert invalid["reasons"] == ["items valid against the JSON Schema: 9 of 10 (90%; fits at 100%)"]
    unknown = _assess(
        [], 0, {"newsbot/unknown_sections": "nonesuch"}, section_pages=0, finish_reason="unknown_section"
    )
    assert unknown["verdict"] == BROKEN
    assert unknown["reasons"] == ["section(s) not found: nonesuch"]


def test_shares_are_shown_without_rounding_up_to_a_threshold():
    assert format_share(1.0) == "100%"
    assert format_share(0.8999) == "89.9%"
    assert format_share(5 / 6) == "83.3%"
    assert format_share(0.0) == "0%"


def test_fill_rates_and_notes_from_a_run_reports_stats():
    stats = {
        "newsbot/items_valid": 20,
        "newsbot/field_missing/date_published": 15,
        "newsbot/field_missing/images": 1,
        "newsbot/notes/title: no <h1>, used og:title": 20,
        "newsbot/notes/dateline: none found": 2,
        "newsbot/items_written": 20,
    }
    fields = fields_from_stats(stats)
    assert set(fields) == set(FIELD_THRESHOLDS)
    assert fields["date_published"]["share"] == 0.25
    assert fields["images"]["share"] == 0.95
    assert fields["paragraphs"]["share"] == 1.0
    assert fields_from_stats({}) == {}
    assert fields_from_stats({"newsbot/items_valid": 0, "newsbot/field_missing/images": 3}) == {}
    assert notes_from_stats(stats) == {"title: no <h1>, used og:title": 20, "dateline: none found": 2}

    # Judged as `newsbot check` judges the same shares, naming the markup to look at.
    (warning,) = fill_warnings(fields)
    assert warning.startswith("date_published filled on 5 of 20 items (25%; broken below 30%); look at ")
    assert "dateline" in warning

    def missing(total: int, **shares: float) -> dict:
        return {f"newsbot/field_missing/{name}": round(total * (1 - share)) for name, share in shares.items()}

    at_threshold = {name: t.fits for name, t in FIELD_THRESHOLDS.items() if t}
    assert (
        fill_warnings(fields_from_stats({"newsbot/items_valid": 100, **missing(100, **at_threshold)})) == []
    )
    worst_first = fields_from_stats({"newsbot/items_valid": 10, **missing(10, related_links=0.4, byline=0.1)})
    assert [w.split(" ")[0] for w in fill_warnings(worst_first)] == ["byline", "related_links"]
    # A handful of items says nothing of the parser: reported, not warned of.
    few = fields_from_stats({"newsbot/items_valid": 4, **missing(4, byline=0.0)})
    assert few["byline"]["share"] == 0.0 and fill_warnings(few) == []


def test_the_readme_threshold_tables_are_the_declared_ones():
    readme = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = readme.split("## Judging a site: newsbot check", 1)[1]
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+?) \|", section, re.M))
    run_thresholds = {name: threshold for name, (_, threshold) in RUN_THRESHOLDS.items()}
    for name, threshold in {**FIELD_THRESHOLDS, **run_thresholds}.items():
        expected = "not judged" if threshold is None else (
            f"{format_share(threshold.fits)} / {format_share(threshold.broken)}"
        )  # fmt: skip
        assert rows.get(name) == expected, name
    assert f"more than {format_share(NOTE_MAX_SHARE)} of the articles" in " ".join(section.split())


def test_usage_errors_exit_2_before_any_crawl(capsys, monkeypatch):
    monkeypatch.delenv("NEWSBOT_MIRROR", raising=False)
    assert main(["check", "nosuchsite"]) == 2
    assert "unknown site 'nosuchsite'" in capsys.readouterr().err
    assert main(["check", "spacewar", "--mirror", str(SNAPSHOT / "no-such-folder")]) == 2
    assert "not a URL and not a folder" in capsys.readouterr().err
    # The mirror rule of the crawl's NEWSBOT_MIRROR setting, named by where the value came from.
    assert main(["check", "spacewar", "--mirror", "ftp://example.org/"]) == 2
    assert "--mirror 'ftp://example.org/': expected an http(s):// or file:// URL" in capsys.readouterr().err
    monkeypatch.setenv("NEWSBOT_MIRROR", str(SNAPSHOT / "no-such-folder"))
    assert main(["check", "spacewar"]) == 2
    assert "NEWSBOT_MIRROR=" in capsys.readouterr().err


def test_check_counts_follow_the_spider_arguments_rule(capsys):
    for bad in ("0", "-3", "x", ""):
        with pytest.raises(SystemExit) as exit_:
            main(["check", "spacewar", "--articles", bad])
        assert exit_.value.code == 2
        assert f"--articles: expected a whole number of 1 or more, got {bad!r}" in capsys.readouterr().err


# --- The command, in a subprocess (Scrapy's reactor cannot restart within one process) ---


def _check(*args: str, cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in ("NEWSBOT_MIRROR", "SCRAPY_SETTINGS_MODULE")}
    return processes.run(["newsbot", "check", *args], cwd, {**environ, **(env or {})}, timeout=120)


def _verdicts(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^VERDICT (\S+): (.*)$", stdout, re.M))


def test_the_snapshot_fits_and_the_check_exits_0(snapshot_server, tmp_path):
    # Run from an empty folder, as cron would: newsbot's settings are used all the same, and the
    # check writes nothing there (no JSON Lines, no report) nor in the seen-articles store.
    work, data_home = tmp_path / "work", tmp_path / "xdg"
    work.mkdir()
    result = _check(
        # 15 articles: every link of the first section pages, whichever page answers first.
        "spacewar", "spacedaily", "terradaily", "--articles", "15", cwd=work,
        env={"NEWSBOT_MIRROR": snapshot_server.url, "XDG_DATA_HOME": str(data_home)},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert _verdicts(result.stdout) == {"spacewar": "fits", "spacedaily": "fits", "terradaily": "fits"}
    spacewar = result.stdout.split("spacewar (spacewar.com)", 1)[1].split("spacedaily (", 1)[0]
    assert re.search(
        r"article links per section page: 5\.0 \(15 links on 3 section pages, 0 listing", spacewar
    )
    assert re.search(
        r"articles parsed, of the article links followed +15 of 15 +100% +90% +50% +fits", spacewar
    )
    assert re.search(r"^ +date_published +15 of 15 +100% +80% +30% +fits$", spacewar, re.M)
    assert re.search(r"^ +authors +0 of 15 +0% +- +- +not judged$", spacewar, re.M)
    # spacedaily's sample holds an advertorial: no dateline, noted, and still a fit.
    spacedaily = result.stdout.split("spacedaily (spacedaily.com)", 1)[1]
    assert re.search(r"^ +dateline +14 of 15 +93.3% .* fits$", spacedaily, re.M)
    assert re.search(r"^ +dateline: none found +1 of 15 +6.6% +- +- +not judged$", spacedaily, re.M)
    assert list(work.iterdir()) == [] and not data_home.exists()
    assert result.stdout.startswith(f"newsbot check: fits 3 (3 site(s) from the mirror {snapshot_server.url}")


def test_json_gives_the_same_content_as_one_document(snapshot_server):
    result = _check(
        "spacewar", "--sections", "superpowers", "--articles", "3", "--json", "--mirror", snapshot_server.url
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert (document["verdict"], document["exit_status"], document["source"]) == (
        "fits",
        0,
        snapshot_server.url,
    )
    (site,) = document["sites"]
    assert (site["site"], site["host"], site["verdict"], site["reasons"]) == (
        "spacewar", "spacewar.com", "fits", []
    )  # fmt: skip
    assert (site["sections_requested"], site["section_pages"], site["section_pages_empty"]) == (1, 1, 0)
    assert (site["article_links"], site["article_links_per_section_page"]) == (5, 5.0)
    assert (site["articles_requested"], site["articles_parsed"], site["items_invalid"]) == (3, 3, 0)
    assert site["pages_fetched"] == 6  # robots.txt, the home page, the section page, three articles
    assert list(site["fields"]) == list(FIELD_THRESHOLDS)
    assert site["fields"]["title"] == {
        "count": 3, "total": 3, "share": 1.0, "fits_at": 0.95, "broken_below": 0.5, "status": "fits"
    }  # fmt: skip
    assert site["fields"]["authors"]["status"] is None and site["fields"]["authors"]["fits_at"] is None
    assert set(site["run"]) == set(RUN_THRESHOLDS)
    assert site["run"]["articles_parsed"]["count"] == 3
    assert site["notes"] == {}


def test_a_section_found_nowhere_is_a_broken_check(snapshot_server):
    result = _check("spacewar", "--sections", "nonesuch", "--json", "--mirror", snapshot_server.url)
    assert result.returncode == 2, result.stderr
    (site,) = json.loads(result.stdout)["sites"]
    assert (site["verdict"], site["finish_reason"]) == ("broken", "unknown_section")
    assert site["reasons"] == ["section(s) not found: nonesuch"]


def test_the_check_resolves_sections_from_the_navigation_and_reports_moved_and_new_ones(snapshot_server):
    result = _check("sinodaily", "marsdaily", "--articles", "3", "--json", "--mirror", snapshot_server.url)
    sites = {site["site"]: site for site in json.loads(result.stdout)["sites"]}
    sino, mars = sites["sinodaily"]["sections"], sites["marsdaily"]["sections"]
    assert [(m["key"], m["url"]) for m in sino["moved"]] == [
        ("china-military", "https://www.sinodaily.com/china-news.html")
    ]
    assert sino["walked"] == ["china-military"] and sino["missing"] == []
    # A site that declares no section is checked from its navigation; the gallery link, which lists
    # no article, is not held against it.
    assert mars["new"] == ["mars-news", "mars-exploration", "photo-gallery"]
    assert mars["not_sections_walked"] == 1
    assert sites["marsdaily"]["section_pages"] == 2
    assert sites["marsdaily"]["verdict"] != "broken", sites["marsdaily"]["reasons"]
    text = _check("sinodaily", "--articles", "2", "--mirror", snapshot_server.url).stdout
    assert (
        "section MOVED: CHINA MILITARY https://www.sinodaily.com/china-military.html -> "
        "https://www.sinodaily.com/china-news.html" in text
    )


def test_the_exit_status_is_the_verdict_even_when_nobody_reads_the_output():
    # `newsbot check ... | head -1`: the reader gone, the scheduler still learns to hold the crawl.
    command = [sys.executable, "-m", "newsbot.cli", "check", "spacewar", "--sections", "nonesuch"]
    environ = {k: v for k, v in os.environ.items() if k != "SCRAPY_SETTINGS_MODULE"}
    process = subprocess.Popen(
        [*command, "--mirror", str(SNAPSHOT)],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    assert process.wait(timeout=120) == 2
    assert b"Traceback" not in process.stderr.read()


_SPACEWAR = re.compile(r"^/www\.spacewar\.com/")
_ROBOTS_TXT_NOT_HAD = "robots.txt of www.spacewar.com could not be had (the log says why): nothing fetched"


@pytest.mark.parametrize(
    "plan, not_checked",
    [
        ([faults.blocked(_SPACEWAR)], _ROBOTS_TXT_NOT_HAD),
        ([faults.drop(_SPACEWAR)], _ROBOTS_TXT_NOT_HAD),
        (
            [faults.robots("www.spacewar.com", disallow=["/"])],
            "the site refused the crawler (3 page(s) robots.txt forbids): nothing parsed",
        ),
        (
            [faults.challenge(re.compile(r"^/www\.spacewar\.com/(?!robots)"))],
            "the site refused the crawler (3 block page(s)): nothing parsed",
        ),
        (
            [faults.blocked(re.compile(r"^/www\.spacewar\.com/reports/"))],
            "the site refused the crawler (3 block page(s)): nothing parsed",
        ),
    ],
    ids=[
        "403 to everything",
        "connection reset",
        "robots.txt forbids all",
        "challenge pages",
        "403 articles",
    ],
)
def test_a_site_that_refuses_the_crawler_is_not_checked_and_the_others_are(plan, not_checked):
    # Nothing of the site parsed: its parsers are not judged (no 'broken', which holds the crawl for a
    # redesign and names a parser), and the sites reached still are.
    with FaultServer(SNAPSHOT, FaultPlan(plan)) as server:
        text = _check("spacewar", "terradaily", "--articles", "3", "--mirror", server.url)
        document = json.loads(_check("spacewar", "--articles", "3", "--json", "--mirror", server.url).stdout)
    assert text.returncode == 1, text.stdout + text.stderr
    assert _verdicts(text.stdout) == {"terradaily": "fits"}
    assert text.stdout.startswith("newsbot check: fits 1, not checked 1 (2 site(s) from the mirror")
    assert text.stdout.strip().splitlines()[-1] == f"NOT CHECKED spacewar: {not_checked}"
    assert "Traceback" not in text.stderr
    # A monitoring job reading the JSON meets no verdict where nothing was checked.
    (site,) = document["sites"]
    assert (document["verdict"], document["exit_status"], site["verdict"], site["reasons"]) == (
        None,
        1,
        None,
        [],
    )
    assert site["unreachable"] == [not_checked]


def test_a_sister_site_host_not_reached_leaves_the_site_checked():
    # Live, an article a section lists on another site's host that cannot be resolved: the site's own
    # pages were had and judged, so it gets a verdict, not 'NOT CHECKED ... could not resolve' another host.
    stats = {
        "finish_reason": "finished",
        "downloader/response_count": 13,
        "newsbot/sections_walked": ["superpowers", "missile-defense"],
        "newsbot/section_pages": 2,
        "newsbot/listed_entries": 10,
        "newsbot/articles_requested": 10,
        "newsbot/items_valid": 10,
        "newsbot/hosts_unreachable": ["could not resolve www.spacedaily.com: no network or DNS?"],
    }
    report = check_command._report(load_registry().site("spacewar"), stats)
    assert (report["unreachable"], report["verdict"]) == ([], FITS)


# --- Redesigned copies of the snapshot ---

_H1 = re.compile(r"<h1>(.*?)(?:<br\s*/?>)?</h1>", re.S)
_BYLINE_AND_DATELINE = re.compile(
    r'<span class="BHS">(by [^<]*)</span><br><span class="BHS">([^<]*)</span>\r?\n', re.I
)
_BODY_START = "<!--body-2-incontainer.php-->"
_BODY_END = "<!--RELATED LINKS-->"


def _redesign(root: Path, host: str, *, headline: bool = True, dateline: bool = False, body: str = "") -> int:
    """Rewrite the article pages of one site of a snapshot copy as a redesign would.

    headline: `<h1>` becomes `<div class="headline">`. dateline: the byline and dateline spans lose
    their class BHS and the dateline moves below the body; the body end marker is renamed.
    body="all": the body start marker goes too. Returns the number of pages rewritten.
    """
    pages = sorted((root / f"www.{host}" / "reports").glob("*.html"))
    for page in pages:
        html = page.read_bytes().decode("latin-1")
        if headline:
            html, count = _H1.subn(r'<div class="headline">\1</div>', html)
            assert count == 1, page
        if dateline:
            match = _BYLINE_AND_DATELINE.search(html)
            moved = ""
            if match:  # the advertorial has neither
                html = html.replace(match.group(0), f'<span class="byline">{match.group(1)}</span>\n')
                moved = f'<div class="dateline">{match.group(2)}</div>\n'
            assert html.count(_BODY_END) == 1, page
            html = html.replace(_BODY_END, f"{moved}<!--related-links-v2-->")
        if body == "all":
            assert html.count(_BODY_START) == 1, page
            html = html.replace(_BODY_START, '<div class="story">')
        page.write_bytes(html.encode("latin-1"))
    return len(pages)


def test_a_redesign_breaks_the_verdict_names_the_fields_and_the_check_exits_2(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(SNAPSHOT, root)
    # spacewar.com: headline and dateline markup renamed, the dateline moved below the body.
    assert _redesign(root, "spacewar.com", dateline=True) > 10
    # terradaily.com: every marker renamed, the body start too: the pages no longer read as articles.
    assert _redesign(root, "terradaily.com", dateline=True, body="all") > 5
    with SnapshotServer(root) as server:
        result = _check("spacewar", "spacedaily", "terradaily", "--articles", "15", "--mirror", server.url)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout.startswith("newsbot check: fits 1, broken 2 (3 site(s) from the mirror")
    verdicts = _verdicts(result.stdout)
    assert verdicts["spacedaily"] == "fits"

    assert verdicts["spacewar"].startswith("broken (")
    spacewar = verdicts["spacewar"]
    for name in ("dateline", "dateline_place", "date_published"):
        assert re.search(rf"\b{name} filled on 1 of 15 articles \(6.6%; broken below 30%\)", spacewar)
    assert "paragraphs" not in spacewar and "title filled" not in spacewar
    # The headline still comes through (from <title>), but the fallback says the markup moved.
    # spacewar's MILITARY SPACE lists a spacedaily.com article, which keeps the old markup.
    assert "fallback 'title: no <h1>, used <title>' on 14 of 15 articles" in spacewar
    assert "fallback 'body: end marker missing, ended at the Related Links heading'" in spacewar

    # terradaily lists spacedaily copies too, which still parse: 2 of its 6 links.
    assert verdicts["terradaily"].startswith(
        "broken (articles parsed, of the article links followed: 2 of 6 (33.3%; broken below 50%)"
    )
    assert "article links followed: 6; parsed 2, invalid 0\n" in result.stdout
    # Why the other four gave no item, by reason.
    assert "articles missing, by reason: not_article 4\n" in result.stdout


def test_a_headline_fallback_alone_degrades_and_the_check_exits_1(tmp_path):
    root = tmp_path / "site"
    shutil.copytree(SNAPSHOT, root)
    _redesign(root, "spacedaily.com")
    with SnapshotServer(root) as server:
        result = _check("spacedaily", "--json", "--mirror", server.url)
    assert result.returncode == 1, result.stdout + result.stderr
    (site,) = json.loads(result.stdout)["sites"]
    assert site["verdict"] == "degraded"
    # The title is still filled from <title>; a sister-site page in the sample keeps its <h1>.
    assert site["fields"]["title"]["status"] == "fits"
    assert site["notes"]["title: no <h1>, used <title>"]["status"] == "degraded"
    assert all(reason.startswith("fallback '") for reason in site["reasons"]), site["reasons"]


def test_a_spider_argument_rule_broken_by_an_option_is_one_line_and_exit_2(capsys, monkeypatch):
    # `--sections` is read by the spider arguments' code, whose misuse is Scrapy's UsageError.
    message = "-a sections=: empty; give a value, or leave the argument out"

    def refuse(raw):
        raise UsageError(message)

    monkeypatch.setattr("newsbot.cli.check.SpiderArguments.parse", refuse)
    assert main(["check", "spacewar", "--sections", " "]) == 2
    assert capsys.readouterr().err == f"newsbot check: {message}\n"
