"""Every page a run fetches, as WARC/1.1 response records (gzip per record) beside its delivery, with
what the spider knew of it (`WARC-Newsbot-Context`), so that `newsbot rebuild` makes the same item of
it. Written to `<archive>.part` under an flock, published at the end; a killed run's by the next run."""

from __future__ import annotations

import io
import json
import logging
import os
import zlib
from http.client import responses
from pathlib import Path
from typing import Any

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsbot import keys
from newsbot.clock import fetched_at
from newsbot.delivery import ARCHIVE_SUFFIX, PART_SUFFIX, beside, lock_part, part_path, publish, write_all
from newsbot.spiders.priorities import ARTICLE_KINDS

logger = logging.getLogger(__name__)

CONTEXT_HEADER = "WARC-Newsbot-Context"
# Scrapy has decoded the body these described: the record keeps the body as the spider read it.
_DROPPED_HEADERS = {b"content-encoding", b"transfer-encoding", b"content-length"}


class PageArchive:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.part: Path | None = None
        self.fd: int | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> PageArchive:
        if not crawler.settings.getbool("NEWSBOT_ARCHIVE"):
            raise NotConfigured
        archive = cls(crawler)
        crawler.signals.connect(archive.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(archive.response_received, signal=signals.response_received)
        crawler.signals.connect(archive.spider_closed, signal=signals.spider_closed)
        return archive

    def spider_opened(self, spider: Spider) -> None:
        assert self.crawler.stats is not None
        delivery = self.crawler.stats.get_value(keys.STATS_DELIVERY)
        if delivery is None:
            return  # no delivery to keep it beside (a feed export, no NEWSBOT_OUTPUT, a refused run)
        self.part = part_path(beside(Path(delivery), ARCHIVE_SUFFIX))
        try:
            for killed in sorted(self.part.parent.glob(f"*{ARCHIVE_SUFFIX}{PART_SUFFIX}")):
                settle(killed)
            self.fd = os.open(self.part, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            lock_part(self.fd, self.part)  # held to the end of the run: no other run settles it
        except OSError as error:
            self._stop(error)

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        if self.fd is None:
            return
        kind = request.meta.get(keys.KIND_META_KEY)  # none: robots.txt
        page = "article" if kind in ARTICLE_KINDS else kind or "robots"  # `newsbot rebuild` parses articles
        listed = request.meta.get(keys.ARTICLE_META_KEY)
        context = {"kind": page, **request.cb_kwargs, **({"listed": listed} if listed else {})}
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True, warc_version="1.1")
        status = f"{response.status} {responses.get(response.status, '')}"
        kept = [
            (name.decode("latin-1"), value.decode("latin-1"))
            for name, values in response.headers.items()
            if name.lower() not in _DROPPED_HEADERS
            for value in values
        ]
        record = writer.create_warc_record(
            response.url,
            "response",
            payload=io.BytesIO(response.body),
            http_headers=StatusAndHeaders(status, kept, protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": fetched_at(request.meta), CONTEXT_HEADER: json.dumps(context)},
        )
        writer.write_record(record)
        try:  # written at once: a killed run's archive holds every page it had
            write_all(self.fd, buffer.getvalue())
        except OSError as error:
            self._stop(error)

    def spider_closed(self, spider: Spider) -> None:
        if self.fd is None or self.part is None:
            return
        try:
            os.fsync(self.fd)
            if os.fstat(self.fd).st_size:
                logger.info("Archived the run's pages in %s", publish(self.part))  # under the lock
            else:
                self.part.unlink()
        except OSError as error:
            self._stop(error)
        self._stop(None)

    def _stop(self, error: OSError | None) -> None:
        """After an error, for the rest of the run: the next run publishes what was whole."""
        if error is not None:
            logger.error("Cannot write the archive %s: %s; the run goes on without it", self.part, error)
        if self.fd is not None:
            os.close(self.fd)
        self.fd = None


def settle(part: Path) -> None:
    """Publish a killed run's archive `part` (cut back to its last whole record) unless a run holds it."""
    with part.open("r+b") as file:
        if not lock_part(file.fileno(), part):
            return  # a running run's, or published meanwhile
        whole, size = whole_members(file), os.fstat(file.fileno()).st_size
        if whole < size:
            file.truncate(whole)
            logger.warning(
                "%s: cut off a record a killed run left half-written (%d bytes)", part, size - whole
            )
        os.fsync(file.fileno())
        logger.warning("Published the archive of a killed run: %s", publish(part))


def whole_members(file: Any) -> int:
    """The length of the leading whole gzip members of `file` (warcio writes one per record)."""
    file.seek(0)
    end = position = 0
    member = zlib.decompressobj(wbits=31)
    while chunk := file.read(1 << 16):
        while chunk:
            try:
                member.decompress(chunk)
            except zlib.error:
                return end
            if not member.eof:
                position += len(chunk)
                break
            position += len(chunk) - len(member.unused_data)
            end, chunk = position, member.unused_data
            member = zlib.decompressobj(wbits=31)
    return end
