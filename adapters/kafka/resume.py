"""Where a tail reads on when a partition is not what it was.

The tail resumes each partition at the offset after the last record it handed on, and
trusts no reported end offset to say otherwise: the test broker answers stale end offsets
after a reconnect (1 for a partition already read to 167), and a tail that took that for
a truncation read whole partitions twice into the log. What decides is the fetch:

- an out-of-range answer to a fetch at the tail's position (:func:`after_out_of_range`):
  the broker's first and last offsets, asked right then, say whether records were deleted
  before the tail read them (retention: how many is known) or the partition now ends
  before the position (recreated or truncated: its records are new ones, read from its
  beginning; what was lost is unknown);
- for a broker that answers such a fetch with nothing rather than out-of-range (the test
  broker does), an end offset below the position makes the tail look: it fetches the last
  record it read (:class:`LastRead`). The same record still there means nothing changed;
  gone or different means the partition was recreated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Resume:
    """Read on at ``offset``; ``lost`` records (None: unknown) are gone, for ``reason``."""

    offset: int
    lost: int | None
    reason: str


def after_out_of_range(position: int, begin: int, end: int) -> Resume | None:
    """Where to read on after a fetch at ``position`` was out of range, the partition now
    holding offsets ``begin`` to ``end`` (exclusive). None when those offsets contain the
    position: the answers disagree, and the fetch is asked again."""
    if begin > position:
        return Resume(
            begin,
            begin - position,
            "the broker deleted them (retention) before the tail read them.",
        )
    if position > end:
        return Resume(
            begin,
            None,
            f"the partition now ends at offset {end}, before the tail's position {position}:"
            " it was recreated or truncated, and its records are read from its beginning.",
        )
    return None


@dataclass(frozen=True, slots=True)
class LastRead:
    """What identifies the last record handed on from a partition, to know it again."""

    offset: int
    timestamp: int
    key_hash: int
    value_hash: int

    @classmethod
    def of(cls, record: Any) -> LastRead:
        """From an aiokafka ``ConsumerRecord``."""
        return cls(record.offset, record.timestamp, hash(record.key), hash(record.value))

    def is_record(self, record: Any | None) -> bool:
        """Whether ``record`` (the first one fetched at :attr:`offset`) is this one."""
        return record is not None and LastRead.of(record) == self
