"""The names of a run's delivery (newsbot.delivery): its placeholders, and where a relative one goes."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from newsbot.delivery import REPORT_SUFFIX, TemplateError, beside, delivery_path, missing_deliveries
from tests.conftest import ROOT

NOW = datetime.datetime(2026, 12, 6, 14, 5, 9, tzinfo=datetime.timezone(datetime.timedelta(hours=2)))


@pytest.mark.parametrize(
    ("template", "name"),
    [
        ("{spider}.jsonl", "spacewar.jsonl"),
        ("{site}.jsonl", "spacewar.com.jsonl"),
        ("{spider}-{date}.jsonl", "spacewar-2026-12-06.jsonl"),
        ("{spider}-{date}T{time}.jsonl", "spacewar-2026-12-06T120509.jsonl"),  # UTC
        ("%(name)s.jsonl", "spacewar.jsonl"),
        ("%(name)s-%(time)s.jsonl", "spacewar-2026-12-06T12-05-09+00-00.jsonl"),
    ],
)
def test_each_placeholder_is_filled_and_a_relative_template_is_the_project_folders(
    template, name, monkeypatch
):
    monkeypatch.chdir(ROOT / "tests")  # `scrapy crawl` from a subfolder: still the project's output/
    path = delivery_path(f"/out/{template}", spider="spacewar", site="spacewar.com", now=NOW)
    assert path == Path("/out") / name
    relative = delivery_path(f"output/{template}", spider="spacewar", site="spacewar.com", now=NOW)
    assert relative == ROOT / "output" / name  # closest scrapy.cfg: the project's, from any folder


@pytest.mark.parametrize(
    "template", ["{spidr}.jsonl", "%(site)s.jsonl", "{spider.jsonl", "{}.jsonl", "{spider}.csv"]
)
def test_an_unknown_placeholder_or_another_suffix_is_a_template_error(template):
    with pytest.raises(TemplateError):
        delivery_path(template, spider="spacewar", site="spacewar.com", now=NOW)


def test_the_report_is_named_after_its_delivery_and_a_delivery_with_a_part_is_not_missing(tmp_path):
    delivery = tmp_path / "spacewar-2026-12-06T120509.jsonl"
    assert beside(delivery, REPORT_SUFFIX) == tmp_path / "spacewar-2026-12-06T120509.report.json"
    (tmp_path / "writing.jsonl.part").write_text("")
    (tmp_path / "here.jsonl").write_text("")
    counts = {str(tmp_path / n): 1 for n in ("here.jsonl", "writing.jsonl", "gone.jsonl")}
    counts["otherhost:/out/x.jsonl"] = 1
    assert missing_deliveries(counts) == {str(tmp_path / "gone.jsonl"): 1}
    assert missing_deliveries(counts, tmp_path / "elsewhere") == {}
