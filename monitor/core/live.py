"""The live buffer: the most recent events, for views that show a stream.

A fixed-size ring with a running sequence number: a reader remembers the last sequence it
saw and asks for what came after, so a view that redraws ten times a second gets each
event once, and a view that fell behind gets the newest ``capacity`` and a count of what
it missed instead of an unbounded backlog.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from itertools import islice

from monitor.core.envelope import Envelope


class LiveBuffer:
    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._ring: deque[Envelope] = deque(maxlen=capacity)
        self.seq = 0  # number of events ever added

    def extend(self, events: Sequence[Envelope]) -> None:
        self._ring.extend(events)
        self.seq += len(events)

    def since(self, seq: int) -> tuple[list[Envelope], int, int]:
        """Events added after ``seq``, oldest first; the new sequence; how many were missed."""
        new = self.seq - seq
        if new <= 0:
            return [], self.seq, 0
        take = min(new, len(self._ring))
        items = list(islice(reversed(self._ring), take))[::-1]
        return items, self.seq, new - take

    def latest(self, n: int) -> list[Envelope]:
        return list(islice(reversed(self._ring), n))[::-1]
