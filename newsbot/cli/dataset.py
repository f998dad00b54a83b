"""`newsbot dataset`: built beside OUT and swapped in whole, in one rename, so that OUT is never missing
nor half written (a reader walking its folders during the rename may see part: README)."""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import json
import logging
import os
import shutil
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsbot.cli import CommandError, output_folder
from newsbot.delivery import DELIVERY_SUFFIX, Locked, hold_lock
from newsbot.item import SCHEMA_VERSION, recency, schema_validator, shipped_schema
from newsbot.parsing.article import content_hash

logger = logging.getLogger(__name__)

# Tells a folder this command wrote, which it may replace, from anything else (readers skip `_` files).
MARKER = "_newsbot_dataset.json"


def _int64(value: int) -> int:
    if not -(2**63) <= value < 2**63:
        raise ValueError("beyond a 64-bit integer")
    return value


# A JSON value in a column of these types becomes the column's value (the types: arrow_schema).
PARSERS = {
    "date32[day]": datetime.date.fromisoformat,
    "timestamp[us, tz=UTC]": datetime.datetime.fromisoformat,
    "int64": _int64,
}
NO_TEXT = content_hash("")  # of an empty body
NO_YEAR = "__HIVE_DEFAULT_PARTITION__"  # the hive name of a null partition value, which readers know


class NewerLine(Exception):
    """A line of a newer newsbot: not skipped, which would leave out every article it writes."""


def run(args: argparse.Namespace) -> int:
    """Compact every finished delivery into one Parquet dataset at OUT, one row per article URL (its latest
    version), typed from the item schema, in site=/year= folders, swapped in whole."""
    out: Path = args.out.resolve()  # a link: the folder it names is swapped, where its readers look
    if out.exists() and not (out / MARKER).is_file() and not (out.is_dir() and not any(out.iterdir())):
        raise CommandError(f"{out} holds something that is not a newsbot dataset; name a new or empty folder")
    try:
        files = _delivery_files(args.inputs or [output_folder()])
        rows, counts = _read(files)
        out.parent.mkdir(parents=True, exist_ok=True)
        with _building(out) as building:  # and then, once swapped, the old dataset: gone with it
            _write(sorted(rows.values(), key=lambda row: row["url"]), building)
            summary = {
                "schema_version": SCHEMA_VERSION,
                "deliveries": len(files),
                **counts,
                "rows": len(rows),
            }
            (building / MARKER).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
            _swap_in(building, out)
    except (OSError, NewerLine) as error:  # an unreadable delivery, a full disk: the old dataset stays
        print(f"newsbot dataset: {error}", file=sys.stderr)
        return 1
    print(
        f"{out}: {len(files)} deliveries read, {counts['lines']} lines, {len(rows)} rows written, "
        f"{counts['duplicates']} duplicates folded, {counts['skipped']} skipped"
    )
    return 0


@contextlib.contextmanager
def _building(out: Path) -> Iterator[Path]:
    """A new folder beside `out` to build in, removed after, and first if a killed build left it (a whole
    dataset's worth of disk): one build of `out` at a time (a lock), so one name does."""
    try:
        lock = hold_lock(out.parent / f".{out.name}.lock")
    except Locked as holder:
        raise CommandError(f"{out} is being built by another newsbot dataset (pid {holder})") from None
    try:
        shutil.rmtree(building := out.parent / f".{out.name}.building", ignore_errors=True)
        building.mkdir()  # as any folder the user makes (not private, as a temporary one): readers list it
        try:
            yield building
        finally:
            shutil.rmtree(building, ignore_errors=True)
    finally:
        os.close(lock)


def _delivery_files(inputs: list[Path]) -> list[Path]:
    files: set[Path] = set()
    for path in inputs:
        if path.is_dir():  # and the folders below it: NEWSBOT_OUTPUT's `{date}` folders
            files.update(path.rglob("*" + DELIVERY_SUFFIX))
        elif path.is_file() and path.name.endswith(DELIVERY_SUFFIX):
            files.add(path)
        else:
            what = "is not a finished delivery (*.jsonl)" if path.exists() else "does not exist"
            raise CommandError(f"{path} {what}")
    if not files:
        raise CommandError(f"no deliveries (*.jsonl) in {', '.join(map(str, inputs))}")
    # In the order they were written: of two versions of one fetch and parse time (lines before
    # `parsed_at`, a rebuild in the crawl's second), the one delivered last is kept, whatever the names.
    return sorted(files, key=lambda path: (path.stat().st_mtime_ns, path))


