"""Build the offline test snapshot of the Space Media Network sites in `tests/site/`.

Run from the repository root:

    python tests/tools/build_snapshot.py [--evidence DIR]

The script is deterministic (no randomness, no clock) and stdlib only. It deletes `tests/site/` and
writes it again from three inputs:

- the evidence files of `tests/evidence/` (copies of those docs/ANATOMY.md describes; `--evidence`
  overrides): `seed-article-page.txt`, `spacedaily-rss-2013-04-04.xml`, `rss-items-2025-sample.json`;
- the site registry `newsbot/registry/sites.toml` (hosts, section slugs and labels);
- the tables of this file (placements, dateline/byline overrides, page styles).

Layout (the `wget --mirror` layout, one folder per host):

    tests/site/manifest.json                      the generator's ground truth (see below)
    tests/site/www.<host>/index.html              home page, for every site of the registry
    tests/site/www.<host>/about.html ...          navigation links that are not sections
                                                  (sinodaily, marsdaily: `NAV_EXTRAS`)
    tests/site/www.<host>/robots.txt
    tests/site/www.<host>/<site>.xml              RSS 2.0 feed (CRLF, like the real 2013 feed)
    tests/site/www.<host>/<slug>.html             section page 1, then <slug>-02.html, -03.html ...
    tests/site/www.<host>/reports/<Slug>_999.html article pages (also /reports/<Slug>.html and
                                                  /news/<topic>-<yy><letters>.html for old ones)

Page markup follows the RECONSTRUCTION of `ANATOMY.md`; every HTML file has CRLF line endings.

Rules for the article text (all text comes from the evidence except the advertorial and the
picture captions, which are invented and plain):

- Seed article: the 17 paragraphs of `seed-article-page.txt`, verbatim (straight quotes, rendered
  as `&quot;`). Its "previous article" (Philippines ...) is an article too; its body is the seed's
  teaser cut back to the last complete sentence, one sentence per paragraph, and its teaser stays the
  seed's own (cut mid-word) text.
- Feed items: the description minus the dateline and the thumbnail, split into paragraphs at line
  breaks (blank lines for SPX/AFP items, single newlines for UPI items); whitespace collapsed; the
  last paragraph, cut mid-word by the feed, is cut back to its last complete sentence (or dropped).
- Some stories get typographic quotes (`SMART_STORIES`: straight `"` and `'` become curly, and
  `" - "` becomes an em dash in `DASH_STORIES`); the manifest holds the curly text.
- Datelines and bylines may be altered (`DATELINE_OVERRIDES`, `BYLINE_OVERRIDES`) so that every
  form listed in ANATOMY.md appears at least once; the text is kept.
- The two old-URL articles (`OLD_ARTICLES`) reuse the text of a 2013 item, all but its first
  sentence and one sentence a paragraph, under another title and an older dateline: distinct
  stories (no syndication group) whose bodies differ from their source's.
- The sister sites the evidence holds no page of (`SISTER_SITES`) follow the same templates under
  their own names and labels: a home page whose navigation links one section of two pages, which
  lists a story of the site's own (made from an item as the old-URL articles are, under a title
  and a dateline a day after its source's), a syndicated copy of another site's story, and one
  more article (the site's own when the snapshot has one, else another site's).

Manifest rules:

- `paragraphs`: the expected plain text: entities decoded, in-paragraph line breaks and `&nbsp;` as
  one space, whitespace collapsed. Captions, ads and spacer pictures are not paragraphs.
- `images`: first the og:image (`images-hg/<name>-hg.jpg`) with the caption of the body picture of
  the same <name> if there is one (else null); then each body picture whose <name> differs from the
  og:image's, as its `images-lg` URL with its caption. Sponsor and spacer pictures are not listed.
- `agency`: the parenthesised agency of the dateline; without one, "AFP" if the byline is
  "by AFP Staff Writers"; else null. `authors`: the people the byline names ([] for Staff Writers).
- `date_published`: the dateline's calendar day; `section_label`: the page's own BSection label.
- `syndication_group`: shared by the copies of one story on several sites (identical paragraphs and
  dateline, different URL and section label), else null.
- `listed_in`: every section page entry naming the article, with its teaser (the text before
  " ... read more"); `in_feeds`: the feeds that list it.

Section pages list entries newest first (by dateline day, ties in table order), 5 per page (2 on
terradaily.com's registry sections; the extra non-registry sections fit on one page). An entry:

    <span class="BSection">LABEL</span><br><span class="BHS"><a href="HREF">Headline</a></span><br>
    <span class="BHS">DATELINE</span><br>TEASER ... <a href="HREF">read more</a><br><br>

(no dateline line for an advertorial). HREF is site-relative for the page's own host, absolute for
another host. The teaser is the body's first ~300 characters cut at a word. Pagination at the
foot: "Newer" (to the previous page), page numbers (current one in <b>, not a link), "Older".
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urljoin, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_EVIDENCE = REPO_ROOT / "tests" / "evidence"
SITES_TOML = REPO_ROOT / "newsbot" / "registry" / "sites.toml"
OUT_DIR = REPO_ROOT / "tests" / "site"

IMG_HOST = "https://www.spxdaily.com"
FEED_BUILD_TIME = "Thu, 09 OCT 2025 20:37:27 AEST"
TAGLINE = "Space Industry and Business News"
TEASER_CHARS = 300
WRAP_WIDTH = 100
NBSP_EVERY = 17  # with nbsp on, every 17th gap between words (from the 3rd) is an &nbsp;

# --------------------------------------------------------------------------------------------
# Tables: where each article lives, what is altered, how each page is dressed.
# --------------------------------------------------------------------------------------------


def url(host: str, slug: str) -> str:
    """The current-scheme article URL of `slug` on `host`."""
    return f"https://www.{host}/reports/{slug}_999.html"


def report_slug(link: str) -> str:
    """`Title_Words` of a current-scheme article URL."""
    return urlsplit(link).path.removeprefix("/reports/").removesuffix("_999.html")


def sw(slug: str) -> str:
    return url("spacewar.com", slug)


def sd(slug: str) -> str:
    return url("spacedaily.com", slug)


def td(slug: str) -> str:
    return url("terradaily.com", slug)


SEED_URL = sw("Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation")
PHILIPPINES_URL = sw("Philippines_China_move_to_avoid_miscalculation_in_disputed_sea")
ADVERTORIAL_URL = sd("Five_reasons_mission_teams_choose_managed_ground_station_services")
OLD_REPORT_URL = "https://www.spacewar.com/reports/China_Readies_Beidou_For_Civilian_Users.html"
OLD_NEWS_URL = "https://www.spacewar.com/news/galaxies-03b.html"

SINO_TAIWAN = url("sinodaily.com", "In_first_Taiwan_US_firm_to_make_missile_underwater_drone")
GPS_CHINA = url("gpsdaily.com", "China_preps_civilian_use_of_GPS_system")
MARS_PARACHUTE = url("marsdaily.com", "Used_Parachute_on_Mars_Flaps_in_the_Wind")
MARS_BUSINESSCOM = url("marsdaily.com", "BusinessCom_Networks_Connects_Mars_2013")
SATURN_TITAN = url("saturndaily.com", "NASA_Team_Investigates_Complex_Chemistry_At_Titan")
TRAVEL_AMS = url("space-travel.com", "Alpha_Magnetic_Spectrometer_Team_Publishes_First_Findings")


@dataclass(frozen=True)
class CopySpec:
    """A syndicated copy: the story of `original` again at `url`, listed in another section."""

    group: str
    original: str
    url: str


COPIES = (
    CopySpec("putin-xi-2022", SEED_URL, sd("Putin_tells_Xi_he_wants_to_ramp_up_military_ties")),
    CopySpec(
        "dassault-fcas-2025",
        sd("We_can_build_fighter_jet_without_Germany_Frances_Dassault"),
        sw("We_can_build_fighter_jet_without_Germany_says_Frances_Dassault"),
    ),
    CopySpec(
        "png-defence-2025",
        td("China_warns_Papua_New_Guinea_over_Australian_defence_deal"),
        sw("China_warns_PNG_over_Australian_defence_deal"),
    ),
)


@dataclass(frozen=True)
class SisterSpec:
    """A sister site's one section: a story of its own, derived from `source` under `title` and
    `dateline`; a syndicated copy of `copy_of` at the same slug on this host; and `third`."""

    host: str
    slug: str
    label: str
    source: str
    title: str
    dateline: str
    copy_of: str
    third: str

    @property
    def own_url(self) -> str:
        return url(self.host, re.sub(r"[^A-Za-z0-9]+", "_", self.title.replace("'", "")).strip("_"))

    @property
    def copy_url(self) -> str:
        return url(self.host, report_slug(self.copy_of))


SISTER_SITES = (
    SisterSpec(
        "spacemart.com", "space-business", "SPACE BUSINESS",
        sd("Northrop_Grumman_Hypersonic_Navigation_System_Exceeds_Rocket_Test_Milestones"),
        "Hypersonic navigation unit outlasts its rocket trial", "Los Angeles CA (SPX) Sep 30, 2025",
        sd("Australia_Japan_partnership_to_accelerate_laser_links_for_satellites"),
        sd("Voyager_debuts_first_space_based_multi_cloud_region_to_advance_orbital_data_processing"),
    ),
    SisterSpec(
        "gpsdaily.com", "gps-applications", "GPS NEWS",
        sw("Maxar_and_AIDC_advance_Taiwan_UAV_sector_with_GPS_jamming_resilience_software"),
        "Taiwan drones to fly on where GPS is jammed", "Los Angeles CA (SPX) Sep 23, 2025",
        sw("China_develops_UAV_defenses_from_spoofing_detection_to_covert_links_and_shipboard_landing"),
        GPS_CHINA,
    ),
    SisterSpec(
        "energy-daily.com", "energy-tech", "ENERGY TECH",
        sd("2_newly_launched_NASA_missions_will_help_scientists_understand_the_influence_of_the_Sun-"),
        "Solar storms put power grids and satellites at risk", "Boulder CO (SPX) Sep 26, 2025",
        sd("Europe_readies_for_solar_storm_risks"),
        sd("LHC_upgrade_could_yield_dark_matter"),
    ),
    SisterSpec(
        "space-travel.com", "space-station", "SPACE STATION",
        sd("Kinetica_2_rocket_on_track_for_inaugural_mission_in_2025"),
        "First Kinetica 2 vehicle assembled for its debut flight", "Tokyo, Japan (SPX) Sep 30, 2025",
        sd("German_military_satellites_to_fly_on_Ariane_6_under_new_Arianespace_contract"),
        TRAVEL_AMS,
    ),
    SisterSpec(
        "solardaily.com", "solar-energy", "SOLAR ENERGY",
        td("NASA_Mission_Will_Track_Earths_Ozone"),
        "The ozone layer stands between life and the Sun's harshest rays", "Huntsville AL (SPX) Apr 05, 2013",
        sd("Shape_from_sound_new_methods_to_probe_the_universe"),
        sd("Astrophysicists_to_probe_dark_matter_in_sunny_California"),
    ),
    SisterSpec(
        "winddaily.com", "wind-power", "WIND POWER",
        sd("Planet_captures_first_light_from_Pelican_3_satellite_as_constellation_expands"),
        "Pelican-3 calibrates its instruments before full operations", "Los Angeles CA (SPX) Sep 30, 2025",
        td("NATO_drone_competition_highlightes_use_of_autonomous_technology_in_disaster_relief"),
        sd("What_Is_Behind_Einsteins_Turbulences"),
    ),
    SisterSpec(
        "nuclearpowerdaily.com", "nuclear-power", "NUCLEAR POWER",
        sw("China_tests_effects_of_successive_nuclear_strikes"),
        "Laboratory study models three nuclear strikes on one target", "Washington DC (UPI) Oct 2, 2025 ",
        sw("IAEA_says_Iran_nuclear_diplomacy_at_a_difficult_juncture"),
        sw("Chinas_premier_to_visit_North_Korea_this_week"),
    ),
    SisterSpec(
        "seeddaily.com", "farm-news", "FARM NEWS",
        sd("India_and_China_to_resume_direct_flights_after_5_years"),
        "Border disputes kept India-China flights grounded since 2020", "New Delhi (AFP) Oct 4, 2025",
        td("Cuba_Nicaragua_Venezuela_not_invited_to_Summit_of_the_Americas"),
        sd("Green_Pea_galaxies_could_help_astronomers_understand_early_universe"),
    ),
    SisterSpec(
        "moondaily.com", "lunar-news", "LUNAR NEWS",
        sd("Shenzhous_Shadow_Crew"),
        "China's second female astronaut to fly on Shenzhou 10", "Sydney, Australia (SPX) Apr 04, 2013",
        sd("Collision_Course_A_Comet_Heads_for_Mars"),
        sd("Astronomers_Anticipate_100_Billion_Earth_Like_Planets"),
    ),
    SisterSpec(
        "saturndaily.com", "outer-planets", "OUTER PLANETS",
        sd("Astronomers_Anticipate_100_Billion_Earth_Like_Planets"),
        "Microlensing hunt for Earth-like worlds runs from New Zealand",
        "Auckland, New Zealand (SPX) Apr 05, 2013",
        sd("What_Is_Behind_Einsteins_Turbulences"),
        SATURN_TITAN,
    ),
)  # fmt: skip


@dataclass(frozen=True)
class SectionSpec:
    host: str
    slug: str
    members: tuple[str, ...]
    label: str | None = None  # None: the label of sites.toml
    page_size: int = 5
    # Where the navigation puts the section when that is not where sites.toml says (`<slug>.html`):
    # a declared section that moved.
    page_name: str | None = None
    # Whether the section gives the articles of its own host their page label and "previous" teaser.
    # Sections added for the navigation tests do not, so that no earlier article page changes.
    labels_articles: bool = True


SECTION_SPECS = (
    SectionSpec(
        "spacewar.com",
        "superpowers",
        (
            sw("EU_must_respond_to_Russias_hybrid_warfare_von_der_Leyen"),
            sw("Trump_unlikely_to_win_Nobel_Peace_Prize_but_who_will"),
            sw("Top_UK_prosecutor_blames_government_for_dropped_China_spy_case"),
            sw("Chinas_premier_to_visit_North_Korea_this_week"),
            sw("Gaza_war_second_anniversary_could_reopen_path_to_Palestinian_statehood"),
            sw("Trumps_ego_and_Finnish_solution_for_Ukraine_ex-NATO_chiefs_memoir"),
            sw("Seoul_official_hints_at_US-North_Korea_meeting_this_year"),
            sw("Spain_faces_uphill_battle_to_cut_Israel_military_ties_experts"),
            sw("Trump_to_UN_Your_countries_are_going_to_hell"),
            sw("IAEA_says_Iran_nuclear_diplomacy_at_a_difficult_juncture"),
            sw("China_warns_PNG_over_Australian_defence_deal"),
            SEED_URL,
            PHILIPPINES_URL,
        ),
    ),
    SectionSpec(
        "spacewar.com",
        "missile-defense",
        (
            sw("Belgium_says_foiled_jihadist_plot_for_drone_attack_on_politicians"),
            sw("Guyana_strengthens_territorial_defense_with_French_military_support"),
            sw("CENTCOM_kills_Al-Qaida-affiliated_terrorist_leader_in_Syria"),
            sw("Swiss_seek_mini-drone_defence_system"),
            sw("China_tests_effects_of_successive_nuclear_strikes"),
            sw("Trumps_Pentagon_chief_outlines_vision_for_the_US_military"),
            sw("French_navy_boards_Russia_shadow_fleet_ship_arrests_two"),
            sw("US_approves_12_bn_missile_sale_to_Germany"),
            sw("EU_states_to_hold_talks_on_drone_wall_to_protect_bloc"),
            sw("Denmark_military_intel_fails_to_identify_source_of_drone_flights"),
            sw("Denmark_says_drone_incursions_were_professional_rules_out_Russia"),
            sw("Pete_Hegseth_orders_top_US_military_leaders_to_Tuesday_summit"),
            sw("Indian_armoured_vehicle_factory_inaugurated_in_Morocco"),
        ),
    ),
    SectionSpec(
        "spacewar.com",
        "military-space",
        (
            sw("Revolutionising_the_Skies_How_Helsings_CA_1_Europa_Drone_Could_Transform_Autonomous_Warfare"),
            sw("Sierra_Space_clears_design_milestone_for_missile_tracking_satellites_in_SDA_Tranche_2"),
            sw("Enhanced_space_tracking_services_to_support_Canadian_defence"),
            sw("Maxar_and_AIDC_advance_Taiwan_UAV_sector_with_GPS_jamming_resilience_software"),
            sw("China_develops_UAV_defenses_from_spoofing_detection_to_covert_links_and_shipboard_landing"),
            sd("U_S__and_U_K__execute_joint_satellite_maneuver_in_milestone_space_operation"),
            sw("We_can_build_fighter_jet_without_Germany_says_Frances_Dassault"),
            OLD_REPORT_URL,
            OLD_NEWS_URL,
        ),
    ),
    SectionSpec(
        "spacewar.com",
        "cyber-wars",
        (
            sw("Top_UK_prosecutor_blames_government_for_dropped_China_spy_case"),
            sw("EU_must_respond_to_Russias_hybrid_warfare_von_der_Leyen"),
            sw("Maxar_and_AIDC_advance_Taiwan_UAV_sector_with_GPS_jamming_resilience_software"),
        ),
        label="CYBER WARS",
        page_size=10,
    ),
    SectionSpec(
        "spacedaily.com",
        "space-industry",
        (
            sd("India_and_China_to_resume_direct_flights_after_5_years"),
            ADVERTORIAL_URL,
            sd("Australia_Japan_partnership_to_accelerate_laser_links_for_satellites"),
            sd("Northrop_Grumman_Hypersonic_Navigation_System_Exceeds_Rocket_Test_Milestones"),
            sd("Planet_captures_first_light_from_Pelican_3_satellite_as_constellation_expands"),
            sd("France_doubles_down_on_threat_to_build_future_fighter_jet_alone"),
            sd("U_S__and_U_K__execute_joint_satellite_maneuver_in_milestone_space_operation"),
            sd("We_can_build_fighter_jet_without_Germany_Frances_Dassault"),
            sd("Voyager_debuts_first_space_based_multi_cloud_region_to_advance_orbital_data_processing"),
            sd("Putin_tells_Xi_he_wants_to_ramp_up_military_ties"),
        ),
    ),
    SectionSpec(
        "spacedaily.com",
        "launch-pad",
        (
            sd("Kinetica_2_rocket_on_track_for_inaugural_mission_in_2025"),
            sd("German_military_satellites_to_fly_on_Ariane_6_under_new_Arianespace_contract"),
            sd("2_newly_launched_NASA_missions_will_help_scientists_understand_the_influence_of_the_Sun-"),
            TRAVEL_AMS,
            sd("Shenzhous_Shadow_Crew"),
            sd("LHC_upgrade_could_yield_dark_matter"),
            GPS_CHINA,
        ),
    ),
    SectionSpec(
        "spacedaily.com",
        "stellar-chemistry",
        (
            sd("What_Is_Behind_Einsteins_Turbulences"),
            sd("Astronomers_Anticipate_100_Billion_Earth_Like_Planets"),
            sd("Green_Pea_galaxies_could_help_astronomers_understand_early_universe"),
            sd("Astrophysicists_to_probe_dark_matter_in_sunny_California"),
            sd("Shape_from_sound_new_methods_to_probe_the_universe"),
            SATURN_TITAN,
            sd("Europe_readies_for_solar_storm_risks"),
        ),
    ),
    SectionSpec(
        "spacedaily.com",
        "mars-news",
        (
            sd("Collision_Course_A_Comet_Heads_for_Mars"),
            MARS_PARACHUTE,
            MARS_BUSINESSCOM,
        ),
        label="MARS NEWS",
        page_size=10,
    ),
    SectionSpec(
        "terradaily.com",
        "earth-observation",
        (
            td("NATO_drone_competition_highlightes_use_of_autonomous_technology_in_disaster_relief"),
            sd("Planet_captures_first_light_from_Pelican_3_satellite_as_constellation_expands"),
            td("NASA_Mission_Will_Track_Earths_Ozone"),
        ),
        page_size=2,
    ),
    SectionSpec(
        "terradaily.com",
        "world-politics",
        (
            td("China_exiles_in_Thailand_lose_hope_fearing_Beijings_long_reach"),
            td("Trump_says_US_in_non-international_armed_conflict_with_drug_cartels"),
            td("Cuba_Nicaragua_Venezuela_not_invited_to_Summit_of_the_Americas"),
            td("China_warns_Papua_New_Guinea_over_Australian_defence_deal"),
            SINO_TAIWAN,
        ),
        page_size=2,
    ),
    SectionSpec(
        "terradaily.com",
        "climate-science",
        (
            sd("2_newly_launched_NASA_missions_will_help_scientists_understand_the_influence_of_the_Sun-"),
            td("NASA_Mission_Will_Track_Earths_Ozone"),
            sd("Europe_readies_for_solar_storm_risks"),
        ),
        page_size=2,
    ),
    SectionSpec(
        "terradaily.com",
        "disaster-management",
        (
            td("NATO_drone_competition_highlightes_use_of_autonomous_technology_in_disaster_relief"),
            sd("Europe_readies_for_solar_storm_risks"),
        ),
        label="DISASTER MANAGEMENT",
        page_size=10,
    ),
    # sinodaily.com declares CHINA MILITARY at /china-military.html; its navigation links the section,
    # same label, at /china-news.html (issue 13: a declared section that moved).
    SectionSpec(
        "sinodaily.com",
        "china-military",
        (
            SINO_TAIWAN,
            sw("Chinas_premier_to_visit_North_Korea_this_week"),
            td("China_exiles_in_Thailand_lose_hope_fearing_Beijings_long_reach"),
        ),
        page_size=2,
        page_name="china-news",
        labels_articles=False,
    ),
    # marsdaily.com declares no section: its navigation is the only way to its sections.
    SectionSpec(
        "marsdaily.com",
        "mars-news",
        (MARS_PARACHUTE, MARS_BUSINESSCOM, sd("Collision_Course_A_Comet_Heads_for_Mars")),
        label="MARS NEWS",
        page_size=2,
        labels_articles=False,
    ),
    SectionSpec(
        "marsdaily.com",
        "mars-exploration",
        (MARS_PARACHUTE, sd("Astronomers_Anticipate_100_Billion_Earth_Like_Planets")),
        label="MARS EXPLORATION",
        labels_articles=False,
    ),
    *(
        SectionSpec(s.host, s.slug, (s.own_url, s.copy_url, s.third), label=s.label, page_size=2)
        for s in SISTER_SITES
    ),
)
# Syndicated copies on the sister sites, grouped under the original's slug.
SISTER_COPIES = tuple(
    CopySpec(report_slug(s.copy_of).lower().replace("_", "-"), s.copy_of, s.copy_url) for s in SISTER_SITES
)

# Navigation links that are not sections, on the home and section pages of the sites the navigation
# tests use (the other sites' pages keep their plain navigation). `(label, page, lists articles)`:
# "About" lists article links on purpose, so that only its label keeps it from being walked; the
# gallery is a page the navigation cannot tell from a section, and it lists nothing.
NAV_EXTRAS = {
    host: (
        ("About", "about", True),
        ("Advertise", "advertise", False),
        ("Privacy Policy", "privacy", False),
        ("RSS", f"{host.split('.')[0]}.xml", False),
        ("PHOTO GALLERY", "gallery", False),
    )
    for host in ("sinodaily.com", "marsdaily.com")
}

# Feeds: the articles each lists (written newest first by dateline day, ties in table order).
FEED_SPECS = {
    "spacewar.com": (
        "spacewar.xml",
        "Military Space News From SpaceWar.Com",
        (
            sw("Belgium_says_foiled_jihadist_plot_for_drone_attack_on_politicians"),
            sw("Revolutionising_the_Skies_How_Helsings_CA_1_Europa_Drone_Could_Transform_Autonomous_Warfare"),
            sw("EU_must_respond_to_Russias_hybrid_warfare_von_der_Leyen"),
            sw("Trump_unlikely_to_win_Nobel_Peace_Prize_but_who_will"),
            sw("Top_UK_prosecutor_blames_government_for_dropped_China_spy_case"),
            sw("CENTCOM_kills_Al-Qaida-affiliated_terrorist_leader_in_Syria"),
            sw("Guyana_strengthens_territorial_defense_with_French_military_support"),
            sw("Chinas_premier_to_visit_North_Korea_this_week"),
            td("China_exiles_in_Thailand_lose_hope_fearing_Beijings_long_reach"),
            sw("Swiss_seek_mini-drone_defence_system"),
            td("Trump_says_US_in_non-international_armed_conflict_with_drug_cartels"),
            sw("China_tests_effects_of_successive_nuclear_strikes"),
            SINO_TAIWAN,
            GPS_CHINA,
        ),
    ),
    "spacedaily.com": (
        "spacedaily.xml",
        "Space News From SpaceDaily.Com",
        (
            sd("India_and_China_to_resume_direct_flights_after_5_years"),
            sd("Australia_Japan_partnership_to_accelerate_laser_links_for_satellites"),
            td("NATO_drone_competition_highlightes_use_of_autonomous_technology_in_disaster_relief"),
            sd("Kinetica_2_rocket_on_track_for_inaugural_mission_in_2025"),
            sd("Northrop_Grumman_Hypersonic_Navigation_System_Exceeds_Rocket_Test_Milestones"),
            sd("Planet_captures_first_light_from_Pelican_3_satellite_as_constellation_expands"),
            sd("France_doubles_down_on_threat_to_build_future_fighter_jet_alone"),
            sd("2_newly_launched_NASA_missions_will_help_scientists_understand_the_influence_of_the_Sun-"),
            sd("German_military_satellites_to_fly_on_Ariane_6_under_new_Arianespace_contract"),
            sd("U_S__and_U_K__execute_joint_satellite_maneuver_in_milestone_space_operation"),
            sd("We_can_build_fighter_jet_without_Germany_Frances_Dassault"),
            sd("Voyager_debuts_first_space_based_multi_cloud_region_to_advance_orbital_data_processing"),
            TRAVEL_AMS,
            MARS_PARACHUTE,
            SATURN_TITAN,
        ),
    ),
    "terradaily.com": (
        "terradaily.xml",
        "Earth Science News From TerraDaily.Com",
        (
            td("China_exiles_in_Thailand_lose_hope_fearing_Beijings_long_reach"),
            td("Trump_says_US_in_non-international_armed_conflict_with_drug_cartels"),
            td("Cuba_Nicaragua_Venezuela_not_invited_to_Summit_of_the_Americas"),
            td("NATO_drone_competition_highlightes_use_of_autonomous_technology_in_disaster_relief"),
            sd("Planet_captures_first_light_from_Pelican_3_satellite_as_constellation_expands"),
            sd("2_newly_launched_NASA_missions_will_help_scientists_understand_the_influence_of_the_Sun-"),
            td("China_warns_Papua_New_Guinea_over_Australian_defence_deal"),
            SINO_TAIWAN,
            td("NASA_Mission_Will_Track_Earths_Ozone"),
            sd("Europe_readies_for_solar_storm_risks"),
            GPS_CHINA,
            MARS_BUSINESSCOM,
        ),
    ),
}

# Section label of article pages on hosts without registry sections (the label links to /<slug>.html,
# a page the snapshot does not hold).
HOST_SECTIONS = {
    "sinodaily.com": ("china-military", "CHINA MILITARY NEWS"),
    "marsdaily.com": ("mars-exploration", "MARS EXPLORATION"),
}

# Altered datelines (text kept) so that every form of ANATOMY.md occurs at least once.
DATELINE_OVERRIDES = {
    sd("What_Is_Behind_Einsteins_Turbulences"): "Paris (ESA) Apr 04, 2013",
    sd("Collision_Course_A_Comet_Heads_for_Mars"): "Moscow (RIA Novosti) Apr 04, 2013",
    sw("Indian_armoured_vehicle_factory_inaugurated_in_Morocco"): "New Delhi (IANS) Sep 23, 2025",
    sw(
        "EU_states_to_hold_talks_on_drone_wall_to_protect_bloc"
    ): "Aboard A Nato Aircraft, Poland (AFP) Sept 25, 2025",
    sw(
        "Gaza_war_second_anniversary_could_reopen_path_to_Palestinian_statehood"
    ): "Tel Aviv Israel (UPI) Oct 7, 2025 ",
    sw("Spain_faces_uphill_battle_to_cut_Israel_military_ties_experts"): "Athens Sept 24, 2025",
    sw(
        "Revolutionising_the_Skies_How_Helsings_CA_1_Europa_Drone_Could_Transform_Autonomous_Warfare"
    ): "Budapest, Hungary (SPX) Oct 09, 2025",
    sw(
        "Enhanced_space_tracking_services_to_support_Canadian_defence"
    ): "Los Angeles CA (SPX) Fri Sep 26, 2025",
}

# Bylines other than the agency default ("by AFP Staff Writers" for AFP, else "by Staff Writers").
BYLINE_OVERRIDES = {
    sw("Trumps_Pentagon_chief_outlines_vision_for_the_US_military"): "By Issam AHMED",
    sw("IAEA_says_Iran_nuclear_diplomacy_at_a_difficult_juncture"): "By W.G. Dunlop, Sara HUSSEIN",
    sd("Europe_readies_for_solar_storm_risks"): "by Erica Marchand",
    sw("US_approves_12_bn_missile_sale_to_Germany"): "by Ivan Couronne",
    sd(
        "France_doubles_down_on_threat_to_build_future_fighter_jet_alone"
    ): "by Erica Marchand and Ivan Couronne",
    sw("EU_must_respond_to_Russias_hybrid_warfare_von_der_Leyen"): "by AFP Staff Writers",
}

# Stories printed with typographic quotes (all copies of a story alike) and, some, em dashes.
SMART_STORIES = {
    sw("EU_must_respond_to_Russias_hybrid_warfare_von_der_Leyen"),
    sw("Denmark_military_intel_fails_to_identify_source_of_drone_flights"),
    sw("Seoul_official_hints_at_US-North_Korea_meeting_this_year"),
    td("China_exiles_in_Thailand_lose_hope_fearing_Beijings_long_reach"),
    sw("Trump_to_UN_Your_countries_are_going_to_hell"),
    sw("Trump_unlikely_to_win_Nobel_Peace_Prize_but_who_will"),
    sw("EU_states_to_hold_talks_on_drone_wall_to_protect_bloc"),
    sd("2_newly_launched_NASA_missions_will_help_scientists_understand_the_influence_of_the_Sun-"),
    td("China_warns_Papua_New_Guinea_over_Australian_defence_deal"),
    sd("Shape_from_sound_new_methods_to_probe_the_universe"),
    sd("Shenzhous_Shadow_Crew"),
    sw("Trumps_Pentagon_chief_outlines_vision_for_the_US_military"),
}
DASH_STORIES = {
    sd("2_newly_launched_NASA_missions_will_help_scientists_understand_the_influence_of_the_Sun-"),
    sw("Denmark_military_intel_fails_to_identify_source_of_drone_flights"),
}

# Declared charsets other than iso-8859-1 (these pages carry raw curly-quote bytes).
CHARSET_OVERRIDES = {
    sw("EU_must_respond_to_Russias_hybrid_warfare_von_der_Leyen"): "windows-1252",
    sw("Denmark_military_intel_fails_to_identify_source_of_drone_flights"): "windows-1252",
    sw("Seoul_official_hints_at_US-North_Korea_meeting_this_year"): "utf-8",
    td("China_exiles_in_Thailand_lose_hope_fearing_Beijings_long_reach"): "utf-8",
    sw("Trump_to_UN_Your_countries_are_going_to_hell"): "utf-8",
    sw("Trumps_Pentagon_chief_outlines_vision_for_the_US_military"): "windows-1252",
}

# Invented picture captions; other pictures get a generic one.
CAPTIONS = {
    "xi": "Chinese President Xi Jinping, file image.",
    "south-china-sea-map": "A map of the South China Sea.",
    "f-35-spear-3-missile": "An F-35 with SPEAR 3 missiles, artist's impression.",
    "nobel-peace-prize": "The Nobel Peace Prize medal.",
    "pete-hegseth-face-palm": "War Secretary Pete Hegseth, file image.",
    "sierra-space-logo": "Sierra Space logo.",
    "gps-china-beidou": "A Beidou navigation receiver, file image.",
    "green-pea-galaxies": "Green Pea galaxies seen by the Sloan Digital Sky Survey.",
    "hirise-mars-mro-parachute-msl-spacecraft": "The parachute and backshell seen from orbit.",
    "jet-rafale-dassault-300": "A Rafale jet of the French air force.",
}

ADVERTORIAL = (
    "Five reasons mission teams choose managed ground station services",
    [
        "Launching a satellite is only the beginning. Every pass over a ground station is a chance to "
        "download data, check the health of the spacecraft and send new commands, and every missed "
        "pass is lost value for the mission.",
        "Acme Ground Network offers antenna time on demand at sites on four continents, with a single "
        "web console for scheduling, telemetry and data delivery. Operators pay only for the passes "
        "they book, with no long-term contract and no hardware to maintain.",
        "Small satellite teams can book their first pass in under a day. Visit the Acme Ground Network "
        "website to see coverage maps, pricing and the list of supported radios and frequency bands.",
    ],
)
ADVERTORIAL_SORT_DAY = date(2025, 10, 2)

# Old-URL articles: the text of a 2013 item under another title and an older dateline.
OLD_ARTICLES = (
    (OLD_REPORT_URL, GPS_CHINA, "China Readies Beidou For Civilian Users", "Beijing (UPI) Jun 14, 2007"),
    (
        OLD_NEWS_URL,
        sd("Green_Pea_galaxies_could_help_astronomers_understand_early_universe"),
        "Compact Galaxies Offer A Look At The Early Universe",
        "Ann Arbor MI (SPX) Apr 02, 2003",
    ),
)

# Related Links, by the page's section slug (1-3 links; site-relative or absolute).
RELATED = {
    "superpowers": (
        ("Learn about the Superpowers of the 21st Century at SpaceWar.com", "/superpowers.html"),
        ("Learn about nuclear weapons doctrine and defense at SpaceWar.com", "/nuclear-doctrine.html"),
    ),
    "missile-defense": (
        ("Learn about missile defense at SpaceWar.com", "/missile-defense.html"),
        ("All about missiles at SpaceWar.com", "/missiles.html"),
        (
            "Learn about the Superpowers of the 21st Century at SpaceWar.com",
            "https://www.spacewar.com/superpowers.html",
        ),
    ),
    "military-space": (("Military Space News at SpaceWar.com", "/military-space.html"),),
    "space-industry": (
        ("Space Industry and Business News at SpaceDaily.com", "/space-industry.html"),
        (
            "Learn about the Superpowers of the 21st Century at SpaceWar.com",
            "https://www.spacewar.com/superpowers.html",
        ),
    ),
    "launch-pad": (("Rocket Science News at Space-Travel.Com", "https://www.space-travel.com/index.html"),),
    "stellar-chemistry": (("Stellar Chemistry, The Universe And All Within It", "/stellar-chemistry.html"),),
    "mars-news": (("Mars News and Information at MarsDaily.com", "https://www.marsdaily.com/index.html"),),
    "earth-observation": (
        ("Earth Observation News - Suppiliers, Technology and Application", "/earth-observation.html"),
    ),
    "world-politics": (
        (
            "Learn about the Superpowers of the 21st Century at SpaceWar.com",
            "https://www.spacewar.com/superpowers.html",
        ),
    ),
    "china-military": (("China News from SinoDaily.com", "/index.html"),),
    "gps-applications": (("GPS Applications, Technology and Suppliers at GPSDaily.com", "/index.html"),),
    "mars-exploration": (("Mars News and Information at MarsDaily.com", "/index.html"),),
    "outer-planets": (("Explore The Ring World of Saturn and her moons", "/index.html"),),
    "space-station": (("Space Station News at Space-Travel.Com", "/index.html"),),
    "space-business": (("Space Industry and Business News at SpaceMart.com", "/space-business.html"),),
    "energy-tech": (("Powering The World in the 21st Century at Energy-Daily.com", "/index.html"),),
    "solar-energy": (("All About Solar Energy at SolarDaily.com", "/index.html"),),
    "wind-power": (("Wind Energy News at WindDaily.com", "/wind-power.html"),),
    "nuclear-power": (("Nuclear Power News - Nuclear Science, Nuclear Technology", "/index.html"),),
    "farm-news": (("Farming Today - Suppliers and Technology", "/farm-news.html"),),
    "lunar-news": (("Lunar Dreams and more", "/index.html"),),
    "advertorial": (("Acme Ground Network", "https://www.acme-ground.example/"),),
}

# Labels given to the seed's blocks of other-section headlines (the seed shows none usable).
OTHER_BLOCK_LABELS = ("ENERGY TECH", "MILITARY SPACE", "GPS NEWS", "AEROSPACE NEWS")

NOISE = {
    "script": '<center><script src="/ads/a.js"></script></center>',
    "iframe": '<iframe src="https://ads.example.net/x" width=300 height=250></iframe>',
    "center": "<center></center>",
    "sponsor": f'<img src="{IMG_HOST}/sponsors/acme.gif">',
    "black": '<img src="/images/black.jpg" width=1 height=1>',
    "white": '<img src="/images/white.jpg" width=1 height=1>',
}
# (after the first paragraph, in the middle, at the end of the body)
NOISE_PLANS = (
    ("script", "iframe", "white"),
    ("center", "black", "sponsor"),
    ("iframe", "center", "white"),
    ("black", "script", "sponsor"),
)

# --------------------------------------------------------------------------------------------
# Data model
# --------------------------------------------------------------------------------------------


@dataclass
class Story:
    """The text of one story; syndicated copies share it."""

    title: str
    dateline: str | None  # raw, may end with a space (UPI)
    byline: str | None
    paragraphs: list[str]  # expected plain text
    image: str | None  # picture <name>: images-bg/<name>-bg.jpg, -lg, -hg
    body_image: str | None = None  # body picture <name> when it differs from `image`
    teaser_override: str | None = None
    feed_text: str | None = None  # the evidence feed's own teaser text, when there is one


@dataclass
class Section:
    host: str
    slug: str
    label: str
    in_registry: bool
    page_size: int
    articles: list[Article] = field(default_factory=list)  # newest first
    page_name: str | None = None
    labels_articles: bool = True

    def page_url(self, number: int) -> str:
        stem = self.page_name or self.slug
        name = stem if number == 1 else f"{stem}-{number:02d}"
        return f"https://www.{self.host}/{name}.html"

    @property
    def declared_url(self) -> str | None:
        return f"https://www.{self.host}/{self.slug}.html" if self.in_registry else None

    def pages(self) -> list[list[Article]]:
        size = self.page_size
        return [self.articles[i : i + size] for i in range(0, len(self.articles), size)]


@dataclass
class PageStyle:
    charset: str = "iso-8859-1"
    h1_br: str = "<br>"
    close_p: bool = False
    bare_first: bool = False  # first paragraph right after the body marker, no <p>
    picture: str | None = "first"  # "first", "after1", "end" or None
    noise: tuple[str, str, str] = NOISE_PLANS[0]
    wrap: bool = True
    nbsp: bool = False
    quote_entity: bool = False  # straight " as &quot;


@dataclass
class Article:
    url: str
    story: Story
    index: int
    syndication_group: str | None = None
    is_advertorial: bool = False
    section_slug: str = ""
    section_label: str = ""
    previous: Article | None = None
    style: PageStyle = field(default_factory=PageStyle)
    listed_in: list[dict[str, str]] = field(default_factory=list)
    in_feeds: list[str] = field(default_factory=list)

    @property
    def host(self) -> str:
        return host_of(self.url)

    @property
    def sort_day(self) -> date:
        if self.story.dateline is None:
            return ADVERTORIAL_SORT_DAY
        return parse_dateline(self.story.dateline)[3]


def host_of(link: str) -> str:
    return urlsplit(link).netloc.removeprefix("www.")


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MONTH_NAMES = (
    "Jan|January|Feb|February|Mar|March|Apr|April|May|Jun|June|Jul|July|Aug|August|"
    "Sep|Sept|September|Oct|October|Nov|November|Dec|December"
)
DATELINE_RE = re.compile(
    r"^(?P<place>.+?)\s+(?:\((?P<agency>[^)]+)\)\s+)?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\s+)?"
    rf"(?P<month>{_MONTH_NAMES})\s+(?P<day>\d{{1,2}}),\s+(?P<year>\d{{4}})$"
)
ABBREVIATIONS = {
    "va",
    "calif",
    "dec",
    "sept",
    "inc",
    "mt",
    "dr",
    "mr",
    "mrs",
    "ms",
    "st",
    "jan",
    "feb",
    "aug",
    "oct",
    "nov",
    "no",
    "vs",
    "corp",
    "ltd",
    "gen",
    "col",
    "lt",
    "sen",
    "rep",
    "gov",
}


def parse_dateline(raw: str) -> tuple[str, str | None, str, date]:
    """(place, agency, raw stripped, day) of a dateline of this snapshot."""
    text = raw.strip()
    match = DATELINE_RE.match(text)
    if match is None:
        raise ValueError(f"dateline not understood: {raw!r}")
    day = date(int(match["year"]), MONTHS[match["month"][:3].lower()], int(match["day"]))
    return match["place"], match["agency"], text, day


def collapse(text: str) -> str:
    return " ".join(text.split())


def _is_sentence_end(text: str, match: re.Match[str]) -> bool:
    word = text[: match.start()].rsplit(None, 1)[-1] if text[: match.start()].strip() else ""
    word = word.lstrip("\"'(")
    if re.fullmatch(r"(?:[A-Za-z]\.)*[A-Za-z]", word) or word.lower() in ABBREVIATIONS:
        return False
    rest = text[match.end() :].lstrip()
    return not rest or rest[0].isupper() or rest[0].isdigit() or rest[0] in "\"'"


def complete_sentences(text: str) -> str:
    """`text` cut back to its last complete sentence ("" when it has none)."""
    text = text.strip()
    ends = [m for m in re.finditer(r"[.!?][\"')]?(?=\s|$)", text) if _is_sentence_end(text, m)]
    return text[: ends[-1].end()] if ends else ""


def split_sentences(text: str) -> list[str]:
    parts, start = [], 0
    for m in re.finditer(r"[.!?][\"')]?(?=\s)", text):
        if _is_sentence_end(text, m):
            parts.append(text[start : m.end()].strip())
            start = m.end()
    tail = text[start:].strip()
    return parts + ([tail] if tail else [])


def feed_paragraphs(teaser: str) -> list[str]:
    """Body paragraphs from a feed teaser: one per line, the cut last one trimmed."""
    paragraphs = [collapse(line) for line in teaser.splitlines() if line.strip()]
    if paragraphs:
        paragraphs[-1] = complete_sentences(paragraphs[-1])
    return [p for p in paragraphs if p]


def smarten(text: str, dashes: bool) -> str:
    """Straight quotes to typographic ones (and " - " to an em dash)."""
    out = []
    for i, ch in enumerate(text):
        prev = text[i - 1] if i else " "
        opening = prev.isspace() or prev in "([\u201c\u2018"
        if ch == '"':
            out.append("\u201c" if opening else "\u201d")
        elif ch == "'":
            out.append("\u2018" if opening else "\u2019")
        else:
            out.append(ch)
    result = "".join(out)
    return result.replace(" - ", " \u2014 ") if dashes else result


def teaser_of(article: Article) -> str:
    if article.story.teaser_override:
        return article.story.teaser_override
    text = " ".join(article.story.paragraphs)
    if len(text) <= TEASER_CHARS:
        return text
    return text[:TEASER_CHARS].rsplit(" ", 1)[0]


def esc(text: str, quote_entity: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote_entity else text


def attr(text: str) -> str:
    return html.escape(text, quote=True)


def relative_href(page_url: str, target: str) -> str:
    """Site-relative path for a link to the page's own host, absolute URL otherwise."""
    return urlsplit(target).path if host_of(page_url) == host_of(target) else target


