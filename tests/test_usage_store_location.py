"""The default seen-articles store belongs to the project, like Scrapy's HTTP cache: two checkouts
do not share one, so a second clone's first crawl is not told everything is known already."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsbot.store import default_state_path
from tests.conftest import ROOT


def _checkout(folder: Path) -> Path:
    folder.mkdir()
    (folder / "scrapy.cfg").write_text((ROOT / "scrapy.cfg").read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def test_each_checkout_has_its_own_default_store(tmp_path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SCRAPY_SETTINGS_MODULE", raising=False)
    one, two = _checkout(tmp_path / "one"), _checkout(tmp_path / "two")
    monkeypatch.chdir(one)
    assert default_state_path() == one / ".scrapy" / "newsbot" / "seen.sqlite"
    (one / "sub").mkdir()
    monkeypatch.chdir(one / "sub")  # any folder inside the checkout: the same store
    assert default_state_path() == one / ".scrapy" / "newsbot" / "seen.sqlite"
    monkeypatch.chdir(two)
    assert default_state_path() == two / ".scrapy" / "newsbot" / "seen.sqlite"
