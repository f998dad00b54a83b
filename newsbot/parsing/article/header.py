"""The article header: section label, headline, byline and dateline, the part above the body.

Functions here take the layout's markers as arguments (class names, patterns), so that a layout
class can call them with its own markers or replace one of them for a template that changed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from newsbot.parsing.byline import is_byline, split_glued_dateline
from newsbot.parsing.dateline import Dateline, parse_dateline
from newsbot.parsing.text import clean_text
from newsbot.parsing.tree import drop_noise, has_class, html_text, parse_fragment, text_blocks

# How far past the headline the header is looked for when no body start marker bounds it.
HEADER_REACH = 2000
# How far above the headline the section label is looked for.
SECTION_REACH = 3000


@dataclass(frozen=True)
class Headline:
    """Where the headline element is in the page: its whole extent and its content."""

    start: int
    end: int
    inner_start: int
    inner_end: int


@dataclass
class Header:
    section: str | None = None
    title: str | None = None
    byline: str | None = None
    dateline: Dateline | None = None
    notes: list[str] = field(default_factory=list)


def find_headline(scan: str, opening: re.Pattern[str], closing: re.Pattern[str]) -> Headline | None:
    """The first headline and its content, searched in the masked page (see mask_opaque).

    Two searches, not one `<h1>(.*?)</h1>`: that is quadratic when many `<h1>` are never closed, as it
    runs to the end of the page from each of them.
    """
    start = opening.search(scan)
    end = closing.search(scan, start.end()) if start else None
    if start is None or end is None:
        return None
    return Headline(start.start(), end.end(), start.end(), end.start())


def parse_header(
    html: str,
    h1: Headline | None,
    body_start: re.Match[str] | None,
    *,
    dateline_class: str,
    section_class: str,
) -> Header:
    """Section label, headline, byline and dateline: the part of the page above the body."""
    header = Header()
    if h1 is not None:
        header.title = html_text(html[h1.inner_start : h1.inner_end]) or None
        header.section = section_label(html[: h1.start], section_class)
        after_h1 = body_start is not None and body_start.start() >= h1.end
        end = body_start.start() if after_h1 else min(len(html), h1.end + HEADER_REACH)
        region = html[h1.end : end]
    elif body_start is not None:
        header.notes.append("title: no <h1>")
        region = html[max(0, body_start.start() - HEADER_REACH) : body_start.start()]
    else:
        return header

    root = parse_fragment(f"<div>{region}</div>")
    drop_noise(root)
    spans = [clean_text(e.text_content()) for e in root.iter("span") if has_class(e, dateline_class)]
    lines = list(text_blocks(root, split_on_br=True))
    read_header_lines(header, spans, lines, dateline_class)
    return header


def read_header_lines(header: Header, spans: list[str], lines: list[str], dateline_class: str) -> None:
    """Byline and dateline from the dateline-class spans, else from the header's lines of text."""
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
        for text in lines:
            byline, glued = split_glued_dateline(text) if is_byline(text) else (text, None)
            candidate = glued or (None if is_byline(text) else parse_dateline(text))
            if candidate is not None:
                header.dateline = candidate
                if glued is not None and header.byline is None:
                    header.byline = byline
                header.notes.append(f"dateline: no span.{dateline_class} dateline, found by text pattern")
                break
    if header.byline is None:
        for text in lines:
            if is_byline(text):
                header.byline, _ = split_glued_dateline(text)
                header.notes.append(f"byline: no span.{dateline_class} byline, found by text pattern")
                break


def section_label(above_h1: str, section_class: str) -> str | None:
    """The last section-class label above the headline."""
    root = parse_fragment(f"<div>{above_h1[-SECTION_REACH:]}</div>")
    drop_noise(root)
    labels = [clean_text(e.text_content()) for e in root.iter() if has_class(e, section_class)]
    labels = [label for label in labels if label]
    return labels[-1] if labels else None