def byline_people(byline: str | None) -> list[str]:
    if not byline:
        return []
    names = re.sub(r"^[Bb]y\s+", "", byline)
    if names in ("Staff Writers", "AFP Staff Writers"):
        return []
    return [n.strip() for n in re.split(r",\s*|\s+and\s+", names) if n.strip()]


def agency_of(story: Story) -> str | None:
    if story.dateline:
        agency = parse_dateline(story.dateline)[1]
        if agency:
            return agency
    return "AFP" if story.byline and "AFP Staff Writers" in story.byline else None


def default_byline(dateline: str) -> str:
    return "by AFP Staff Writers" if parse_dateline(dateline)[1] == "AFP" else "by Staff Writers"


# --------------------------------------------------------------------------------------------
# Evidence
# --------------------------------------------------------------------------------------------


@dataclass
class Seed:
    title: str
    byline: str
    dateline: str
    paragraphs: list[str]
    related_texts: list[str]
    donation: list[str]  # lines, "" for a blank line
    previous_title: str
    previous_dateline: str
    previous_teaser: str
    comments_line: str
    share_line: str
    other_blocks: list[list[str]]
    footer: str


def read_seed(path: Path) -> Seed:
    lines = path.read_text(encoding="utf-8").splitlines()
    related_at = lines.index("Related Links")
    donate_at = lines.index("Thanks for being here;")
    paypal_at = lines.index("paypal only")
    comments_at = next(i for i, line in enumerate(lines) if line.startswith("Comment using your Disqus"))
    share_at = next(i for i, line in enumerate(lines) if line.startswith("Share this article"))
    footer = next(line for line in lines if line.startswith("The content herein"))
    previous = [line for line in lines[paypal_at + 1 : comments_at] if line.strip()]
    blocks: list[list[str]] = []
    for line in lines[share_at + 2 : lines.index(footer)]:
        if line == "SUPERPOWERS":
            if not blocks or blocks[-1]:
                blocks.append([])
        elif line.strip():
            blocks[-1].append(line.strip())
    return Seed(
        title=lines[2],
        byline=lines[3],
        dateline=lines[4],
        paragraphs=[line for line in lines[5:related_at] if line.strip()],
        related_texts=[line for line in lines[related_at + 1 : donate_at] if line.strip()],
        donation=[line.rstrip() for line in lines[donate_at : paypal_at + 1]],
        previous_title=previous[1],
        previous_dateline=previous[2],
        previous_teaser=previous[3].removesuffix(" ... read more"),
        comments_line=lines[comments_at],
        share_line=lines[share_at],
        other_blocks=blocks,
        footer=footer,
    )


