"""Output files against the store: an article becomes known only once its line is durably on disk, so a
crash between the write and the mark leaves lines the store does not know; the next start marks them."""

from __future__ import annotations

import json
import logging
import os
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


def mark_unmarked_lines(
    path: Path, store: SeenStore | None, name: str | None = None, *, cut: bool = False
) -> tuple[int, int]:
    """Mark known the articles of the complete lines past the offset the store has reconciled; `cut`:
    cut off a half-written last line (a killed run's part). Returns (bytes cut off, lines newly marked).
    `name`: the output the store knows the file as (a part file's delivery); by default its path."""
    name = name or str(path)
    start = store.reconciled_bytes(name) if store is not None else 0
    with path.open("r+b" if cut else "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if start > size:
            logger.warning(
                "%s is shorter than when last reconciled (%d < %d bytes); re-reading it", path, size, start
            )
            start = 0
        handle.seek(start)
        articles, end = [], start
        for line in handle:
            if not line.endswith(b"\n"):
                break
            end += len(line)
            try:
                articles.append(known_article(json.loads(line)))
            except (ValueError, KeyError, TypeError):
                logger.error(
                    "%s: the line at byte %d is not an article record; left alone", path, end - len(line)
                )
        cut_off = size - end if cut else 0
        if cut_off:
            handle.truncate(end)
            os.fsync(handle.fileno())
            logger.warning(
                "Repaired %s: cut off a half-written last line (%d bytes) of an interrupted run",
                path,
                cut_off,
            )
    marked = (
        store.record_many(articles, output=name, reconciled_bytes=end)
        if store is not None and end != start
        else 0
    )
    return cut_off, marked
