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


def reconcile_output(path: Path, store: SeenStore | None) -> tuple[int, int]:
    """Repair a half-written last line and mark known every line the store has not seen yet.

    Returns (bytes cut off, lines newly marked known).
    """
    if not path.exists():
        return 0, 0
    end, marked = mark_unmarked_lines(path, store)
    size = path.stat().st_size
    repaired = 0
    if end < size:  # the bytes past the last newline are a line cut short
        repaired = size - end
        with path.open("r+b") as handle:
            handle.truncate(end)
            os.fsync(handle.fileno())
        logger.warning(
            "Repaired %s: cut off a half-written last line (%d bytes) of an interrupted run", path, repaired
        )
    if marked:
        logger.warning("%s: %d line(s) written by an interrupted run are now marked known", path, marked)
    return repaired, marked


def mark_unmarked_lines(path: Path, store: SeenStore | None) -> tuple[int, int]:
    """Mark known the articles of the complete lines past the offset the store has reconciled.

    Only reads the file. Returns (the offset just past the last complete line, lines newly marked).
    """
    size = path.stat().st_size
    start = store.reconciled_bytes(str(path)) if store is not None else 0
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
        marked = store.record_many(articles, output=str(path), reconciled_bytes=end)
    return end, marked
