"""The article header: section label, headline, byline and dateline, the part above the body.

Functions here read a region of the page's one parse (a `Document` index range) and take the
layout's markers as arguments, so that a layout class can call them with its own markers or replace
one of them for a template that changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

from newsbot.parsing.byline import is_byline, split_glued_dateline
from newsbot.parsing.dateline import Dateline, parse_dateline
from newsbot.parsing.events import END, TEXT, Document, element_text, in_noise
from newsbot.parsing.text import clean_text
from newsbot.parsing.tree import has_class

# How much text past the headline is the header when no body start marker bounds it, and how much
# before the body start marker when there is no headline (characters of text).
HEADER_REACH = 2000


@dataclass
class Header:
    section: str | None = None
    title: str | None = None
    byline: str | None = None
    dateline: Dateline | None = None
    notes: list[str] = field(default_factory=list)


def header_region(doc: Document, headline: int | None, body_start: int | None) -> range | None:
    """The events between the headline (entered at index `headline`) and the body start marker;
    bounded by HEADER_REACH of text where one of the two is missing; None when both are."""
    if headline is not None:
        start = doc.leave_index(headline) + 1
        if body_start is not None and body_start >= start:
            return range(start, body_start)
        return range(start, _text_reach_forward(doc, start))
    if body_start is not None:
        return range(_text_reach_backward(doc, body_start), body_start)
    return None


def _text_reach_forward(doc: Document, start: int) -> int:
    seen = 0
    for index, kind, item in doc.visible(start, END):
        if kind == TEXT:
            seen += len(item)
            if seen > HEADER_REACH:
                return index
    return doc.end()


def _text_reach_backward(doc: Document, end: int) -> int:
    seen = 0
    kinds, items = doc.kinds, doc.items
    for index in range(end - 1, -1, -1):
        if kinds[index] == TEXT:
            seen += len(items[index])
            if seen > HEADER_REACH:
                return index + 1
    return 0


def parse_header(
    doc: Document,
    headline: int | None,
    body_start: int | None,
    *,
    dateline_class: str,
    section_class: str,
) -> Header:
    """Section label, headline, byline and dateline: the part of the page above the body."""
    header = Header()
    region = header_region(doc, headline, body_start)
    if region is None:
        return header
    if headline is not None:
        # The region starts right after the headline's end (header_region).
        title = doc.blocks(headline + 1, region.start - 1, split_on_br=True)
        header.title = " ".join(title) or None
        header.section = section_label(doc, headline, section_class)
    else:
        header.notes.append("title: no <h1>")
    items = doc.items
    spans = [
        clean_text(doc.inner_text(index, region.stop))
        for index in doc.entered(region.start, region.stop, "span")
        if has_class(items[index], dateline_class)
    ]

    read: list[list[str]] = []

    def lines() -> list[str]:
        # Read once, and only when asked (a functools.cache made on every page cost more).
        if not read:
            read.append(doc.blocks(region.start, region.stop, split_on_br=True))
        return read[0]

    read_header_lines(header, spans, lines, dateline_class)
    return header


def read_header_lines(
    header: Header, spans: list[str], lines: Callable[[], list[str]], dateline_class: str
) -> None:
    """Byline and dateline from the dateline-class spans, else from the header's lines of text
    (read only then: most pages have both spans)."""
    for text in spans:
        if header.dateline is None and not is_byline(text):
            header.dateline = parse_dateline(text)
    for text in spans:
        if header.byline is None and is_byline(text):
            header.byline, glued = split_glued_dateline(text)
            if glued is not None and header.dateline is None:
                header.dateline = glued
                header.notes.append("dateline: glued to the byline, split off")
    if header.dateline is None:
        for text in lines():
            byline, glued = split_glued_dateline(text) if is_byline(text) else (text, None)
            candidate = glued or (None if is_byline(text) else parse_dateline(text))
            if candidate is not None:
                header.dateline = candidate
                if glued is not None and header.byline is None:
                    header.byline = byline
                header.notes.append(f"dateline: no span.{dateline_class} dateline, found by text pattern")
                break
    if header.byline is None:
        for text in lines():
            if is_byline(text):
                header.byline, _ = split_glued_dateline(text)
                header.notes.append(f"byline: no span.{dateline_class} byline, found by text pattern")
                break


def section_label(doc: Document, headline: int, section_class: str) -> str | None:
    """The last non-empty section-class label before the headline (entered at `headline`).

    The elements before the headline are read nearest first (its ancestors left out): the label
    sits right above it, so the walk is short, and the events never hold it. (Written out: a
    generator of the elements and a has_class call for each cost a third of this.)"""
    fragment = section_class.lower()
    node: etree._Element | None = doc.items[headline]
    while node is not None:
        for sibling in node.itersiblings(preceding=True):
            if len(sibling):
                candidates = list(sibling.iter(etree.Element))
                candidates.reverse()
            elif isinstance(sibling.tag, str):
                candidates = [sibling]
            else:
                continue
            for element in candidates:
                value = element.get("class")
                # has_class(element, section_class)
                if (fragment in value.lower() if value else not fragment) and not in_noise(element):
                    label = clean_text(element_text(element))
                    if label:
                        return label
        node = node.getparent()
    return None
