"""The README's crawl examples, Scrapy tools and `newsbot` commands, as written, in a fresh
checkout, with the snapshot standing in for the live sites (NEWSBOT_MIRROR in the environment)."""

from __future__ import annotations

import csv
import json
import re

import pytest

from newsbot.delivery import REPORT_SUFFIX, beside
from newsbot.spiders.args import argument_table
from tests.conftest import ROOT
from tests.readme_commands import README, command_lines, fresh_checkout, readme_blocks, run_shell
from tests.warcs import wayback_warc


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory):
    return fresh_checkout(tmp_path_factory.mktemp("clone") / "newsbot")


def _ok(result) -> None:
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "Traceback" not in result.stderr


def test_the_argument_table_is_the_one_of_spiders_args():
    text = README.read_text(encoding="utf-8")
    arguments = text[text.index("| argument | meaning | default |") :].split("\n\n", 1)[0]  # not the item's
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+?) \| (.+?) \|$", arguments, flags=re.MULTILINE)
    expected = argument_table()
    table = [row for row in rows if row[0] in {name for name, _, _ in expected}]
    assert table == expected


def test_every_setting_the_docs_name_is_one_of_settings_py_with_its_default():
    import newsbot.settings

    defaults = vars(newsbot.settings)
    for path in (README, ROOT / "ARCHITECTURE.md", ROOT / "bench" / "README.md"):
        named = set(re.findall(r"\bNEWSBOT_[A-Z_]+\b", path.read_text(encoding="utf-8")))
        assert named - {"NEWSBOT_EVIDENCE"} <= defaults.keys(), f"{path.name}: not settings"
    # A table row's default when it is a literal, in the third column (settings) or the second (politeness).
    rows = re.findall(
        r"^\| `([A-Z_]+)` \|(?: .+? \|)?? `([^`]+)`[^|]*\|", README.read_text(encoding="utf-8"), re.M
    )
    checked = 0
    for name, written in rows:
        default = defaults.get(name)
        if isinstance(default, bool | str):
            assert written == str(default), name
        elif isinstance(default, int | float):
            assert float(written) == default, name
        checked += default is not None
    assert checked >= 20


def test_quick_start_commands_run_as_written(checkout):
    # The set-up steps (venv, pip) are this test run's own; the suite is what is running now.
    blocks = readme_blocks("sh", under="## Try it offline") + readme_blocks("sh", under="## Quick start")
    steps = [step for block in blocks for step in block.strip().split(" && ")]
    runs = [step for step in steps if step.startswith(".venv/bin/") and "pip install" not in step]
    assert runs == [
        ".venv/bin/newsbot demo --out newsbot-demo",
        ".venv/bin/newsbot --version",
        ".venv/bin/newsbot --help",
        ".venv/bin/scrapy --help",
        ".venv/bin/scrapy crawl spacewar -a sections=superpowers",
    ]
    results = [run_shell(step, cwd=checkout) for step in runs]
    for result in results:
        _ok(result)
    assert results[1].stdout.startswith("newsbot ") and "usage: newsbot" in results[2].stdout
    [delivery] = (checkout / "output").glob("spacewar-*T*.jsonl")  # the run's own, named as README says
    assert delivery.stat().st_size > 0 and not list((checkout / "output").glob("*.part"))
    assert json.loads(beside(delivery, REPORT_SUFFIX).read_text())["outcome"] == "ok"
    assert (checkout / "newsbot-demo" / "terradaily.jsonl").exists()


def test_crawl_examples_run_as_written(checkout):
    (block,) = readme_blocks("sh", under="## Crawling")
    lines = command_lines(block)
    assert len(lines) == 9
    for line in lines:
        _ok(run_shell(line, cwd=checkout))
    exported = (checkout / "superpowers.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(exported) == 13  # complete, though earlier lines wrote these articles already
    with (checkout / "superpowers.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 13 and all(isinstance(json.loads(row["paragraphs"]), list) for row in rows)


def test_scrapy_tools_run_as_written(checkout):
    (block,) = readme_blocks("sh", under="### Scrapy's own tools")
    results = [run_shell(line, cwd=checkout) for line in command_lines(block)]
    for result in results:
        _ok(result)
    arguments, check, article, section, shell = results
    assert "max_pages" in arguments.stdout and "marsdaily.com has no known feed" in arguments.stdout
    assert "OK" in check.stderr
    assert "'date_published': '2022-12-30'" in article.stdout
    assert "<GET https://www.spacewar.com/superpowers-02.html>" in section.stdout
    assert shell.stdout.strip() == "6"


def test_newsbot_state_commands_run_as_written(checkout):
    _ok(run_shell("scrapy crawl spacewar -a sections=superpowers -a max_pages=1", cwd=checkout))
    (block,) = [b for b in readme_blocks("sh", under="## Scheduled runs") if "newsbot state" in b]
    lines = command_lines(block)
    # A forget without --yes asks on a terminal: the reader answers y there.
    results = [run_shell(line, cwd=checkout, typed="y\n" if "--yes" not in line else None) for line in lines]
    for result in results:
        _ok(result)
    assert str(checkout / ".scrapy" / "newsbot" / "seen.sqlite") in results[0].stdout
    assert "spacewar.com" in results[0].stdout
    assert re.search(r"\n +\d+  \S+/output/spacewar-\S+T\d{6}\.jsonl\n", results[0].stdout)  # per delivery
    assert re.search(r"Forget them\? \[y/N\] forgot [1-9]\d* article\(s\)", results[1].stdout)
    assert json.loads(run_shell("newsbot state --json", cwd=checkout).stdout)["articles"] == 0


def test_archive_commands_run_as_written(tmp_path, manifest):
    checkout = fresh_checkout(tmp_path / "newsbot")
    (block,) = readme_blocks("sh", under="### The archive: rebuild and import")
    crawl, rebuild, backfill, unarchived = command_lines(block)
    output = checkout / "output"
    _ok(run_shell(crawl, cwd=checkout))
    archives = sorted(output.glob("*.warc.gz"))
    assert len(archives) == 1
    crawled = {json.loads(line)["url"] for path in output.glob("*.jsonl") for line in path.open()}
    result = run_shell(rebuild, cwd=checkout)
    _ok(result)
    assert "no field changed" in result.stdout and "new: 0 article(s)" in result.stdout
    (rebuilt,) = output.glob("rebuild-*.jsonl")
    assert {json.loads(line)["url"] for line in rebuilt.open()} == crawled
    wayback_warc(checkout / "wayback.warc.gz", [article["url"] for article in manifest["articles"]])
    result = run_shell(backfill, cwd=checkout)
    _ok(result)
    (delivery,) = output.glob("import-*.jsonl")
    imported = [json.loads(line) for line in delivery.open()]
    assert imported and not {item["url"] for item in imported} & crawled
    assert all(item["source"].startswith("import: wayback.warc.gz, ") for item in imported)
    kept = [archive.read_bytes() for archive in archives]
    _ok(run_shell(unarchived, cwd=checkout))
    assert sorted(output.glob("*.warc.gz*")) == archives
    assert [archive.read_bytes() for archive in archives] == kept
