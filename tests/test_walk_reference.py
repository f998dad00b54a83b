"""The article parser's walk (events.Document) held to the plain formulation it replaced.

The walk finds where an element ends from its count of children and skips the subtrees before
`start_at`; the reference below is lxml's own iterwalk, which reports each end as it happens.
"""

from __future__ import annotations

import random

import pytest
from lxml import etree

from newsbot.parsing.events import COMMENT, ENTER, LEAVE, OPAQUE_TAGS, TEXT, Document
from newsbot.parsing.tree import parse_page


def reference_events(
    root: etree._Element, start_at: etree._Element | None = None
) -> list[tuple[int, object]]:
    """(kind, item) of every event, as the walk's docstring defines them, by iterwalk."""
    events: list[tuple[int, object]] = []
    if start_at is None and root.getparent() is None:
        events += [(COMMENT, node) for node in reversed(list(root.itersiblings(preceding=True)))]
    started = start_at is None
    opaque_depth = 0
    for action, node in etree.iterwalk(root, events=("start", "end", "comment", "pi")):
        if not started:
            if node is start_at and action == "start":
                started = True
                within = [a for a in start_at.iterancestors() if _within(a, root)]
                events += [(ENTER, ancestor) for ancestor in reversed(within)]
            else:
                continue
        if action in ("comment", "pi"):
            if opaque_depth:
                continue
            events.append((COMMENT, node))
            if node.tail:
                events.append((TEXT, node.tail))
        elif action == "start":
            if opaque_depth:
                opaque_depth += 1
                continue
            events.append((ENTER, node))
            if node.tag in OPAQUE_TAGS:
                opaque_depth = 1
            elif node.text:
                events.append((TEXT, node.text))
        else:
            if opaque_depth > 1:
                opaque_depth -= 1
                continue
            opaque_depth = 0
            events.append((LEAVE, node))
            if node.tail and node is not root:
                events.append((TEXT, node.tail))
    if root.getparent() is None:  # comments after `</html>` are read whatever the start
        events += [(COMMENT, node) for node in root.itersiblings()]
    return events


def _within(node: etree._Element, root: etree._Element) -> bool:
    return node is root or any(ancestor is root for ancestor in node.iterancestors())


def walked(root: etree._Element, start_at: etree._Element | None = None) -> list[tuple[int, object]]:
    doc = Document(root, start_at=start_at)
    doc.end()
    return list(zip(doc.kinds, doc.items, strict=True))


PIECES = [
    "<p>", "</p>", "<b>", "</b>", "<div class=x>", "</div>", "<br>", "<img src=a.jpg>", "text ", "tail ",
    "<!--c-->", "<script>x<b>y</b></script>", "<style>s</style>", "<span>", "</span>", "<h1>", "</h1>",
    "<table><tr><td>", "</td></tr></table>", "<form>", "</form>", "<?php x ?>", "<textarea>t<i>u</i>",
    "</textarea>", "<ul><li>", "<li>", "</ul>", "&amp;", "<title>t</title>", "<noscript><p>n</p></noscript>",
]  # fmt: skip


def random_page(seed: int) -> str:
    rng = random.Random(seed)
    body = "".join(rng.choice(PIECES) for _ in range(rng.randrange(0, 60)))
    before = "<!--before-->" if rng.random() < 0.3 else ""
    after = "<!--after-->" if rng.random() < 0.3 else ""
    return f"{before}<html><head><title>x</title></head><body>{body}</body></html>{after}"


@pytest.mark.parametrize("seed", range(300))
def test_the_walk_makes_the_events_iterwalk_reports(seed):
    root = parse_page(random_page(seed))
    assert walked(root) == reference_events(root)
    for element in root.iter(etree.Element):
        if element is root or any(a.tag in OPAQUE_TAGS for a in element.iterancestors()):
            continue
        assert walked(root, element) == reference_events(root, element), etree.tostring(element)


