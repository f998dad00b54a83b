"""The default seen-articles store belongs to the project, like Scrapy's HTTP cache: two checkouts
do not share one, so a second clone's first crawl is not told everything is known already. A crawl
from a subfolder of the project uses the project's store and output folder, as `newsbot state` does."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsbot.store.base import store_path_from_setting
from tests.conftest import ROOT
from tests.readme_commands import fresh_checkout, run_shell


def _checkout(folder: Path) -> Path:
    folder.mkdir()
    (folder / "scrapy.cfg").write_text((ROOT / "scrapy.cfg").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_each_checkout_has_its_own_default_store(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SCRAPY_SETTINGS_MODULE", raising=False)
    one, two = _checkout(tmp_path / "one"), _checkout(tmp_path / "two")
    monkeypatch.chdir(one)
    assert store_path_from_setting(None) == one / ".scrapy" / "newsbot" / "seen.sqlite"
    (one / "sub").mkdir()
    monkeypatch.chdir(one / "sub")  # any folder inside the checkout: the same store
    assert store_path_from_setting(None) == one / ".scrapy" / "newsbot" / "seen.sqlite"
    monkeypatch.chdir(two)
    assert store_path_from_setting(None) == two / ".scrapy" / "newsbot" / "seen.sqlite"


def test_a_relative_store_setting_is_the_projects_too(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SCRAPY_SETTINGS_MODULE", raising=False)
    one = _checkout(tmp_path / "one")
    (one / "sub").mkdir()
    monkeypatch.chdir(one / "sub")
    assert store_path_from_setting("state/seen.sqlite") == one / "state" / "seen.sqlite"
    assert store_path_from_setting("/srv/seen.sqlite") == Path("/srv/seen.sqlite")
    assert store_path_from_setting("") is None


def test_a_crawl_from_a_subfolder_writes_into_the_projects_output_and_store(tmp_path):
    checkout = fresh_checkout(tmp_path / "newsbot")
    tests = checkout / "tests"
    tests.mkdir(exist_ok=True)  # a fresh checkout has tests/site already
    crawl = run_shell("../.venv/bin/scrapy crawl spacewar -a sections=superpowers -a max_pages=1", cwd=tests)
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert [p for p in (checkout / "output").glob("spacewar*.jsonl") if p.stat().st_size > 0]
    assert list((checkout / "output").glob("spacewar*.report.json"))
    assert (checkout / ".scrapy" / "newsbot" / "seen.sqlite").exists()
    assert sorted(p.name for p in tests.iterdir()) == ["site"]  # no tests/output/, no tests/.scrapy/
    state = run_shell("../.venv/bin/newsbot state --json", cwd=tests)
    assert state.returncode == 0, state.stderr
    summary = json.loads(state.stdout)
    assert summary["path"] == str(checkout / ".scrapy" / "newsbot" / "seen.sqlite")
    assert summary["articles"] == 5
