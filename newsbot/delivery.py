"""Deliveries: the files a run hands over, named from NEWSBOT_OUTPUT, and the files kept beside them.
Each is written as `<delivery>.part` and renamed at close, so a consumer takes only `*.jsonl`."""

from __future__ import annotations

import datetime
import fcntl
import itertools
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

PART_SUFFIX = ".part"
DELIVERY_SUFFIX = ".jsonl"
REPORT_SUFFIX = ".report.json"
ARCHIVE_SUFFIX = ".warc.gz"
# newsbot's own placeholders, and Scrapy's feed-URI ones.
_PLACEHOLDER = re.compile(r"\{(spider|site|date|time)\}|%\((name|time)\)s")


class TemplateError(ValueError):
    """NEWSBOT_OUTPUT names a placeholder newsbot does not fill (a usage error)."""


def project_folder() -> Path:
    """The folder of the closest scrapy.cfg, or the working directory when there is none."""
    from scrapy.utils.conf import closest_scrapy_cfg

    cfg = closest_scrapy_cfg()
    return Path(cfg).parent if cfg else Path.cwd()


def delivery_path(template: str, *, spider: str, site: str, now: datetime.datetime) -> Path:
    """The delivery a run started at `now` writes: `template` with its placeholders filled (UTC)."""
    check_template(template)
    now = now.astimezone(datetime.UTC)
    values = {
        "{spider}": spider,
        "{site}": site,
        "{date}": now.strftime("%Y-%m-%d"),
        "{time}": now.strftime("%H%M%S"),
        "%(name)s": spider,
        "%(time)s": now.replace(microsecond=0).isoformat().replace(":", "-"),  # as Scrapy fills it
    }
    path = Path(_PLACEHOLDER.sub(lambda match: values[match.group()], template)).expanduser()
    return (path if path.is_absolute() else project_folder() / path).resolve()


def check_template(template: str) -> None:
    """Raise TemplateError naming the first placeholder of `template` newsbot does not fill."""
    unknown = re.search(r"\{[^}]*\}?|\}|%\(\w*\)s", _PLACEHOLDER.sub("", template))
    if unknown:
        raise TemplateError(
            f"unknown placeholder {unknown.group()} in NEWSBOT_OUTPUT {template!r}; "
            "known: {spider}, {site}, {date}, {time}, %(name)s, %(time)s"
        )
    if not template.endswith(DELIVERY_SUFFIX):  # consumers take `*.jsonl`; a run settles `*.jsonl.part`
        raise TemplateError(f"NEWSBOT_OUTPUT {template!r} must end in {DELIVERY_SUFFIX}")


def claim(wanted: Path, taken: Callable[[Path], bool]) -> tuple[Path, int]:
    """The first free name of `wanted`, `-2`, `-3`... and the open, locked descriptor of its part file,
    made with O_EXCL and the delivery looked for once it is locked: two runs never hold one name."""
    stem = wanted.name.removesuffix(DELIVERY_SUFFIX)
    for n in itertools.count(1):
        delivery = wanted if n == 1 else wanted.with_name(f"{stem}-{n}{DELIVERY_SUFFIX}")
        if (
            delivery.exists()
            or taken(delivery)
            or any(beside(delivery, s).exists() for s in (REPORT_SUFFIX, ARCHIVE_SUFFIX))
        ):
            continue
        try:
            fd = os.open(part_path(delivery), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        if lock_part(fd, part_path(delivery)) and not delivery.exists():
            return delivery, fd
        os.close(fd)  # another run settled it meanwhile, or the name appeared: the next one
    raise AssertionError("unreachable")


class Locked(Exception):
    """Another process holds the lock; its pid (as it wrote it) is the message."""


def hold_lock(lock_path: Path) -> int:
    """The descriptor of `lock_path`, locked and holding this process's pid until it is closed (or the
    process dies); raises Locked naming the holder. The file stays, so the lock is on one inode."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise Locked(holder) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def lock_part(fd: int, part: Path) -> bool:
    """Take the part file's lock (held while its writer lives); False when another process holds it,
    or `part` no longer names the file of `fd` (settled or published meanwhile)."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return os.stat(part).st_ino == os.fstat(fd).st_ino
    except (BlockingIOError, FileNotFoundError):
        return False


def json_line(item: dict[str, Any]) -> bytes:
    return (json.dumps(item, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def write_all(fd: int, data: bytes) -> None:
    """All of `data`, though os.write may take less of it at a time."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def part_path(delivery: Path) -> Path:
    return delivery.with_name(delivery.name + PART_SUFFIX)


def delivery_of_part(part: Path) -> Path:
    return part.with_name(part.name.removesuffix(PART_SUFFIX))


def beside(delivery: Path, suffix: str) -> Path:
    return delivery.with_name(delivery.name.removesuffix(DELIVERY_SUFFIX) + suffix)


def publish(part: Path) -> Path:
    """Rename a finished `<delivery>.part` to `<delivery>` atomically, durably."""
    delivery = delivery_of_part(part)
    os.replace(part, delivery)
    folder = os.open(delivery.parent, os.O_RDONLY)
    try:
        os.fsync(folder)  # the rename itself survives a crash
    finally:
        os.close(folder)
    return delivery


def deliveries(folder: Path) -> list[Path]:
    return sorted(folder.glob("*" + DELIVERY_SUFFIX))


def missing_deliveries(counts: dict[str, int], folder: Path | None = None) -> dict[str, int]:
    """Of the store's articles by delivery, the deliveries (in `folder`) that are gone, with no part file."""
    return {
        name: n
        for name, n in counts.items()
        if Path(name).is_absolute()  # another machine's ("<host>:<path>") is not looked for here
        and (folder is None or Path(name).parent == folder)
        and not Path(name).exists()
        and not part_path(Path(name)).exists()
    }
