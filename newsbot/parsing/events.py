"""One parse of a page read as a flat list of document-order events; a region is a range of indexes.

The article parser parses a page once (`parse_page`) and turns the tree into events: entering an
element, its text, leaving it, its tail, a comment. A marker (a comment, the headline element, a
line of text) is an index; the header, the body and the Related Links block are index ranges, read
with the same rules the fragment parsers used to apply to a slice of the page:

- noise (scripts, styles, forms, ads: NOISE_TAGS) and comments are not text, but what follows them
  is. Noise is tracked per region: a region that starts inside a `<form>` reads on until the form's
  end like a slice would, whose `</form>` closes nothing;
- text is split into blocks at block elements (and every `<br>` for header lines), exactly as
  `tree.text_blocks` does.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from newsbot.parsing.text import clean_text
from newsbot.parsing.tree import BLOCK_TAGS, DOUBLE_BREAK, LINE_BREAK, NOISE_TAGS

ENTER, LEAVE, TEXT, COMMENT = 0, 1, 2, 3
_NOISE = frozenset(NOISE_TAGS)
# What browsers read as raw text, and libxml2 may still have parsed as markup: no marker in there.
OPAQUE_TAGS = (
    "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title", "plaintext",
)  # fmt: skip
_OPAQUE = frozenset(OPAQUE_TAGS)


class Document:
    """A parsed page as two parallel lists: `kinds[i]` (ENTER, LEAVE, TEXT, COMMENT) and `items[i]`
    (the element or comment, or the text).

    The content of raw-text elements (scripts, styles...: OPAQUE_TAGS) is left out: it is never
    text, and a marker in it is no marker. The element itself stays, so that noise is tracked.
    """

    def __init__(self, root: etree._Element) -> None:
        self.root = root
        kinds: list[int] = []
        items: list[Any] = []
        kind, item = kinds.append, items.append
        comments: list[int] = []
        # Comments before `<html>` or after `</html>` (a marker after a stray `</html>`) are the
        # root's siblings in the tree.
        for node in reversed(list(root.itersiblings(preceding=True))):
            comments.append(len(kinds))
            kind(COMMENT)
            item(node)
        walk = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
        for action, node in walk:
            if action == "start":
                kind(ENTER)
                item(node)
                if node.tag in _OPAQUE:
                    walk.skip_subtree()
                    continue
                text = node.text
                if text:
                    kind(TEXT)
                    item(text)
            elif action == "end":
                kind(LEAVE)
                item(node)
                tail = node.tail
                if tail and node is not root:
                    kind(TEXT)
                    item(tail)
            else:
                comments.append(len(kinds))
                kind(COMMENT)
                item(node)
                tail = node.tail
                if tail:
                    kind(TEXT)
                    item(tail)
        for node in root.itersiblings():
            comments.append(len(kinds))
            kind(COMMENT)
            item(node)
        self.kinds = kinds
        self.items = items
        self.comments = comments
        self._text: tuple[str, list[int], list[int]] | None = None

    def __len__(self) -> int:
        return len(self.kinds)

    def enter_index(self, element: etree._Element, start: int = 0) -> int:
        """Where an element is entered (ValueError if it is not in the document)."""
        return self.items.index(element, start)

    def leave_index(self, enter: int) -> int:
        """Where the element entered at `enter` is left: its content lies between, its tail follows."""
        return self.items.index(self.items[enter], enter + 1)

    def visible(self, start: int, end: int) -> Iterator[tuple[int, int, Any]]:
        """`(index, kind, item)` of the events in [start, end) outside noise, comments left out."""
        kinds, items = self.kinds, self.items
        depth = 0
        for index in range(start, min(end, len(kinds))):
            kind = kinds[index]
            if kind == TEXT:
                if not depth:
                    yield index, kind, items[index]
            elif kind == COMMENT:
                continue
            elif items[index].tag in _NOISE:
                if kind == ENTER:
                    depth += 1
                elif depth:
                    depth -= 1
                # else: the end of noise that began before the region, which a slice never saw.
            elif not depth:
                yield index, kind, items[index]

    def blocks(
        self,
        start: int,
        end: int,
        *,
        split_on_br: bool = False,
        skip: Callable[[Any], bool] | None = None,
    ) -> list[str]:
        """The text of [start, end) in blocks, as `tree.text_blocks` reads a slice of the page.

        Elements for which `skip` holds are left out with their content, their tail kept.
        """
        out: list[str] = []
        current: list[str] = []
        skip_until = -1
        for index, kind, item in self.visible(start, end):
            if index <= skip_until:
                continue
            if kind == TEXT:
                current.append(item)
                continue
            tag = item.tag
            if kind == ENTER and skip is not None and skip(item):
                skip_until = self.leave_index(index)
                continue
            if tag in BLOCK_TAGS:
                _flush(current, out, split_on_br)
            elif tag == "br" and kind == ENTER:
                current.append(LINE_BREAK)
        _flush(current, out, split_on_br)
        return out

    def inner_text(self, enter: int, end: int) -> str:
        """The visible text of the element entered at `enter` (`text_content()` without noise),
        cut at `end`."""
        stop = min(self.leave_index(enter), end)
        return "".join(item for _, kind, item in self.visible(enter + 1, stop) if kind == TEXT)

    def text_search(self, pattern: re.Pattern[str], start: int, end: int, *, whole: bool) -> int | None:
        """The index of the first text event in [start, end) that holds (or, `whole`, is) a match."""
        joined, offsets, indexes = self._joined_text()
        position = bisect_left(indexes, start)
        if position >= len(indexes):
            return None
        for match in pattern.finditer(joined, offsets[position]):
            found = bisect_right(offsets, match.start()) - 1
            text_start = offsets[found]
            text_end = text_start + len(self.items[indexes[found]])
            if whole and (match.start() != text_start or match.end() != text_end):
                continue
            index = indexes[found]
            return index if index < end else None
        return None

    def _joined_text(self) -> tuple[str, list[int], list[int]]:
        """Every text event joined by NULs (which no text holds), with each one's offset and index:
        one regular expression search over the page's text instead of one per event."""
        if self._text is None:
            indexes = [index for index, kind in enumerate(self.kinds) if kind == TEXT]
            offsets = []
            position = 0
            texts = []
            for index in indexes:
                text = self.items[index]
                offsets.append(position)
                texts.append(text)
                position += len(text) + 1
            self._text = ("\0".join(texts), offsets, indexes)
        return self._text