@dataclass
class FeedItem:
    title: str
    link: str
    dateline: str
    image: str
    teaser: str  # the text after the thumbnail, as in the feed (cut mid-word)


_DESCRIPTION_RE = re.compile(
    r"^\s*(?P<dateline>[^<]*?)<br\s*/?>\s*"  # dateline
    r"<img[^>]*images-bg/(?P<image>[^\"]+)-bg\.jpg[^>]*>"  # thumbnail
    r"(?P<teaser>.*)$",
    re.S,
)


def feed_item(title: str, link: str, description: str) -> FeedItem:
    match = _DESCRIPTION_RE.match(description)
    if match is None:
        raise ValueError(f"description not understood: {link}")
    teaser = match["teaser"].replace("\r\n", "\n").lstrip("\n")
    return FeedItem(title, link.replace("http://", "https://"), match["dateline"], match["image"], teaser)


def read_feed_2013(path: Path) -> list[FeedItem]:
    channel = ET.parse(path).getroot().find("channel")
    assert channel is not None
    return [
        feed_item(item.findtext("title", ""), item.findtext("link", ""), item.findtext("description", ""))
        for item in channel.iter("item")
    ]


def read_items_2025(path: Path) -> list[FeedItem]:
    return [feed_item(i["title"], i["link"], i["description"]) for i in json.loads(path.read_text("utf-8"))]


