"""Sections from the live navigation (issue 13), end to end: real `scrapy crawl` subprocesses against
the snapshot, and against altered copies of it in which a section moved or a page went away."""

from __future__ import annotations

import re
from pathlib import Path

from newsbot.snapshot_server import SnapshotServer
from tests.crawling import article_requests, expected_for_sections, run_crawl
from tests.snapshot_copies import copy_snapshot

SPACEWAR_DECLARED = {"superpowers", "missile-defense", "military-space"}


def move_section(site_root: Path, host: str, old: str, new: str, *, label: str | None = None) -> None:
    """Serve a section of a snapshot copy under another page name, as a site redesign would.

    Its pages `<old>.html`, `<old>-NN.html` become `<new>.html`, `<new>-NN.html`, and every link of
    the host's pages to them follows (navigation, pagers, article pages). With `label`, the
    navigation's link text changes too.
    """
    folder = site_root / f"www.{host}"
    for page in sorted(folder.glob(f"{old}*.html")):
        if re.fullmatch(rf"{re.escape(old)}(-\d\d)?\.html", page.name):
            page.rename(folder / page.name.replace(old, new, 1))
    link = re.compile(rb'(href="/?)' + re.escape(old.encode()) + rb'((?:-\d\d)?\.html")')
    for page in folder.rglob("*.html"):
        data = page.read_bytes()
        changed = link.sub(rb"\g<1>" + new.encode() + rb"\g<2>", data)
        if label is not None and page.name == "index.html":
            changed = re.sub(
                rb'(href="/' + re.escape(new.encode()) + rb'\.html">)[^<]*',
                rb"\g<1>" + label.encode(),
                changed,
            )
        if changed != data:
            page.write_bytes(changed)


def _urls(result) -> set[str]:
    return {item["url"] for item in result.items}


def test_a_declared_section_at_a_new_url_is_crawled_in_full_with_the_move_reported(
    manifest, snapshot_server, tmp_path
):
    superpowers = next(
        s for s in manifest["sections"] if s["site"] == "spacewar.com" and s["slug"] == "superpowers"
    )
    at_old = run_crawl("spacewar", snapshot_server.url, tmp_path / "old", args={"sections": "superpowers"})
    assert at_old.returncode == 0, at_old.log[-3000:]
    assert "newsbot/sections_moved" not in at_old.stats

    moved = copy_snapshot(tmp_path / "moved")
    move_section(moved, "spacewar.com", "superpowers", "geopolitics")
    with SnapshotServer(moved) as server:
        at_new = run_crawl("spacewar", server.url, tmp_path / "new", args={"sections": "superpowers"})
    assert at_new.returncode == 0, at_new.log[-3000:]
    assert _urls(at_new) == _urls(at_old) and _urls(at_new)
    # Every page of the section was walked: pagination follows the new page name.
    assert at_new.stats["newsbot/section_pages"] == len(superpowers["pages"]) == 3
    assert at_new.report["outcome"] == "ok"
    assert at_new.stats["newsbot/sections_moved"] == [
        {
            "key": "superpowers",
            "label": "SUPERPOWERS",
            "declared_url": "https://www.spacewar.com/superpowers.html",
            "url": "https://www.spacewar.com/geopolitics.html",
        }
    ]
    assert at_new.report["notes"]["sections_moved"] == 1
    assert "Section SUPERPOWERS moved" in at_new.log
    # The run report keeps the resolved list: label, URL, declared or not.
    resolved = {s["key"]: s for s in at_new.stats["newsbot/sections"]}
    assert resolved["superpowers"]["url"] == "https://www.spacewar.com/geopolitics.html"
    assert resolved["cyber-wars"]["declared"] is False
    assert at_new.stats.get("downloader/response_status_count/404", 0) == 0


