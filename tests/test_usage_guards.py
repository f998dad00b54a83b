"""Destructive commands say what they will do and do it only when asked: `newsbot state --forget-*`
asks on a terminal (or takes --yes) and refuses without one; `newsbot demo --out DIR` clears only a
folder an earlier demo made."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest

from newsbot.cli import CommandError
from newsbot.cli.demo import DEMO_MARKER, claim_folder
from newsbot.cli.main import main
from newsbot.store.base import KnownArticle
from newsbot.store.sqlite import SqliteSeenStore
from tests import processes
from tests.conftest import ROOT


class _Terminal(io.StringIO):
    """Standard input on a terminal, where the user types `answer`."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def store_path(tmp_path):
    path = tmp_path / "seen.sqlite"
    store = SqliteSeenStore(path)
    articles = [
        (1, "spacewar.com", "SUPERPOWERS"),
        (2, "spacewar.com", "SUPERPOWERS"),
        (3, "spacewar.com", "MISSILE DEFENSE"),
        (4, "spacedaily.com", None),
    ]
    for n, site, section in articles:
        store.record(KnownArticle(f"https://www.{site}/{n}.html", f"h{n}", site, section))
    store.begin_walk("spacewar.com", "SUPERPOWERS")
    store.ledger_add(
        "https://www.spacewar.com/5.html", site="spacewar.com", section="superpowers", reason="gone"
    )
    store.close()
    return path


def _articles(path) -> int:
    store = SqliteSeenStore(path)
    try:
        return store.counts()["articles"]
    finally:
        store.close()


FORGET_SECTION = ["--forget-section", "superpowers", "--site", "spacewar"]


@pytest.mark.parametrize("answer, forgotten, status", [("y\n", 2, 0), ("n\n", 0, 1), ("", 0, 1)])
def test_forget_says_what_it_forgets_and_asks_on_a_terminal(
    store_path, monkeypatch, capsys, answer, forgotten, status
):
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))
    assert main(["state", "--path", str(store_path), *FORGET_SECTION]) == status
    out = capsys.readouterr().out
    what = (
        f"2 article(s), 1 section walk(s) and 1 ledger entry of SUPERPOWERS of spacewar.com in {store_path}"
    )
    assert out.startswith(
        f"This forgets {what}; the next run fetches and writes them again.\nForget them? [y/N] "
    )
    # The typed answer is the terminal's echo, not in stdout: the last line follows the question.
    assert out.splitlines()[-1].endswith(f"forgot {what}" if forgotten else "Nothing forgotten.")
    assert _articles(store_path) == 4 - forgotten


def test_forgetting_a_section_the_store_has_nothing_of_forgets_nothing(store_path, capsys):
    """A misspelt section forgot "0 article(s), 1 section walk(s)": the site's walks, with exit 0."""
    misspelt = ["--forget-section", "superpwers", "--site", "spacewar", "--yes"]
    assert main(["state", "--path", str(store_path), *misspelt]) == 0
    assert capsys.readouterr().out == f"Nothing to forget of superpwers of spacewar.com in {store_path}.\n"
    store = SqliteSeenStore(store_path)
    try:
        assert store.forget(site="spacewar.com", dry_run=True).walks == 1
    finally:
        store.close()


def test_forget_without_a_terminal_refuses_in_one_line_unless_yes(store_path):
    def state(*arguments: str) -> subprocess.CompletedProcess[str]:
        return processes.run(
            ["newsbot", "state", "--path", str(store_path), *arguments], ROOT
        )  # stdin: /dev/null

    refused = state("--forget-all")
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr == (
        "newsbot state: would forget 4 article(s), 1 section walk(s) and 1 ledger entry of everything "
        f"in {store_path}; no terminal to ask: add --yes\n"
    )
    assert _articles(store_path) == 4
    done = state("--forget-site", "spacewar", "--yes")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("forgot 3 article(s), 1 section walk(s) and 1 ledger entry of spacewar.com")
    assert _articles(store_path) == 1
    nothing = state("--forget-site", "spacewar")  # nothing left to forget: nothing to ask
    assert nothing.returncode == 0 and nothing.stdout.startswith("Nothing to forget of spacewar.com")


def test_the_demo_refuses_a_folder_it_did_not_make(tmp_path):
    out = tmp_path / "output"
    out.mkdir()
    (out / "spacewar.jsonl").write_text('{"url": "mine"}\n', encoding="utf-8")
    (out / "seen.sqlite").write_bytes(b"mine")
    result = processes.run(["newsbot", "demo", "--out", str(out)], tmp_path, timeout=60)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (
        f"newsbot demo: --out {out} holds files the demo did not make (seen.sqlite, spacewar.jsonl); "
        "give a new or empty folder\n"
    )
    assert (out / "spacewar.jsonl").read_text(encoding="utf-8") == '{"url": "mine"}\n'
    assert sorted(p.name for p in out.iterdir()) == ["seen.sqlite", "spacewar.jsonl"]


def test_the_demo_takes_a_new_or_empty_folder_and_clears_only_its_own(tmp_path):
    new, empty = tmp_path / "new" / "demo", tmp_path / "empty"
    empty.mkdir()
    for folder in (new, empty):
        claim_folder(folder)
        assert [p.name for p in folder.iterdir()] == [DEMO_MARKER]
    (new / "spacewar.jsonl").write_text("an earlier demo's\n", encoding="utf-8")
    (new / "archive").mkdir()
    (new / "archive" / "x.warc.gz").write_bytes(b"")
    claim_folder(new)  # a rerun starts afresh
    assert [p.name for p in new.iterdir()] == [DEMO_MARKER]
    (tmp_path / "file").write_text("", encoding="utf-8")
    with pytest.raises(CommandError, match=r"^--out .*file: a file, not a folder$"):  # not "File exists"
        claim_folder(tmp_path / "file")


def test_the_demo_without_a_snapshot_says_so_in_one_line(tmp_path, capsys):
    assert main(["demo", "--snapshot", str(tmp_path / "none"), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"newsbot demo: no site's www.<host> folder in {tmp_path / 'none'}: ")
    assert error.endswith("pass --snapshot\n") and error.count("\n") == 1
    assert not (tmp_path / "out").exists()
