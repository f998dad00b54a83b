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

The events are made as they are asked for: a reader that stops at the end of the Related Links
block never pays for the page's footer; and what lies before the headline (navigation, the head),
which no region reads, is skipped when the headline is known (`start_at`).
"""

from __future__ import annotations

import itertools
import re
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from lxml import etree

from newsbot.parsing.text import clean_text
from newsbot.parsing.tree import BLOCK_TAGS, DOUBLE_BREAK, LINE_BREAK, NOISE_TAGS

ENTER, LEAVE, TEXT, COMMENT = 0, 1, 2, 3
# "To the end of the document", as a range end.
END = sys.maxsize
_NOISE = frozenset(NOISE_TAGS)
# What browsers read as raw text, and libxml2 may still have parsed as markup: no marker in there.
OPAQUE_TAGS = (
    "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title", "plaintext",
)  # fmt: skip
_OPAQUE = frozenset(OPAQUE_TAGS)
# How many walk steps are taken each time more events are needed (a generator step costs more
# than an event).
_STEP = 4


class Document:
    """A parsed page as three parallel lists, made on demand: `kinds[i]` (ENTER, LEAVE, TEXT,
    COMMENT), `items[i]` (the element or comment, or the text) and `tags[i]` (the element's tag;
    None for text and comments).

    The content of raw-text elements (scripts, styles...: OPAQUE_TAGS) is left out: it is never
    text, and a marker in it is no marker. The element itself stays, so that noise is tracked.
    With `start_at`, everything before that element but its ancestors is left out.
    """

    def __init__(self, root: etree._Element, *, start_at: etree._Element | None = None) -> None:
        self.root = root
        self.kinds: list[int] = []
        self.items: list[Any] = []
        # Read once by the walk: lxml builds a new str on every `.tag`, and each region is scanned
        # several times.
        self.tags: list[str | None] = []
        self.comments: list[int] = []
        self.complete = False
        # A function of the lists, not a method: a generator holding `self` would make a reference
        # cycle, and every page's tree would wait for the cycle collector.
        self._steps = _walk(root, start_at, self.kinds, self.items, self.tags, self.comments)

    def has(self, index: int) -> bool:
        """Whether there is an event at `index`, making events up to it."""
        while index >= len(self.kinds):
            if self.complete:
                return False
            if next(self._steps, True):
                self.complete = True
        return True

    def made_to(self, end: int) -> int:
        """`end`, or the number of events when the document ends before it, its events made.

        For a bounded region: a loop over a range costs less per event than asking `has` each
        step. (A region to END makes every event: lazy readers use `has`.)"""
        if end > len(self.kinds):
            self.has(end - 1)
            return min(end, len(self.kinds))
        return end

    def end(self) -> int:
        """The number of events in the whole document (makes them all)."""
        while self.has(len(self.kinds)):
            pass
        return len(self.kinds)

    def index_of(self, node: Any, start: int = 0) -> int | None:
        """The first index from `start` of an element (its ENTER) or comment; None if absent."""
        items = self.items
        position = start
        while True:
            try:
                return items.index(node, position)
            except ValueError:
                position = max(position, len(items))
                if not self.has(len(items)):
                    return None

    def leave_index(self, enter: int) -> int:
        """Where the element entered at `enter` is left: its content lies between, its tail follows.
        An element still open at the end of the events is left at the end."""
        self.has(enter)
        found = self.index_of(self.items[enter], enter + 1)
        return found if found is not None else len(self.kinds)

    def visible(self, start: int, end: int) -> Iterator[tuple[int, int, Any]]:
        """`(index, kind, item)` of the events in [start, end) outside noise, comments left out."""
        kinds, items, tags = self.kinds, self.items, self.tags
        depth = 0
        index = start
        while index < end and (index < len(kinds) or self.has(index)):
            kind = kinds[index]
            if kind == TEXT:
                if not depth:
                    yield index, kind, items[index]
            elif kind == COMMENT:
                pass
            elif tags[index] in _NOISE:
                if kind == ENTER:
                    depth += 1
                elif depth:
                    depth -= 1
                # else: the end of noise that began before the region, which a slice never saw.
            elif not depth:
                yield index, kind, items[index]
            index += 1

    def blocks(
        self,
        start: int,
        end: int,
        *,
        split_on_br: bool = False,
        skip_tags: frozenset[str] = frozenset(),
        skip_class: str | None = None,
    ) -> list[str]:
        """The text of [start, end) in blocks, as `tree.text_blocks` reads a slice of the page.

        Elements of `skip_tags`, and those whose class attribute holds `skip_class` (any case), are
        left out with their content, their tail kept.
        """
        # Declarative rather than a callback: a Python call per element cost as much as the loop.
        fragment = skip_class.lower() if skip_class is not None else None
        # `visible` written out: this loop reads most of the page's text, and a generator step per
        # event cost as much as the rest of the loop.
        out: list[str] = []
        current: list[str] = []
        kinds, items, tags = self.kinds, self.items, self.tags
        depth = 0
        skipped_to = start
        for index in range(start, self.made_to(end)):
            if index < skipped_to:
                continue
            kind = kinds[index]
            if kind == TEXT:
                if not depth:
                    current.append(items[index])
            elif kind != COMMENT:
                tag = tags[index]
                if tag in _NOISE:
                    if kind == ENTER:
                        depth += 1
                    elif depth:
                        depth -= 1
                elif not depth:
                    if kind == ENTER and (
                        tag in skip_tags
                        or (fragment is not None and fragment in (items[index].get("class") or "").lower())
                    ):
                        # Left out with its content; its end event is skipped too, its tail kept.
                        skipped_to = self.leave_index(index) + 1
                        continue
                    if tag in BLOCK_TAGS:
                        _flush(current, out, split_on_br)
                    elif tag == "br" and kind == ENTER:
                        current.append(LINE_BREAK)
        _flush(current, out, split_on_br)
        return out

    def find_text(self, start: int, end: int, pattern: re.Pattern[str]) -> int | None:
        """The index of the first run of text in [start, end) outside noise that `pattern` finds
        something in; None if there is none."""
        # `visible` written out, as in `blocks`.
        kinds, items, tags = self.kinds, self.items, self.tags
        depth = 0
        for index in range(start, self.made_to(end)):
            kind = kinds[index]
            if kind == TEXT:
                if not depth and pattern.search(items[index]):
                    return index
            elif kind != COMMENT and tags[index] in _NOISE:
                if kind == ENTER:
                    depth += 1
                elif depth:
                    depth -= 1
        return None

    def inner_text(self, enter: int, end: int) -> str:
        """The visible text of the element entered at `enter` (`text_content()` without noise),
        cut at `end`."""
        kinds, items, tags = self.kinds, self.items, self.tags
        # The usual label or dateline: one run of text, then the element's end.
        text_end = enter + 2
        if (
            end >= text_end
            and (text_end < len(kinds) or self.has(text_end))
            and kinds[text_end] == LEAVE
            and kinds[enter + 1] == TEXT
            and items[text_end] is items[enter]
        ):
            text: str = items[enter + 1]
            return text
        stop = min(self.leave_index(enter), end)
        # `visible` written out, as in `blocks`.
        parts: list[str] = []
        depth = 0
        for index in range(enter + 1, stop):
            kind = kinds[index]
            if kind == TEXT:
                if not depth:
                    parts.append(items[index])
            elif kind != COMMENT and tags[index] in _NOISE:
                if kind == ENTER:
                    depth += 1
                elif depth:
                    depth -= 1
        return "".join(parts)

    def entered(self, start: int, end: int, tag: str) -> list[int]:
        """The indexes in [start, end) where a `tag` element outside noise is entered."""
        kinds, tags = self.kinds, self.tags
        found: list[int] = []
        depth = 0
        for index in range(start, self.made_to(end)):
            item_tag = tags[index]
            if item_tag is not None:
                kind = kinds[index]
                if item_tag in _NOISE:
                    if kind == ENTER:
                        depth += 1
                    elif depth:
                        depth -= 1
                elif kind == ENTER and not depth and item_tag == tag:
                    found.append(index)
        return found


def element_text(element: etree._Element) -> str:
    """The visible text of one element (`text_content()` without noise and comments)."""
    for node in element.iter():
        if not isinstance(node.tag, str) or node.tag in _NOISE:
            doc = Document(element)
            return doc.inner_text(0, END)
    # Nothing to leave out (the usual label: a span around a link): libxml2 reads it alone, at a
    # fifth of the cost of "".join(itertext()).
    return str(etree.tostring(element, method="text", encoding="unicode", with_tail=False))


def _walk(
    root: etree._Element,
    start_at: etree._Element | None,
    kinds: list[int],
    items: list[Any],
    tags: list[str | None],
    comments: list[int],
) -> Iterator[None]:
    """Append the document's events to the lists, one walk step per iteration."""
    kind, item, tag_of = kinds.append, items.append, tags.append
    is_document = root.getparent() is None
    if is_document and start_at is None:
        # Comments before `<html>` or after `</html>` (a marker after a stray `</html>`) are the
        # root's siblings in the tree.
        for node in reversed(list(root.itersiblings(preceding=True))):
            comments.append(len(kinds))
            kind(COMMENT)
            item(node)
            tag_of(None)
    # lxml's iter() walks the tree in C, a node per step. Where an element ends is known from its
    # children: it ends with its last one, and a childless element at once. len() of an element
    # costs a quarter of a getparent(), and a leaf (most elements) never enters the stack.
    open_elements: list[Any] = []
    open_tags: list[str] = []  # their tags: reading `.tag` again at their end cost a new str
    remaining: list[int] = []  # how many of their children are still to come
    if start_at is None:
        nodes: Iterator[Any] = root.iter()
    else:
        # What lies before `start_at` is left out, but its ancestors are entered (without their
        # text, which comes before it) so that their ends and tails are read as usual.
        path = list(_ancestors_within(start_at, root))  # nearest first
        child = start_at
        for ancestor in path:
            remaining.append(len(ancestor) - ancestor.index(child))
            child = ancestor
        remaining.reverse()
        for ancestor in reversed(path):
            tag = str(ancestor.tag)  # an ancestor is an element: its tag is a str
            kind(ENTER)
            item(ancestor)
            tag_of(tag)
            open_elements.append(ancestor)
            open_tags.append(tag)
        nodes = itertools.chain.from_iterable(_subtrees_from(start_at, root))
    steps = 0
    for node in nodes:
        tag = node.tag
        if tag.__class__ is str:
            kind(ENTER)
            item(node)
            tag_of(tag)
            if tag in _OPAQUE:
                # Raw text to a browser: whatever libxml2 made of its content is no event.
                if len(node):
                    for _ in itertools.islice(nodes, _count_descendants(node)):
                        pass
                children = 0
            else:
                text = node.text
                if text:
                    kind(TEXT)
                    item(text)
                    tag_of(None)
                children = len(node)
            if children:
                open_elements.append(node)
                open_tags.append(tag)
                remaining.append(children)
                steps += 1
                if steps == _STEP:
                    steps = 0
                    yield
                continue
            kind(LEAVE)
            item(node)
            tag_of(tag)
            tail = node.tail
            if tail and node is not root:
                kind(TEXT)
                item(tail)
                tag_of(None)
        elif tag is not _ENTITY:  # an entity is never made by the HTML parser, and is no event
            comments.append(len(kinds))
            kind(COMMENT)
            item(node)
            tag_of(None)
            tail = node.tail
            if tail:
                kind(TEXT)
                item(tail)
                tag_of(None)
        # The node is done, and so is each open element whose last child it was.
        while remaining:
            left = remaining[-1] - 1
            if left:
                remaining[-1] = left
                break
            remaining.pop()
            ended = open_elements.pop()
            kind(LEAVE)
            item(ended)
            tag_of(open_tags.pop())
            tail = ended.tail
            if tail and ended is not root:
                kind(TEXT)
                item(tail)
                tag_of(None)
        steps += 1
        if steps == _STEP:
            steps = 0
            yield
    # Every element ends with its last child: one still open here is in a tree that changed under
    # the walk, and ends where the events do.
    while open_elements:
        kind(LEAVE)
        item(open_elements.pop())
        tag_of(open_tags.pop())
    if is_document:
        for node in root.itersiblings():
            comments.append(len(kinds))
            kind(COMMENT)
            item(node)
            tag_of(None)