def test_a_moved_section_keeps_its_walk_record_and_articles_so_a_rerun_costs_one_page_per_section(
    manifest, snapshot_server, tmp_path
):
    first = run_crawl("spacewar", snapshot_server.url, tmp_path / "out")
    assert first.returncode == 0, first.log[-3000:]
    assert first.report["articles_written"] > 0

    moved = copy_snapshot(tmp_path / "moved")
    move_section(moved, "spacewar.com", "superpowers", "geopolitics")
    move_section(moved, "spacewar.com", "missile-defense", "defense")
    with SnapshotServer(moved) as server:
        second = run_crawl("spacewar", server.url, tmp_path / "out")
    assert second.returncode == 0, second.log[-3000:]
    assert len(second.stats["newsbot/sections_moved"]) == 2
    # Nothing new: no article fetched, no line written, and each walk stops at its first page (the
    # walk records were kept under the sections' identity; a lost record would walk to the end).
    assert second.report["articles_written"] == 0
    assert article_requests(second) == 0
    assert second.report["section_pages"] == 3
    assert "no completed walk on record" not in second.log
    assert second.report["outcome"] == "ok"


def test_sections_all_walks_every_section_the_navigation_names_declared_or_not(
    manifest, snapshot_server, tmp_path
):
    result = run_crawl("spacewar", snapshot_server.url, tmp_path, args={"sections": "all"})
    assert result.returncode == 0, result.log[-3000:]
    navigation = {s["slug"] for s in manifest["sections"] if s["site"] == "spacewar.com"}
    assert navigation == SPACEWAR_DECLARED | {"cyber-wars"}
    listed, groups = expected_for_sections(manifest, "spacewar.com", navigation)
    assert _urls(result) <= set(listed)
    assert len(result.items) == len(listed) - sum(len(group) - 1 for group in groups)
    walked = {k.removeprefix("newsbot/section_fetched/") for k in result.stats if "section_fetched/" in k}
    assert walked == navigation
    pages = sum(len(s["pages"]) for s in manifest["sections"] if s["site"] == "spacewar.com")
    assert result.stats["newsbot/section_pages"] == pages
    assert result.stats["newsbot/sections_new"] == ["cyber-wars"]


def test_a_site_with_no_declared_sections_is_crawled_from_its_navigation_and_never_walks_non_sections(
    manifest, snapshot_server, tmp_path
):
    result = run_crawl("marsdaily", snapshot_server.url, tmp_path, settings={"LOG_LEVEL": "DEBUG"})
    assert result.returncode == 0, result.log[-3000:]
    sections = {s["slug"] for s in manifest["sections"] if s["site"] == "marsdaily.com"}
    assert sections == {"mars-news", "mars-exploration"}
    listed, _ = expected_for_sections(manifest, "marsdaily.com", sections)
    assert _urls(result) == set(listed) and len(result.items) == len(listed) == 4
    assert result.report["outcome"] == "ok"
    navigation = [n for n in manifest["navigation"] if n["site"] == "marsdaily.com"]
    # A request is logged at DEBUG: section pages are, links that are not sections are not.
    assert "https://www.marsdaily.com/mars-news-02.html" in result.log
    never = [n["url"] for n in navigation if not n["is_section"] and n["label"] != "PHOTO GALLERY"]
    assert len(never) == 4
    for url in never:
        assert url not in result.log, url
    assert set(result.stats["newsbot/navigation_not_sections"]) >= {
        "About",
        "Advertise",
        "Privacy Policy",
        "RSS",
    }
    # The gallery looks like any section link; walked once, it lists nothing: counted, not a failure.
    assert result.stats["newsbot/sections_empty"] == 1
    assert "Navigation link PHOTO GALLERY" in result.log
    # All of this is by design: no WARNING, and the mirror is named once.
    assert " WARNING: " not in result.log
    assert result.log.count("Replaying the network from the mirror") == 1
    # An empty page ends its walk without reading as a pagination loop: no bound was hit.
    assert result.report["bounds_hit"] == {} and "pagination loop" not in result.log


