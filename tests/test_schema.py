import re
from importlib import resources

from jsonschema import Draft202012Validator

from newsbot.cli.main import main
from newsbot.item import SCHEMA_RESOURCE, ArticleItem, generate_schema, schema_text, shipped_schema
from tests.conftest import ROOT


def test_the_shipped_schema_is_the_one_newsbot_schema_prints_from_the_item_class(capsys):
    assert main(["schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == schema_text(generate_schema())
    assert resources.files("newsbot").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8") == printed


def _valid_item() -> dict:
    return ArticleItem(
        url="https://www.spacewar.com/reports/X_999.html",
        site="spacewar.com",
        title="X",
        content_hash="0" * 64,
        scraped_at="2026-01-01T00:00:00Z",
    ).to_dict()


def test_schema_accepts_a_minimal_item_and_rejects_broken_ones():
    validator = Draft202012Validator(shipped_schema())
    assert validator.is_valid(_valid_item())
    broken = [
        {**_valid_item(), "title": ""},
        {**_valid_item(), "url": "http://www.spacewar.com/reports/X_999.html?x=1"},
        {**_valid_item(), "date_published": "Dec 30, 2022"},
        {**_valid_item(), "unexpected": 1},
        {**_valid_item(), "images": [{"url": "/relative.jpg", "caption": None}]},
        {k: v for k, v in _valid_item().items() if k != "notes"},
    ]
    for item in broken:
        assert not validator.is_valid(item), item


def test_the_readme_says_what_every_field_of_a_line_is_in_line_order_with_its_type():
    """The data engineer reads a field's meaning in the README's table of the item: every property
    of the shipped schema, in the order of the lines, typed as the schema types it."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    table = text[text.index("## The item") : text.index("### Loading it")]
    rows = re.findall(r"^\| `(\w+)` \| ([^|]+) \|", table, re.MULTILINE)

    def words(node: dict) -> str:
        if "anyOf" in node:
            return words(next(option for option in node["anyOf"] if option != {"type": "null"})) + " or null"
        return {"string": "str", "integer": "int", "array": "list of"}[node["type"]]

    properties = shipped_schema()["properties"]
    assert [name for name, _ in rows] == list(properties)
    assert all(kind.strip().startswith(words(properties[name])) for name, kind in rows), rows
