"""A mirror is a replay of a saved copy: what the copy lacks is a 404 at once, robots.txt included,
nothing outside the copy's folder is ever read, and a local replay runs without live politeness."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from scrapy.settings import Settings

from newsbot.mirror import MirrorAddon, MirrorPathRefused, mirror_url, normalise_mirror
from tests.conftest import SNAPSHOT
from tests.crawling import run_crawl

EVIL_PATH = "/reports/..%2f..%2f..%2fsecret_999.html"
LISTED = "/reports/EU_must_respond_to_Russias_hybrid_warfare_von_der_Leyen_999.html"
MISSING = "/reports/Trump_unlikely_to_win_Nobel_Peace_Prize_but_who_will_999.html"


def _spacewar_copy(root: Path) -> Path:
    """spacewar.com alone (sister sites and robots.txt absent), one article file removed, and one
    entry of SUPERPOWERS pointed at a path that climbs out of the mirror to an article page."""
    mirror = root / "mirror"
    site = mirror / "www.spacewar.com"
    shutil.copytree(SNAPSHOT / "www.spacewar.com", site)
    (site / "robots.txt").unlink()
    (site / MISSING.lstrip("/")).unlink()
    page = site / "superpowers.html"
    page.write_bytes(page.read_bytes().replace(LISTED.encode(), EVIL_PATH.encode()))
    # Where the decoded path lands: beside the mirror folder, out of it.
    shutil.copy(site / LISTED.lstrip("/"), root / "secret_999.html")
    return mirror


def test_file_replay_refuses_a_climbing_path_and_gives_404_for_what_it_lacks(tmp_path):
    mirror = _spacewar_copy(tmp_path)
    result = run_crawl(
        "spacewar",
        mirror.as_uri(),
        tmp_path / "out",
        args={"sections": "superpowers", "max_pages": "1"},
        # The live backoff: a retried 404 would show in the stats (and cost seconds).
        settings={"NEWSBOT_RETRY_BACKOFF": "2"},
    )
    urls = {item["url"] for item in result.items}
    assert not any("secret" in url or ".." in url for url in urls)
    assert result.stats["newsbot/mirror/refused_paths"] == 1
    assert "climbs out of the mirror" in result.log
    assert f"https://www.spacewar.com{MISSING}" in result.report["missing_articles"]["gone"]
    assert "retry/count" not in result.stats
    assert "connection" not in result.report["missing_articles"]
    assert "Traceback" not in result.log
    assert len(urls) == 3  # 5 listed on page 1: one refused, one gone


def test_mirror_url_refuses_encoded_climbs_and_keeps_ordinary_paths():
    base = "file:///m"
    assert mirror_url(base, "https://www.spacewar.com/reports/X_999.html") == (
        "file:///m/www.spacewar.com/reports/X_999.html"
    )
    for path in (EVIL_PATH, "/reports/..%2Fx.html", "/%2e%2e/x.html", "/reports/..%5c..%5cx.html"):
        with pytest.raises(MirrorPathRefused):
            mirror_url(base, f"https://www.spacewar.com{path}")
    assert mirror_url(base, "https://www.example.org/x.html") is None


def _settings(**values: object) -> Settings:
    settings = Settings()
    settings.setmodule("newsbot.settings", priority="project")
    settings.setdict(values, priority="cmdline")
    MirrorAddon().update_settings(settings)
    return settings


def test_a_local_replay_drops_the_live_politeness_unless_asked(tmp_path):
    for mirror in (
        tmp_path.as_uri(),
        "http://127.0.0.1:8000",
        "http://localhost:8000",
        "http://[::1]:80",
        str(tmp_path),
    ):
        local = _settings(NEWSBOT_MIRROR=mirror)
        assert local.getfloat("DOWNLOAD_DELAY") == 0 and not local.getbool("AUTOTHROTTLE_ENABLED")
    assert _settings(NEWSBOT_MIRROR=str(tmp_path))["NEWSBOT_MIRROR"] == tmp_path.resolve().as_uri()
    remote = _settings(NEWSBOT_MIRROR="https://mirror.example.org/copy")
    assert remote.getfloat("DOWNLOAD_DELAY") == 1.0 and remote.getbool("AUTOTHROTTLE_ENABLED")
    polite = _settings(NEWSBOT_MIRROR=tmp_path.as_uri(), NEWSBOT_MIRROR_POLITE=True)
    assert polite.getfloat("DOWNLOAD_DELAY") == 1.0
    explicit = _settings(NEWSBOT_MIRROR=tmp_path.as_uri(), DOWNLOAD_DELAY=3)
    assert explicit.getfloat("DOWNLOAD_DELAY") == 3


def test_a_mirror_that_is_neither_url_nor_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a URL and not a folder"):
        normalise_mirror(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="no such folder"):
        normalise_mirror((tmp_path / "nowhere").as_uri())