def _flush(current: list[str], out: list[str], split_on_br: bool) -> None:
    joined = "".join(current)
    current.clear()
    if not joined:
        return
    if LINE_BREAK in joined:
        pieces = joined.split(LINE_BREAK) if split_on_br else DOUBLE_BREAK.split(joined)
    else:
        pieces = [joined]
    for piece in pieces:
        text = clean_text(piece)
        if text:
            out.append(text)


def in_noise(node: Any) -> bool:
    """Whether a node is noise or inside noise (NOISE_TAGS), as a whole-page reader sees it."""
    return node.tag in _NOISE or next(node.iterancestors(*NOISE_TAGS), None) is not None


def in_opaque(node: Any) -> bool:
    """Whether a node sits inside an element whose content is raw text to browsers (a script, a
    style, a noscript...): a marker there is no marker."""
    return next(node.iterancestors(*OPAQUE_TAGS), None) is not None


# --- markers: what a layout looks for in the events --------------------------------------------


@dataclass(frozen=True)
class CommentMarker:
    """A comment whose text is `pattern` (the body markers `<!--body-2-incontainer.php-->`)."""

    pattern: re.Pattern[str]

    def find(self, doc: Document, start: int, end: int) -> int | None:
        for index in doc.comments[bisect_left(doc.comments, start) :]:
            if index >= end:
                return None
            if self.pattern.fullmatch(doc.items[index].text or ""):
                return index
        return None


@dataclass(frozen=True)
class TextMarker:
    """A run of text that holds `pattern` (or is all of it, with `whole`)."""

    pattern: re.Pattern[str]
    whole: bool = False

    def find(self, doc: Document, start: int, end: int) -> int | None:
        return doc.text_search(self.pattern, start, end, whole=self.whole)


@dataclass(frozen=True)
class ElementMarker:
    """An element (of `tag`, or any) whose class attribute starts with `class_prefix`."""

    tag: str | None
    class_prefix: str

    def find(self, doc: Document, start: int, end: int) -> int | None:
        prefix = self.class_prefix.lower()
        kinds, items = doc.kinds, doc.items
        for index in range(start, min(end, len(kinds))):
            if kinds[index] != ENTER:
                continue
            element = items[index]
            if self.tag is not None and element.tag != self.tag:
                continue
            if (element.get("class") or "").lower().startswith(prefix):
                return index
        return None


Marker = CommentMarker | TextMarker | ElementMarker


def first_marker(
    doc: Document, start: int, end: int, markers: Sequence[tuple[str, Marker]]
) -> tuple[int, str] | None:
    """The first event in [start, end) that one of the named markers finds: (index, name); on a
    tie, the name first in alphabetical order. Never inside raw-text elements (left out)."""
    found = []
    for name, marker in markers:
        index = marker.find(doc, start, end)
        if index is not None:
            found.append((index, name))
            end = index + 1
    return min(found) if found else None
