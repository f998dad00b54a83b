"""Column types for loading newsbot's JSON Lines into pyarrow, pandas or duckdb, from the shipped
JSON Schema (newsbot/schema/article.schema.json), so the loaders and the schema cannot drift apart.

Inferred types differ from file to file (`notes` is a list of nothing in a file where no item has a
note, a list of strings elsewhere; `date_published` all null in one file, text in another), and the
files of several runs and workers then fail to combine. With these explicit types every file of
every run loads into one table: `read_arrow(paths)`, or duckdb's `read_json(...,
columns=duckdb_columns())`, as the README shows. pyarrow and duckdb are not dependencies of the
crawler: install them where the data is read.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from newsbot.item import shipped_schema

_SCALARS = {"string": "string", "integer": "int64", "boolean": "bool"}


def field_types() -> dict[str, Any]:
    """Each field of an item as a small type tree: "string", "int64", "bool", ["list", t] or
    {"struct": {name: t}}; fields that may be null are nullable in both pyarrow and duckdb."""
    schema = shipped_schema()
    return {name: _type(node, schema) for name, node in schema["properties"].items()}


def _type(node: dict[str, Any], root: dict[str, Any]) -> Any:
    if "$ref" in node:
        return _type(root["$defs"][node["$ref"].rsplit("/", 1)[-1]], root)
    if "anyOf" in node:
        kinds = [option for option in node["anyOf"] if option.get("type") != "null"]
        if len(kinds) != 1:
            raise ValueError(f"no single column type for {node}")
        return _type(kinds[0], root)
    kind = node.get("type")
    if kind == "array":
        return ["list", _type(node["items"], root)]
    if kind == "object":
        return {"struct": {name: _type(child, root) for name, child in node["properties"].items()}}
    if kind in _SCALARS:
        return _SCALARS[kind]
    raise ValueError(f"no column type for {node}")


def arrow_schema() -> Any:
    """The pyarrow schema of a line (a `pyarrow.Schema`)."""
    import pyarrow as pa

    def arrow(tree: Any) -> Any:
        if isinstance(tree, list):
            return pa.list_(arrow(tree[1]))
        if isinstance(tree, dict):
            return pa.struct([pa.field(name, arrow(child)) for name, child in tree["struct"].items()])
        return {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_()}[tree]

    return pa.schema([pa.field(name, arrow(tree)) for name, tree in field_types().items()])


def read_arrow(paths: Iterable[str | Path]) -> Any:
    """Every line of the given JSON Lines files as one `pyarrow.Table` with the schema's types."""
    import pyarrow as pa
    import pyarrow.json as pajson

    schema = arrow_schema()
    options = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="error")
    tables = [pajson.read_json(path, parse_options=options) for path in paths if Path(path).stat().st_size]
    return pa.concat_tables(tables) if tables else schema.empty_table()


def duckdb_columns() -> dict[str, str]:
    """The `columns` argument of duckdb's `read_json`: every field with its SQL type."""

    def sql(tree: Any) -> str:
        if isinstance(tree, list):
            return f"{sql(tree[1])}[]"
        if isinstance(tree, dict):
            members = ", ".join(f"{name} {sql(child)}" for name, child in tree["struct"].items())
            return f"STRUCT({members})"
        return {"string": "VARCHAR", "int64": "BIGINT", "bool": "BOOLEAN"}[tree]

    return {name: sql(tree) for name, tree in field_types().items()}
