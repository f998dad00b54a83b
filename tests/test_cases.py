"""Walks every extraction case in tests/cases (see tests/cases_support.py)."""

import json

import pytest

from tests.cases_support import all_cases

CASES = all_cases()


def test_there_are_cases():
    assert len(CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case(case):
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    assert case.parse() == expected
