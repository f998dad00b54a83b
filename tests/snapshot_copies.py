"""Altered copies of the snapshot, for runs that need the sites to change between two crawls.

Used by the tests and by bench/rerun.py; it imports nothing of pytest, which the bench extra lacks.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

SNAPSHOT = Path(__file__).resolve().parent / "site"


def copy_snapshot(destination: Path) -> Path:
    shutil.copytree(SNAPSHOT, destination)
    return destination


def remove_entries(site_root: Path, page_url: str, article_urls: list[str]) -> None:
    """Take the entries of `article_urls` off one section page of a snapshot copy.

    Each entry is one `<p>` block from its section label to `read more</a><br><br>` (see
    tests/tools/build_snapshot.py); nothing else on the page changes.
    """
    page_parts = urlsplit(page_url)
    page = site_root / (page_parts.netloc + page_parts.path)
    html = page.read_bytes().decode("latin-1")
    for url in article_urls:
        target = urlsplit(url)
        # Entries of the page's own site link by path; sister-site entries by absolute URL.
        href = re.escape(target.path) if target.netloc == page_parts.netloc else re.escape(url)
        entry = re.compile(
            r'<p><span class="BSection">[^\n]*?href="' + href + r'"[^\n]*\n[^\n]*?read more</a><br><br>\r\n'
        )
        html, count = entry.subn("", html)
        if count != 1:
            raise ValueError(f"entry of {url} found {count} times on {page_url}, not once")
    page.write_bytes(html.encode("latin-1"))
