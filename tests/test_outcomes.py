"""Reasons for missing articles, and Retry-After, as pure functions."""

import email.utils

from newsbot.middlewares.downloader import retry_after_seconds
from newsbot.reasons import NOT_ARTICLE, NOT_HTML, page_reason, status_reason


def test_page_reason_tells_pages_that_are_not_html_from_html_without_an_article():
    assert page_reason("text/html", b"") == NOT_HTML
    assert page_reason("text/html", b"  \r\n ") == NOT_HTML
    assert page_reason("image/png", b"\x89PNG\r\n\x1a\n....") == NOT_HTML
    assert page_reason("text/html", bytes(range(256)) * 8) == NOT_HTML
    assert page_reason("text/html; charset=utf-8", b"<html><body>Sections</body></html>") == NOT_ARTICLE
    assert page_reason(None, b"<html><body>no type given</body></html>") == NOT_ARTICLE


def test_status_reasons():
    assert [status_reason(s) for s in (404, 410, 403, 429, 500, 503, 400)] == [
        "gone", "gone", "blocked", "server_error", "server_error", "server_error", "http_error",
    ]  # fmt: skip


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds(b"120") == 120.0
    assert retry_after_seconds(b" 5 ") == 5.0
    now = 1_800_000_000.0
    in_a_minute = email.utils.formatdate(now + 60, usegmt=True).encode()
    assert 59 <= retry_after_seconds(in_a_minute, now=now) <= 61
    assert retry_after_seconds(email.utils.formatdate(now - 60, usegmt=True).encode(), now=now) == 0.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds(b"soon") is None
