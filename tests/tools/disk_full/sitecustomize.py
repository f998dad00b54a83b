"""A full disk for one file, for tests/test_write_path.py: put this folder on a crawl's PYTHONPATH.

With DISK_FULL_PATH and DISK_FULL_BYTES in the environment, `os.write` to that file writes what
fits in the budget (a short write) and then fails with ENOSPC, as a full file system does. Only
the test sets these variables; newsbot never reads them.
"""

from __future__ import annotations

import errno
import os

_PATH = os.environ.get("DISK_FULL_PATH")
_BUDGET = int(os.environ.get("DISK_FULL_BYTES") or 0)

if _PATH:
    _real_write = os.write

    def _write(fd: int, data: bytes) -> int:
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            target = None
        if target == _PATH:
            room = _BUDGET - os.fstat(fd).st_size
            if room <= 0:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            if len(data) > room:
                return _real_write(fd, bytes(data)[:room])
        return _real_write(fd, data)

    os.write = _write
