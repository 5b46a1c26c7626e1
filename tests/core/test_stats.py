"""Live statistics: per-second buckets, window length, totals, dead-letter depth series."""

from __future__ import annotations

from monitor.core.envelope import Envelope
from monitor.core.stats import LiveStats


class Clock:
    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def events(topic: str, n: int, type_: str = "T", malformed: bool = False) -> list[Envelope]:
    return [Envelope(type=type_, source="s", topic=topic, malformed=malformed) for _ in range(n)]


def test_events_are_counted_in_per_second_buckets_oldest_first() -> None:
    clock = Clock(1000.2)
    stats = LiveStats(window=5, clock=clock)
    stats.observe(events("orders", 2))
    clock.t = 1000.9
    stats.observe(events("orders", 1))  # same second as the first batch
    clock.t = 1001.5
    stats.observe(events("payments", 3))
    clock.t = 1003.1
    stats.observe(events("orders", 4))
    clock.t = 1003.6
    snap = stats.snapshot()
    # seconds 999, 1000, 1001, 1002, 1003
    assert snap.rates == {
        "orders": [0.0, 3.0, 0.0, 0.0, 4.0],
        "payments": [0.0, 0.0, 3.0, 0.0, 0.0],
    }
    assert snap.window == 5
    assert snap.now == 1003.6


def test_snapshot_window_length_and_buckets_sliding_out_of_the_window() -> None:
    clock = Clock(2000.0)
    stats = LiveStats(window=10, clock=clock)
    for second in range(2000, 2015):
        clock.t = second + 0.5
        stats.observe(events("t", second - 1999))  # 1, 2, ..., 15 events
    snap = stats.snapshot()
    assert len(snap.rates["t"]) == 10
    assert snap.rates["t"] == [float(n) for n in range(6, 16)]
    short = stats.snapshot(window=3)
    assert short.window == 3 and short.rates["t"] == [13.0, 14.0, 15.0]
    assert len(stats.snapshot(window=60).rates["t"]) == 10  # never beyond the ring
    clock.t = 2100.0  # long after: nothing in the window, totals stay
    idle = stats.snapshot()
    assert idle.rates["t"] == [0.0] * 10
    assert idle.total == sum(range(1, 16))
    assert len(stats._buckets) <= 10  # memory is fixed by the window


def test_totals_by_topic_and_type_and_malformed() -> None:
    stats = LiveStats(window=5, clock=Clock(10.0))
    stats.observe(events("orders.placed", 3, "OrderPlaced"))
    stats.observe(events("payments.ok", 2, "PaymentAuthorized"))
    stats.observe(events("orders.placed", 1, "", malformed=True))
    stats.observe([])
    snap = stats.snapshot()
    assert snap.total == 6
    assert snap.totals_by_topic == {"orders.placed": 4, "payments.ok": 2}
    assert snap.totals_by_type == {"OrderPlaced": 3, "PaymentAuthorized": 2, "": 1}
    assert snap.malformed == 1


def test_dead_letter_depth_series_follows_pending_letters_per_second() -> None:
    clock = Clock(500.1)
    stats = LiveStats(window=6, clock=clock)
    stats.dead_letters_changed(+2, new=2)  # second 500: 2 pending
    clock.t = 501.4
    stats.observe(events("t", 1))  # a second with events but no dead-letter change
    clock.t = 503.2
    stats.dead_letters_changed(+1, new=1)  # second 503: 3
    clock.t = 503.8
    stats.dead_letters_changed(-2)  # still second 503: ends at 1
    clock.t = 505.5
    snap = stats.snapshot()
    # seconds 500..505; 502 and 504 had no bucket and carry the depth forward
    assert snap.dead_letter_depth == [2.0, 2.0, 2.0, 1.0, 1.0, 1.0]
    assert snap.dead_letters_pending == 1
    assert snap.dead_letters_total == 3
    stats.dead_letters_changed(-5)  # never below zero
    assert stats.snapshot().dead_letter_depth[-1] == 0.0
    assert stats.dead_letters_pending == 0


def test_depth_from_before_the_window_is_carried_into_it() -> None:
    clock = Clock(100.0)
    stats = LiveStats(window=4, clock=clock)
    stats.dead_letters_changed(+3, new=3)
    clock.t = 110.0
    assert stats.snapshot().dead_letter_depth == [3.0, 3.0, 3.0, 3.0]


def test_letters_pending_at_start_are_the_depth_level_not_a_rise() -> None:
    clock = Clock(1000.0)
    stats = LiveStats(window=60, clock=clock)
    stats.start_with_pending(62)  # in the log before the app started
    clock.t = 1005.5
    depth = stats.snapshot().dead_letter_depth
    assert depth == [62.0] * 60  # flat: the overview flags no rise
    assert stats.snapshot().dead_letters_total == 0  # none arrived while running
    stats.dead_letters_changed(+3, new=3)  # new failures do rise
    clock.t = 1006.5
    assert stats.snapshot().dead_letter_depth[-3:] == [62.0, 65.0, 65.0]