def _read(files: list[Path]) -> tuple[dict[str, dict[str, Any]], dict[str, int]]:
    """The latest row of each URL, and the lines, duplicates and skipped lines counted."""
    validator = schema_validator()
    properties: dict[str, Any] = shipped_schema()["properties"]
    # A line of an older schema version lacks the fields added since, which are nullable: null in its row.
    nullable = [name for name, node in properties.items() if {"type": "null"} in node.get("anyOf", [])]
    parsers = {field.name: PARSERS[str(field.type)] for field in arrow_schema() if str(field.type) in PARSERS}
    rows: dict[str, dict[str, Any]] = {}
    fetched_first: dict[str, datetime.datetime] = {}
    counts = {"lines": 0, "duplicates": 0, "skipped": 0}
    for path in files:
        with path.open("rb") as handle:
            for number, line in enumerate(handle, 1):
                counts["lines"] += 1
                try:
                    row = _row(line, validator, nullable, parsers)
                except NewerLine as error:
                    raise NewerLine(f"{path}:{number}: {error}; upgrade newsbot to read it") from None
                except ValueError as error:
                    counts["skipped"] += 1
                    logger.warning("%s:%d: skipped, not an article record: %s", path, number, error)
                    continue
                url, kept = row["url"], rows.get(row["url"])
                counts["duplicates"] += kept is not None
                fetched_first[url] = min(fetched_first.get(url, row["scraped_at"]), row["scraped_at"])
                if kept is None or recency(row) >= recency(kept):
                    rows[url] = row
    # One story is one row (ANATOMY.md): a syndicated copy, same body under another URL, folds to the
    # URL fetched first, as the crawl's dedupe keeps it (a page without text: by its headline's hash).
    # Lines of a newsbot that hashed an empty body, alike for every such page, tell no story apart.
    stories: dict[str, dict[str, Any]] = {}
    for row in sorted(rows.values(), key=lambda row: (fetched_first[row["url"]], row["url"])):
        if row["content_hash"] != NO_TEXT and stories.setdefault(row["content_hash"], row) is not row:
            counts["duplicates"] += 1
            del rows[row["url"]]
    return rows, counts


def _row(line: bytes, validator: Any, nullable: list[str], parsers: dict[str, Any]) -> dict[str, Any]:
    record = json.loads(line.decode("utf-8"))  # not UTF-8, not JSON: ValueError
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    # Valid JSON and a string to the schema, but a lone surrogate ("\\ud800") no Parquet string holds.
    json.dumps(record, ensure_ascii=False).encode("utf-8")  # UnicodeEncodeError: a ValueError
    version = record.get("schema_version")
    if type(version) is int and version > SCHEMA_VERSION:
        raise NewerLine(f"schema_version {version} is newer than this newsbot's {SCHEMA_VERSION}")
    if type(version) is not int or not 1 <= version <= SCHEMA_VERSION:
        raise ValueError(f"schema_version {version!r} is not one of 1 to {SCHEMA_VERSION}")
    if version < SCHEMA_VERSION:
        record = {**dict.fromkeys(nullable), **record}
    error = next(validator.iter_errors({**record, "schema_version": SCHEMA_VERSION}), None)
    if error is not None:
        raise ValueError(f"{'/'.join(map(str, error.absolute_path)) or 'line'}: {error.message}")
    row = dict(record)
    for name, parse in parsers.items():
        try:
            row[name] = parse(row[name]) if row[name] is not None else None
        except ValueError as error:
            raise ValueError(f"{name}: {row[name]!r}: {error}") from None
    row["year"] = row["date_published"].year if row["date_published"] else None
    return row


def arrow_schema() -> Any:
    """The dataset's `pyarrow.Schema`: the shipped JSON Schema's fields with their types, then `year`."""
    import pyarrow as pa

    schema = shipped_schema()

    def arrow(node: dict[str, Any]) -> Any:
        if "$ref" in node:
            return arrow(schema["$defs"][node["$ref"].rsplit("/", 1)[-1]])
        if "anyOf" in node:  # a nullable field: its one other type
            return arrow(next(option for option in node["anyOf"] if option.get("type") != "null"))
        if node.get("type") == "array":
            return pa.list_(arrow(node["items"]))
        if node.get("type") == "object":
            return pa.struct([pa.field(name, arrow(child)) for name, child in node["properties"].items()])
        if node.get("format") in ("date", "date-time"):
            return pa.date32() if node["format"] == "date" else pa.timestamp("us", tz="UTC")
        return {"string": pa.string(), "integer": pa.int64(), "boolean": pa.bool_()}[node["type"]]

    fields = [pa.field(name, arrow(node)) for name, node in schema["properties"].items()]
    metadata = {"newsbot.schema_version": str(SCHEMA_VERSION)}
    return pa.schema([*fields, pa.field("year", pa.int32())], metadata=metadata)


def _write(rows: list[dict[str, Any]], folder: Path) -> None:
    """One Parquet file per site and year, on disk before the swap; named anew by each build, so that a
    reader that listed the old dataset's files fails to open them after it, not reads them mixed in."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    name = f"part-{uuid.uuid4().hex}.parquet"
    partitions: dict[Path, list[dict[str, Any]]] = {} if rows else {folder: []}  # no rows: still typed
    for row in rows:
        year = NO_YEAR if row["year"] is None else row["year"]
        partitions.setdefault(folder / f"site={row['site']}" / f"year={year}", []).append(row)
    for partition, members in partitions.items():
        partition.mkdir(parents=True, exist_ok=True)
        with (partition / name).open("wb") as handle:
            pq.write_table(pa.Table.from_pylist(members, schema=schema), handle)
            handle.flush()
            os.fsync(handle.fileno())


def _swap_in(building: Path, out: Path) -> None:
    """Put `building` at `out` in one step, an old dataset there swapped to `building`: Linux's
    renameat2(RENAME_EXCHANGE), which Python does not wrap."""
    if not out.exists():
        os.rename(building, out)
        return
    renameat2 = getattr(ctypes.CDLL(None), "renameat2", None)
    at_cwd, exchange = -100, 2
    if renameat2 is None or renameat2(at_cwd, os.fsencode(building), at_cwd, os.fsencode(out), exchange):
        os.rename(out, old := building.with_suffix(".old"))  # for an instant, no dataset at `out`
        os.rename(building, out)
        shutil.rmtree(old)
