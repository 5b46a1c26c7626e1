"""What the catalog remembers across types, as evidence for the design review: repeated
deliveries of one event id, keys whose events arrive out of order, entities that emit
many types at once, and requests answered by replies.

Each tracker is bounded (it forgets the oldest keys and ids first) and keeps a few
examples, never every event. Each is plain data with ``to_dict``/``from_dict``, so the
evidence survives a restart in the event log.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

MAX_EXAMPLES = 20
MAX_KEYS = 50_000  # entities remembered for order and soup; the oldest half goes first
MAX_IDS = 100_000  # event ids remembered per generation for duplicate detection
MAX_PENDING_REQUESTS = 10_000


def _bump(counts: dict[str, int], name: str, n: int = 1) -> None:
    counts[name] = counts.get(name, 0) + n


def _forget_oldest(d: dict[Any, Any], limit: int) -> None:
    if len(d) > limit:
        for k in list(islice(d, len(d) - limit // 2)):
            del d[k]


@dataclass(slots=True)
class Deliveries:
    """Event ids delivered more than once, per topic and type."""

    delivered: Counter[str] = field(default_factory=Counter)  # topic -> events
    duplicates: dict[str, int] = field(default_factory=dict)  # topic -> repeats
    duplicates_by_type: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)  # event_id, type, topic
    # Event id -> the Kafka offset it was read at (None: not a Kafka record), so that the
    # same record read again (a tail run again) is not taken for a second delivery.
    _current: dict[str, int | None] = field(default_factory=dict)
    _previous: dict[str, int | None] = field(default_factory=dict)

    def repeats(self, ids: list[str], offsets: list[int | None]) -> tuple[set[str], set[str]]:
        """Of a batch's event ids: those delivered in an earlier batch, and those that
        come more than once within this one (whose first delivery is not a repeat).
        ``offsets``: where each was read (``None``: not a Kafka record); the same id at the offset
        it was first read at is the same record read again, not a repeat. Remembers the
        batch's ids. Set operations for the batch: this runs for every batch."""
        batch = set(ids)
        current, previous = self._current, self._previous
        before = (batch & current.keys()) | (batch & previous.keys()) if current else set()
        if before:
            for i, offset in zip(ids, offsets, strict=True):
                if offset is not None and i in before and current.get(i, previous.get(i)) == offset:
                    before.discard(i)
        within: set[str] = set()
        if len(batch) < len(ids):
            once: set[str] = set()
            for i in ids:
                if i in once:
                    within.add(i)
                once.add(i)
            within -= before
        current.update(zip(ids, offsets, strict=True))
        if len(current) > MAX_IDS:
            self._previous, self._current = current, {}
        return before, within

    def note(self, event_id: str, type_: str, topic: str) -> None:
        _bump(self.duplicates, topic)
        _bump(self.duplicates_by_type, type_)
        # A few examples of each type (one noisy type must not crowd out the others).
        mine = [x for x in self.examples if x["type"] == type_]
        if (
            len(mine) < MAX_EXAMPLES // 2
            and len(self.examples) < 20 * MAX_EXAMPLES
            and not any(x["event_id"] == event_id for x in mine)
        ):
            self.examples.append({"event_id": event_id, "type": type_, "topic": topic})

    def to_dict(self) -> dict[str, Any]:
        return {
            "delivered": dict(self.delivered),
            "duplicates": self.duplicates,
            "duplicates_by_type": self.duplicates_by_type,
            "examples": self.examples,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Deliveries:
        return cls(
            Counter(d.get("delivered") or {}),
            dict(d.get("duplicates") or {}),
            dict(d.get("duplicates_by_type") or {}),
            list(d.get("examples") or []),
        )


@dataclass(slots=True)
class Entities:
    """Per entity (an event's subject, else its key): the order its events arrive in,
    and how many distinct types it emits within ``soup_window`` seconds."""

    soup_window: float = 60.0
    # entity -> [last event time, last sequence number, window start, types in window]
    state: dict[str, list[Any]] = field(default_factory=dict)
    backwards: dict[str, int] = field(default_factory=dict)  # type -> arrivals going back
    backwards_examples: list[dict[str, Any]] = field(default_factory=list)
    followed_by_dead_letters: dict[str, int] = field(default_factory=dict)  # type -> n
    dead_letter_examples: list[str] = field(default_factory=list)  # dead letter ids
    soup: list[dict[str, Any]] = field(default_factory=list)  # busiest entities, most first
    _late_ids: deque[str] = field(default_factory=lambda: deque(maxlen=1000))
    _late_entities: dict[str, str] = field(default_factory=dict)  # entity -> event type

    def went_back(
        self, entity: str, type_: str, event_id: str, at: float | None, before: Any, kind: str
    ) -> None:
        _bump(self.backwards, type_)
        self._late_ids.append(event_id)
        self._late_entities[entity] = type_
        _forget_oldest(self._late_entities, 1000)
        if len(self.backwards_examples) < MAX_EXAMPLES:
            self.backwards_examples.append(
                {"event_id": event_id, "type": type_, "entity": entity, "by": kind,
                 "value": at, "previous": before}
            )  # fmt: skip

    def many_types(self, entity: str, types: set[str], at: float | None, event_id: str) -> None:
        """An entity reached a new high of distinct types in one window."""
        n = len(types)
        for row in self.soup:
            if row["entity"] == entity:
                if n > row["types_in_window"]:
                    row.update(types_in_window=n, types=sorted(types), at=at, event_id=event_id)
                break
        else:
            self.soup.append(
                {"entity": entity, "types_in_window": n, "types": sorted(types), "at": at,
                 "event_id": event_id}
            )  # fmt: skip
        self.soup.sort(key=lambda r: -int(r["types_in_window"]))
        del self.soup[10:]

    def soup_floor(self) -> int:
        """Distinct types an entity must beat to be among the remembered busiest."""
        return int(self.soup[-1]["types_in_window"]) if len(self.soup) >= 10 else 2

    def dead_letter(self, letter_id: str, event_id: str, entity: str | None, type_: str) -> None:
        """A dead letter: counted when its event, or its entity, arrived out of order."""
        late_type = self._late_entities.get(entity) if entity else None
        if event_id in self._late_ids or late_type is not None:
            _bump(self.followed_by_dead_letters, late_type or type_)
            if len(self.dead_letter_examples) < MAX_EXAMPLES:
                self.dead_letter_examples.append(letter_id)

    def trim(self) -> None:
        _forget_oldest(self.state, MAX_KEYS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "soup_window": self.soup_window,
            "backwards": self.backwards,
            "backwards_examples": self.backwards_examples,
            "followed_by_dead_letters": self.followed_by_dead_letters,
            "dead_letter_examples": self.dead_letter_examples,
            "soup": self.soup,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Entities:
        return cls(
            float(d.get("soup_window", 60.0)),
            {},
            dict(d.get("backwards") or {}),
            list(d.get("backwards_examples") or []),
            dict(d.get("followed_by_dead_letters") or {}),
            list(d.get("dead_letter_examples") or []),
            list(d.get("soup") or []),
        )


REQUEST_SUFFIXES = ("Requested", "Request")
REPLY_SUFFIXES = ("Responded", "Replied", "Response", "Reply")


def role_of(type_name: str) -> str | None:
    """``request`` or ``reply`` for a type named as one half of a request/reply pair."""
    base = type_name.rsplit(".", 1)[-1]
    if base.endswith(REQUEST_SUFFIXES):
        return "request"
    if base.endswith(REPLY_SUFFIXES):
        return "reply"
    return None


@dataclass(slots=True)
class RequestReplies:
    """Requests answered by a reply on the same correlation within ``window`` seconds."""

    window: float = 5.0
    pending: dict[str, tuple[float, str]] = field(default_factory=dict)  # corr -> (t, type)
    answered: dict[str, int] = field(default_factory=dict)  # request type -> pairs
    requests: dict[str, int] = field(default_factory=dict)  # request type -> requests
    examples: list[dict[str, Any]] = field(default_factory=list)

    def request(self, correlation: str, at: float, type_: str) -> None:
        _bump(self.requests, type_)
        self.pending[correlation] = (at, type_)
        _forget_oldest(self.pending, MAX_PENDING_REQUESTS)

    def reply(self, correlation: str, at: float, type_: str, event_id: str) -> None:
        asked = self.pending.pop(correlation, None)
        if asked is None or at - asked[0] > self.window:
            return
        _bump(self.answered, asked[1])
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(
                {"request": asked[1], "reply": type_, "correlation_id": correlation,
                 "event_id": event_id, "seconds": round(at - asked[0], 3)}
            )  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {"window": self.window, "answered": self.answered, "requests": self.requests,
                "examples": self.examples}  # fmt: skip

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RequestReplies:
        return cls(
            float(d.get("window", 5.0)),
            {},
            dict(d.get("answered") or {}),
            dict(d.get("requests") or {}),
            list(d.get("examples") or []),
        )


def merge_counts(into: dict[str, int], more: Iterable[tuple[str, int]]) -> None:
    for name, n in more:
        _bump(into, name, n)