# --------------------------------------------------------------------------------------------
# Building the model
# --------------------------------------------------------------------------------------------


@dataclass
class Snapshot:
    seed: Seed
    articles: dict[str, Article]
    sections: list[Section]
    feeds: dict[str, tuple[str, str, list[Article]]]  # host -> (feed url, title, articles)
    registry: dict[str, dict]


def story_from_item(item: FeedItem) -> Story:
    dateline = DATELINE_OVERRIDES.get(item.link, item.dateline)
    paragraphs = feed_paragraphs(item.teaser)
    if item.link in SMART_STORIES:
        paragraphs = [smarten(p, item.link in DASH_STORIES) for p in paragraphs]
    byline = BYLINE_OVERRIDES.get(item.link) or default_byline(dateline)
    return Story(item.title, dateline, byline, paragraphs, item.image, feed_text=item.teaser)


def derived_story(source: Story, title: str, dateline: str) -> Story:
    """A distinct story made of `source`'s text, all but its first sentence, one sentence a paragraph:
    one body is one story to the content-hash dedupe, so it must not share the source's."""
    sentences = split_sentences(" ".join(source.paragraphs))
    return Story(title, dateline, default_byline(dateline), sentences[1:], source.image)


def build_articles(seed: Seed, items: list[FeedItem]) -> list[Article]:
    stories: dict[str, Story] = {}
    stories[SEED_URL] = Story(
        seed.title, seed.dateline, seed.byline, list(seed.paragraphs), "putin-xi-video", body_image="xi"
    )
    stories[PHILIPPINES_URL] = Story(
        seed.previous_title,
        seed.previous_dateline,
        "by AFP Staff Writers",
        split_sentences(complete_sentences(seed.previous_teaser)),
        "south-china-sea-map",
        teaser_override=seed.previous_teaser,
    )
    for item in items:
        stories[item.link] = story_from_item(item)
    for new_url, source_url, title, dateline in OLD_ARTICLES:
        stories[new_url] = derived_story(stories[source_url], title, dateline)
    title, paragraphs = ADVERTORIAL
    stories[ADVERTORIAL_URL] = Story(title, None, None, list(paragraphs), "ground-station-spix")

    articles = [Article(link, story, 0) for link, story in stories.items()]
    for article in articles:
        if article.url == ADVERTORIAL_URL:
            article.is_advertorial = True

    def add_copies(copies: tuple[CopySpec, ...]) -> None:
        for copy in copies:
            original = next(a for a in articles if a.url == copy.original)
            original.syndication_group = copy.group
            articles.append(Article(copy.url, original.story, 0, syndication_group=copy.group))

    add_copies(COPIES)
    # The sister sites' articles come last, so that the dressing (by index) of no earlier page changes.
    for sister in SISTER_SITES:
        own = derived_story(stories[sister.source], sister.title, sister.dateline)
        articles.append(Article(sister.own_url, own, 0))
    add_copies(SISTER_COPIES)
    for index, article in enumerate(articles):
        article.index = index
        article.style = style_for(article)
    return articles


