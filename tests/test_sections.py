"""Sections from the navigation, in-process: the navigation parser on saved pages, the resolution of
declared sections against it, and the `newsbot sections` command."""

from __future__ import annotations

import json
import shutil

import pytest

from newsbot.cli.main import main
from newsbot.parsing.navigation import parse_navigation
from newsbot.registry import NavLink, Section, Site, load_registry, resolve_sections
from newsbot.registry.sections import section_key
from tests.conftest import SNAPSHOT, snapshot_path
from tests.faultserver import FaultPlan, FaultServer, faults


def _home(host: str) -> bytes:
    return snapshot_path(f"https://www.{host}/index.html").read_bytes()


def _site(*sections: tuple[str, str]) -> Site:
    host = "spacewar.com"
    declared = tuple(Section(slug=slug, label=label) for slug, label in sections)
    return Site(name="spacewar", host=host, feed=None, sections=declared)


def _link(label: str, page: str) -> NavLink:
    return NavLink(label=label, url=f"https://www.spacewar.com/{page}.html")


# --- The navigation parser, on the snapshot's saved home pages ---


def test_the_navigation_of_each_saved_home_page_matches_the_manifest(manifest):
    for host in sorted({entry["site"] for entry in manifest["navigation"]}):
        navigation = parse_navigation(f"https://www.{host}/index.html", _home(host))
        truth = [n for n in manifest["navigation"] if n["site"] == host]
        found = {link.url: link.label for link in navigation.sections}
        # Every true section is found, with its label; every link known not to be one is set apart.
        assert {n["url"]: n["label"] for n in truth if n["is_section"]}.items() <= found.items()
        apart = {link.url for link in navigation.not_sections}
        for entry in truth:
            if not entry["is_section"] and entry["label"] != "PHOTO GALLERY":
                assert entry["url"] in apart and entry["url"] not in found, entry
        # Articles are never section links.
        assert not any("/reports/" in url for url in found)


def test_non_section_links_are_told_by_label_page_name_or_kind():
    body = b"""<html><body><table class="nav"><tr>
    <td><a href="/index.html">Home</a></td>
    <td><a href="/superpowers.html">SUPERPOWERS</a></td>
    <td><a href="/about-us.html">About Us</a></td>
    <td><a href="/advertise.html">Media kit</a></td>
    <td><a href="/spacewar.xml">Feed</a></td>
    <td><a href="/search.html?q=x">Find</a></td>
    <td><a href="/images/logo.png">Logo</a></td>
    <td><a href="mailto:editor@spacewar.com">Contact</a></td>
    <td><a href="https://www.example.com/partner.html">PARTNER</a></td>
    <td><a href="https://www.spacedaily.com/launch-pad.html">LAUNCH PAD</a></td>
    <td><a href="/reports/Some_Story_999.html">Some story</a></td>
    <td><a href="/superpowers.html">Superpowers again</a></td>
    <td><a href="/missile-defense.html"><img alt="" src="/m.gif"></a></td>
    </tr></table></body></html>"""
    navigation = parse_navigation("https://www.spacewar.com/index.html", body)
    assert [(link.label, link.url) for link in navigation.sections] == [
        ("SUPERPOWERS", "https://www.spacewar.com/superpowers.html"),
        # A picture link with no text is named by its page.
        ("missile-defense", "https://www.spacewar.com/missile-defense.html"),
    ]
    assert [link.label for link in navigation.not_sections] == [
        "Home", "About Us", "Media kit", "Feed", "Find", "Logo",
    ]  # fmt: skip


def test_a_page_without_links_has_no_navigation():
    assert (
        parse_navigation("https://www.spacewar.com/index.html", b"<html><body>Down</body></html>").sections
        == []
    )
    assert parse_navigation("https://www.spacewar.com/index.html", b"").sections == []


def test_a_navigation_link_showing_only_a_picture_is_labelled_by_its_alt_text():
    """The label was the page's name ("milspace"): a user asking for "Military Space" missed it."""
    page = b'<a href="/milspace.html"><img src="/images/nav-milspace.gif" alt="Military Space"></a>'
    assert parse_navigation("https://www.spacewar.com/index.html", page).sections == [
        _link("Military Space", "milspace")
    ]


