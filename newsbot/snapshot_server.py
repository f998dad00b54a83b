"""Serve a saved copy of the network (wget --mirror layout) on loopback, for the demo and the tests."""

from __future__ import annotations

import argparse
import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    # Typeshed declares it an instance variable of the base class: not a ClassVar here.
    extensions_map: dict[str, str] = {  # noqa: RUF012
        **SimpleHTTPRequestHandler.extensions_map,
        ".xml": "application/rss+xml",
    }

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(ThreadingHTTPServer):
    # The stdlib's listen backlog of 5 drops connections when a crawl opens 8 or 16 at once, and
    # each drop costs the crawler a retry.
    request_queue_size = 128


class SnapshotServer:
    """An HTTP server on 127.0.0.1 and a free port, serving `root` in a background thread."""

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"no snapshot folder at {root}")
        handler = functools.partial(_QuietHandler, directory=str(root))
        self._server = _Server((host, port), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host.decode() if isinstance(host, bytes) else host}:{port}"

    def __enter__(self) -> SnapshotServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def main(argv: list[str] | None = None) -> int:
    """`python -m newsbot.snapshot_server [FOLDER [PORT]]`: serve a snapshot until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m newsbot.snapshot_server",
        description="Serve a saved copy of the network (wget --mirror layout) on 127.0.0.1 until "
        "interrupted, for NEWSBOT_MIRROR; prints its URL.",
    )
    parser.add_argument(
        "folder",
        nargs="?",
        type=Path,
        default=Path("tests/site"),
        metavar="FOLDER",
        help="default: tests/site",
    )
    parser.add_argument("port", nargs="?", type=int, default=0, metavar="PORT", help="default: a free one")
    args = parser.parse_args(argv)
    try:
        server = SnapshotServer(args.folder, port=args.port)
    except OSError as error:  # no such folder, the port is taken
        parser.exit(2, f"{parser.prog}: {error}\n")
    with server, contextlib.suppress(KeyboardInterrupt):
        print(server.url, flush=True)
        threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