def style_for(article: Article) -> PageStyle:
    """Page dressing: fixed for the seed, varied by the article's index for the others."""
    if article.url == SEED_URL:
        return PageStyle(picture="end", noise=NOISE_PLANS[0], quote_entity=True)
    i = article.index
    bare_first = i % 7 == 4
    picture: str | None = "first"
    if i % 6 == 5 or article.is_advertorial:
        picture = None
    elif i % 4 == 1 or bare_first:
        picture = "after1"
    elif i % 4 == 2:
        picture = "end"
    return PageStyle(
        charset=CHARSET_OVERRIDES.get(article.url, "iso-8859-1"),
        h1_br="<br/>" if i % 3 == 2 else "<br>",
        close_p=i % 5 == 3,
        bare_first=bare_first,
        picture=picture,
        noise=NOISE_PLANS[i % len(NOISE_PLANS)],
        wrap=i % 8 != 6,
        nbsp=i % 2 == 1,
    )


def build_sections(registry: dict[str, dict], articles: dict[str, Article]) -> list[Section]:
    sections = []
    for spec in SECTION_SPECS:
        registered = {s["slug"]: s["label"] for s in registry[spec.host].get("sections", [])}
        label = spec.label or registered[spec.slug]
        section = Section(
            spec.host,
            spec.slug,
            label,
            spec.slug in registered,
            spec.page_size,
            page_name=spec.page_name,
            labels_articles=spec.labels_articles,
        )
        members = [articles[link] for link in spec.members]
        section.articles = sorted(members, key=lambda a: a.sort_day, reverse=True)
        sections.append(section)
    return sections


