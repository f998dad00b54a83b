from newsbot.registry import load_registry
from newsbot.registry.urls import canonical_url
from newsbot.spiders.loader import site_spiders

ANATOMY_SITES = {
    "spacewar.com", "spacedaily.com", "terradaily.com", "spacemart.com", "marsdaily.com", "gpsdaily.com",
    "energy-daily.com", "sinodaily.com", "space-travel.com", "solardaily.com", "winddaily.com",
    "nuclearpowerdaily.com", "seeddaily.com", "moondaily.com",
}  # fmt: skip


def test_registry_declares_every_site_named_in_anatomy_with_a_spider_each():
    registry = load_registry()
    hosts = {site.host for site in registry.sites}
    assert hosts >= ANATOMY_SITES
    for site in registry.sites:
        assert site_spiders()[site.name].name == site.name
        assert site_spiders()[site.name].site_name == site.name


def test_feeds_follow_the_verified_scheme_and_marsdaily_has_none():
    registry = load_registry()
    assert registry.site("spacewar").feed == "https://www.spacewar.com/spacewar.xml"
    assert registry.site("spacedaily").feed == "https://www.spacedaily.com/spacedaily.xml"
    assert registry.site("marsdaily").feed is None


def test_article_url_patterns_cover_every_documented_form():
    registry = load_registry()
    assert registry.is_article_url("https://www.spacewar.com/reports/Putin_tells_Xi_999.html")
    assert registry.is_article_url("http://spacedaily.com/reports/Older_Story_Without_Suffix.html")
    assert registry.is_article_url("https://www.spacewar.com/news/missile-03b.html")
    assert not registry.is_article_url("https://www.spacewar.com/superpowers.html")
    assert not registry.is_article_url("https://www.spacewar.com/index.html")
    assert not registry.is_article_url("https://www.example.com/reports/Putin_999.html")
    assert not registry.is_article_url("https://www.spxdaily.com/images-hg/x-hg.jpg")


def test_urls_are_attributed_to_their_own_site():
    registry = load_registry()
    assert registry.site_for_url("https://www.terradaily.com/reports/X_999.html").host == "terradaily.com"
    assert registry.site_for_url("https://sinodaily.com/reports/X_999.html").name == "sinodaily"
    assert registry.site_for_url("https://www.spacewar.com.evil.example/reports/X_999.html") is None


def test_sections_are_found_by_slug_or_label_and_pages_by_number():
    registry = load_registry()
    spacewar = registry.site("spacewar")
    assert spacewar.section("superpowers").label == "SUPERPOWERS"
    assert spacewar.section("Missile Defense").slug == "missile-defense"
    assert spacewar.section("nonesuch") is None
    assert registry.section_page_number("/superpowers.html", "superpowers") == 1
    assert registry.section_page_number("/superpowers-03.html", "superpowers") == 3
    assert registry.section_page_number("/superpowers-x.html", "superpowers") is None


def test_canonical_url_forces_https_www_and_drops_query_and_fragment():
    assert (
        canonical_url("http://spacewar.com/reports/X_999.html?ref=rss#top")
        == "https://www.spacewar.com/reports/X_999.html"
    )
    assert canonical_url("https://Example.com/a?b=1#c") == "https://example.com/a?b=1"


def test_old_news_urls_with_a_hyphenated_topic_are_articles():
    # Cited by third parties: spacedaily.com/news/energy-tech-04zzzv.html, nuclear-blackmarket-02c.html.
    registry = load_registry()
    assert registry.is_article_url("https://www.spacedaily.com/news/mars-mers-04zzq.html")
    assert registry.is_article_url("https://www.spacedaily.com/news/energy-tech-04zzzv.html")
    assert registry.is_article_url("https://www.spacedaily.com/news/nuclear-blackmarket-02c.html")
    assert not registry.is_article_url("https://www.spacedaily.com/news/mars-mers.html")
    assert not registry.is_article_url("https://www.spacedaily.com/news/-04a.html")
