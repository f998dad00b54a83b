"""Sections from the navigation, in-process: the navigation parser on saved pages and the resolution of
declared sections against it."""

from __future__ import annotations

import pytest

from newsbot.parsing.navigation import parse_navigation
from newsbot.registry import NavLink, Section, Site, load_registry, resolve_sections
from newsbot.registry.sections import section_key
from tests.conftest import snapshot_path


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
        assert resolution.find(name) is not None, name
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