def assign_own_sections(sections: list[Section], articles: dict[str, Article]) -> None:
    """Each article's page label: the first section of its own host listing it."""
    for section in sections:
        if not section.labels_articles:
            continue
        for position, article in enumerate(section.articles):
            if article.section_slug or article.host != section.host:
                continue
            article.section_slug, article.section_label = section.slug, section.label
            older = section.articles[position + 1 : position + 2]
            article.previous = older[0] if older else None
    for article in articles.values():
        if not article.section_slug:
            article.section_slug, article.section_label = HOST_SECTIONS[article.host]


def build_snapshot(evidence: Path) -> Snapshot:
    seed = read_seed(evidence / "seed-article-page.txt")
    items = read_items_2025(evidence / "rss-items-2025-sample.json") + read_feed_2013(
        evidence / "spacedaily-rss-2013-04-04.xml"
    )
    registry = {site["host"]: site for site in tomllib.loads(SITES_TOML.read_text("utf-8"))["sites"]}
    articles = {a.url: a for a in build_articles(seed, items)}
    sections = build_sections(registry, articles)
    assign_own_sections(sections, articles)
    for section in sections:
        for number, page in enumerate(section.pages(), 1):
            for article in page:
                article.listed_in.append(
                    {
                        "site": section.host,
                        "section_slug": section.slug,
                        "section_label": section.label,
                        "page_url": section.page_url(number),
                        "teaser": teaser_of(article),
                    }
                )
    feeds = {}
    for host, (name, title, links) in FEED_SPECS.items():
        feed_url = f"https://www.{host}/{name}"
        listed = sorted((articles[link] for link in links), key=lambda a: a.sort_day, reverse=True)
        for article in listed:
            article.in_feeds.append(feed_url)
        feeds[host] = (feed_url, title, listed)
    return Snapshot(seed, articles, sections, feeds, registry)


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------


def head(title: str, charset: str, extra: str = "") -> str:
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN">\n<html><head>\n'
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        f"<title>{esc(title)}</title>\n{extra}</head><body>\n"
        f'<table width="100%"><tr><td><span class="BTag">{TAGLINE}</span>&nbsp;</td></tr></table>\n'
    )


def nav(snapshot: Snapshot, host: str) -> str:
    cells = ['<td><a href="/index.html">Home</a></td>']
    cells += [
        f'<td><a href="{urlsplit(s.page_url(1)).path}">{s.label}</a></td>'
        for s in snapshot.sections
        if s.host == host
    ]
    extras = NAV_EXTRAS.get(host, ())
    cells += [f'<td><a href="/{extra_page(page)}">{label}</a></td>' for label, page, _ in extras]
    return '<table class="nav"><tr>' + "".join(cells) + "</tr></table>\n"


def extra_page(page: str) -> str:
    return page if page.endswith(".xml") else f"{page}.html"


def home_hosts(snapshot: Snapshot) -> list[str]:
    """Hosts with a home page: every site's (those with a feed first)."""
    return list(dict.fromkeys([*snapshot.feeds, *(section.host for section in snapshot.sections)]))


