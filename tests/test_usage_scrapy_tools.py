"""Scrapy's own tools work with the project's default settings, the snapshot standing in for the
live sites (NEWSBOT_MIRROR in the environment): `scrapy check`, `scrapy parse`, `scrapy shell`."""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess

import pytest
from scrapy.settings import Settings

from tests import processes
from tests.conftest import ROOT, SNAPSHOT

SEED = "https://www.spacewar.com/reports/Putin_tells_Xi_he_wants_to_ramp_up_military_cooperation_999.html"


def _scrapy(*words: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEWSBOT_MIRROR": str(SNAPSHOT)}
    return processes.run(["scrapy", *words], ROOT, env, timeout=120)


def test_scrapy_check_runs_the_contracts_of_the_callbacks():
    result = _scrapy("check", "spacewar")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Ran 9 contracts" in result.stderr
    assert "OK" in result.stderr


def test_scrapy_parse_routes_an_article_url_to_its_item():
    result = _scrapy("parse", "--spider=spacewar", SEED)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "'title': 'Putin tells Xi he wants to ramp up military cooperation'" in result.stdout
    assert "'date_published': '2022-12-30'" in result.stdout
    # An inspection writes nothing and judges nothing.
    assert "newsbot.extensions.report" not in result.stderr


def test_scrapy_parse_routes_section_pages_declared_or_not():
    declared = _scrapy("parse", "--spider=spacewar", "https://www.spacewar.com/superpowers.html")
    assert declared.returncode == 0, declared.stderr[-3000:]
    assert "<GET https://www.spacewar.com/superpowers-02.html>" in declared.stdout
    assert declared.stdout.count("<GET https://www.spacewar.com/reports/") == 5
    # Scrapy's parse command returns Deferreds from its callback wrapper, which Scrapy deprecates
    # naming the spider's `parse`: newsbot's command awaits them instead.
    assert "Warning" not in declared.stderr
    undeclared = _scrapy("parse", "--spider=spacewar", "https://www.spacewar.com/cyber-wars.html")
    assert undeclared.returncode == 0, undeclared.stderr[-3000:]
    assert undeclared.stdout.count("<GET https://www.spacewar.com/reports/") >= 1


def test_scrapy_shell_fetches_and_parses_with_a_store(tmp_path):
    code = "(response.status, [type(x).__name__ for x in spider.parse(response)])"
    store = f"NEWSBOT_STATE={tmp_path / 'seen.sqlite'}"
    result = _scrapy("shell", "--spider=spacewar", "-s", store, SEED, "-c", code)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "(200, ['ArticleItem'])"


@pytest.mark.parametrize("name", ["check", "fetch", "parse", "shell", "view"])
def test_every_inspection_tool_runs_without_store_output_or_report_and_the_command_line_wins(name):
    command = importlib.import_module(f"newsbot.cli.commands.{name}").Command()
    command.settings = Settings()
    command.settings.setmodule("newsbot.settings", priority="project")
    parser = argparse.ArgumentParser(conflict_handler="resolve")  # as Scrapy makes it
    command.add_options(parser)
    command.process_options([], parser.parse_args(["-s", "NEWSBOT_OUTPUT=mine.jsonl"]))
    assert command.settings["NEWSBOT_STATE"] == ""
    assert command.settings.getbool("NEWSBOT_RUN_REPORT") is False
    assert command.settings["NEWSBOT_OUTPUT"] == "mine.jsonl"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["parse", "--spider=spacewr", SEED], "unknown spider 'spacewr'; did you mean 'spacewar'?"),
        (
            ["shell", "--spider=spacewr", SEED, "-c", "1"],
            "unknown spider 'spacewr'; did you mean 'spacewar'?",
        ),
        (["fetch", "--spider=spacewr", SEED], "unknown spider 'spacewr'; did you mean 'spacewar'?"),
        (["view", "--spider=spacewr", SEED], "unknown spider 'spacewr'; did you mean 'spacewar'?"),
        (["check", "spacewr"], "unknown spider 'spacewr'; did you mean 'spacewar'?"),
        (["args", "spacewr"], "unknown spider 'spacewr'; did you mean 'spacewar'?"),
        (
            ["parse", "-s", "NEWSBOT_MAX_ERRORS=abc", SEED],
            "-s NEWSBOT_MAX_ERRORS='abc': expected a whole number",
        ),
        (["parse", "https://www.example.com/"], "no spider crawls https://www.example.com/: it is on no"),
        # Offsite for every spider: refused without a word, exit 1, before.
        (["parse", "--spider=spacewar", "https://www.example.com/"], "no spider crawls https://www.example"),
    ],
)
def test_an_inspection_tools_usage_error_is_one_line_and_exit_2(words, message):
    result = _scrapy(*words)
    assert result.returncode == 2, result.stderr[-3000:]
    assert result.stderr.startswith(f"scrapy {words[0]}: {message}"), result.stderr[-3000:]
    assert result.stderr.count("\n") == 1, result.stderr[-3000:]


def test_scrapy_parse_and_shell_find_the_spider_of_the_urls_site():
    # As Scrapy finds a spider by its allowed_domains: the spider of the site the URL is on.
    parsed = _scrapy("parse", SEED)
    assert parsed.returncode == 0, parsed.stderr[-3000:]
    assert "'title': 'Putin tells Xi he wants to ramp up military cooperation'" in parsed.stdout
    shell = _scrapy("shell", "https://www.spacedaily.com/", "-c", "spider.name")
    assert shell.returncode == 0, shell.stderr[-3000:]
    assert shell.stdout.strip() == "spacedaily"
