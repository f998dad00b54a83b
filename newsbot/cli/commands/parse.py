"""`scrapy parse` as Scrapy has it, with the inspection settings (newsbot.cli.commands.Inspection),
exiting 1 when nothing was downloaded (the log says why: a host that cannot be reached, say)."""

from __future__ import annotations

import argparse
import functools
from typing import Any

from scrapy import Request, Spider
from scrapy.commands.parse import Command as ScrapyCommand
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from newsbot.cli.commands import Inspection


class Command(Inspection, ScrapyCommand):
    def prepare_request(self, spider: Spider, request: Request, opts: argparse.Namespace) -> Request:
        request = super().prepare_request(spider, request, opts)
        request.callback = _awaited(request.callback)
        return request

    def scraped_data(self, args: tuple[Any, ...]) -> list[Any]:
        *head, callback = args
        return super().scraped_data((*head, _awaited(callback)))  # the next depth's requests

    def start_parsing(self, url: str, opts: argparse.Namespace) -> None:
        super().start_parsing(url, opts)
        if not self.first_response:
            self.exitcode = 1


def _awaited(callback: Any) -> Any:
    """Scrapy's parse command hands the engine a callback that returns a Deferred, which Scrapy 2.14+
    deprecates with a warning that names the spider's own `parse`: the same callback, awaited."""

    @functools.wraps(callback)
    async def awaited(response: Response, **cb_kwargs: Any) -> Any:
        return await maybe_deferred_to_future(callback(response, **cb_kwargs))

    return awaited
