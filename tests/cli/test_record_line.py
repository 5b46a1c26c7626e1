"""The one-line form of a tailed record (``eventflow kafka tail`` without --json)."""

from __future__ import annotations

from monitor.cli_output import PAYLOAD_CHARS, record_line
from monitor.core.envelope import Envelope
from monitor.core.formats.schemas import NO_REGISTRY


def test_an_undecoded_record_shows_why_in_full_not_its_bytes() -> None:
    reason = f"schema id 42: {NO_REGISTRY}"
    assert len(reason) > PAYLOAD_CHARS  # so the test shows the reason is not cut
    event = Envelope(
        type="shop.orders",
        source="kafka",
        topic="shop.orders",
        partition=0,
        offset=7,
        key="o-1",
        raw=b"\x00\x00\x00\x00*\x06o-1\x02\xff",
        error=reason,
        format="undecoded",
    )
    line = record_line(event)
    assert "shop.orders[0]@7  o-1  (undecoded)  " in line
    assert line.endswith(reason)
    assert "\ufffd" not in line  # none of the body's bytes


def test_a_malformed_record_still_shows_the_start_of_its_bytes() -> None:
    event = Envelope(
        type="t", source="s", raw=b'{"broken', malformed=True, error="bad JSON", format="json"
    )
    assert record_line(event).endswith('(malformed)  {"broken')


def test_a_tombstone_says_so_beside_its_key() -> None:
    event = Envelope(type="users", source="kafka", key="u-7", data=None, format="tombstone")
    assert record_line(event).endswith("  u-7  users  (tombstone)")
