"""Every usage error of `scrapy crawl` is one line on stderr, no traceback, exit status 2, and no
request made (no robots.txt, no page: the server below would see it)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from scrapy.exceptions import UsageError

from newsbot.spiders.args import SpiderArguments
from tests import processes
from tests.conftest import ROOT


def _crawl(*words: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return processes.run(["scrapy", "crawl", *words], cwd, timeout=120)


@pytest.mark.parametrize(
    ("words", "message"),
    [
        (["spacewr"], "unknown spider 'spacewr'; did you mean 'spacewar'?"),
        (["spacewar", "-a", "sectoins=superpowers"], "unknown spider argument; did you mean 'sections'?"),
        (["spacewar", "-a", "max_pages=abc"], "-a max_pages='abc': expected a whole number of 1 or more"),
        (["spacewar", "-a", "max_articles=0"], "-a max_articles='0': expected a whole number of 1 or more"),
        (["spacewar", "-a", "since=yesterday"], "-a since='yesterday': expected a day as YYYY-MM-DD"),
        (["spacewar", "-a", "source=rss"], "-a source='rss': expected one of sections, feed"),
        (["marsdaily", "-a", "source=feed"], "marsdaily.com has no known feed"),
        # The feed lists every section: the walk's arguments were ignored, the whole feed written, exit 0.
        (["spacedaily", "-a", "source=feed", "-a", "sections=launch-pad"], "-a sections: a section walk's"),
        (["spacedaily", "-a", "source=feed", "-a", "max_pages=1"], "-a max_pages: a section walk's"),
        (["spacewar", "-s", "NEWSBOT_MAX_ERRORS=abc"], "NEWSBOT_MAX_ERRORS='abc': expected a whole"),
        (["spacewar", "-s", "NEWSBOT_RETRY_BACKOFF=-1"], "-s NEWSBOT_RETRY_BACKOFF='-1': expected a number"),
        (["spacewar", "-s", "NEWSBOT_INCREMENTAL_EXPORTS=maybe"], "expected True or False"),
        (["spacewar", "-s", "NEWSBOT_ARCHIVE=maybe"], "-s NEWSBOT_ARCHIVE='maybe': expected True or False"),
        # Scrapy's limits, which bound a run as README says: a traceback, or -1 ending it at once, "ok".
        (["spacewar", "-s", "CLOSESPIDER_ITEMCOUNT=abc"], "CLOSESPIDER_ITEMCOUNT='abc': expected a whole"),
        (["spacewar", "-s", "CLOSESPIDER_PAGECOUNT=-1"], "CLOSESPIDER_PAGECOUNT='-1': expected a whole"),
        (["spacewar", "-s", "CLOSESPIDER_TIMEOUT=soon"], "CLOSESPIDER_TIMEOUT='soon': expected a number"),
        (["spacewar", "-s", "NEWSBOT_MIRROR=not-a-url"], "'not-a-url': not a URL and not a folder"),
        (["spacewar", "-s", "NEWSBOT_MIRROR=ftp://x/"], "expected an http(s):// or file:// URL, or a folder"),
        # A misspelt name was read by nothing: the run went to the live sites instead of the copy.
        (
            ["spacewar", "-s", "NEWSBOT_MIROR=tests/site"],
            "-s NEWSBOT_MIROR: unknown setting; did you mean 'NEWSBOT_MIRROR'?",
        ),
        # README's politeness settings: a traceback, exit 2.
        (["spacewar", "-s", "DOWNLOAD_DELAY=1s"], "-s DOWNLOAD_DELAY='1s': expected a number of 0 or more"),
        # Scrapy's too: the run went at the default pace, with exit 0.
        (
            ["spacewar", "-s", "DOWNLOAD_DELY=3"],
            "-s DOWNLOAD_DELY: not a setting; did you mean 'DOWNLOAD_DELAY'?",
        ),
        # README's workers loop in a shell without REDIS: a plain crawl on each machine, no cluster.
        (
            ["spacewar", "-s", "NEWSBOT_REDIS_URL="],
            "-s NEWSBOT_REDIS_URL='': empty; give the cluster's Redis",
        ),
        (["spacewar", "-a", "max_pages"], "Invalid -a value, use -a NAME=VALUE"),
        (["spacewar", "-s", "newsbot_mirror=tests/site"], "unknown setting; did you mean 'NEWSBOT_MIRROR'?"),
        (
            ["spacewar", "sections=superpowers"],
            "give one spider name; an argument is -a sections=superpowers",
        ),
    ],
)
def test_usage_error_is_one_line_and_exit_2_before_any_request(words, message, tmp_path):
    # NEWSBOT_MIRROR points at an empty folder (unless the case sets its own): a request would
    # show as a 404 in a log; with no log at all, none was made.
    mirror = ["-s", f"NEWSBOT_MIRROR={tmp_path.as_uri()}"] if "NEWSBOT_MIRROR" not in " ".join(words) else []
    result = _crawl(*words, *mirror, "-s", f"NEWSBOT_OUTPUT={tmp_path}/out.jsonl", "-s", "NEWSBOT_STATE=")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_arguments_are_parsed_once_into_typed_values():
    arguments = SpiderArguments.parse(
        {"sections": "superpowers, missile-defense", "max_pages": "2", "since": "2025-10-01", "_job": "x"}
    )
    assert arguments.sections == ["superpowers", "missile-defense"]
    assert arguments.max_pages == 2 and arguments.max_articles is None
    assert arguments.since is not None and arguments.since.isoformat() == "2025-10-01"
    assert arguments.source == "sections"
    assert SpiderArguments.parse({"sections": "ALL"}).sections is None
    with pytest.raises(UsageError, match="-a sections=' , ': names no section"):
        SpiderArguments.parse({"sections": " , "})  # not every section, as no list at all would be
    with pytest.raises(UsageError, match="did you mean 'max_pages'"):
        SpiderArguments.parse({"max_page": "2"})


@pytest.mark.parametrize(
    "name",
    ["NEWSBOT_MAX_SECTION_PAGES", "NEWSBOT_MAX_LINKS_PER_PAGE", "NEWSBOT_FEED_MIN_ITEMS",
     "NEWSBOT_LEDGER_MAX_ATTEMPTS", "NEWSBOT_LEDGER_GONE_ATTEMPTS", "NEWSBOT_LEDGER_GIVE_UP_DAYS",
     "NEWSBOT_STATE_BUSY_TIMEOUT", "NEWSBOT_REDIS_RETRIES", "NEWSBOT_REDIS_TIMEOUT"],
)  # fmt: skip
def test_every_numeric_setting_is_checked_before_the_crawl(name):
    from scrapy.settings import Settings

    from newsbot.cli.commands import check_settings

    with pytest.raises(UsageError, match=f"-s {name}='abc': expected a"):
        check_settings(Settings({name: "abc"}))
    check_settings(Settings({name: "3"}))


@pytest.mark.filterwarnings("ignore::scrapy.exceptions.ScrapyDeprecationWarning")
def test_a_setting_of_another_library_or_one_scrapy_deprecated_is_not_taken_for_a_misspelt_one():
    from scrapy.settings import Settings

    from newsbot.cli.commands import check_settings

    # scrapy-redis's, close to Scrapy's DUPEFILTER_DEBUG, CONCURRENT_REQUESTS, SCHEDULER_DEBUG; and one
    # Scrapy still reads though deprecated, close to CONCURRENT_REQUESTS_PER_DOMAIN.
    names = ("DUPEFILTER_KEY", "REDIS_CONCURRENT_REQUESTS", "SCHEDULER_PERSIST", "REDIS_URL")
    check_settings(Settings(dict.fromkeys(names, "1"), priority="cmdline"))
    check_settings(Settings({"CONCURRENT_REQUESTS_PER_IP": 2}, priority="cmdline"))


def test_a_value_scrapy_reads_is_not_refused_for_the_type_of_the_projects_default():
    """The project's values type the check of a -s: its whole-number timeouts refused 7.5 s, which
    Scrapy reads as it reads 30."""
    from scrapy.settings import Settings

    from newsbot.cli.commands import check_settings

    check_settings(Settings({"DOWNLOAD_TIMEOUT": "7.5", "DNS_TIMEOUT": "2.5"}, priority="cmdline"))


def test_an_empty_output_with_a_store_is_refused_before_the_crawl(capsys, tmp_path, monkeypatch):
    """`-s NEWSBOT_OUTPUT=` (Scrapyd's `-d setting=NEWSBOT_OUTPUT=$OUT` of an unset variable): the run
    wrote its articles nowhere yet said "35 articles written" with exit 0, and let the ledger go of what
    it owed (a feed's articles then lost once the feed moved on)."""
    import argparse

    from scrapy.settings import Settings

    from newsbot.cli.commands.crawl import Command

    def exit_status(*words):
        command = Command()
        command.settings = Settings()
        command.settings.setmodule("newsbot.settings", priority="project")
        parser = argparse.ArgumentParser(conflict_handler="resolve")  # as Scrapy makes it
        command.add_options(parser)
        try:
            command.process_options(["spacewar"], parser.parse_args(["-s", "NEWSBOT_OUTPUT=", *words]))
        except SystemExit as exit:
            return exit.code
        return 0

    assert exit_status() == 2
    assert "-s NEWSBOT_OUTPUT='': empty: the articles would be written nowhere" in capsys.readouterr().err
    assert exit_status("-s", "NEWSBOT_STATE=") == 0  # no store: nothing remembered
    monkeypatch.chdir(tmp_path)  # where the export (and its lock) would be
    assert exit_status("-O", "x.jsonl") == 0  # a complete feed export


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{spidr}.jsonl", "unknown placeholder {spidr} in NEWSBOT_OUTPUT"),
        ("%(site)s.jsonl", "unknown placeholder %(site)s in NEWSBOT_OUTPUT"),
        ("{spider}.json", "must end in .jsonl"),
    ],
)
def test_a_bad_output_template_is_one_line_and_exit_2_before_the_crawl(template, message, tmp_path):
    result = _crawl("spacewar", "-s", f"NEWSBOT_OUTPUT={tmp_path}/{template}", "-s", "NEWSBOT_STATE=")
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert not list(tmp_path.iterdir())