def extra_html(snapshot: Snapshot, host: str, label: str, lists_articles: bool) -> str:
    """A page linked from the navigation that is not a section."""
    site = snapshot.registry[host]
    body = f"<p>{esc(label)}: {esc(site['display_name'])} is part of the Space Media Network.</p>\n"
    if lists_articles:
        own = sorted(a.url for a in snapshot.articles.values() if a.host == host)
        body += "<p><b>Most read</b><br>\n" + "".join(
            f'<a href="{attr(urlsplit(link).path)}">{esc(snapshot.articles[link].story.title)}</a><br>\n'
            for link in own
        )
    return (
        head(f"{label} - {site['display_name']}", "iso-8859-1")
        + nav(snapshot, host)
        + f"<table><tr><td>\n{body}</td></tr></table>\n"
        + footer(snapshot.seed)
    )


def footer(seed: Seed) -> str:
    return f'<br><br><br><br>\n<p class="BFooter">{esc(seed.footer)}</p>\n</body></html>\n'


def render_text(text: str, style: PageStyle) -> str:
    """One paragraph's HTML: wrapped with line breaks, some gaps as &nbsp;."""
    words = text.split(" ")
    out, line = [esc(words[0], style.quote_entity)], len(words[0])
    for n, word in enumerate(words[1:], 1):
        if style.wrap and line + 1 + len(word) > WRAP_WIDTH:
            out.append("\n")
            line = len(word)
        else:
            out.append("&nbsp;" if style.nbsp and n % NBSP_EVERY == 3 else " ")
            line += 1 + len(word)
        out.append(esc(word, style.quote_entity))
    return "".join(out)


def caption_for(name: str) -> str:
    if name in CAPTIONS:
        return CAPTIONS[name]
    return "Illustration only" if name.endswith(("-spix", "-marker")) else "File image"


def picture_html(name: str, style: PageStyle) -> str:
    end = "</p>" if style.close_p else ""
    return (
        f'<p><img src="{IMG_HOST}/images-lg/{name}-lg.jpg" width="400"><br>'
        f'<span class="BCaption">{esc(caption_for(name))}</span>{end}'
    )


def body_html(article: Article) -> str:
    style, story = article.style, article.story
    picture = story.body_image or story.image
    lines: list[str] = []
    if style.picture == "first" and picture:
        lines.append(picture_html(picture, style))
    middle = len(story.paragraphs) // 2 if len(story.paragraphs) >= 4 else None
    for n, paragraph in enumerate(story.paragraphs):
        text = render_text(paragraph, style)
        if n == 0 and style.bare_first:
            lines.append(text)
        else:
            lines.append(f"<p>{text}</p>" if style.close_p else f"<p>{text}")
        if n == 0:
            lines.append(NOISE[style.noise[0]])
            if style.picture == "after1" and picture:
                lines.append(picture_html(picture, style))
        if n == middle:
            lines.append(NOISE[style.noise[1]])
    if style.picture == "end" and picture:
        lines.append(picture_html(picture, style))
    lines.append(NOISE[style.noise[2]])
    return "\n".join(lines) + "\n"


def entry_html(article: Article, label: str, page_url: str) -> str:
    """A teaser block, as on section pages and at the foot of article pages."""
    href = attr(relative_href(page_url, article.url))
    parts = [
        f'<span class="BSection">{label}</span><br><span class="BHS"><a href="{href}">'
        f"{esc(article.story.title)}</a></span><br>\n"
    ]
    if article.story.dateline:
        parts.append(f'<span class="BHS">{esc(article.story.dateline)}</span><br>')
    parts.append(f'{esc(teaser_of(article))} ... <a href="{href}">read more</a><br><br>\n')
    return "".join(parts)


def related_html(article: Article) -> str:
    key = "advertorial" if article.is_advertorial else article.section_slug
    links = "".join(f'<a href="{attr(href)}">{esc(text)}</a><br>\n' for text, href in RELATED[key])
    return f"<p><b>Related Links</b><br>\n{links}"


def related_links(article: Article) -> list[dict[str, str]]:
    key = "advertorial" if article.is_advertorial else article.section_slug
    return [{"text": text, "url": urljoin(article.url, href)} for text, href in RELATED[key]]


def donation_html(seed: Seed) -> str:
    groups, current = [], []
    for line in seed.donation:
        if line:
            current.append(esc(line))
        elif current:
            groups.append("<br>\n".join(current))
            current = []
    groups.append("<br>\n".join(current))
    return '<div class="donate">' + "\n<p>".join(groups) + "</div>\n"


def share_html(seed: Seed, article: Article) -> str:
    target = attr(article.url)
    links = [
        ("del.icio.us", "delicious", f"https://del.icio.us/post?url={target}"),
        ("Digg", "digg", f"https://digg.com/submit?url={target}"),
        ("Reddit", "reddit", f"https://reddit.com/submit?url={target}"),
        ("Google", "google", f"https://www.google.com/bookmarks/mark?op=add&amp;bkmk={target}"),
    ]
    anchors = " ".join(
        f'<a href="{href}"><img src="/images/social/{icon}.gif" alt="{name}" border=0>{name}</a>'
        for name, icon, href in links
    )
    return f"<p>{esc(seed.share_line)}<br>\n{anchors}\n"


def other_blocks_html(seed: Seed) -> str:
    out = []
    for label, block in zip(OTHER_BLOCK_LABELS, seed.other_blocks, strict=False):
        heads = "".join(f'<span class="BHH">{esc(h)}</span><br>\n' for h in block)
        out.append(f'<p><span class="BSection">{label}</span><br>\n{heads}')
    return "".join(out)


def article_html(snapshot: Snapshot, article: Article) -> str:
    story, style = article.story, article.style
    seed = snapshot.seed
    meta = (
        f'<meta property="og:url" content="{attr(article.url)}" />\n'
        f'<meta property="og:image" content="{IMG_HOST}/images-hg/{story.image}-hg.jpg" />\n'
    )
    parts = [head(story.title, style.charset, meta), "<table><tr><td>\n"]
    parts.append(
        f'<span class="BSection"><a href="/{article.section_slug}.html">{article.section_label}</a></span>\n'
        f"<h1>{esc(story.title)}{style.h1_br}</h1>\n"
    )
    header = []
    if story.byline:
        header.append(f'<span class="BHS">{esc(story.byline)}</span><br>')
    if story.dateline:
        header.append(f'<span class="BHS">{esc(story.dateline)}</span>')
    if header:
        parts.append("".join(header) + "\n")
    parts.append("<!--body-2-incontainer.php-->\n")
    parts.append(body_html(article))
    parts.append("<!--RELATED LINKS-->\n")
    parts.append(related_html(article))
    parts.append(donation_html(seed))
    if article.previous is not None:
        parts.append("<p>" + entry_html(article.previous, article.section_label, article.url))
    parts.append(f'<p>{esc(seed.comments_line)}</p>\n<div id="disqus_thread"></div>\n')
    parts.append(share_html(seed, article))
    parts.append(other_blocks_html(seed))
    parts.append("</td></tr></table>\n")
    parts.append(footer(seed))
    return "".join(parts)


def pager_html(section: Section, number: int, count: int) -> str:
    def name(n: int) -> str:
        return urlsplit(section.page_url(n)).path.lstrip("/")

    parts = []
    if number > 1:
        parts.append(f'<a href="{name(number - 1)}">Newer</a> |')
    numbers = [f"<b>{n}</b>" if n == number else f'<a href="{name(n)}">{n}</a>' for n in range(1, count + 1)]
    parts.append("Page: " + " ".join(numbers))
    if number < count:
        parts.append(f'| <a href="{name(number + 1)}">Older</a>')
    return '<p class="pager">' + " ".join(parts) + "</p>\n"


def section_html(snapshot: Snapshot, section: Section, number: int, page: list[Article], count: int) -> str:
    site = snapshot.registry[section.host]
    page_url = section.page_url(number)
    parts = [head(f"{section.label} - {site['display_name']}", "iso-8859-1"), nav(snapshot, section.host)]
    parts.append(f'<table><tr><td>\n<h2 class="BSectionTitle">{section.label}</h2>\n')
    parts += ["<p>" + entry_html(article, section.label, page_url) for article in page]
    if count > 1:
        parts.append(pager_html(section, number, count))
    parts.append("</td></tr></table>\n")
    parts.append(footer(snapshot.seed))
    return "".join(parts)


def home_html(snapshot: Snapshot, host: str) -> str:
    site = snapshot.registry[host]
    own = sorted(
        (a for a in snapshot.articles.values() if a.host == host and a.story.dateline),
        key=lambda a: (a.sort_day, a.url),
        reverse=True,
    )[:6]
    heads = "".join(
        f'<span class="BHS"><a href="{attr(urlsplit(a.url).path)}">{esc(a.story.title)}</a></span><br>\n'
        for a in own
    )
    feed = f'<p><a href="/{FEED_SPECS[host][0]}">RSS Feed</a>\n' if host in FEED_SPECS else ""
    return (
        head(f"{site['display_name']} - {TAGLINE}", "iso-8859-1")
        + nav(snapshot, host)
        + f"<table><tr><td>\n<p><b>Latest News</b><br>\n{heads}"
        + f"{feed}</td></tr></table>\n"
        + footer(snapshot.seed)
    )


# --------------------------------------------------------------------------------------------
# Feeds
# --------------------------------------------------------------------------------------------