# --- Resolution against the registry ---


def test_a_declared_section_is_matched_by_folded_label_and_the_navigation_url_wins():
    site = _site(("superpowers", "SUPERPOWERS"), ("missile-defense", "MISSILE DEFENSE"))
    resolution = resolve_sections(
        site, [_link("Super  powers", "world"), _link("missile defense", "defense")]
    )
    by_key = {s.key: s for s in resolution.sections}
    assert set(by_key) == {"superpowers", "missile-defense"}
    # "Super  powers" folds to "superpowers", the declared label; the navigation URL wins.
    assert by_key["superpowers"].url == "https://www.spacewar.com/world.html"
    assert by_key["superpowers"].moved
    assert by_key["superpowers"].declared_url == "https://www.spacewar.com/superpowers.html"
    assert [s.key for s in resolution.moved] == ["superpowers", "missile-defense"]
    assert resolution.new == [] and resolution.missing == []


def test_a_declared_section_is_matched_by_slug_when_its_label_changed():
    site = _site(("missile-defense", "MISSILE DEFENSE"))
    resolution = resolve_sections(site, [_link("DEFENCE", "missile-defense")])
    (section,) = resolution.sections
    # The registry's identity stands, so the walk record and the stored articles carry over.
    assert (section.key, section.declared, section.in_navigation, section.moved) == (
        "missile-defense", True, True, False,
    )  # fmt: skip


def test_sections_the_registry_lacks_are_new_and_declared_ones_the_navigation_lacks_are_missing():
    site = _site(("superpowers", "SUPERPOWERS"), ("military-space", "MILITARY SPACE"))
    resolution = resolve_sections(
        site, [_link("SUPERPOWERS", "superpowers"), _link("CYBER WARS", "cyber-wars")]
    )
    assert [s.key for s in resolution.sections] == ["superpowers", "cyber-wars", "military-space"]
    assert [s.key for s in resolution.new] == ["cyber-wars"]
    assert [s.key for s in resolution.missing] == ["military-space"]
    # The missing one is still tried at its declared URL.
    assert resolution.missing[0].url == "https://www.spacewar.com/military-space.html"
    assert [s.key for s in resolution.default()] == ["superpowers", "military-space"]


def test_without_a_navigation_the_declared_sections_stand_and_none_is_missing():
    site = _site(("superpowers", "SUPERPOWERS"))
    resolution = resolve_sections(site, None)
    assert not resolution.navigation_read
    assert [(s.key, s.url, s.in_navigation) for s in resolution.sections] == [
        ("superpowers", "https://www.spacewar.com/superpowers.html", False)
    ]
    assert resolution.missing == []
    assert resolve_sections(_site(), None).sections == ()


def test_a_site_without_declared_sections_defaults_to_its_navigation():
    resolution = resolve_sections(
        _site(), [_link("MARS NEWS", "mars-news"), _link("MARS NEWS", "mars-news-old")]
    )
    # One section per identity: the first link of a repeated label stands.
    assert [(s.key, s.url) for s in resolution.default()] == [
        ("mars-news", "https://www.spacewar.com/mars-news.html")
    ]


def test_user_names_are_matched_by_key_label_slug_or_page_name_folded():
    site = _site(("superpowers", "SUPERPOWERS"))
    resolution = resolve_sections(site, [_link("SUPERPOWERS", "world"), _link("CYBER WARS", "cyber")])
    for name in ("superpowers", "Super Powers", "world", "CYBER  wars", "cyber-wars", "cyber"):
        assert resolution.select([name])[1] == [], name
    chosen, unknown = resolution.select(["cyber wars", "CYBER-WARS", "nonesuch"])
    assert [s.key for s in chosen] == ["cyber-wars"] and unknown == ["nonesuch"]
    assert resolution.describe() == "superpowers (SUPERPOWERS), cyber-wars (CYBER WARS)"


@pytest.mark.parametrize(
    ("label", "fallback", "key"),
    [
        ("MISSILE DEFENSE", "", "missile-defense"),
        ("  Mars News! ", "", "mars-news"),
        ("", "gallery", "gallery"),
    ],
)
def test_a_section_key_is_the_slug_of_its_label(label, fallback, key):
    assert section_key(label, fallback) == key


