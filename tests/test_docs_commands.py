"""Every command and code block of README.md, ARCHITECTURE.md and bench/README.md is run as written
by some test: RUN_BY names it, and a block it does not name fails the suite. The blocks no other
module runs are run here: `newsbot sections`, `newsbot check`, the extraction-case workflow and the
layout example."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from tests import processes
from tests.cases_support import VOLATILE_FIELDS, all_cases, expected_text
from tests.conftest import ROOT, SNAPSHOT
from tests.readme_commands import (
    DOCS,
    RUNNABLE,
    Block,
    command_lines,
    doc_blocks,
    fresh_checkout,
    plain_invocation,
    readme_blocks,
    run_shell,
    shell_env,
)

# (file, heading) -> the test that runs each runnable block under that heading, in order.
RUN_BY: dict[tuple[str, str], tuple[str, ...]] = {
    ("README.md", "## Try it offline"): (
        "test_readme_commands.py::test_quick_start_commands_run_as_written",
        "test_readme_commands.py::test_quick_start_commands_run_as_written",
    ),
    ("README.md", "## Quick start"): ("test_readme_commands.py::test_quick_start_commands_run_as_written",),
    ("README.md", "## Crawling"): ("test_readme_commands.py::test_crawl_examples_run_as_written",),
    ("README.md", "### Scrapy's own tools"): ("test_readme_commands.py::test_scrapy_tools_run_as_written",),
    ("README.md", "### Sections and the navigation"): (
        "test_docs_commands.py::test_sections_commands_run_as_written",
    ),
    ("README.md", "### Loading it"): (
        "test_dataset.py::test_readme_dataset_and_loaders_give_one_typed_row_per_article_as_written",
        "test_dataset.py::test_readme_dataset_and_loaders_give_one_typed_row_per_article_as_written",
    ),
    ("README.md", "### The archive: rebuild and import"): (
        "test_readme_commands.py::test_archive_commands_run_as_written",
    ),
    ("README.md", "### Checking the live sites: newsbot check"): (
        "test_docs_commands.py::test_check_commands_run_as_written",
    ),
    ("README.md", "## Scheduled runs"): (
        "test_readme_commands.py::test_newsbot_state_commands_run_as_written",
    ),
    ("README.md", "### cron"): ("test_readme_cron.py::test_the_cron_line_runs_silently_on_a_fresh_checkout",),
    ("README.md", "### Scrapyd"): (
        "test_readme_scrapyd.py::test_the_job_runs_and_delivers_where_it_was_told",
    ),
    ("README.md", "### A cluster on Redis"): (
        "test_readme_cluster.py::test_the_redis_server_line_starts_a_redis_that_wants_the_password",
        "test_readme_cluster.py::test_the_workers_loop_crawls_the_site_once_between_them",
        "test_readme_cluster.py::test_the_watch_lines_show_the_run",
        "test_readme_cluster.py::test_the_reset_lines_empty_the_frontier_and_the_store",
    ),
    ("README.md", "## Development"): ("test_docs_commands.py::test_the_test_command_is_the_one_ci_runs",),
    ("ARCHITECTURE.md", "## The article parser"): (
        "test_docs_commands.py::test_the_layout_example_runs_as_written",
    ),
    ("ARCHITECTURE.md", "## Tests and extraction cases"): (
        "test_docs_commands.py::test_the_case_workflow_runs_as_written",
    ),
    ("bench/README.md", "# newsbot: benchmarks"): (
        "test_bench.py::test_quick_run_exits_0_and_prints_every_figure",
    ),
}
# Blocks in these languages look runnable but escape the check: written ```sh instead.
SHELL_ALIASES = ("bash", "shell", "console", "zsh", "py", "python3")


def _runnable_blocks() -> dict[tuple[str, str], list[Block]]:
    found: dict[tuple[str, str], list[Block]] = defaultdict(list)
    for path in DOCS:
        for block in doc_blocks(path):
            if block.language in RUNNABLE:
                found[(str(path.relative_to(ROOT)), block.heading)].append(block)
    return found


def test_every_runnable_block_is_run_by_a_named_test():
    untested = []
    for key, blocks in _runnable_blocks().items():
        tests = RUN_BY.get(key, ())
        untested += [f"{block.where}: {block.text.splitlines()[0]!r}" for block in blocks[len(tests) :]]
    assert not untested, (
        "no test runs these blocks as written; write one and name it in RUN_BY in "
        "tests/test_docs_commands.py:\n" + "\n".join(untested)
    )


def test_run_by_names_blocks_and_tests_that_exist():
    found = _runnable_blocks()
    for (doc, heading), tests in RUN_BY.items():
        assert len(found.get((doc, heading), [])) == len(tests), (
            f"{doc}: {heading!r} has not {len(tests)} blocks"
        )
        for test in tests:
            module, name = test.split("::")
            source = (ROOT / "tests" / module).read_text(encoding="utf-8")
            functions = {
                node.name for node in ast.walk(ast.parse(source)) if isinstance(node, ast.FunctionDef)
            }
            assert name in functions, f"{test}: no such test"
            # The test takes the block from its heading, not from a copy of its text.
            assert heading in source, f"{module} never names {heading!r}"


def test_no_command_hides_in_a_block_of_another_name():
    aliased = [block.where for path in DOCS for block in doc_blocks(path) if block.language in SHELL_ALIASES]
    assert not aliased, f"write these as ```sh or ```python, so that the check above sees them: {aliased}"


def test_the_test_command_is_the_one_ci_runs():
    (block,) = readme_blocks("sh", under="## Development")
    (line,) = command_lines(block)
    assert line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


# A newcomer's `pip install -e .`, then pytest: the test extra's hypothesis (and its pytest plugin) absent.
WITHOUT_HYPOTHESIS = """
import sys