def feed_description_text(article: Article) -> str:
    """The evidence feed's own teaser when there is one, else ~400 characters of the body."""
    story = article.story
    if story.feed_text is not None:
        return story.feed_text
    text = " \n\n".join(story.paragraphs)
    return text[:400]


def feed_xml(host: str, feed_url: str, title: str, listed: list[Article]) -> str:
    lines = [
        '<?xml version="1.0"?>',
        '<rss version="2.0">',
        "<channel>",
        f"<title>{title}</title>",
        f"<link>https://www.{host}/index.html</link>",
        f"<pubDate>{FEED_BUILD_TIME}</pubDate>",
        f"<lastBuildDate>{FEED_BUILD_TIME}</lastBuildDate>",
        "<language>en-us</language>",
    ]
    for article in listed:
        story = article.story
        thumbnail = (
            f'<img src="{IMG_HOST}/images-bg/{story.image}-bg.jpg" hspace=5 vspace=2 align=right border=0 '
            "width=160 height=128>"
        )
        lines += [
            "<item>",
            f"<title><![CDATA[{story.title}]]></title>",
            f"<link><![CDATA[{article.url}]]></link>",
            f"<description><![CDATA[\n{story.dateline}<br/>\n{thumbnail}\n\n{feed_description_text(article)}]]></description>",
            f"<pubDate>{FEED_BUILD_TIME}</pubDate>",
            "</item>",
        ]
    lines += ["</channel>", "</rss>"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Manifest
# --------------------------------------------------------------------------------------------


def images_of(article: Article) -> list[dict[str, str | None]]:
    story, style = article.story, article.style
    body_name = (story.body_image or story.image) if style.picture else None
    lead_caption = caption_for(body_name) if body_name == story.image else None
    images: list[dict[str, str | None]] = [
        {"url": f"{IMG_HOST}/images-hg/{story.image}-hg.jpg", "caption": lead_caption}
    ]
    if body_name and body_name != story.image:
        images.append({"url": f"{IMG_HOST}/images-lg/{body_name}-lg.jpg", "caption": caption_for(body_name)})
    return images


def manifest_article(article: Article) -> dict:
    story = article.story
    place = day = None
    dateline = None
    if story.dateline:
        place, _, dateline, day_value = parse_dateline(story.dateline)
        day = day_value.isoformat()
    return {
        "url": article.url,
        "site": article.host,
        "title": story.title,
        "byline": story.byline,
        "authors": byline_people(story.byline),
        "agency": agency_of(story),
        "dateline": dateline,
        "dateline_place": place,
        "date_published": day,
        "paragraphs": story.paragraphs,
        "images": images_of(article),
        "related_links": related_links(article),
        "section_label": article.section_label,
        "listed_in": article.listed_in,
        "in_feeds": article.in_feeds,
        "syndication_group": article.syndication_group,
        "encoding": article.style.charset,
        "is_advertorial": article.is_advertorial,
    }


def manifest(snapshot: Snapshot) -> dict:
    return {
        "articles": [manifest_article(snapshot.articles[u]) for u in sorted(snapshot.articles)],
        "sections": [
            {
                "site": s.host,
                "slug": s.slug,
                "label": s.label,
                "in_registry": s.in_registry,
                "pages": [s.page_url(n) for n in range(1, len(s.pages()) + 1)],
                "article_urls": [a.url for a in s.articles],
                # Where sites.toml puts a declared section; it differs from pages[0] when it moved.
                "declared_url": s.declared_url,
            }
            for s in snapshot.sections
        ],
        # Every same-site link of each home page's navigation but Home, and whether it is a section.
        "navigation": [
            {"site": host, "label": label, "url": link, "is_section": is_section, "lists_articles": lists}
            for host in home_hosts(snapshot)
            for label, link, is_section, lists in navigation_links(snapshot, host)
        ],
        "feeds": [
            {"url": feed_url, "article_urls": [a.url for a in listed]}
            for feed_url, _, listed in snapshot.feeds.values()
        ],
    }


# --------------------------------------------------------------------------------------------
# Writing and checking
# --------------------------------------------------------------------------------------------


def navigation_links(snapshot: Snapshot, host: str) -> list[tuple[str, str, bool, bool]]:
    """(label, URL, is a section, lists article links) of each navigation link but Home."""
    links = [(s.label, s.page_url(1), True, True) for s in snapshot.sections if s.host == host]
    links += [
        (label, f"https://www.{host}/{extra_page(page)}", False, lists)
        for label, page, lists in NAV_EXTRAS.get(host, ())
    ]
    return links


def local_path(link: str) -> Path:
    parts = urlsplit(link)
    return OUT_DIR / parts.netloc / parts.path.lstrip("/")


def write_html(link: str, text: str, charset: str) -> None:
    path = local_path(link)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", "\r\n").encode(charset, errors="xmlcharrefreplace"))


def write_snapshot(snapshot: Snapshot) -> None:
    if OUT_DIR.exists():
        shutil.rmtree(OUT_DIR)
    OUT_DIR.mkdir(parents=True)
    for article in snapshot.articles.values():
        write_html(article.url, article_html(snapshot, article), article.style.charset)
    for section in snapshot.sections:
        pages = section.pages()
        for number, page in enumerate(pages, 1):
            page_html = section_html(snapshot, section, number, page, len(pages))
            write_html(section.page_url(number), page_html, "latin-1")
    for host, (feed_url, title, listed) in snapshot.feeds.items():
        feed = feed_xml(host, feed_url, title, listed)
        local_path(feed_url).write_bytes(feed.replace("\n", "\r\n").encode("utf-8"))
    for host in home_hosts(snapshot):
        write_html(f"https://www.{host}/index.html", home_html(snapshot, host), "latin-1")
        robots = local_path(f"https://www.{host}/robots.txt")
        robots.write_text("User-agent: *\nDisallow: /cgi-bin/\n", encoding="ascii")
        for label, page, lists_articles in NAV_EXTRAS.get(host, ()):
            if not page.endswith(".xml"):
                extra = extra_html(snapshot, host, label, lists_articles)
                write_html(f"https://www.{host}/{extra_page(page)}", extra, "latin-1")
    text = json.dumps(manifest(snapshot), indent=2, ensure_ascii=False) + "\n"
    (OUT_DIR / "manifest.json").write_text(text, encoding="utf-8")


_HREF_RE = re.compile(rb'href="([^"]+)"')
_CHARSET_RE = re.compile(rb"charset=([\w-]+)")


def check_snapshot(snapshot: Snapshot) -> list[str]:
    """Problems found in the written snapshot (empty when all is well)."""
    problems = []
    for path in sorted(OUT_DIR.rglob("*.html")):
        data = path.read_bytes()
        charset = _CHARSET_RE.search(data)[1].decode()
        try:
            data.decode(charset)
        except UnicodeDecodeError as error:
            problems.append(f"{path}: does not decode as {charset}: {error}")
        if b"\n" in data.replace(b"\r\n", b""):
            problems.append(f"{path}: bare LF")
        base = "https://" + str(path.relative_to(OUT_DIR))
        for href in _HREF_RE.findall(data):
            target = urljoin(base, html.unescape(href.decode("ascii")))
            parts = urlsplit(target)
            article_link = re.match(r"^/(reports|news)/", parts.path) is not None
            pager_link = (OUT_DIR / parts.netloc).is_dir() and re.search(r"-\d\d\.html$", parts.path)
            if (article_link or pager_link) and not local_path(target).is_file():
                problems.append(f"{path}: {target} is missing")
    raw = {"windows-1252": (b"\x93", b"\x94", b"\x92"), "utf-8": ("\u201c".encode(), "\u2019".encode())}
    for article in snapshot.articles.values():
        marks = raw.get(article.style.charset)
        if marks and not any(m in local_path(article.url).read_bytes() for m in marks):
            problems.append(f"{article.url}: no raw curly quotes in a {article.style.charset} page")
    seed = snapshot.articles[SEED_URL]
    if seed.story.paragraphs != snapshot.seed.paragraphs or len(seed.story.paragraphs) != 17:
        problems.append("seed paragraphs differ from the evidence")
    reachable = {a.url for s in snapshot.sections for a in s.articles}
    reachable |= {a.url for _, _, listed in snapshot.feeds.values() for a in listed}
    problems += [f"{u}: not reachable" for u in snapshot.articles if u not in reachable]
    problems += [f"{u}: no paragraphs" for u, a in snapshot.articles.items() if not a.story.paragraphs]
    for section in snapshot.sections:
        if section.in_registry and len(section.pages()) < 2:
            problems.append(f"{section.host}/{section.slug}: fewer than 2 pages")
    for host in snapshot.registry:
        if not local_path(f"https://www.{host}/index.html").is_file():
            problems.append(f"{host}: no home page")
        if not any(s.host == host and len(s.pages()) >= 2 for s in snapshot.sections):
            problems.append(f"{host}: no section of two pages")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evidence", type=Path, default=DEFAULT_EVIDENCE, help="the evidence folder")
    args = parser.parse_args(argv)
    snapshot = build_snapshot(args.evidence)
    write_snapshot(snapshot)
    problems = check_snapshot(snapshot)
    for problem in problems:
        print(problem, file=sys.stderr)
    articles, sections, feeds = len(snapshot.articles), len(snapshot.sections), len(snapshot.feeds)
    print(f"{articles} articles, {sections} sections, {feeds} feeds")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
