"""Help everywhere: every entry point answers --help with exit 0, a usage line and a description;
`newsbot --version` names the installed package's version; `scrapy args SPIDER` lists a spider's
arguments from newsbot/spiders/args.py."""

from __future__ import annotations

import importlib.metadata
import pkgutil
import re
import subprocess
import sys

import pytest

import newsbot.cli.commands
from newsbot.cli.main import build_parser, main
from newsbot.spiders.args import argument_table
from tests import processes
from tests.conftest import ROOT

PYTHON = sys.executable
# Each entry point a user runs, as a process: the README names them.
ENTRY_POINTS = [
    [PYTHON, "-m", "newsbot.cli"],
    [PYTHON, "-m", "newsbot.snapshot_server"],
    [PYTHON, "-m", "bench"],
    [PYTHON, "tests/tools/build_snapshot.py"],
    [PYTHON, "-m", "tests.tools.update_cases"],
    [PYTHON, "-m", "scrapy"],
    # newsbot's Scrapy project commands (COMMANDS_MODULE), Scrapy's own help for each.
    *(
        [PYTHON, "-m", "scrapy", module.name]
        for module in pkgutil.iter_modules(newsbot.cli.commands.__path__)
    ),
]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return processes.run(command, ROOT, timeout=60)


def _start(command: list[str]) -> processes.Process | subprocess.Popen[str]:
    """`scrapy` and `newsbot` from the forkserver (tests/processes.py), any other entry point as is."""
    if processes.entry_point(command):
        return processes.Process(command, ROOT)
    return subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_every_entry_point_answers_help():
    running = {" ".join(command[1:]): _start([*command, "--help"]) for command in ENTRY_POINTS}
    for name, process in running.items():
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, f"{name} --help: {err[-2000:]}"
        assert "Traceback" not in err
        assert re.search(r"^\s*usage", out, re.IGNORECASE | re.MULTILINE), f"{name} --help: {out[:300]}"
        paragraphs = [p for p in out.split("\n\n") if p.strip()]
        assert len(paragraphs) >= 2, f"{name} --help has no description: {out[:300]}"


def test_every_newsbot_subcommand_has_a_description(capsys):
    subcommands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"parse", "demo", "check", "schema", "state", "sections"} <= set(subcommands)
    for name, parser in subcommands.items():
        assert parser.description, f"newsbot {name} has no description"
        with pytest.raises(SystemExit) as exit_:
            main([name, "--help"])
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        assert out.startswith(f"usage: newsbot {name}") and parser.description.split()[0] in out
        # A help shared between commands said what another's default was ("for check, ...").
        assert not [other for other in subcommands if f"for {other}," in out], f"newsbot {name} --help"


def test_newsbot_version_is_the_installed_package():
    result = _run([PYTHON, "-m", "newsbot.cli", "--version"])
    assert result.returncode == 0
    assert result.stdout.strip() == f"newsbot {importlib.metadata.version('newsbot')}"


def test_scrapy_args_lists_a_spiders_arguments():
    names = ("spacewar", "marsdaily", "nope")
    spacewar, marsdaily, unknown = (_run([PYTHON, "-m", "scrapy", "args", name]) for name in names)
    assert spacewar.returncode == 0, spacewar.stderr
    lines = spacewar.stdout.splitlines()
    assert lines[0] == "scrapy crawl spacewar -a NAME=VALUE ..."
    listed = [line.split()[0] for line in lines[1:] if not line.startswith(" ")]
    assert listed == [name for name, _, _ in argument_table()]
    assert "Default: no bound." in spacewar.stdout and "no known feed" not in spacewar.stdout
    assert "marsdaily.com has no known feed" in marsdaily.stdout  # what only the site can tell
    assert unknown.returncode == 2
    assert unknown.stderr == "scrapy args: unknown spider 'nope'; `scrapy list` shows all 15\n"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "newsbot: the following arguments are required: command"),
        (["sectons"], "newsbot: argument command: invalid choice: 'sectons'"),
        (["check", "--articles", "0"], "newsbot check: argument --articles: expected a whole number of 1"),
        (["schema", "extra"], "newsbot: unrecognized arguments: extra"),
        (["sections", "spacewars"], "newsbot sections: unknown site 'spacewars'; did you mean 'spacewar'?"),
        # README's `--redis "$REDIS"` in a shell without it: the local store was shown as the cluster's.
        (["state", "--redis", ""], "newsbot state: --redis '': empty; give the cluster's NEWSBOT_REDIS_URL"),
    ],
)
def test_a_newsbot_usage_error_is_one_line_and_exit_2(argv, message, capsys):
    try:
        status = main(argv)
    except SystemExit as exit:  # argparse's
        status = exit.code
    error = capsys.readouterr().err
    assert status == 2, error
    assert error.startswith(message) and error.count("\n") == 1, error


@pytest.mark.parametrize("name", ["crawl", "crawlall"])
def test_scrapy_crawl_help_names_the_arguments_command_and_the_exit_statuses(name):
    result = _run([PYTHON, "-m", "scrapy", name, "--help"])
    description = " ".join(result.stdout.split("Options\n")[0].split())
    assert "-a arguments: `scrapy args SPIDER`" in description
    assert "0 done, 1 failed (the run report says why), 2 could not start" in description
