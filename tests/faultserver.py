"""A fault-injecting HTTP server: the offline snapshot, served with the failures of the real web.

It serves a folder in `wget --mirror` layout (the request path `/www.spacewar.com/reports/X_999.html`
is the file `ROOT/www.spacewar.com/reports/X_999.html`) on 127.0.0.1 and a free port, exactly as
newsbot.snapshot_server does, so a crawl with `NEWSBOT_MIRROR=server.url` runs against it; and it
answers chosen requests with a fault instead. Standard library only (http.server, threads).

    import re
    from tests.faultserver import FaultPlan, FaultServer, RandomFaults, faults

    plan = FaultPlan(
        [
            faults.errors("/www.spacewar.com/superpowers.html", status=503, times=2),
            faults.retry_after(re.compile(r"^/www\\.spacewar\\.com/reports/"), status=429, seconds=1),
            faults.stall("/www.spacewar.com/index.html", seconds=40),
            *faults.redirect_chain(
                "/www.spacewar.com/old.html",
                "https://www.spacewar.com/older.html",
                "https://www.spacewar.com/superpowers.html",
            ),
            faults.robots("www.spacewar.com", disallow=["/reports/Secret"]),
        ],
        random=RandomFaults(seed=7, rate=0.2, choices=[faults.errors(status=500), faults.drop()]),
    )
    with FaultServer(SNAPSHOT, plan) as server:
        ...  # crawl with NEWSBOT_MIRROR=server.url, or fetch server.url + "/www.spacewar.com/..."
        server.requests                        # every request in arrival order (RequestRecord)
        server.count("/www.spacewar.com/superpowers.html")
        server.statuses("/www.spacewar.com/superpowers.html")   # [503, 503, 200]
        server.max_concurrency("www.spacewar.com")              # most requests in flight at once
        server.gaps("www.spacewar.com")        # seconds between consecutive request starts

Faults (all built by the `faults` namespace; each takes `match`, an exact path or a compiled regex
searched in the path, and `times`, how many requests of each matching path get the fault before
the real file is served; None means every request):

| fault | what the client gets |
| --- | --- |
| `errors(match, status=500, times=N)` | a 500/502/503 burst: the first N requests of the path fail |
| `retry_after(match, status=429, seconds=S)` | 429 or 503 with `Retry-After: S` |
| `stall(match, seconds=S)` | nothing for S seconds, then the page (other requests are served meanwhile) |
| `drop(match, after=N)` | the headers and N bytes of the body, then a reset connection |
| `truncate(match, after=N)` | a Content-Length longer than the N bytes sent (or none), then a clean close |
| `not_found(match)` | 404 |
| `redirect(match, location, status=301)` | a redirect; `redirect_chain` and `redirect_loop` build several |
| `robots(host, disallow=[...])` | that host's robots.txt |
| `huge(match, size=20 MiB)` | a generated HTML page of `size` bytes, streamed (never held in memory) |
| `garbage(match, size=N)` / `empty(match)` | random bytes, or nothing, as a 200 text/html |
| `blocked(match)` / `captcha(match)` | 403 "Access denied"; 200 with a Cloudflare challenge page |
| `challenge(match, status=200)` | a "Just a moment..." browser check (Cloudflare's JavaScript challenge) |
| `endless_pagination(host, slug, after=N)` | pages N+1, N+2, ... for ever, each repeating page N |
| `link_flood(match, links=50_000)` | a section page listing `links` generated article links more |

Redirect locations must be URLs of the real network (`https://www.spacewar.com/...`, which the
crawler's mirror handler maps back to this server) or off it (`http://evil.example/...`); a
location on this server itself is refused, because the crawler never sees mirror URLs.

`RandomFaults(seed, rate, choices)` gives a request no rule matched a fault with probability `rate`,
chosen from `choices`. The draw for the n-th request of a path comes from
`random.Random(f"{seed}|{path}|{n}")`, so the same plan faults the same requests on every run,
whatever order concurrent requests arrive in.
"""

from __future__ import annotations

import contextlib
import itertools
import mimetypes
import random
import re
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import unquote, urlsplit

