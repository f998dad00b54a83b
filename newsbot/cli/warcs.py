"""`newsbot rebuild` and `newsbot import`: the article items of WARC files (run archives, or others'
captures), made with today's parser, without the network, written as a new delivery."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gzip
import io
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator

from newsbot.cli import CommandError, output_folder, project_settings
from newsbot.delivery import DELIVERY_SUFFIX, claim, deliveries, json_line, part_path, publish, write_all
from newsbot.extensions.archive import CONTEXT_HEADER, whole_members
from newsbot.extensions.store import held_from_crawls
from newsbot.item import recency, schema_validator
from newsbot.parsing.article import ListingContext, ParseError, parse_article
from newsbot.registry import load_registry
from newsbot.store.base import StoreError, known_article, store_path_from_setting
from newsbot.store.sqlite import SqliteSeenStore

# A Wayback Machine capture: its time and the original URL; without `id_`, a page it rewrote.
_WAYBACK = re.compile(r"^https?://web\.archive\.org/web/(\d{14})([a-z_]*)/(.+)$")
_WAYBACK_PREFIX = re.compile(rb"(?:https?:)?(?://web\.archive\.org)?/web/\d{14}[a-z_]*/")
_WAYBACK_TOOLBAR = re.compile(
    rb"<!-- BEGIN WAYBACK TOOLBAR INSERT -->.*?<!-- END WAYBACK TOOLBAR INSERT -->", re.S
)


Capture = tuple[str, dict[str, Any] | None, bool]


def rebuild(args: argparse.Namespace) -> int:
    """Write the items of archived pages again with today's parser, and what changed: the pages of run
    archives (output/*.warc.gz) parsed again, offline, into a new delivery, and per field how many
    articles changed against the earlier items."""
    return _run(args, "rebuild")


def backfill(args: argparse.Namespace) -> int:
    """Write the articles of others' WARC files (Wayback, Common Crawl) the store lacks: their SMN article
    pages parsed into a delivery whose items name their capture, then marked known."""
    return _run(args, "import")


def _run(args: argparse.Namespace, command: str) -> int:
    if args.out and not args.out.name.endswith(DELIVERY_SUFFIX):  # delivered where no consumer looks
        raise CommandError(
            f"--out {args.out} must end in {DELIVERY_SUFFIX} (consumers take *{DELIVERY_SUFFIX})"
        )
    counts: Counter[str] = Counter()
    captures: list[Capture] = []
    status = 0
    for archive in args.warcs:
        try:
            captures.extend(articles(archive, counts, command))
        except CommandError as error:  # the items before the fault are had
            print(f"newsbot {command}: {error}", file=sys.stderr)
            status = 1
    importing = command == "import"
    # A rebuild's earlier items, read before its own delivery joins them (a first run has none).
    against = None if importing else args.against or output_folder()
    previous = latest_items(against) if against and (args.against or against.is_dir()) else {}
    path = args.state or store_path_from_setting(project_settings().get("NEWSBOT_STATE"))
    try:
        # A rebuild makes no store where there is none; where there is one, it marks what it delivers.
        with _store(path if path is not None and (importing or path.exists()) else None) as store:
            # As in the crawl: an answer that landed on an article asked for itself makes no item; without
            # the store, the URL delivered before owns the body its copies share.
            asked = {item["url"] for _, item, misdirected in captures if item and not misdirected}
            items = sorted(
                (
                    item
                    for _, item, misdirected in captures
                    if item and not (misdirected and item["url"] in asked)
                ),
                key=lambda item: item["url"] not in previous,
            )
            kept = _kept(items, store, importing, counts, command)
            now = datetime.datetime.now(datetime.UTC)
            out = args.out or output_folder() / f"{command}-{now:%Y-%m-%dT%H%M%S}.jsonl"
            if kept:
                out = _deliver(out, kept, store)
    except StoreError as error:
        raise CommandError(str(error)) from None
    skipped = ", ".join(f"{n} {what}" for what, n in sorted(counts.items()) if n) or "nothing"
    verb, where = "Imported" if importing else "Rebuilt", f"into {out}" if kept else "nothing written"
    print(f"{verb} {len(kept)} article(s) from {len(args.warcs)} WARC file(s), {where}\nSkipped: {skipped}")
    if against is not None:
        read = {url for url, _, _ in captures}
        print("\n".join(change_report(previous, {item["url"]: item for item in kept}, read, against)))
    return status


@contextlib.contextmanager
def _store(path: Path | None) -> Iterator[SqliteSeenStore | None]:
    if path is None:
        yield None
        return
    with contextlib.closing(SqliteSeenStore(path)) as store, held_from_crawls(path):  # it makes its folder
        yield store


def _kept(
    items: list[dict[str, Any]], store: Any, importing: bool, counts: Counter[str], command: str
) -> list[dict[str, Any]]:
    """The items valid against the shipped schema, the latest capture of a URL winning, but for
    syndicated copies: a body the store, or an earlier capture, has under another URL. An import
    also drops what the store has."""
    validator = schema_validator()
    owners: dict[str, str] = {}
    kept: dict[str, dict[str, Any]] = {}
    for item in items:
        url, body = item["url"], item["content_hash"]
        # A URL the crawl took for a copy stays one, though a parser fix gave its body a new hash.
        stored = (store.copy_of(url) or store.owner_of_hash(body)) if store else None
        if importing and (stored or (store and store.is_known_url(url))):
            counts["articles the store has"] += 1
        elif (error := next(validator.iter_errors(item), None)) is not None:  # owns no story, as in a crawl
            counts["invalid items"] += 1
            print(f"newsbot {command}: skipped {url}: {error.message}", file=sys.stderr)
        elif owners.setdefault(body, stored or url) != url:
            counts["syndicated copies"] += 1
        elif url not in kept or item["scraped_at"] >= kept[url]["scraped_at"]:  # files hold any order
            kept[url] = item
    return list(kept.values())


def articles(
    archive: Path, counts: Counter[str], command: str, whole_gzip: bool = False
) -> Iterator[Capture]:
    """A WARC file's article pages in order, each with its item (None: it makes none) and whether it
    answered another listed URL; other records and pages counted in `counts`. Raises CommandError, one
    line, for a file that is not a WARC or is cut short (the items before it are had)."""
    registry = load_registry()
    url = None
    pending: Capture | None = None  # had once the record after it is read whole
    counted = counts.copy()
    try:
        with archive.open("rb") as file:
            stream = _Gunzipped(file) if whole_gzip else None
            records = ArchiveIterator(stream or file)
            while True:
                with contextlib.redirect_stderr(io.StringIO()):  # warcio's warning: err_count says it
                    record = next(records, None)
                if records.err_count:  # the rest of the last record, before this one: its item was cut
                    raise CommandError(
                        f"{archive}: the record of {url} is longer than its Content-Length says"
                    )
                if pending is not None:
                    yield pending
                    pending = None
                if stream is not None and stream.cut:
                    raise CommandError(f"{archive}: cut short after the record of {url}")
                if record is None:  # a cut in a gzip record's first lines, which warcio passes over
                    file.seek(0)
                    if (
                        stream is None  # the whole file's one member is whole: read to its end
                        and file.read(2) == b"\x1f\x8b"
                        and whole_members(file) < os.fstat(file.fileno()).st_size
                    ):
                        raise CommandError(f"{archive}: cut short after the record of {url}")
                    return
                body = record.content_stream().read()
                if record.raw_stream.limit:
                    raise CommandError(f"{archive}: cut short in the record after {url or 'its start'}")
                if record.rec_type != "response" or record.http_headers is None:
                    continue  # requests, revisits, metadata, warcinfo
                url, captured_at, body = _original(record.rec_headers, body)
                context = json.loads(record.rec_headers.get_header(CONTEXT_HEADER) or "{}")
                if not (context.get("kind") == "article" if context else registry.is_article_url(url)):
                    counts["other pages"] += 1
                    continue
                if not 200 <= int(record.http_headers.get_statuscode() or 0) < 300:
                    counts["article pages not 2xx"] += 1
                    continue
                try:
                    item = parse_article(
                        url,
                        body,
                        content_type=record.http_headers.get_header("Content-Type"),
                        context=ListingContext(context.get("section"), context.get("summary")),
                        scraped_at=captured_at,
                    )
                except ParseError as error:
                    print(f"newsbot {command}: {archive}: skipped {url}: {error}", file=sys.stderr)
                    item = None
                if item is None:
                    counts["article pages that make no item"] += 1
                    pending = url, None, False
                    continue
                if misdirected := context.get("listed") not in (None, item.url):  # a redirect's, an og:url's
                    item.summary = None  # the listing's teaser is the listed article's (middlewares.claims)
                if command == "import":
                    item.source = f"import: {archive.name}, {captured_at}"
                pending = url, item.to_dict(), misdirected
    except OSError as error:
        raise CommandError(f"{archive}: {error.strerror or error}") from None
    except CommandError:
        raise
    except Exception as error:  # warcio's errors have no common base
        if "non-chunked gzip" in str(error) and not whole_gzip:  # one gzip member for the whole file
            counts.clear()  # of its first record, read again
            counts.update(counted)
            yield from articles(archive, counts, command, whole_gzip=True)
            return
        where = f"after the record of {url}" if url else "at its start"
        raise CommandError(f"{archive}: not a readable WARC file {where} ({type(error).__name__})") from None


class _Gunzipped:
    """A WARC gzipped whole (`gzip x.warc`), read as far as it goes: gzip.GzipFile.read drops what it had
    decompressed before a cut, and warcio takes the EOFError for the file's end."""

    def __init__(self, file: Any) -> None:
        self.file, self.cut = gzip.GzipFile(fileobj=file), False

    def read(self, size: int = -1) -> bytes:
        try:
            return self.file.read1(size)
        except EOFError:
            self.cut = True
            return b""


def _original(headers: Any, body: bytes) -> tuple[str, str, bytes]:
    """A response record's original URL, capture time (`scraped_at`'s form) and page as the site sent it."""
    target = headers.get_header("WARC-Target-URI") or ""
    if match := _WAYBACK.match(target):
        stamp, _, url = match.groups()
        captured = datetime.datetime.strptime(stamp, "%Y%m%d%H%M%S").strftime("%Y-%m-%dT%H:%M:%SZ")
        page = _WAYBACK_TOOLBAR.sub(b"", _WAYBACK_PREFIX.sub(b"", body))  # no toolbar, links as they were
        return (url if "://" in url else f"http://{url}"), captured, page
    return target, (headers.get_header("WARC-Date") or "")[:19] + "Z", body


def latest_items(where: Path) -> dict[str, dict[str, Any]]:
    """Each URL's latest item (`recency`; a tie: the newest file's) in a delivery or a folder's."""
    files = sorted(deliveries(where), key=lambda p: p.stat().st_mtime) if where.is_dir() else [where]
    items: dict[str, dict[str, Any]] = {}
    for path in files:
        try:
            for item in map(json.loads, path.open(encoding="utf-8")):
                if item["url"] not in items or recency(item) >= recency(items[item["url"]]):
                    items[item["url"]] = item
        except OSError as error:
            raise CommandError(f"{path}: {error.strerror or error}") from None
        except (ValueError, KeyError, TypeError):
            raise CommandError(f"{path}: not a delivery of items (a line is not an item)") from None
    return items


def change_report(
    previous: dict[str, dict[str, Any]], items: dict[str, dict[str, Any]], read: set[str], against: Path
) -> list[str]:
    """Per field, the articles whose value changed, with two examples; then the new and gone ones."""
    changed: dict[str, list[str]] = {}
    for url, item in items.items():
        old = previous.get(url, {})
        for name, value in item.items():
            if old and name not in ("scraped_at", "parsed_at") and old.get(name) != value:
                changed.setdefault(name, []).append(f"{url}: {_short(old.get(name), value)}")
    new = [url for url in items if url not in previous]
    gone = [url for url in sorted(read & previous.keys()) if url not in items]
    lines = [f"Against {against}: {len(items) - len(new)} article(s) written before"]
    for name, examples in sorted(changed.items()):
        lines.append(f"  {name}: {len(examples)} article(s) changed")
        lines.extend(f"      {example}" for example in examples[:2])
    if not changed:
        lines.append("  no field changed")
    lines.append(f"  new: {len(new)} article(s); gone: {len(gone)} article(s) no longer made an item")
    lines.extend(f"      gone: {url}" for url in gone[:2])
    return lines


def _short(old: Any, new: Any, width: int = 60) -> str:
    """`old -> new`, each cut to `width`, from a little before where two texts first differ."""
    before, after = json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False)
    same = next((i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b), len(before))
    start = max(0, same - 10) if same > width // 2 else 0

    def cut(text: str) -> str:
        text = ("…" if start else "") + text[start:]
        return text if len(text) <= width else text[: width - 1] + "…"

    return f"{cut(before)} -> {cut(after)}"


def _deliver(wanted: Path, items: list[dict[str, Any]], store: Any) -> Path:
    """Write `<name>.part`, fsync it, mark its articles in `store` (if any), then publish it, as a crawl's
    writer does: an article is never delivered unmarked, and a part a kill left is the next crawl's to
    settle. The name is the first of `wanted` no delivery had: one replaced would lose articles."""
    try:
        wanted.parent.mkdir(parents=True, exist_ok=True)
        # Absolute, as a crawl records its delivery: `newsbot state` looks for the store's deliveries.
        path, fd = claim(
            wanted.absolute(), lambda name: store is not None and store.reconciled_bytes(str(name)) > 0
        )
    except OSError as error:
        raise CommandError(f"cannot write {wanted}: {error.strerror or error}") from None
    part, marked = part_path(path), False
    try:
        write_all(fd, b"".join(map(json_line, items)))
        os.fsync(fd)
        if store is not None:
            size = os.fstat(fd).st_size
            store.record_many(map(known_article, items), output=str(path), reconciled_bytes=size)
        marked = True
        return publish(part)
    except (OSError, StoreError) as error:
        if not marked:  # a marked part is left for the next crawl into its folder to publish
            part.unlink(missing_ok=True)
        raise CommandError(f"{path} not delivered: {getattr(error, 'strerror', None) or error}") from None
    finally:
        os.close(fd)
