"""Which Kafka records a log already holds, so a tail read again into it logs none twice.

A tail started from the beginning (or an offset, or a time) into a log that already has
some of those records would log them again: the same event twice in every count, chain
and search. :class:`LoggedOffsets` knows, per partition, the offsets the log holds, as
runs of consecutive offsets (a tail logs a partition in order, so a log holds few runs),
and takes those records out of what goes to the log. The tail still reads them, shows
them and counts them: only the log is spared.

Runs are kept in two ``array('q')`` per partition (8 bytes a bound): a compacted topic,
whose offsets have holes, costs a run per record at worst, 16 bytes each.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable

from monitor.core.envelope import Envelope

Partition = tuple[str, int]


class LoggedOffsets:
    """A filter for the batches a pipeline logs: drops the Kafka records whose
    (topic, partition, offset) the log already holds. Counts them in :attr:`skipped`."""

    def __init__(self, runs: Iterable[tuple[str, int, int, int]]) -> None:
        """``runs``: ``(topic, partition, first offset, last offset)``, in offset order
        within each partition (as :meth:`EventLog.kafka_offset_runs` gives them)."""
        self._starts: dict[Partition, array[int]] = {}
        self._ends: dict[Partition, array[int]] = {}
        for topic, partition, first, last in runs:
            key = (topic, partition)
            if key not in self._starts:
                self._starts[key], self._ends[key] = array("q"), array("q")
            self._starts[key].append(first)
            self._ends[key].append(last)
        self.skipped = 0

    def take_from(self, newer: LoggedOffsets) -> None:
        """Know the partitions ``newer`` knows as it knows them (a later look at the log,
        for another tail); keep the others."""
        self._starts.update(newer._starts)
        self._ends.update(newer._ends)

    def __bool__(self) -> bool:
        return bool(self._starts)

    def holds(self, topic: str | None, partition: int | None, offset: int | None) -> bool:
        """Whether the log holds this record."""
        if topic is None or partition is None or offset is None:
            return False
        starts = self._starts.get((topic, partition))
        if starts is None:
            return False
        i = bisect_right(starts, offset) - 1
        return i >= 0 and offset <= self._ends[(topic, partition)][i]

    def __call__(self, batch: list[Envelope]) -> list[Envelope]:
        """The events of ``batch`` the log does not hold yet."""
        holds = self.holds
        kept = [e for e in batch if not holds(e.topic, e.partition, e.offset)]
        self.skipped += len(batch) - len(kept)
        return kept
