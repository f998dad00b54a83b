"""Output files against the store: the lines a crash wrote but never marked, and a line cut short.

An article becomes known only once its JSON line is durably on disk (JsonLinesWriterPipeline), so a
crash between the write and the mark leaves lines the store does not know; these functions close that
gap at the next start, and for a cluster when a survivor takes over a dead worker's file.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newsbot.store.base import KnownArticle, SeenStore

logger = logging.getLogger(__name__)


def known_article(data: dict[str, Any]) -> KnownArticle:
    return KnownArticle(
        url=data["url"],
        content_hash=data["content_hash"],
        site=data["site"],
        section=data.get("section"),
        date_published=data.get("date_published"),
    )


def iter_complete_lines(path: Path, start: int) -> Iterator[tuple[bytes, int]]:
    """Each complete line of `path` from byte `start`, with the offset just past it."""
    with path.open("rb") as handle:
        handle.seek(start)
        offset = start
        for line in handle:
            if not line.endswith(b"\n"):
                return
            offset += len(line)
            yield line, offset


def reconcile_output(path: Path, store: SeenStore | None, name: str | None = None) -> tuple[int, int]:
    """Repair the lines past the reconciled offset and mark known every article the store has not seen.

    Every line past that offset is checked, not only the last: a line cut short is cut off, and a
    line that is not an article record (two glued together by a failed write of an older newsbot)
    is replaced by the record it ends with, or dropped. Returns (bytes cut off, lines newly marked).
    `name`: the output the store knows the file as (a part file's delivery); by default its path.
    """
    if not path.exists():
        return 0, 0
    start = store.reconciled_bytes(name or str(path)) if store is not None else 0
    repaired = repair_output(path, start if start <= path.stat().st_size else 0)
    _, marked = mark_unmarked_lines(path, store, name)
    if marked:
        logger.warning("%s: %d line(s) written by an interrupted run are now marked known", path, marked)
    return repaired, marked


def repair_output(path: Path, start: int) -> int:
    """Make every line of `path` past byte `start` a whole article record; returns the bytes removed."""
    size = path.stat().st_size
    kept: list[bytes] = []
    end, changed = start, False
    for line, offset in iter_complete_lines(path, start):
        end = offset
        record = _salvage(line)
        if record is not line:
            changed = True
            logger.error(
                "Repaired %s: the line at byte %d was not an article record; %s",
                path, offset - len(line), "kept the record it ends with" if record else "dropped it",
            )  # fmt: skip
        if record:
            kept.append(record)
    if end < size:
        logger.warning(
            "Repaired %s: cut off a half-written last line (%d bytes) of an interrupted run", path, size - end
        )
    elif not changed:
        return 0
    tail = b"".join(kept)
    with path.open("r+b") as handle:
        handle.seek(start)
        handle.write(tail)
        handle.truncate(start + len(tail))
        handle.flush()
        os.fsync(handle.fileno())
    return size - (start + len(tail))


def _salvage(line: bytes) -> bytes | None:
    """`line` itself when it is an article record; else the record it ends with; else None."""
    if _is_record(line):
        return line
    position = line.rfind(b'{"url":')
    while position > 0:
        if _is_record(line[position:]):
            return line[position:]
        position = line.rfind(b'{"url":', 0, position)
    return None


def _is_record(line: bytes) -> bool:
    try:
        known_article(json.loads(line))
    except (ValueError, KeyError, TypeError):
        return False
    return True


def mark_unmarked_lines(path: Path, store: SeenStore | None, name: str | None = None) -> tuple[int, int]:
    """Mark known the articles of the complete lines past the offset the store has reconciled.

    Only reads the file, and only when it grew past that offset. Returns (the offset just past the
    last complete line, lines newly marked).
    """
    size, name = path.stat().st_size, name or str(path)
    start = store.reconciled_bytes(name) if store is not None else 0
    if start == size:
        return size, 0
    if start > size:
        logger.warning(
            "%s is shorter than when last reconciled (%d < %d bytes); re-reading it", path, size, start
        )
        start = 0
    articles, end = [], start
    for line, offset in iter_complete_lines(path, start):
        end = offset
        try:
            articles.append(known_article(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            logger.error(
                "%s: the line at byte %d is not an article record; left alone", path, offset - len(line)
            )
    marked = 0
    if store is not None and (articles or end != start):
        marked = store.record_many(articles, output=name, reconciled_bytes=end)
    return end, marked
