"""Why an article could not be had: one word per cause, for the stats, the log and the run report."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Request
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

# Reasons an article is missing from the output (besides being known or a duplicate, which are not
# losses): the run report lists the URLs under each.
GONE = "gone"  # 404 / 410
TIMEOUT = "timeout"
BLOCKED = "blocked"
TOO_LARGE = "too_large"
NOT_HTML = "not_html"  # binary, empty, or another content type
NOT_ARTICLE = "not_article"  # HTML, but no article on it
ROBOTS = "robots"
OFF_NETWORK = "off_network"  # redirected off the network, not followed
REDIRECT_LOOP = "redirect_loop"  # redirected in circles, or too often
SERVER_ERROR = "server_error"  # 5xx or 429 after every retry
CONNECTION = "connection"  # refused, reset, cut mid-body, DNS
HTTP_ERROR = "http_error"  # any other status
KNOWN = "known"  # became known while queued: not a loss


def failed_request(failure: Failure) -> Request:
    """The request an errback's failure is about. Scrapy sets it on the failure as an attribute
    Twisted's type does not declare; a failure without one did not come to an errback."""
    request = getattr(failure, "request", None)
    if not isinstance(request, Request):
        raise TypeError(f"not an errback's failure (no request): {failure!r}")
    return request


def failure_reason(failure: Failure) -> str:
    """The reason behind a request's failure (an errback's argument)."""
    error = failure.value
    if isinstance(error, HttpError):
        return status_reason(error.response.status)
    if isinstance(error, IgnoreRequest):
        message = str(error).lower()
        if "robots.txt" in message:
            return ROBOTS
        if "offsite" in message or "off the network" in message:
            return OFF_NETWORK
        if "block page" in message:
            return BLOCKED
        if "already written" in message:
            return KNOWN
        if "max redirections" in message:
            return REDIRECT_LOOP
        return HTTP_ERROR
    if isinstance(error, DownloadTimeoutError):
        return TIMEOUT
    if isinstance(error, DownloadCancelledError):
        return TOO_LARGE
    if isinstance(
        error,
        ResponseDataLossError | DownloadConnectionRefusedError | CannotResolveHostError | DownloadFailedError,
    ):
        return CONNECTION
    name = type(error).__name__.lower()
    if "timeout" in name:
        return TIMEOUT
    return CONNECTION


def status_reason(status: int) -> str:
    if status in (404, 410):
        return GONE
    if status == 403:
        return BLOCKED
    if status == 429 or status >= 500:
        return SERVER_ERROR
    return HTTP_ERROR


def page_reason(content_type: str | None, body: bytes) -> str:
    """Why a fetched page gave no article: not HTML at all, or HTML without an article."""
    if not body.strip():
        return NOT_HTML
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind and kind not in ("text/html", "application/xhtml+xml", "text/plain"):
        return NOT_HTML
    head = body[:2048]
    # Text has no NUL and few control bytes; binary garbage has plenty.
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    if b"\x00" in head or controls > len(head) // 20:
        return NOT_HTML
    return NOT_ARTICLE
