"""The NEWSBOT_* settings checked before a crawl starts: a bad value is one line and exit status 2,
not a traceback at the end of a run that fetched everything (`-s NEWSBOT_MAX_ERRORS=abc`)."""

from __future__ import annotations

from collections.abc import Callable

from scrapy.exceptions import UsageError
from scrapy.settings import BaseSettings

from newsbot.mirror import normalise_mirror

# What a value must be, as the error says it, and the Scrapy reader that fails (ValueError,
# TypeError) on a value of another type. A number must be 0 or more; a flag always is.
WHOLE_NUMBER = ("a whole number of 0 or more", BaseSettings.getint)
SECONDS = ("a number of seconds, 0 or more", BaseSettings.getfloat)
FLAG = ("True or False", BaseSettings.getbool)

CHECKED_SETTINGS: dict[str, tuple[str, Callable[[BaseSettings, str], float]]] = {
    "NEWSBOT_MAX_ERRORS": WHOLE_NUMBER,
    "NEWSBOT_KNOWN_PAGES_OVERSHOOT": WHOLE_NUMBER,
    "NEWSBOT_RETRY_BACKOFF": SECONDS,
    "NEWSBOT_RETRY_BACKOFF_MAX": SECONDS,
    "NEWSBOT_RETRY_AFTER_MAX": SECONDS,
    "NEWSBOT_PROGRESS_INTERVAL": SECONDS,
    "NEWSBOT_INCREMENTAL_EXPORTS": FLAG,
    "NEWSBOT_MIRROR_POLITE": FLAG,
    "NEWSBOT_RUN_REPORT": FLAG,
}


def check_settings(settings: BaseSettings) -> None:
    """Raises UsageError, one line naming the setting, for the first NEWSBOT_* value that is wrong."""
    for name, (expected, read) in CHECKED_SETTINGS.items():
        value = settings.get(name)
        try:
            fits = value is None or read(settings, name) >= 0  # NaN is not >= 0 either
        except (TypeError, ValueError):
            fits = False
        if not fits:
            raise UsageError(f"-s {name}={value!r}: expected {expected}")
    try:
        normalise_mirror(settings.get("NEWSBOT_MIRROR") or "")
    except ValueError as error:
        raise UsageError(str(error)) from None
