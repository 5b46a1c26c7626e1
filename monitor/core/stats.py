"""Live statistics: event counts and rates per topic and type, dead-letter depth.

Counts are exact and kept in the core (the UI may redraw slowly; it never loses counts).
Rates are per-second buckets in a ring of ``window`` seconds, so memory is fixed however
long the app runs.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from monitor.core.envelope import Envelope

_TYPE = attrgetter("type")


@dataclass(slots=True)
class StatsSnapshot:
    """What a view needs to draw: rates per topic over the window and the totals."""

    now: float
    window: int
    rates: dict[str, list[float]]  # topic -> events/s, oldest first, ``window`` values
    dead_letter_depth: list[float]  # pending dead letters at the end of each second
    totals_by_topic: dict[str, int] = field(default_factory=dict)
    totals_by_type: dict[str, int] = field(default_factory=dict)
    total: int = 0
    malformed: int = 0
    dead_letters_pending: int = 0
    dead_letters_total: int = 0


class LiveStats:
    """Counters and per-second rate buckets fed by the ingest pipeline."""

    def __init__(self, window: int = 300, clock: Callable[[], float] = time.time) -> None:
        self.window = window
        self._clock = clock
        self.totals_by_topic: Counter[str] = Counter()
        self.totals_by_type: Counter[str] = Counter()
        self.total = 0
        self.malformed = 0
        self.dead_letters_pending = 0
        self.dead_letters_total = 0
        # (second, counts per topic, pending dead letters at the end of that second)
        self._buckets: deque[tuple[int, Counter[str], int]] = deque(maxlen=window)
        self._depth_before = 0  # the depth shown for seconds before the first bucket

    def _bucket(self, second: int) -> Counter[str]:
        if not self._buckets or self._buckets[-1][0] != second:
            self._buckets.append((second, Counter(), self.dead_letters_pending))
        return self._buckets[-1][1]

    def observe(self, events: Sequence[Envelope]) -> None:
        """Count a batch of events, bucketed by the time they were observed."""
        bucket = self._bucket(int(self._clock()))
        # Counted per batch with C-level Counter updates: this runs for every event.
        topics = Counter(e.topic or "" for e in events)
        bucket.update(topics)
        self.totals_by_topic.update(topics)
        self.totals_by_type.update(map(_TYPE, events))
        self.malformed += sum(1 for e in events if e.malformed)
        self.total += len(events)

    def start_with_pending(self, pending: int) -> None:
        """The pending dead letters already in the log when the app starts: the depth's
        level from the start, not a rise from zero a view would flag as new failures."""
        self.dead_letters_pending = max(0, pending)
        self._depth_before = self.dead_letters_pending

    def dead_letters_changed(self, pending_delta: int, new: int = 0) -> None:
        """Track dead-letter depth: ``new`` letters arrived, pending moved by the delta."""
        self.dead_letters_total += new
        self.dead_letters_pending = max(0, self.dead_letters_pending + pending_delta)
        second = int(self._clock())
        self._bucket(second)
        s, counts, _ = self._buckets[-1]
        self._buckets[-1] = (s, counts, self.dead_letters_pending)

    def snapshot(self, window: int | None = None) -> StatsSnapshot:
        """Rates for the last ``window`` complete-or-current seconds, oldest first."""
        window = min(window or self.window, self.window)
        now = self._clock()
        last = int(now)
        first = last - window + 1
        rates = {t: [0.0] * window for t in self.totals_by_topic}
        depth = [0.0] * window
        pending = self._depth_before  # depth carried forward through seconds with no bucket
        for second, counts, end_depth in self._buckets:
            if second < first:
                pending = end_depth
                continue
            i = second - first
            if i >= window:
                break
            for topic, n in counts.items():
                rates[topic][i] = float(n)
            depth[i] = float(end_depth)
        # Fill the seconds that had no bucket with the depth carried from before.
        known = {s - first for s, _, _ in self._buckets if first <= s <= last}
        for i in range(window):
            if i in known:
                pending = int(depth[i])
            else:
                depth[i] = float(pending)
        depth[-1] = float(self.dead_letters_pending)
        return StatsSnapshot(
            now=now,
            window=window,
            rates=rates,
            dead_letter_depth=depth,
            totals_by_topic=dict(self.totals_by_topic),
            totals_by_type=dict(self.totals_by_type),
            total=self.total,
            malformed=self.malformed,
            dead_letters_pending=self.dead_letters_pending,
            dead_letters_total=self.dead_letters_total,
        )