def test_a_single_marker_in_a_list_is_found_under_the_name_given_each_time():
    import re

    from newsbot.parsing.events import END
    from newsbot.parsing.markers import CommentMarker, TextMarker, first_marker

    root = parse_page("<html><body><p>one</p><!--end--><p>two</p></body></html>")
    doc = Document(root)
    end = CommentMarker(re.compile("end"))
    assert first_marker(doc, 0, END, [("first name", end)]) == (
        first_marker(doc, 0, END, (("x", end),))[0],
        "first name",
    )
    assert first_marker(doc, 0, END, [("second name", end)])[1] == "second name"
    # An equal marker is another object: its plan is its own, and finds the same event.
    assert first_marker(doc, 0, END, [("copy", CommentMarker(re.compile("end")))])[1] == "copy"
    two = TextMarker(re.compile("two"))
    found = first_marker(doc, 0, END, [("text", two)])
    assert found is not None and doc.items[found[0]] == "two"


def reference_inner_text(doc: Document, enter: int, end: int) -> str:
    """The text events between the element's start and its end (or `end`), outside noise."""
    from newsbot.parsing.tree import NOISE_TAGS

    leave = next((i for i in range(enter + 1, doc.end()) if doc.items[i] is doc.items[enter]), doc.end())
    parts, depth = [], 0
    for index in range(enter + 1, min(leave, end)):
        kind, tag = doc.kinds[index], doc.tags[index]
        if kind == TEXT and not depth:
            parts.append(doc.items[index])
        elif kind in (ENTER, LEAVE) and tag in NOISE_TAGS:
            depth = depth + 1 if kind == ENTER else max(depth - 1, 0)
    return "".join(parts)


@pytest.mark.parametrize("seed", range(100))
def test_inner_text_is_the_text_up_to_the_element_end_or_the_cut(seed):
    root = parse_page(random_page(seed))
    doc = Document(root)
    total = doc.end()
    for enter in [i for i, kind in enumerate(doc.kinds) if kind == ENTER]:
        for end in (enter, enter + 1, enter + 2, enter + 3, total):
            fresh = Document(root)  # made lazily, as the parser reads it
            assert fresh.inner_text(enter, end) == reference_inner_text(doc, enter, end), (enter, end)


CLASSED = [
    "<span class=BSection>", "</span>", "<div class='Donate-box'>", "</div>", "<p class='bhs x'>",
    "<div class='İx'>", "<a class=''>", "</a>", "Thanks for being here; ", "<b class=DONATE>", "</b>",
]  # fmt: skip


@pytest.mark.parametrize("seed", range(150))
def test_first_marker_finds_the_first_event_any_marker_matches(seed):
    import re

    from newsbot.parsing.events import END
    from newsbot.parsing.markers import ElementMarker, TextMarker, first_marker

    rng = random.Random(seed)
    body = "".join(rng.choice(PIECES + CLASSED) for _ in range(rng.randrange(0, 60)))
    root = parse_page(f"<html><body>{body}</body></html>")
    candidates = [
        ("donation box", ElementMarker("div", "donate")),
        ("section label", ElementMarker(None, "BSection")),
        ("any class", ElementMarker(None, "")),
        ("dotted", ElementMarker("div", "i\u0307")),
        ("capital dotted", ElementMarker(None, "İ")),
        ("b", ElementMarker("b", "Don")),
        ("thanks", TextMarker(re.compile("Thanks for being here;", re.I))),
        ("tail", TextMarker(re.compile("tail"))),
    ]
    markers = tuple(rng.sample(candidates, rng.randrange(1, 5)))
    doc = Document(root)
    total = doc.end()
    for start in (0, total // 3, total // 2):
        expected = next(
            (
                (index, name)
                for index in range(start, total)
                for name, marker in markers
                if marker.matches(doc.kinds[index], doc.items[index])
            ),
            None,
        )
        assert first_marker(Document(root), start, END, markers) == expected, (start, markers)


@pytest.mark.parametrize("seed", range(100))
def test_index_of_and_leave_index_find_what_a_search_of_the_events_finds(seed):
    root = parse_page(random_page(seed))
    whole = Document(root)
    total = whole.end()
    for index in range(total):
        node = whole.items[index]
        for start in (0, index, index + 1):
            expected = next((i for i in range(start, total) if whole.items[i] is node), None)
            if not isinstance(node, str):
                assert Document(root).index_of(node, start) == expected, (index, start)
        if whole.kinds[index] == ENTER:
            following = next((i for i in range(index + 1, total) if whole.items[i] is node), total)
            assert Document(root).leave_index(index) == following, index
