"""The one timestamp format newsbot writes (items' scraped_at, reports, the store)."""

from __future__ import annotations

import datetime
import re

from newsbot.clock import utc_now_iso


def test_utc_now_is_iso_to_the_second_with_a_z_and_sorts_as_time():
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    stamp = utc_now_iso()
    after = datetime.datetime.now(datetime.UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp)
    parsed = datetime.datetime.fromisoformat(stamp)
    assert before <= parsed <= after
