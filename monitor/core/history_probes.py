"""Where sampled values come from: a probe is called once per sample and returns
``{series name: value}``.

:class:`LiveStatsProbe` turns the pipeline's exact counters into rates over the time
since the previous sample (so nothing between two samples is missed, however fast the
events come) and reads the pending dead letters. :class:`GaugeProbe` reads the latest
values a cluster sampler recorded (lag, lag in seconds, dead-letter topic depth), only
while they are fresh: a cluster that stopped answering leaves a gap, not a flat line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from monitor.core.envelope import Envelope
from monitor.core.gauges import GaugeHistory
from monitor.core.stats import LiveStats

Probe = Callable[[float], dict[str, float]]
_RAW = attrgetter("raw")


class UndecodedCounter:
    """A pipeline observer counting undecoded events: records kept as bytes until their
    schema can be had (no registry configured, a 404, the registry down)."""

    name = "undecoded events"

    def __init__(self) -> None:
        self.count = 0  # undecoded as they arrived (the rate of which is sampled)
        # Decoded later, once their schema could be had (monitor.core.redecode).
        self.resolved = 0

    @property
    def pending(self) -> int:
        """Undecoded events not decoded since."""
        return max(0, self.count - self.resolved)

    def observe(self, events: Sequence[Envelope]) -> None:
        # Every event passes here, and almost none keeps its raw bytes: count those in C
        # (map, list.count) and look closer only when there are some.
        kept = len(events) - list(map(_RAW, events)).count(None)
        if kept:
            self.count += sum(1 for e in events if e.undecoded)


MIN_RATE_SPAN = 1.0  # seconds between two samples, at least, for a rate between them


class LiveStatsProbe:
    """Rates per topic, in all, of malformed and undecoded events; dead letters pending.
    Add ``undecoded`` to the pipeline's observers for the undecoded rate.

    A rate is measured since the previous sample; a sample taken very soon after the
    previous one (the last sample a run takes as it ends, just after a regular one) is
    measured since the sample before, as a rate over a few milliseconds is noise. A run
    shorter than a second (``dlq replay`` of three letters) has no sample before: its
    events are taken over a whole second, not shown as a peak of hundreds a second."""

    def __init__(self, stats: LiveStats, undecoded: UndecodedCounter | None = None) -> None:
        self.stats = stats
        self.undecoded = undecoded if undecoded is not None else UndecodedCounter()
        self._last: _Counts | None = None
        self._before: _Counts | None = None

    def __call__(self, at: float) -> dict[str, float]:
        s = self.stats
        values: dict[str, float] = {"dead_letters.pending": float(s.dead_letters_pending)}
        now = _Counts(at, dict(s.totals_by_topic), s.total, s.malformed, self.undecoded.count)
        base = self._last
        if base is not None and at - base.at < MIN_RATE_SPAN and self._before is not None:
            base = self._before
        else:
            self._before = self._last
        if base is not None and at > base.at:
            dt = max(at - base.at, MIN_RATE_SPAN)
            for topic, n in now.topics.items():
                values[f"topic.{topic or '(none)'}.rate"] = (n - base.topics.get(topic, 0)) / dt
            values["events.rate"] = (now.total - base.total) / dt
            values["events.malformed.rate"] = (now.malformed - base.malformed) / dt
            values["events.undecoded.rate"] = (now.undecoded - base.undecoded) / dt
        self._last = now
        return values


@dataclass(frozen=True, slots=True)
class _Counts:
    at: float
    topics: dict[str, int]
    total: int
    malformed: int
    undecoded: int


class GaugeProbe:
    """The latest value of each gauge, named ``prefix + gauge + suffix``, when it was
    recorded in the last ``fresh`` seconds."""

    def __init__(self, gauges: GaugeHistory, prefix: str, suffix: str, fresh: float) -> None:
        self.gauges = gauges
        self.prefix = prefix
        self.suffix = suffix
        self.fresh = fresh

    def __call__(self, at: float) -> dict[str, float]:
        out = {}
        for name in self.gauges.names():
            samples = self.gauges.series(name, since=at - self.fresh)
            if samples:
                out[f"{self.prefix}{name}{self.suffix}"] = samples[-1][1]
        return out


def cluster_probes(
    lag: GaugeHistory,
    lag_seconds: GaugeHistory,
    dead_letter_depth: GaugeHistory,
    *,
    fresh: float,
    total_dead_letters: bool,
) -> list[Probe]:
    """Probes over a cluster sampler's gauges: ``group.<g>.lag``, ``group.<g>.lag_seconds``,
    ``dead_letters.<topic>.pending``, and with ``total_dead_letters`` (a host with no log
    of its own to count them, such as ``eventflow watch``) their sum as
    ``dead_letters.pending``."""
    per_topic = GaugeProbe(dead_letter_depth, "dead_letters.", ".pending", fresh)
    probes: list[Probe] = [
        GaugeProbe(lag, "group.", ".lag", fresh),
        GaugeProbe(lag_seconds, "group.", ".lag_seconds", fresh),
        per_topic,
    ]
    if total_dead_letters:

        def total(at: float) -> dict[str, float]:
            depths = per_topic(at)
            return {"dead_letters.pending": sum(depths.values())} if depths else {}

        probes.append(total)
    return probes
