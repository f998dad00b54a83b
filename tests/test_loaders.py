"""The README's loaders, as written, load the demo's output of every spider into one table, where
inferring the types file by file fails to combine them; every line says its schema version."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.json as pajson
import pytest

from newsbot.item import SCHEMA_VERSION
from newsbot.loading import arrow_schema, duckdb_columns, field_types
from tests.readme_commands import readme_blocks


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`newsbot demo` run from a folder that is not the project's, its JSON Lines under output/."""
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    command = [sys.executable, "-m", "newsbot.cli", "demo", "--out", "output"]
    result = subprocess.run(command, cwd=elsewhere, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 invalid against the schema" in result.stdout
    return elsewhere


def _loader_blocks() -> list[str]:
    section = readme_blocks("python", under="### Loading it")
    assert len(section) == 2
    return section


def test_inferred_types_do_not_combine_but_the_schemas_do(demo_output):
    files = sorted((demo_output / "output").glob("*.jsonl"))
    assert len(files) == 3
    inferred = [pajson.read_json(path) for path in files]
    with pytest.raises(pa.ArrowInvalid):
        pa.concat_tables(inferred)
    lines = [json.loads(line) for path in files for line in path.read_text(encoding="utf-8").splitlines()]
    assert {line["schema_version"] for line in lines} == {SCHEMA_VERSION}
    assert list(lines[0]) == list(field_types())
    assert arrow_schema().names == list(field_types())
    assert set(duckdb_columns()) == set(field_types())


@pytest.mark.parametrize("loader", [0, 1], ids=["pyarrow", "duckdb"])
def test_readme_loader_runs_as_written_on_the_demo_output(loader, demo_output, monkeypatch, capsys):
    monkeypatch.chdir(demo_output)
    exec(_loader_blocks()[loader], {"__name__": "readme"})
    printed = capsys.readouterr().out
    files = (demo_output / "output").glob("*.jsonl")
    rows = sum(len(path.read_text(encoding="utf-8").splitlines()) for path in files)
    if loader == 0:
        assert printed.strip() == f"{rows} list<item: string>"
    else:
        counts = dict(eval(printed))
        assert sum(counts.values()) == rows and counts["spacewar.com"] > 0