_ENTITY = etree.Entity


def _ancestors_within(node: etree._Element, root: etree._Element) -> Iterator[etree._Element]:
    """The ancestors of `node` up to `root` (included), nearest first."""
    if node is root:
        return
    for ancestor in node.iterancestors():
        yield ancestor
        if ancestor is root:
            return


def _subtrees_from(start_at: etree._Element, root: etree._Element) -> Iterator[Iterable[Any]]:
    """The nodes from `start_at` on, to the end of `root`, as subtrees in document order."""
    yield start_at.iter()
    node = start_at
    while node is not root:
        for sibling in node.itersiblings():
            # A leaf is its own subtree: an lxml iterator costs more to make than a tuple.
            yield sibling.iter() if len(sibling) else (sibling,)
        parent = node.getparent()
        if parent is None:
            return
        node = parent


def _count_descendants(element: etree._Element) -> int:
    return sum(1 for _ in element.iter()) - 1


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
    return node.tag in _NOISE or _has_ancestor_in(node, _NOISE)


def in_opaque(node: Any) -> bool:
    """Whether a node sits inside an element whose content is raw text to browsers (a script, a
    style, a noscript...): a marker there is no marker."""
    return _has_ancestor_in(node, _OPAQUE)


def _has_ancestor_in(node: Any, tags: frozenset[str]) -> bool:
    # getparent() in a loop: iterancestors(*tags) builds a matcher of 18 names on every call, which
    # cost nine times as much on the ~10 levels of a page.
    parent = node.getparent()
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.getparent()
    return False