from tests.faultkinds import (  # re-exported: tests import every fault from here
    ACCESS_DENIED_PAGE,
    CAPTCHA_PAGE,
    CHALLENGE_PAGE,
    Fault,
    Match,
    MiB,
    faults,
)

__all__ = [
    "ACCESS_DENIED_PAGE",
    "CAPTCHA_PAGE",
    "CHALLENGE_PAGE",
    "Fault",
    "FaultPlan",
    "FaultServer",
    "MiB",
    "RandomFaults",
    "RequestRecord",
    "faults",
]

_CONTENT_TYPES = {
    ".html": "text/html",
    ".htm": "text/html",
    ".xml": "application/rss+xml",
    ".txt": "text/plain",
}


@dataclass(frozen=True)
class RandomFaults:
    """A fault, with probability `rate`, for each request no rule of the plan matched."""

    seed: int
    rate: float
    choices: tuple[Fault, ...] | list[Fault]
    # Only paths this selects are eligible (None: all but robots.txt, which a crawler fetches first).
    match: Match = None

    def draw(self, path: str, nth: int) -> Fault | None:
        if self.match is None and path.endswith("/robots.txt"):
            return None
        if self.match is not None and not Fault("x", self.match).matches(path):
            return None
        rng = random.Random(f"{self.seed}|{path}|{nth}")
        if rng.random() >= self.rate:
            return None
        return rng.choice(list(self.choices))


@dataclass(frozen=True)
class FaultPlan:
    """The rules, tried in order (the first that matches a path and has not run out wins)."""

    rules: list[Fault] | tuple[Fault, ...] = ()
    random: RandomFaults | None = None


@dataclass
class RequestRecord:
    """One request as the server saw it; times are time.monotonic() seconds."""

    path: str
    method: str
    host: str  # the first path segment: the mirror folder of a site, e.g. "www.spacewar.com"
    client: tuple[str, int]
    started: float
    user_agent: str | None = None
    finished: float | None = None
    status: int | None = None
    fault: str | None = None  # the fault's kind ("status", "stall", "drop", ...) or None
    bytes_sent: int = 0


# --- the server ----------------------------------------------------------------------------------


