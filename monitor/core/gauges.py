"""Sampled values over time: consumer lag per group, dead-letter depth per topic.

Counters (events per topic) are counted as events pass; gauges are read from outside
(a broker's offsets) every few seconds. :class:`GaugeHistory` keeps the last ``maxlen``
samples of each series, so a chart can draw lag over time and memory stays fixed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class GaugeHistory:
    def __init__(self, maxlen: int = 720, clock: Callable[[], float] = time.time) -> None:
        self.maxlen = maxlen
        self._clock = clock
        self._series: dict[str, deque[tuple[float, float]]] = {}

    def record(self, name: str, value: float, at: float | None = None) -> None:
        series = self._series.get(name)
        if series is None:
            series = self._series[name] = deque(maxlen=self.maxlen)
        series.append((self._clock() if at is None else at, float(value)))

    def names(self) -> list[str]:
        return sorted(self._series)

    def latest(self) -> dict[str, float]:
        return {name: s[-1][1] for name, s in self._series.items() if s}

    def series(self, name: str, since: float | None = None) -> list[tuple[float, float]]:
        """(time, value) samples of one series, oldest first, optionally only after ``since``."""
        samples = self._series.get(name, ())
        return [s for s in samples if since is None or s[0] >= since]

    def snapshot(self, since: float | None = None) -> dict[str, list[tuple[float, float]]]:
        return {name: self.series(name, since) for name in self._series}
