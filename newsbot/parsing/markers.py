"""Markers: what a layout looks for in a page's events (newsbot.parsing.events), and the search
for the first one of a set.

A marker is declared data: a comment whose text is a pattern, a run of text a pattern finds, an
element whose class starts with a prefix. `first_marker` looks for a named set of them in a range
of events, making the events only as far as the one it finds.
"""

from __future__ import annotations

import functools
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from newsbot.parsing.events import COMMENT, ENTER, TEXT, Document
from newsbot.patterns import any_of


@dataclass(frozen=True)
class CommentMarker:
    """A comment whose text is `pattern` (the body markers `<!--body-2-incontainer.php-->`)."""

    pattern: re.Pattern[str]
    kind = COMMENT

    def test(self, comment: Any) -> bool:
        return bool(self.pattern.fullmatch(comment.text or ""))

    def matches(self, kind: int, item: Any) -> bool:
        return kind == COMMENT and self.test(item)


@dataclass(frozen=True)
class TextMarker:
    """A run of text that holds `pattern` (or is all of it, with `whole`)."""

    pattern: re.Pattern[str]
    whole: bool = False
    kind = TEXT

    def test(self, text: str) -> bool:
        return bool(self.pattern.fullmatch(text) if self.whole else self.pattern.search(text))

    def matches(self, kind: int, item: Any) -> bool:
        return kind == TEXT and self.test(item)


@dataclass(frozen=True)
class ElementMarker:
    """An element (of `tag`, or any) whose class attribute starts with `class_prefix` (any case)."""

    tag: str | None
    class_prefix: str
    kind = ENTER

    def test(self, element: Any) -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        return self.has_class_prefix(element)

    def has_class_prefix(self, element: Any) -> bool:
        """`test` without the tag: for a reader that knows the tag already."""
        value = element.get("class")
        return bool(value) and value[: len(self.class_prefix)].lower() == self.class_prefix.lower()

    def matches(self, kind: int, item: Any) -> bool:
        return kind == ENTER and self.test(item)


Marker = CommentMarker | TextMarker | ElementMarker


def _first_comment(
    doc: Document, start: int, end: int, markers: Sequence[tuple[str, Marker]]
) -> tuple[int, str] | None:
    """first_marker for comment markers only: the comments' indexes, not every event, are read."""
    comments, items = doc.comments, doc.items
    position = bisect_left(comments, start)
    while True:
        while position < len(comments):
            index = comments[position]
            if index >= end:
                return None
            for name, marker in markers:
                if marker.test(items[index]):
                    return index, name
            position += 1
        if not doc.has(len(doc.kinds)):
            return None


@dataclass(frozen=True)
class _MarkerPlan:
    """A set of named markers sorted by the kind of event each tests (see first_marker)."""

    comments_only: bool
    # (name, tag or None, test): element markers test a tag the walk kept, then the element.
    elements: tuple[tuple[str, str | None, Callable[[Any], bool]], ...]
    by_kind: dict[int, list[tuple[str, Marker]]]
    text_filter: re.Pattern[str] | None


def _plan(markers: Sequence[tuple[str, Marker]]) -> _MarkerPlan:
    by_kind: dict[int, list[tuple[str, Marker]]] = {ENTER: [], TEXT: [], COMMENT: []}
    for name, marker in markers:
        by_kind[marker.kind].append((name, marker))
    elements = tuple(
        (name, marker.tag, marker.has_class_prefix)
        if isinstance(marker, ElementMarker)
        else (name, None, marker.test)
        for name, marker in by_kind[ENTER]
    )
    return _MarkerPlan(
        comments_only=not by_kind[ENTER] and not by_kind[TEXT],
        elements=elements,
        by_kind={kind: found for kind, found in by_kind.items() if found and kind != ENTER},
        text_filter=_any_text_marker(tuple(marker for _, marker in by_kind[TEXT])),
    )


# Plans of the marker tuples layouts declare, by identity (the tuple is kept, so its id stays its
# own): sorting them again on every page cost as much as the scan for them.
_PLANS: dict[int, tuple[Sequence[tuple[str, Marker]], _MarkerPlan]] = {}


# Plans of one named marker given in a list (`[("end marker", marker)]`, made anew on each call),
# by the name and the marker's identity.
_SINGLE_PLANS: dict[tuple[str, int], tuple[Marker, _MarkerPlan]] = {}


def _plan_of(markers: Sequence[tuple[str, Marker]]) -> _MarkerPlan:
    if not isinstance(markers, tuple):
        if len(markers) != 1:
            return _plan(markers)
        name, marker = markers[0]
        single = _SINGLE_PLANS.get((name, id(marker)))
        if single is not None and single[0] is marker:
            return single[1]
        plan = _plan(markers)
        if len(_SINGLE_PLANS) < 256:
            _SINGLE_PLANS[name, id(marker)] = (marker, plan)
        return plan
    known = _PLANS.get(id(markers))
    if known is not None and known[0] is markers:
        return known[1]
    plan = _plan(markers)
    if len(_PLANS) < 256:
        _PLANS[id(markers)] = (markers, plan)
    return plan


def first_marker(
    doc: Document, start: int, end: int, markers: Sequence[tuple[str, Marker]]
) -> tuple[int, str] | None:
    """The first event in [start, end) that one of the named markers matches: (index, name).

    Events are made only up to the one found. Raw-text content is no event: never a marker.
    """
    plan = _plan_of(markers)
    if plan.comments_only:
        return _first_comment(doc, start, end, markers)
    kinds, items, tags = doc.kinds, doc.items, doc.tags
    element_markers, by_kind, text_filter = plan.elements, plan.by_kind, plan.text_filter
    index = start
    while index < end and (index < len(kinds) or doc.has(index)):
        kind = kinds[index]
        if kind == ENTER:
            tag = tags[index]
            for name, wanted_tag, test in element_markers:
                if (wanted_tag is None or wanted_tag == tag) and test(items[index]):
                    return index, name
        else:
            candidates = by_kind.get(kind)
            if candidates:
                item = items[index]
                if kind == TEXT and text_filter is not None and text_filter.search(item) is None:
                    index += 1
                    continue
                for name, marker in candidates:
                    if marker.test(item):
                        return index, name
        index += 1
    return None


@functools.lru_cache(maxsize=64)
def _any_text_marker(markers: tuple[Marker, ...]) -> re.Pattern[str] | None:
    """One pattern that finds a match wherever any of the text markers would (it may find more):
    most runs of text match none of them, and one scan rules them all out. None for fewer than two
    markers, or when their patterns do not combine (see any_of)."""
    patterns = [marker.pattern for marker in markers if isinstance(marker, TextMarker)]
    return any_of(patterns) if len(patterns) >= 2 else None
