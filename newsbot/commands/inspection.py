"""Scrapy's inspection tools (`scrapy parse`, `check`, `shell`, `fetch`, `view`) look at pages; they
do not crawl. So they run with no seen-articles store (a page's entries are all shown, none marked
known), no JSON Lines output and no run report or verdict; a `-s` on the command line still wins."""

from __future__ import annotations

from typing import Any

from scrapy.settings import SETTINGS_PRIORITIES, BaseSettings

from newsbot.setting_checks import check_settings

INSPECTION_SETTINGS: dict[str, Any] = {
    "NEWSBOT_STATE": "",
    "NEWSBOT_OUTPUT": "",
    "NEWSBOT_STATS_FILE": "",
    "NEWSBOT_RUN_REPORT": False,
    "NEWSBOT_PROGRESS_INTERVAL": 0,
}


def inspection_settings(settings: BaseSettings) -> None:
    """Above the project's settings, below the command line's; then the usual setting checks."""
    command_line = SETTINGS_PRIORITIES["cmdline"]
    for name, value in INSPECTION_SETTINGS.items():
        if (settings.getpriority(name) or 0) < command_line:
            settings.set(name, value, command_line)
    check_settings(settings)