class Missing:
    def find_spec(self, name, path, target=None):
        if name.partition(".")[0] == "hypothesis":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, Missing())
import pytest
options = ["-q", "-n", "0", "--co", "-p", "no:cacheprovider", "-p", "xdist.plugin"]
sys.exit(pytest.main([*options, "tests/test_clock.py"]))
"""


def test_the_tests_without_the_test_extra_say_so_in_one_line():
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    command = [sys.executable, "-c", WITHOUT_HYPOTHESIS]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        result.stderr == "the tests need the test extra (hypothesis is missing): pip install -e '.[test]'\n"
    )


# --- newsbot sections and newsbot check, against the snapshot ---------------------------------------


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_checkout(tmp_path_factory.mktemp("clone") / "newsbot")


def _start(line: str, cwd: Path, env: dict[str, str]) -> processes.Process | subprocess.Popen[str]:
    """As run_shell starts it: a plain `newsbot ...` from the forkserver (tests/readme_commands.py)."""
    if words := plain_invocation(line, cwd):
        return processes.Process(words, cwd, env)
    return subprocess.Popen(
        ["/bin/sh", "-c", line], cwd=cwd, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


def _run_at_once(lines: list[str], cwd: Path, **env: str) -> list[subprocess.CompletedProcess[str]]:
    """The lines in parallel (none writes what another reads): a few seconds instead of a minute."""
    started = [(line, _start(line, cwd, shell_env(cwd, **env))) for line in lines]
    done = []
    for line, process in started:
        stdout, stderr = process.communicate(timeout=300)
        done.append(subprocess.CompletedProcess(line, process.returncode, stdout, stderr))
    return done


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, f"{result.args}: " + (result.stdout + result.stderr)[-3000:]
    assert "Traceback" not in result.stderr


def _with_mirror_named(line: str) -> bool:
    return "--mirror" in line or "NEWSBOT_MIRROR=" in line


def _lines(under: str) -> list[str]:
    (block,) = readme_blocks("sh", under=under)
    return command_lines(block)


def test_sections_commands_run_as_written(checkout):
    lines = _lines("### Sections and the navigation")
    assert len(lines) == 3
    # A line naming its mirror runs with none in the environment: it must use the one it names.
    results = [
        run_shell(line, cwd=checkout, **({"NEWSBOT_MIRROR": ""} if _with_mirror_named(line) else {}))
        for line in lines
    ]
    two_sites, every_site, mirror_named = results
    _ok(two_sites)
    assert "spacewar (spacewar.com)" in two_sites.stdout and "sinodaily (sinodaily.com)" in two_sites.stdout
    assert "CHINA MILITARY" in two_sites.stdout and "MOVED from" in two_sites.stdout
    document = json.loads(every_site.stdout)
    assert every_site.returncode == document["exit_status"], every_site.stderr
    assert len(document["sites"]) == 15
    for site in document["sites"]:
        # Every site the snapshot has a home page of is resolved, with each declared section found.
        if (SNAPSHOT / f"www.{site['host']}" / "index.html").exists():
            assert site["error"] is None and site["missing"] == [], site
    _ok(mirror_named)
    assert mirror_named.stdout.startswith("marsdaily (marsdaily.com)")


def test_check_commands_run_as_written(checkout):
    lines = _lines("### Checking the live sites: newsbot check")
    assert len(lines) == 6
    results = _run_at_once([line for line in lines if not _with_mirror_named(line)], cwd=checkout)
    results += _run_at_once(
        [line for line in lines if _with_mirror_named(line)], cwd=checkout, NEWSBOT_MIRROR=""
    )
    for result in results:
        _ok(result)
    by_line = {result.args: result for result in results}
    every_site, marsdaily, two_sites, one_section, as_json, mirror_named = (by_line[line] for line in lines)
    declaring = ("spacewar", "spacedaily", "terradaily", "sinodaily")
    for site in declaring:
        assert f"VERDICT {site}: fits" in every_site.stdout
    assert marsdaily.stdout.count("VERDICT") == 1 and "VERDICT marsdaily: fits" in marsdaily.stdout
    assert two_sites.stdout.count("VERDICT") == 2
    assert "walked: mars-news\n" in one_section.stdout
    document = json.loads((checkout / "check.json").read_text(encoding="utf-8"))
    assert document["verdict"] == "fits" and {site["site"] for site in document["sites"]} >= set(declaring)
    assert as_json.stdout == ""
    assert (
        "from the mirror file://" in mirror_named.stdout and "VERDICT spacewar: fits" in mirror_named.stdout
    )


# --- ARCHITECTURE.md: the case workflow and the layout example ---------------------------------------


def test_the_case_workflow_runs_as_written(tmp_path):
    """In a copy of the cases under git: a case whose expected.json went stale is rewritten, and
    `git diff tests/cases` shows what the parser now says of it; the real cases are untouched."""
    copy = fresh_checkout(tmp_path / "newsbot")
    (copy / "tests" / "site").unlink()
    (copy / "tests").rmdir()
    shutil.copytree(ROOT / "tests" / "cases", copy / "tests" / "cases")
    shutil.copytree(
        ROOT / "tests" / "tools", copy / "tests" / "tools", ignore=shutil.ignore_patterns("__pycache__")
    )
    for helper in ("__init__.py", "conftest.py", "cases_support.py"):
        shutil.copy(ROOT / "tests" / helper, copy / "tests" / helper)
    case = all_cases()[0]
    stale = copy / case.expected_path.relative_to(ROOT)
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    stale.write_text(expected_text({**expected, "title": "A stale title"}), encoding="utf-8")
    git = ["git", "-c", "user.name=newsbot", "-c", "user.email=newsbot@localhost"]
    for step in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "cases"]):
        subprocess.run([*git, *step], cwd=copy, check=True, capture_output=True)
    (block,) = readme_blocks("sh", under="## Tests and extraction cases", path=ROOT / "ARCHITECTURE.md")
    update, diff = (run_shell(line, cwd=copy) for line in command_lines(block))
    _ok(update)
    assert update.stdout.strip() == f"1 case(s) rewritten: {case.id}"
    _ok(diff)
    title = json.dumps(expected["title"], ensure_ascii=False)
    assert '-  "title": "A stale title",' in diff.stdout and f'+  "title": {title},' in diff.stdout
    assert stale.read_text(encoding="utf-8") == expected_text(case.parse())
    assert case.expected_path.read_text(encoding="utf-8") == expected_text(case.parse())


def test_the_layout_example_runs_as_written():
    """The redesign of ARCHITECTURE.md, with the names its module imports and a 2027 page, parses
    that page as its case expects."""
    from typing import Any

    from lxml import etree

    from newsbot.parsing.article import parse_article
    from newsbot.parsing.article.layouts import Layout2022
    from newsbot.parsing.article.page import Comment
    from tests import cases_support

    (block,) = readme_blocks("python", under="## The article parser", path=ROOT / "ARCHITECTURE.md")
    (case,) = [case for case in all_cases() if case.id == "2027/redesigned-article"]
    *definitions, call = ast.parse(block).body
    assert isinstance(call, ast.Expr)
    names = {"re": cases_support.re, "etree": etree, "Any": Any, "Comment": Comment}
    names |= {"Layout2022": Layout2022, "parse_article": parse_article}
    names |= {"url": case.meta["url"], "body": (case.folder / "page.html").read_bytes()}
    exec(compile(ast.Module(definitions, type_ignores=[]), "ARCHITECTURE.md", "exec"), names)
    item = eval(compile(ast.Expression(call.value), "ARCHITECTURE.md", "eval"), names)
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    assert {name: value for name, value in item.to_dict().items() if name not in VOLATILE_FIELDS} == expected
    # Read by the example's class: the shipped layouts alone read that page otherwise.
    plain = parse_article(names["url"], names["body"])
    assert plain is None or plain.to_dict()["title"] != expected["title"]


def test_the_readme_stays_short_enough_to_read():
    # A newcomer's README (issue 24): at most 450 lines; detail belongs in ARCHITECTURE.md.
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 450