class FaultServer:
    """An HTTP server on 127.0.0.1 and a free port serving `root`, with the faults of `plan`."""

    def __init__(self, root: Path, plan: FaultPlan | None = None, host: str = "127.0.0.1", port: int = 0):
        if not root.is_dir():
            raise FileNotFoundError(f"no snapshot folder at {root}")
        self.root = root.resolve()
        self.plan = plan or FaultPlan()
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._seen: Counter[str] = Counter()  # requests per path
        self._fired: Counter[tuple[int, str]] = Counter()  # (rule index, path) -> times applied
        self._in_flight: Counter[str] = Counter()
        self._max_in_flight: Counter[str] = Counter()
        self._stopping = threading.Event()
        handler = type("_Handler", (_Handler,), {"fault_server": self})
        self._server = _QuietServer((host, port), handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="faultserver", daemon=True
        )

    # -- lifecycle

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return host, port

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()  # wakes every stall
        self._server.shutdown()
        self._server.server_close()

    # -- the log

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._records)

    def settled(self, timeout: float = 10.0) -> list[RequestRecord]:
        """Every request so far, once each has finished: a client has its whole answer a moment
        before the handler that sent it records the end."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.requests
            if all(record.finished is not None for record in records) or time.monotonic() > deadline:
                return records
            time.sleep(0.01)

    def requests_for(self, path: Match = None, *, host: str | None = None) -> list[RequestRecord]:
        probe = Fault("x", path)
        return [r for r in self.requests if probe.matches(r.path) and (host is None or r.host == host)]

    def count(self, path: Match = None, *, host: str | None = None) -> int:
        return len(self.requests_for(path, host=host))

    def statuses(self, path: Match = None, *, host: str | None = None) -> list[int | None]:
        return [r.status for r in self.requests_for(path, host=host)]

    def max_concurrency(self, host: str | None = None) -> int:
        """The most requests in flight at once for one host folder (or for the whole server)."""
        with self._lock:
            return self._max_in_flight[host or "*"]

    def gaps(self, host: str | None = None) -> list[float]:
        """Seconds between the starts of consecutive requests (of one host folder)."""
        starts = sorted(r.started for r in self.requests_for(host=host))
        return [later - earlier for earlier, later in itertools.pairwise(starts)]

    def reset(self) -> None:
        """Forget the log and the rules' counts (the plan stays)."""
        with self._lock:
            self._records.clear()
            self._seen.clear()
            self._fired.clear()
            self._max_in_flight.clear()

    # -- used by the handler

    def _begin(self, record: RequestRecord) -> Fault | None:
        """Log a request and decide its fault."""
        with self._lock:
            self._records.append(record)
            nth = self._seen[record.path]
            self._seen[record.path] += 1
            for key in (record.host, "*"):
                self._in_flight[key] += 1
                self._max_in_flight[key] = max(self._max_in_flight[key], self._in_flight[key])
            for index, rule in enumerate(self.plan.rules):
                if not rule.matches(record.path):
                    continue
                fired = self._fired[(index, record.path)]
                if rule.times is not None and fired >= rule.times:
                    continue
                self._fired[(index, record.path)] += 1
                return rule
        if self.plan.random is not None:
            return self.plan.random.draw(record.path, nth)
        return None

    def _end(self, record: RequestRecord) -> None:
        with self._lock:
            record.finished = time.monotonic()
            for key in (record.host, "*"):
                self._in_flight[key] -= 1

    def _file(self, path: str) -> Path | None:
        """The snapshot file of a request path, never outside the root."""
        relative = unquote(path).lstrip("/")
        if relative.endswith("/") or not relative:
            relative += "index.html"
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            candidate = candidate / "index.html"
        return candidate if candidate.is_file() else None

    def _sleep(self, seconds: float) -> bool:
        """Sleep, unless the server stops first; True when it slept the whole time."""
        return not self._stopping.wait(seconds)


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        """A client that goes away mid-answer is what some tests do on purpose: not worth a traceback."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultserver/1"
    fault_server: FaultServer  # set on the subclass each FaultServer makes

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_HEAD(self) -> None:
        self._handle(head=True)

    def do_GET(self) -> None:
        self._handle(head=False)

    def _handle(self, *, head: bool) -> None:
        server = self.fault_server
        path = urlsplit(self.path).path or "/"
        segments = path.lstrip("/").split("/", 1)
        record = RequestRecord(
            path=path,
            method=self.command,
            host=segments[0],
            client=self.client_address[:2],
            started=time.monotonic(),
            user_agent=self.headers.get("User-Agent"),
        )
        fault = server._begin(record)
        record.fault = fault.kind if fault else None
        try:
            self._serve(record, fault, head=head)
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client went away: nothing more to do
        finally:
            server._end(record)

    # -- responses

    def _serve(self, record: RequestRecord, fault: Fault | None, *, head: bool) -> None:
        server = self.fault_server
        kind = fault.kind if fault else None
        if kind == "stall":
            if not server._sleep(fault.seconds):
                self.close_connection = True
                return
            kind = None
        if kind == "status":
            body = fault.body if fault.body is not None else self._status_page(fault.status)
            self._send(record, fault.status, body, fault.content_type, fault.headers, head=head)
            return
        if kind == "huge":
            self._send_huge(record, fault, head=head)
            return
        if kind == "endless":
            self._send_endless(record, fault, head=head)
            return
        if kind == "flood":
            self._send_flood(record, fault, head=head)
            return
        if kind == "garbage":
            body = random.Random(fault.seed).randbytes(fault.size)
            self._send(record, 200, body, "text/html", head=head)
            return
        file = server._file(record.path)
        if file is None:
            self._send(record, 404, self._status_page(404), "text/html", head=head)
            return
        body = file.read_bytes()
        content_type = _CONTENT_TYPES.get(file.suffix.lower()) or (
            mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        if kind in ("drop", "truncate"):
            self._send_partial(record, body, content_type, fault, head=head)
            return
        self._send(record, 200, body, content_type, head=head)

    @staticmethod
    def _status_page(status: int) -> bytes:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        page = f"<html><head><title>{status} {phrase}</title></head><body><h1>{phrase}</h1></body></html>"
        return page.encode()

    def _head(
        self,
        record: RequestRecord,
        status: int,
        content_type: str,
        length: int | None,
        headers: Iterable[tuple[str, str]] = (),
        *,
        close: bool = False,
    ) -> None:
        record.status = status
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length is not None:
            self.send_header("Content-Length", str(length))
        for name, value in headers:
            self.send_header(name, value)
        if close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()

    def _write(self, record: RequestRecord, data: bytes) -> None:
        self.wfile.write(data)
        record.bytes_sent += len(data)

    def _send(
        self,
        record: RequestRecord,
        status: int,
        body: bytes,
        content_type: str,
        headers: Iterable[tuple[str, str]] = (),
        *,
        head: bool,
    ) -> None:
        self._head(record, status, content_type, len(body), headers)
        if not head:
            self._write(record, body)

    def _send_partial(
        self, record: RequestRecord, body: bytes, content_type: str, fault: Fault, *, head: bool
    ) -> None:
        """Headers that promise the whole body (or no length: the close ends it), part of it, then the
        connection ends."""
        self._head(record, 200, content_type, len(body) if fault.declare_length else None, close=True)
        if head:
            return
        self._write(record, body[: min(fault.after, max(len(body) - 1, 0))])
        self.wfile.flush()
        if fault.kind == "drop":
            # An abortive close: SO_LINGER with a zero timeout makes close() send a RST, as a
            # crashed server or a dropped connection does, instead of a clean FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        else:
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_WR)

    def _send_endless(self, record: RequestRecord, fault: Fault, *, head: bool) -> None:
        server = self.fault_server
        number = int(re.search(r"-([0-9]+)\.html$", record.path).group(1))  # type: ignore[union-attr]
        file = server._file(record.path) if number < fault.after else None
        if file is not None:
            self._send(record, 200, file.read_bytes(), "text/html", head=head)
            return
        template = server._file(fault.template)
        assert template is not None, fault.template
        page = template.read_bytes()
        pager = f'<p class="pager">Page {number} <a href="{fault.slug}-{number + 1:02d}.html">Older</a></p>'
        page = re.sub(rb'<p class="pager">.*?</p>', pager.encode(), page, flags=re.S)
        self._send(record, 200, page, "text/html", head=head)

    def _send_flood(self, record: RequestRecord, fault: Fault, *, head: bool) -> None:
        template = self.fault_server._file(fault.template)
        assert template is not None, fault.template
        page = template.read_bytes()
        entry = (
            '<p><span class="BSection">{section}</span><br><span class="BHS">'
            '<a href="/reports/Flood_{i}_999.html">Flood {i}</a></span><br>\n'
        )
        flood = "".join(entry.format(section=fault.slug, i=i) for i in range(fault.size)).encode()
        marker = page.find(b'<p class="pager">')
        page = page[:marker] + flood + page[marker:] if marker >= 0 else page + flood
        self._send(record, 200, page, "text/html", head=head)

    def _send_huge(self, record: RequestRecord, fault: Fault, *, head: bool) -> None:
        """A generated HTML page of fault.size bytes, streamed in 64 KiB chunks."""
        self._head(
            record,
            200,
            "text/html",
            fault.size if fault.declare_length else None,
            close=not fault.declare_length,
        )
        if head:
            return
        for chunk in _huge_chunks(fault.size):
            self._write(record, chunk)


def _huge_chunks(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """`size` bytes of an HTML page: a head, paragraphs of filler, and the end tags at the very end."""
    head = b"<!DOCTYPE html><html><head><title>A very large page</title></head><body>\n"
    tail = b"\n</body></html>\n"
    paragraph = b"<p>" + b"All work and no play makes a very large page. " * 20 + b"</p>\n"
    filler = paragraph * (chunk // len(paragraph) + 1)
    if size <= len(head) + len(tail):
        yield (head + tail)[:size]
        return
    yield head
    remaining = size - len(head) - len(tail)
    while remaining > 0:
        piece = filler[: min(chunk, remaining)]
        remaining -= len(piece)
        yield piece
    yield tail