def test_a_registry_section_is_walked_at_its_declared_url_unless_the_navigation_links_it():
    sinodaily = load_registry().site("sinodaily")
    (declared,) = resolve_sections(sinodaily, None).sections
    assert declared.url == "https://www.sinodaily.com/china-military.html"
    linked = NavLink("CHINA MILITARY", "https://www.sinodaily.com/china-news.html")
    (moved,) = resolve_sections(sinodaily, [linked]).sections
    assert (moved.url, moved.declared_url) == (linked.url, declared.url)


# --- `newsbot sections` ---


def test_the_sections_command_lists_each_site_and_says_which_declared_section_moved(capsys):
    assert main(["sections", "spacewar", "sinodaily", "marsdaily", "--mirror", str(SNAPSHOT)]) == 0
    out = capsys.readouterr().out
    assert "CYBER WARS" in out and "https://www.spacewar.com/cyber-wars.html" in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.startswith("  ") and "http" in line}
    assert lines["CHINA"].endswith("declared, MOVED from https://www.sinodaily.com/china-military.html")
    assert "https://www.sinodaily.com/china-news.html" in lines["CHINA"]
    assert "not sections: Home, About, Advertise, Privacy Policy, RSS" in out

    assert main(["sections", "sinodaily", "spacewar", "--json", "--mirror", str(SNAPSHOT)]) == 0
    document = json.loads(capsys.readouterr().out)
    sino, spacewar = document["sites"]
    assert sino["moved"] == ["china-military"] and sino["missing"] == []
    assert sino["sections"][0] == {
        "key": "china-military",
        "label": "CHINA MILITARY",
        "url": "https://www.sinodaily.com/china-news.html",
        "declared": True,
        "in_navigation": True,
        "declared_url": "https://www.sinodaily.com/china-military.html",
        "moved": True,
    }
    assert spacewar["new"] == ["cyber-wars"] and spacewar["moved"] == []


def test_the_sections_command_reads_every_site_of_the_snapshot(capsys, manifest):
    assert main(["sections", "--json", "--mirror", "tests/site"]) == 0
    sites = json.loads(capsys.readouterr().out)["sites"]
    assert [site["site"] for site in sites] == [site.name for site in load_registry().sites]
    for site in sites:
        linked = {n["url"] for n in manifest["navigation"] if n["site"] == site["host"] and n["is_section"]}
        assert {section["url"] for section in site["sections"]} >= linked, site["site"]
        assert linked and not site.get("error") and not site["missing"], site["site"]


def test_the_sections_command_exits_1_when_a_declared_section_is_not_in_the_navigation(tmp_path, capsys):
    copy = shutil.copytree(SNAPSHOT / "www.spacewar.com", tmp_path / "www.spacewar.com")
    home = copy / "index.html"
    home.write_bytes(
        home.read_bytes().replace(b'<td><a href="/military-space.html">MILITARY SPACE</a></td>', b"")
    )
    assert main(["sections", "spacewar", "--mirror", str(tmp_path)]) == 1
    assert "MILITARY SPACE" in capsys.readouterr().out
    assert main(["sections", "spacewar", "--json", "--mirror", str(tmp_path)]) == 1
    read = json.loads(capsys.readouterr().out)["sites"][0]
    assert read["missing"] == ["military-space"] and read["error"] is None
    # No home page at all: it cannot vouch for anything either; its JSON has the same keys, null.
    home.unlink()
    assert main(["sections", "spacewar", "--mirror", str(tmp_path)]) == 1
    assert "home page not read" in capsys.readouterr().out
    assert main(["sections", "spacewar", "--json", "--mirror", str(tmp_path)]) == 1
    not_read = json.loads(capsys.readouterr().out)["sites"][0]
    assert (
        list(not_read) == list(read) and "could not be fetched: [Errno 2] No such file" in not_read["error"]
    )
    assert not_read["sections"] is not_read["missing"] is None


