"""Serve a saved copy of the network (wget --mirror layout) on loopback, for the demo and the tests."""

from __future__ import annotations

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


def main() -> None:
    """`python -m newsbot.snapshot_server FOLDER [PORT]`: serve a snapshot until interrupted."""
    import sys

    root = Path(sys.argv[1] if len(sys.argv) > 1 else "tests/site")
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    with SnapshotServer(root, port=port) as server, contextlib.suppress(KeyboardInterrupt):
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
