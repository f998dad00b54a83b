"""Why an article could not be had: one word per cause (stats, log, ledger, run report), and the
exceptions that carry them. A refusal of ours is an IgnoreRequest subclass with its `reason`, so the
errback reads the reason from the exception's type, never from its message."""

from __future__ import annotations

import socket
from typing import ClassVar

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DropItem,
    IgnoreRequest,
)
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import NoRouteError
from twisted.python.failure import Failure

# The run report lists the missing articles' URLs under each.
GONE = "gone"  # 404 / 410
TIMEOUT = "timeout"
BLOCKED = "blocked"
TOO_LARGE = "too_large"
NOT_HTML = "not_html"  # binary, empty, or another content type
NOT_ARTICLE = "not_article"  # HTML, but no article on it
UNPARSED = "unparsed"  # the parser could not read the page
ROBOTS = "robots"
ROBOTS_UNREACHABLE = "robots_unreachable"  # its host's robots.txt answered 5xx or not at all
OFF_NETWORK = "off_network"  # redirected off the network, not followed
REDIRECT_LOOP = "redirect_loop"  # redirected in circles, or too often
SERVER_ERROR = "server_error"  # 5xx or 429 after every retry
CONNECTION = "connection"  # refused, reset, cut mid-body, DNS
HTTP_ERROR = "http_error"  # any other status
INVALID = "invalid"  # parsed, but the item broke the schema
WRITE_FAILED = "write_failed"  # fetched and parsed, but the output could not take the line
MISDIRECTED = "misdirected"  # answered by another article (a redirect, an og:url naming another)
STOPPED = "stopped"  # the run was told to stop while the request waited
DEFERRED = "deferred"  # left out by `-a max_articles`: not a loss, the next run has it


class Refused(IgnoreRequest):
    reason: ClassVar[str] = HTTP_ERROR


class OffNetwork(Refused):
    reason = OFF_NETWORK


class Blocked(Refused):
    reason = BLOCKED


class RobotsDisallowed(Refused):
    reason = ROBOTS


class RobotsUnreachable(Refused):
    reason = ROBOTS_UNREACHABLE


class TooLarge(Refused):
    reason = TOO_LARGE


class Stopped(Refused):
    reason = STOPPED


class CutShort(Refused):
    reason = CONNECTION


# A host that cannot be reached at all (Scrapy's errors, and urllib's for `newsbot sections`): not
# retried, as a try seconds later meets the same answer. The likely cause, as a user reads it:
UNREACHABLE: list[tuple[tuple[type[BaseException], ...], str]] = [
    ((CannotResolveHostError, socket.gaierror), "could not resolve {host}: no network or DNS?"),
    (
        (DownloadConnectionRefusedError, ConnectionRefusedError),
        "{host} refused the connection: is it down, or a proxy in the way?",
    ),
    ((NoRouteError,), "no route to {host}: no network?"),
]
UNREACHABLE_ERRORS = tuple(kind for kinds, _ in UNREACHABLE for kind in kinds)


def unreachable_host(error: BaseException, host: str) -> str | None:
    """One line naming the host and the likely cause; None when `error` is not of those."""
    cause = next((text for kinds, text in UNREACHABLE if isinstance(error, kinds)), None)
    return None if cause is None else f"{cause.format(host=host)} (`newsbot demo` tries newsbot offline)"


class NotWritten(DropItem):
    """The writer could not write the item; with `in_output`, it wrote its line but could not mark it
    known (the next start marks it)."""

    def __init__(self, message: str, *, in_output: bool = False) -> None:
        super().__init__(message, log_level="WARNING")
        self.in_output = in_output


class InvalidItem(DropItem):
    """The item broke the shipped JSON Schema."""


def failure_reason(failure: Failure) -> str:
    """The reason behind a request's failure (an errback's argument)."""
    error = failure.value
    if isinstance(error, HttpError):
        return status_reason(error.response.status)
    if isinstance(error, Refused):
        return error.reason
    if isinstance(error, IgnoreRequest):
        # Scrapy's redirect middleware gives up on a request whose redirect budget is spent.
        spent = failure.request.meta.get("redirect_ttl") == 0  # type: ignore[attr-defined]  # Scrapy sets it
        return REDIRECT_LOOP if spent else HTTP_ERROR
    if isinstance(error, DownloadCancelledError):
        return TOO_LARGE
    # Scrapy's DownloadTimeoutError, Twisted's TimeoutError and TCPTimedOutError; the rest: the connection.
    return TIMEOUT if "timeout" in type(error).__name__.lower() else CONNECTION


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