def test_the_sections_command_says_which_declared_section_the_navigation_labels_otherwise(tmp_path, capsys):
    # Same URL, another label: found by its page name, and the new label is said, not the registry's alone.
    copy = shutil.copytree(SNAPSHOT / "www.spacewar.com", tmp_path / "www.spacewar.com")
    home = copy / "index.html"
    renamed = b'<td><a href="/military-space.html">ORBITAL FORCES</a></td>'
    home.write_bytes(
        home.read_bytes().replace(b'<td><a href="/military-space.html">MILITARY SPACE</a></td>', renamed)
    )
    assert main(["sections", "spacewar", "--mirror", str(tmp_path)]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if "military-space.html" in line)
    assert row.endswith("declared, labelled 'ORBITAL FORCES' in the navigation")
    assert main(["sections", "spacewar", "--json", "--mirror", str(tmp_path)]) == 0
    assert json.loads(capsys.readouterr().out)["sites"][0]["renamed"] == {"military-space": "ORBITAL FORCES"}


def test_the_sections_command_follows_a_home_page_redirect_as_a_crawl_does(capsys):
    # A redirect is followed on the site's own host, through the mirror; one leaving the site (a cookie
    # wall) is not, as the crawl's offsite rule would not. Either way the other sites are still read.
    plan = FaultPlan(
        [
            faults.redirect("/www.spacewar.com/index.html", "https://consent.example.com/wall?site=spacewar"),
            faults.redirect("/www.spacedaily.com/index.html", "https://www.spacedaily.com/cookies.html"),
            faults.redirect("/www.terradaily.com/index.html", "https://www.terradaily.com/..%2f..%2fetc"),
        ]
    )
    with FaultServer(SNAPSHOT, plan) as server:
        sites = ["spacewar", "spacedaily", "terradaily", "sinodaily"]
        assert main(["sections", *sites, "--mirror", server.url]) == 1
        assert server.count("/www.spacedaily.com/cookies.html") == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        "spacewar (spacewar.com): home page not read: https://www.spacewar.com/index.html could not be "
        "fetched: redirected to https://consent.example.com/wall?site=spacewar, off the site"
    )
    assert out[2] == (
        "spacedaily (spacedaily.com): home page not read: https://www.spacedaily.com/index.html redirected "
        "to https://www.spacedaily.com/cookies.html, which answered HTTP 404"
    )
    assert out[4].endswith(
        "refused by the mirror: https://www.terradaily.com/..%2f..%2fetc climbs out of the mirror's folder"
    )
    assert out[6].startswith("sinodaily (sinodaily.com): 2 section(s)")


def test_the_sections_command_reads_no_navigation_off_a_block_page(capsys):
    with FaultServer(SNAPSHOT, FaultPlan([faults.challenge("/www.spacewar.com/index.html")])) as server:
        assert main(["sections", "spacewar", "--mirror", server.url]) == 1
    assert capsys.readouterr().out == (
        "spacewar (spacewar.com): home page not read: https://www.spacewar.com/index.html answered a block "
        "page (a bot check or access denied)\n"
    )


def test_the_sections_command_usage_errors_exit_2(capsys, monkeypatch):
    monkeypatch.delenv("NEWSBOT_MIRROR", raising=False)
    assert main(["sections", "nosuchsite"]) == 2
    assert "unknown site 'nosuchsite'" in capsys.readouterr().err
    assert main(["sections", "spacewar", "--mirror", str(SNAPSHOT / "no-such-folder")]) == 2
    assert "not a URL and not a folder" in capsys.readouterr().err
    assert main(["sections", "spacewar", "--mirror", "ftp://example.org/"]) == 2
    assert "--mirror 'ftp://example.org/': expected an http(s):// or file:// URL" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argument", "requested", "every"),
    [
        (None, None, False),
        ("all", None, True),
        ("superpowers, all", None, True),
        ("superpowers", ["superpowers"], False),
    ],
)
def test_the_sections_argument_tells_all_from_the_default(argument, requested, every):
    from newsbot.spiders.loader import site_spiders

    spider = (
        site_spiders()["spacewar"](sections=argument)
        if argument is not None
        else site_spiders()["spacewar"]()
    )
    assert (spider.arguments.sections, spider.arguments.all_sections) == (requested, every)
