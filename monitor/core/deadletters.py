"""Dead letters: events a handler could not process after its last attempt.

A :class:`DeadLetter` keeps the event as it was, who failed on it, why, and what has been
done with it since. Its status moves from ``pending`` to ``replayed`` or ``discarded``;
every replay or discard is kept as a :class:`DeadLetterAction` in the log's audit trail.
"""

from __future__ import annotations

import contextlib
import re
import traceback
from dataclasses import dataclass, field
from typing import Any, Literal

from monitor.core.envelope import Envelope, format_time, new_event_id, now
from monitor.core.raw_record import REPLAY_COUNT_HEADER, REPLAY_HEADER, RawRecord

Status = Literal["pending", "replayed", "discarded"]
STATUSES: tuple[Status, ...] = ("pending", "replayed", "discarded")

__all__ = [
    "REPLAY_COUNT_HEADER",
    "REPLAY_HEADER",
    "STATUSES",
    "DeadLetter",
    "DeadLetterAction",
    "Status",
]

BUS_ORIGIN = "bus"


@dataclass(slots=True)
class DeadLetter:
    """An event that could not be processed, with the reason and its history."""

    event: Envelope
    reason: str
    original_topic: str | None
    handler: str | None = None
    traceback: str | None = None
    attempts: int = 1
    id: str = field(default_factory=new_event_id)
    created_at: float = field(default_factory=now)
    status: Status = "pending"
    replay_count: int = 0
    # The failure's shape, for grouping: exception class plus the message with its
    # numbers and ids blanked out, so a thousand "order 123 not found" make one group.
    reason_group: str = ""
    # Where the letter came from, and so where a replay goes by default: "bus" (the
    # embedded bus) or "kafka:<bootstrap servers>" ("kafka" alone when the cluster is
    # unknown, as in logs written before origins were kept).
    origin: str = BUS_ORIGIN
    # The record as it came, for a letter read from a broker: a replay sends these bytes.
    record: RawRecord | None = None
    # The letter this one was replayed from, when a replay failed again (the event
    # carried the replay marker); set from the event's headers when not given.
    replayed_from: str | None = None
    # The newer letter this one became when its replay failed again.
    failed_again_as: str | None = None

    def __post_init__(self) -> None:
        if not self.reason_group:
            self.reason_group = reason_shape(self.reason)
        if self.replayed_from is None:
            self.replayed_from = self.event.headers.get(REPLAY_HEADER) or None

    @property
    def next_replay_count(self) -> int:
        """What the next replay's count header says: how many times the record has been
        replayed with it. A letter filed again after a replay carries the earlier count
        in its event's headers, so the count goes on across the letters of one record."""
        before = 0
        if self.replayed_from is not None:
            with contextlib.suppress(ValueError):
                before = max(0, int(self.event.headers.get(REPLAY_COUNT_HEADER) or 0))
        return before + self.replay_count + 1

    @property
    def kafka_cluster(self) -> str | None:
        """The bootstrap servers of the cluster a Kafka letter came from ("" when
        unknown), ``None`` for a letter from the embedded bus."""
        if self.origin == "kafka" or self.origin.startswith("kafka:"):
            return self.origin[6:]
        return None

    @property
    def origin_label(self) -> str:
        cluster = self.kafka_cluster
        if cluster is None:
            return "the embedded bus"
        return f"Kafka ({cluster})" if cluster else "Kafka"

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` output shape of a dead letter."""
        return {
            "id": self.id,
            "status": self.status,
            "reason": self.reason,
            "reason_group": self.reason_group,
            "handler": self.handler,
            "attempts": self.attempts,
            "original_topic": self.original_topic,
            "created_at": format_time(self.created_at),
            "replay_count": self.replay_count,
            "origin": self.origin,
            "replayed_from": self.replayed_from,
            "failed_again_as": self.failed_again_as,
            "traceback": self.traceback,
            "event": self.event.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class DeadLetterAction:
    """One replay, discard or edit of a dead letter: when, where to, and how it went (for
    an edit: what changed). "failed again" is recorded on a replayed letter when its
    replay became a new dead letter (``target`` is the new letter's id)."""

    dead_letter_id: str
    action: Literal["replay", "discard", "edit", "failed again"]
    at: float
    target: str | None
    result: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "dead_letter_id": self.dead_letter_id,
            "action": self.action,
            "at": format_time(self.at),
            "target": self.target,
            "result": self.result,
        }


def describe_exception(exc: BaseException) -> tuple[str, str]:
    """(reason, traceback text) for a handler's exception."""
    reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return reason, tb


_VARIABLE_PARTS = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"  # uuids
    r"|0x[0-9a-fA-F]+"  # hex numbers
    r"|\d+(?:\.\d+)?"  # numbers
    r"|'[^']*'|\"[^\"]*\""  # quoted values
)


def reason_shape(reason: str) -> str:
    """The reason with ids, numbers and quoted values replaced by ``…``, for grouping."""
    return _VARIABLE_PARTS.sub("…", reason)[:300]
