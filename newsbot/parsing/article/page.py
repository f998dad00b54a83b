"""One parse of an article page, and the markers layouts look for in it: every element and comment
has a position among the page's events, so that the body between its markers is a range of them."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from newsbot.parsing.tree import Event, parse_html, visible, walk

_HEAD_END = re.compile(r"</head\s*>", re.I)


@dataclass(frozen=True)
class Comment:
    """A comment whose whole text is `pattern` (the body markers)."""

    pattern: re.Pattern[str]

    def __call__(self, kind: str, item: Any) -> bool:
        return kind == "comment" and self.pattern.fullmatch(item.text or "") is not None

    def in_bytes(self, body: bytes) -> bool:
        """Whether undecoded page bytes hold the comment (its pattern is ASCII)."""
        as_bytes = b"<!--" + self.pattern.pattern.encode("ascii") + b"-->"
        return re.search(as_bytes, body, self.pattern.flags & ~re.UNICODE) is not None


@dataclass(frozen=True)
class Text:
    """A run of text that holds `pattern`."""

    pattern: re.Pattern[str]

    def __call__(self, kind: str, item: Any) -> bool:
        return kind == "text" and self.pattern.search(item) is not None


@dataclass(frozen=True)
class Element:
    """An element (of `tag`, or any) whose class attribute starts with `class_prefix`, in any case."""

    tag: str | None
    class_prefix: str

    def __call__(self, kind: str, item: Any) -> bool:
        tag_fits = kind == "start" and (self.tag is None or item.tag == self.tag)
        return tag_fits and (item.get("class") or "").lower().startswith(self.class_prefix.lower())


Marker = Comment | Text | Element


class Page:
    """A page parsed once: its tree, its head and its events (see newsbot.parsing.tree.walk)."""

    def __init__(self, html: str) -> None:
        self.html, self.root = html, parse_html(html)
        self.events: list[Event] = list(walk(self.root.getroottree()))
        # Where each element starts and ends and each comment is, among the events. An element in
        # raw text (a script's content) has no position: it is not part of the page.
        self.start: dict[Any, int] = {}
        self.end: dict[Any, int] = {}
        for index, (kind, item) in enumerate(self.events):
            if kind != "text":
                (self.end if kind == "end" else self.start)[item] = index
        self.comments = [item for kind, item in self.events if kind == "comment"]
        # The head: the metas and title above `</head>` in the source, every one in the page when
        # the head holds no meta (or there is no `</head>`).
        metas, titles = list(self.root.iter("meta")), list(self.root.iter("title"))
        head_end = _HEAD_END.search(html)
        last_line = html.count("\n", 0, head_end.end()) + 1 if head_end else 0
        if head_end and any((meta.sourceline or 0) <= last_line for meta in metas):
            metas = [meta for meta in metas if (meta.sourceline or 0) <= last_line]
            titles = [title for title in titles if (title.sourceline or 0) <= last_line]
        self.metas = metas
        self.title = "".join(titles[0].itertext(with_tail=False)) if titles else None

    def meta(self, prop: str) -> str | None:
        """The content of the first non-empty `<meta property|name=prop>` of the head."""
        for element in self.metas:
            content = (element.get("content") or "").strip()
            if (element.get("property") or element.get("name") or "").lower() == prop and content:
                return content
        return None

    def find(self, markers: Sequence[tuple[str, Marker]], start: int = 0) -> tuple[int, str] | None:
        """The first event from `start` that one of the named markers matches: (position, name)."""
        for index in range(start, len(self.events)):
            for name, marker in markers:
                if marker(*self.events[index]):
                    return index, name
        return None

    def visible(self, start: int, stop: int | None = None) -> Iterator[tuple[int, str, Any]]:
        return visible(self.events, start, stop)

    def inside(self, element: Any, stop: int | None = None) -> Iterator[tuple[int, str, Any]]:
        """The visible events of an element of the page, cut at `stop`."""
        end = self.end.get(element, len(self.events))
        return self.visible(self.start[element] + 1, end if stop is None else min(end, stop))

    def text_of(self, element: Any, stop: int | None = None) -> str:
        return "".join(item for _, kind, item in self.inside(element, stop) if kind == "text")

    def entered(self, start: int, stop: int, tag: str) -> list[Any]:
        """The visible `tag` elements that start in [start, stop)."""
        return [item for _, kind, item in self.visible(start, stop) if kind == "start" and item.tag == tag]

    def reach(self, start: int, characters: int) -> int:
        """Where the visible text from `start` passes `characters` (the end of the page if never)."""
        seen = 0
        for index, kind, item in self.visible(start):
            seen += len(item) if kind == "text" else 0
            if seen > characters:
                return index
        return len(self.events)