def test_a_declared_section_the_snapshot_navigation_moved_is_walked_there(
    manifest, snapshot_server, tmp_path
):
    result = run_crawl("sinodaily", snapshot_server.url, tmp_path)
    assert result.returncode == 0, result.log[-3000:]
    china = next(s for s in manifest["sections"] if s["site"] == "sinodaily.com")
    assert china["declared_url"] != china["pages"][0]
    assert _urls(result) == set(china["article_urls"])
    assert result.stats["newsbot/section_pages"] == len(china["pages"])
    assert [m["url"] for m in result.stats["newsbot/sections_moved"]] == [china["pages"][0]]
    # Without `-a sections` a site walks its declared sections only: the gallery is left alone.
    assert result.stats["newsbot/sections_walked"] == ["china-military"]


def test_names_match_the_navigation_folded_and_an_unknown_one_lists_the_navigation(snapshot_server, tmp_path):
    folded = run_crawl(
        "spacewar",
        snapshot_server.url,
        tmp_path / "folded",
        args={"sections": "cyber  Wars", "max_pages": "1"},
    )
    assert folded.returncode == 0, folded.log[-3000:]
    assert folded.stats["newsbot/sections_walked"] == ["cyber-wars"]
    unknown = run_crawl("sinodaily", snapshot_server.url, tmp_path / "unknown", args={"sections": "nonesuch"})
    assert unknown.returncode == 2
    assert "china-military (CHINA MILITARY), photo-gallery (PHOTO GALLERY)" in unknown.log
    assert unknown.items == []


def test_a_site_with_no_section_at_all_fails_loudly(tmp_path):
    # spacemart declares no section, and here its home page is gone.
    homeless = copy_snapshot(tmp_path / "homeless")
    (homeless / "www.spacemart.com" / "index.html").unlink()
    result = run_crawl("spacemart", str(homeless), tmp_path)
    assert result.returncode == 1
    assert result.stats["finish_reason"] == "no_sections"
    assert len([line for line in result.log.splitlines() if "no section to walk" in line]) == 1
    assert result.report["outcome"] == "failed"


def test_a_gone_declared_url_heals_from_the_navigation_once(manifest, snapshot_server, tmp_path):
    at_old = run_crawl("spacewar", snapshot_server.url, tmp_path / "old", args={"sections": "superpowers"})
    renamed = copy_snapshot(tmp_path / "renamed")
    # Moved, and its navigation label changed too: the run start cannot match it to the registry.
    move_section(renamed, "spacewar.com", "superpowers", "geopolitics", label="SUPERPOWERS NEWS")
    with SnapshotServer(renamed) as server:
        healed = run_crawl("spacewar", server.url, tmp_path / "healed", args={"sections": "superpowers"})
    assert healed.returncode == 0, healed.log[-3000:]
    assert _urls(healed) == _urls(at_old)
    assert healed.stats["newsbot/sections_healed"] == 1
    assert healed.stats["downloader/response_status_count/404"] == 1
    assert "the navigation links it at https://www.spacewar.com/geopolitics.html" in healed.log
    assert healed.report["outcome"] == "ok"


def test_without_a_home_page_the_declared_urls_are_walked_with_a_warning(manifest, snapshot_server, tmp_path):
    headless = copy_snapshot(tmp_path / "headless")
    (headless / "www.spacewar.com" / "index.html").unlink()
    with SnapshotServer(headless) as server:
        result = run_crawl("spacewar", server.url, tmp_path / "out")
    assert result.returncode == 0, result.log[-3000:]
    listed, groups = expected_for_sections(manifest, "spacewar.com", SPACEWAR_DECLARED)
    assert len(result.items) == len(listed) - sum(len(group) - 1 for group in groups)
    assert result.stats["newsbot/home_page_failed"] == 1
    assert "using the declared section URLs" in result.log
