"""Altered copies of the snapshot, for runs that need the sites to change between two crawls."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

from tests.conftest import SNAPSHOT


def copy_snapshot(destination: Path) -> Path:
    shutil.copytree(SNAPSHOT, destination)
    return destination


def remove_entries(site_root: Path, page_url: str, article_urls: list[str]) -> None:
    """Take the entries of `article_urls` off one section page of a snapshot copy.

    Each entry is one `<p>` block from its section label to `read more</a><br><br>` (see
    tests/tools/build_snapshot.py); nothing else on the page changes.
    """
    page = site_root / (urlsplit(page_url).netloc + urlsplit(page_url).path)
    html = page.read_bytes().decode("latin-1")
    for url in article_urls:
        path = urlsplit(url).path
        href = re.escape(path) if url.startswith(f"https://{urlsplit(page_url).netloc}/") else re.escape(url)
        entry = re.compile(
            r'<p><span class="BSection">[^\n]*?href="' + href + r'"[^\n]*\n[^\n]*?read more</a><br><br>\r\n'
        )
        html, count = entry.subn("", html)
        if count != 1:
            raise AssertionError(f"entry of {url} not found once on {page_url} ({count})")
    page.write_bytes(html.encode("latin-1"))
