"""Walks every extraction case in tests/cases/<layout>/<case> (see tests/cases_support.py)."""

import json

import pytest

from tests.cases_support import CASE_LAYOUTS, all_cases

CASES = all_cases()


def test_there_are_cases():
    assert len(CASES) >= 10


def test_every_layout_folder_has_cases():
    assert {case.layout for case in CASES} == set(CASE_LAYOUTS)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case):
    expected = json.loads(case.expected_path.read_text(encoding="utf-8"))
    assert case.parse() == expected
