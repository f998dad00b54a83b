"""The NEWSBOT_* settings checked before a crawl starts: a bad value is one line and exit status 2,
not a traceback at the end of a run that fetched everything (`-s NEWSBOT_MAX_ERRORS=abc`)."""

from __future__ import annotations

from collections.abc import Callable

from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from newsbot.mirror import normalise_mirror


def _whole_number(settings: BaseSettings, name: str) -> None:
    value = settings.get(name)
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = -1
    if number < 0:
        raise UsageError(f"-s {name}={value!r}: expected a whole number of 0 or more")


def _seconds(settings: BaseSettings, name: str) -> None:
    value = settings.get(name)
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not number >= 0:  # NaN fails too
        raise UsageError(f"-s {name}={value!r}: expected a number of seconds, 0 or more")


def _flag(settings: BaseSettings, name: str) -> None:
    try:
        settings.getbool(name)
    except ValueError:
        raise UsageError(f"-s {name}={settings.get(name)!r}: expected True or False") from None


def _mirror(settings: BaseSettings, name: str) -> None:
    try:
        normalise_mirror(settings.get(name) or "")
    except ValueError as error:
        raise UsageError(str(error)) from None


CHECKS: dict[str, Callable[[BaseSettings, str], None]] = {
    "NEWSBOT_MAX_ERRORS": _whole_number,
    "NEWSBOT_KNOWN_PAGES_OVERSHOOT": _whole_number,
    "NEWSBOT_RETRY_BACKOFF": _seconds,
    "NEWSBOT_RETRY_BACKOFF_MAX": _seconds,
    "NEWSBOT_RETRY_AFTER_MAX": _seconds,
    "NEWSBOT_PROGRESS_INTERVAL": _seconds,
    "NEWSBOT_INCREMENTAL_EXPORTS": _flag,
    "NEWSBOT_MIRROR_POLITE": _flag,
    "NEWSBOT_RUN_REPORT": _flag,
    "NEWSBOT_MIRROR": _mirror,
}


def check_settings(settings: BaseSettings) -> None:
    """Raises UsageError, one line naming the setting, for the first NEWSBOT_* value that is wrong."""
    for name, check in CHECKS.items():
        if settings.get(name) is not None:
            check(settings, name)
