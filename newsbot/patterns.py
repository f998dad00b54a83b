"""Regular expressions combined: one scan where a set of patterns would take one each."""

from __future__ import annotations

import re
from collections.abc import Sequence


def any_of(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One pattern, `(?:p1)|(?:p2)|...`, that matches at a position exactly where one of `patterns`
    matches there; None when they do not combine so: none given, a bytes pattern, different flags,
    a group (a backreference would be renumbered, a group name repeated) or an inline global flag
    past the start (a compile error)."""
    if not patterns:
        return None
    flags = patterns[0].flags
    if any(not isinstance(p.pattern, str) or p.flags != flags or p.groups for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns), flags)
    except re.error:
        return None
