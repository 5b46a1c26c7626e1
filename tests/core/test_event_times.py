"""Event times: RFC 3339 text <-> epoch seconds."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from monitor.core import envelope
from monitor.core.envelope import format_time, parse_time


def reference(text: str) -> float | None:
    """What datetime's own parser makes of ``text`` (the general path, no cache)."""
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=UTC)).timestamp()


def test_utc_times_parse_bit_for_bit_as_datetime_does_whether_cached_or_not() -> None:
    envelope._minute_starts.clear()
    rng = random.Random(5)
    for _ in range(20_000):
        dt = datetime.fromtimestamp(rng.uniform(-2e9, 4e9), tz=UTC)
        for spec in ("seconds", "milliseconds", "microseconds"):
            text = dt.isoformat(timespec=spec).replace("+00:00", "Z")
            first = parse_time(text)  # fills the minute cache
            again = parse_time(text)  # served from it
            assert first == again == reference(text), text
    assert envelope._minute_starts, "the cache was never used"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-27T01:02:60Z",  # no leap seconds in datetime
        "2026-11-27T01:02:0aZ",
        "2026-11-27T01:02:03.1e3Z",
        "2026-11-27T01:02:03.-12Z",
        "2026-11-27T01:02:03.+12Z",
        "2026-11-27T01:02:03.1_2Z",
        "2026-11-27T01:02: 3.123Z",
        "2026-11-27T01:02:03.\u0661\u0662\u0663Z",  # Arabic-Indic digits
        "2026-11-27T01:02:03,123Z",
        "2026-11-27T01:02:03.12Z",
        "2026-11-27T01:02:03.123+02:00",
        "2026-11-27 01:02:03.123Z",
    ],
)
def test_odd_texts_in_a_cached_minute_parse_as_datetime_does(text: str) -> None:
    parse_time("2026-11-27T01:02:00Z")
    parse_time("2026-11-27 01:02:00Z")
    assert parse_time(text) == reference(text)


def test_not_a_time_is_none() -> None:
    for text in ("", "yesterday", "2026-13-01T00:00:00Z", "x" * 100, None):
        assert parse_time(text) is None


def test_format_then_parse_keeps_the_millisecond() -> None:
    t = 1_795_741_323.456
    text = format_time(t)
    assert text == "2026-11-27T01:02:03.456Z"
    assert parse_time(text) == pytest.approx(t, abs=1e-6)
