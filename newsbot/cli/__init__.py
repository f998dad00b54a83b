"""The `newsbot` command (newsbot.cli.main) and what its subcommands share. Scrapy's commands are in
newsbot.cli.commands."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from scrapy.settings import Settings

from newsbot.mirror import mirror_from_option
from newsbot.registry import Site, load_registry


class CommandError(Exception):
    """The command cannot run as asked: main prints `newsbot <command>: <message>` and exits 2."""


def site_named(name: str) -> Site:
    try:
        return load_registry().site(name)
    except KeyError as error:
        raise CommandError(error.args[0]) from None


def mirror_option(option: str | None) -> str:
    """`--mirror`, else the NEWSBOT_MIRROR environment variable, as a URL ("" for the live sites)."""
    try:
        return mirror_from_option(option)
    except ValueError as error:
        raise CommandError(str(error)) from None


def project_settings() -> Settings:
    """The settings `scrapy crawl` sees here; outside a Scrapy project folder (cron, say), newsbot's."""
    from scrapy.utils.conf import closest_scrapy_cfg
    from scrapy.utils.project import get_project_settings

    if "SCRAPY_SETTINGS_MODULE" in os.environ or closest_scrapy_cfg():
        return get_project_settings()
    settings = Settings()
    settings.setmodule("newsbot.settings", priority="project")
    return settings


def output_folder() -> Path:
    """The folder of NEWSBOT_OUTPUT's deliveries (relative: to the project's folder)."""
    from newsbot.delivery import project_folder

    template = project_settings().get("NEWSBOT_OUTPUT")
    folder = Path(template or "").expanduser().parent
    if not template or "{" in str(folder) or "%(" in str(folder):
        raise CommandError(f"NEWSBOT_OUTPUT {template!r} names no one folder: name the deliveries or folders")
    return project_folder() / folder


def table(rows: Sequence[Sequence[object]], align: str, indent: str = "") -> list[str]:
    """Text columns as wide as their widest cell, each aligned by its `<` or `>` in `align`; a row may
    stop short (a heading)."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max((len(row[n]) for row in cells if n < len(row)), default=0) for n in range(len(align))]
    lines = []
    for row in cells:
        text = "  ".join(f"{cell:{a}{width}}" for cell, a, width in zip(row, align, widths, strict=False))
        lines.append((indent + text).rstrip())
    return lines
