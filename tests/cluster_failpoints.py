"""Deaths at chosen instants, for the cluster tests: installed in a worker with -s EXTENSIONS."""

from __future__ import annotations

import os
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from newsbot.extensions.store import seen_store


class DieBetweenWriteAndMark:
    """The worker dies at its Nth mark: that article's line is written and fsynced, not yet marked
    known, and the start of a next line is cut short, as a death in the middle of a write leaves it."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        # The store extension is built beside this one: the store is there once the engine starts.
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)

    def engine_started(self) -> None:
        crawler = self.crawler
        store = seen_store(crawler)
        assert store is not None
        record, marks = store.record, [0]
        at = crawler.settings.getint("TEST_DIE_AT_MARK")

        def record_or_die(article: Any, *, output: str | None = None, reconciled_bytes: int = 0) -> None:
            marks[0] += 1
            if output is not None and marks[0] == at:
                with open(output, "ab") as handle:
                    handle.write(b'{"url":"https://www.spacewar.com/cut-short')
                os._exit(9)
            record(article, output=output, reconciled_bytes=reconciled_bytes)

        store.record = record_or_die  # type: ignore[method-assign]

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DieBetweenWriteAndMark:
        return cls(crawler)
