"""Serve a saved copy of the network (wget --mirror layout) on loopback, for the demo and the tests."""

from __future__ import annotations

import argparse
import contextlib
import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class SnapshotServer(ThreadingHTTPServer):
    """`root` served on 127.0.0.1 (a free port unless given) by a background thread while in `with`."""

    # The stdlib's listen backlog of 5 drops connections when a crawl opens 8 or 16 at once, and
    # each drop costs the crawler a retry.
    request_queue_size = 128

    def __init__(self, root: Path, port: int = 0) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"no snapshot folder at {root}")
        super().__init__(("127.0.0.1", port), functools.partial(_QuietHandler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server_port}"

    def __enter__(self) -> SnapshotServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()
        self.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m newsbot.snapshot_server",
        description="Serve a saved copy of the network (wget --mirror layout) on 127.0.0.1 until "
        "interrupted, for NEWSBOT_MIRROR; prints its URL.",
    )
    parser.add_argument(
        "folder", nargs="?", type=Path, default=Path("tests/site"), help="default: tests/site"
    )
    parser.add_argument("port", nargs="?", type=int, default=0, help="default: a free one")
    args = parser.parse_args(argv)
    try:
        server = SnapshotServer(args.folder, port=args.port)
    except OSError as error:  # no such folder, the port is taken
        parser.exit(2, f"{parser.prog}: {error}\n")
    with server, contextlib.suppress(KeyboardInterrupt):
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
