"""The event catalog: every event type seen, learned from the events themselves.

:class:`Catalog` is a pipeline observer (``observe(batch)``), fed live by the embedded
bus and Kafka tails, or from the event log (:mod:`monitor.core.catalog.store`). For each
type it keeps an :class:`~monitor.core.catalog.entry.EventTypeEntry`; across types it
keeps the evidence the design review reads (:mod:`monitor.core.catalog.evidence`).

Cost: :meth:`observe` runs for every batch on the event loop. Every event is counted
(per type, at C speed); up to ``detail_per_second`` events a second are analysed in full
(one pass of attribute reads, the payload's shape as two tuples built at C speed, a few
dictionary lookups), and a faster stream has the events of an even share of its entities
analysed (a stream of thousands a second, in one second of :data:`DUTY_SECONDS`, with
their budget), so a full-speed tail is barely slowed. What costs more happens only when
something is new: a shape seen for the first time (its examples and drift), a repeated
id, a key going backwards. A payload's size in bytes is measured for one analysed event
in :data:`SIZE_SAMPLE` and for the first event of each shape.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from monitor.core.catalog.entry import EventTypeEntry
from monitor.core.catalog.evidence import Deliveries, Entities, RequestReplies, role_of
from monitor.core.catalog.observed import ObservedEvent
from monitor.core.catalog.shapes import NOT_AN_OBJECT, ShapeKey
from monitor.core.catalog.versions import (
    UNVERSIONED,
    attribute_version,
    registry_version,
    sequence_field,
    version_field,
)
from monitor.core.deadletters import REPLAY_HEADER, DeadLetter

SIZE_SAMPLE = 64
DUTY_SECONDS = 4  # a stream faster than this many seconds' budget is analysed 1 s in 4
_PRODUCER_HEADERS = ("x-producer", "producer", "x-source", "client-id")
REPLY_TO_HEADERS = ("reply-to", "replyTo", "reply_to", "kafka_replyTopic", "x-reply-to")
_TYPE = attrgetter("type")
_ID = attrgetter("id")


@dataclass(slots=True)
class _Roles:
    """Which payload fields of a shape carry the version and the sequence number."""

    version: str | None
    sequence: str | None


class Catalog:
    """Event types and design evidence, learned from batches of events.

    ``consumers_of``: asked for a topic's consumers when the catalog is read (the bus's
    handlers, say); the names found are remembered. ``clock`` gives the observing time
    the rate is measured in.
    """

    def __init__(
        self,
        *,
        consumers_of: Callable[[str], Iterable[str]] | None = None,
        soup_window: float = 60.0,
        request_reply_window: float = 5.0,
        clock: Callable[[], float] = time.time,
        detail_per_second: int = 1_000,
        type_totals: Mapping[str, int] | None = None,
    ) -> None:
        self.entries: dict[str, EventTypeEntry] = {}
        self.deliveries = Deliveries()
        self.entities = Entities(soup_window)
        self.requests = RequestReplies(request_reply_window)
        self.consumers_of = consumers_of
        self.consumers_by_topic: dict[str, set[str]] = {}
        self.total = 0
        self.clock = clock
        # When this catalog saw its first batch: a rate is measured over no longer.
        self.watching_since: float | None = None
        self._roles: dict[ShapeKey, _Roles] = {}
        self._roles_of_types: dict[str, str | None] = {}
        self._until_sized = 1
        self.detail_per_second = detail_per_second
        # Per-type totals another observer already keeps (the pipeline's live stats, which
        # see each batch first): the catalog counts from their growth instead of passing
        # over every event of the batch once more.
        self.type_totals = type_totals
        self._totals_seen: dict[str, int] = dict(type_totals or {})
        self._second = 0
        self._seen_this_second = 0
        self._last_second_seen = 0
        self._analysed_this_second = 0

    # -- observing --------------------------------------------------------------------

    def entry(self, type_: str) -> EventTypeEntry:
        entry = self.entries.get(type_)
        if entry is None:
            entry = self.entries[type_] = EventTypeEntry(type_)
        return entry

    def observe(self, events: Sequence[ObservedEvent]) -> None:
        """Learn from a batch of events (the pipeline's observer contract).

        Every event is counted; up to ``detail_per_second`` events a second are also
        analysed in full (shape, version, fields, order, repeats); beyond that, the events
        of an even sample of the entities are, so a fast tail is not slowed down."""
        if not events:
            return
        n = len(events)
        self.total += n
        clock = self.clock()
        if self.watching_since is None:
            self.watching_since = clock
        second = int(clock)
        entries = self.entries
        for type_, count in self._batch_counts(events):
            entry = entries.get(type_)
            if entry is None:
                entry = self.entry(type_)
            entry.count += count
            entry.counted(second, count)
        if second != self._second:
            self._last_second_seen, self._seen_this_second = self._seen_this_second, 0
            self._second, self._analysed_this_second = second, 0
        self._seen_this_second += n
        # The stride comes from the rate (the last second's, or this one's once it is
        # more), so a fast stream is sampled evenly across each second, not analysed in
        # full until the second's budget is spent and then skipped.
        expected = max(self._last_second_seen, self._seen_this_second)
        budget = max(1, self.detail_per_second)
        if expected > budget * DUTY_SECONDS:
            # A fast stream (thousands a second) is analysed one second in DUTY_SECONDS,
            # with that many seconds' budget: as many events analysed, but the entity
            # pick below (a step over every event of the batch, most of the catalog's
            # cost in a full-speed tail) runs in those seconds only.
            if second % DUTY_SECONDS:
                return
            budget *= DUTY_SECONDS
        if expected > budget or self._analysed_this_second + n > budget:
            stride = _power_of_two(-(-expected // budget))
            if self._analysed_this_second >= budget:  # spent (a first, fast second): a trickle
                stride = max(stride, _power_of_two(-(-n // max(1, budget // 10))))
            # One entity in ``stride`` is analysed (by its subject, key, or id), a different
            # share each second: all of a sampled entity's events are seen together, so
            # a repeated delivery or a key going backwards is caught in the sample too.
            # Strides are powers of two and the pick the second modulo the stride, so a
            # stride grown within a second picks a part of the entities picked before.
            pick = second % stride
            events = [e for e in events if hash(e.subject or e.key or e.id) % stride == pick]
        self._analysed_this_second += len(events)
        if events:
            self.analyse(events)

    def _batch_counts(self, events: Sequence[ObservedEvent]) -> Iterable[tuple[str, int]]:
        totals = self.type_totals
        if totals is None or sum(totals.values()) - sum(self._totals_seen.values()) != len(
            events
        ):  # no totals kept elsewhere, or they did not see this very batch: count it
            if totals is not None:
                self._totals_seen = dict(totals)
            return Counter(map(_TYPE, events)).items()
        seen = self._totals_seen
        grown = [(t, n - seen.get(t, 0)) for t, n in totals.items() if n != seen.get(t, 0)]
        self._totals_seen = dict(totals)
        return grown

    def learn(self, events: Sequence[ObservedEvent]) -> None:
        """Count and analyse every one of ``events`` (read back from the log, say: no
        rate is measured, as they were not seen live)."""
        self.total += len(events)
        entries = self.entries
        for type_, count in Counter(map(_TYPE, events)).items():
            entry = entries.get(type_)
            if entry is None:
                entry = self.entry(type_)
            entry.count += count
        self.analyse(events)

    def analyse(self, events: Sequence[ObservedEvent]) -> None:
        """Learn everything but the counts from these events (all of them)."""
        repeated, repeated_within = self.deliveries.repeats(
            list(map(_ID, events)), [getattr(e, "offset", None) for e in events]
        )
        firsts: set[str] = set()
        entries = self.entries
        roles_of = self._roles
        state = self.entities.state
        soup_window = self.entities.soup_window
        soup_floor = self.entities.soup_floor()
        self.deliveries.delivered.update(e.topic or "" for e in events)
        until_sized = self._until_sized
        for e in events:
            type_ = e.type
            entry = entries.get(type_)
            if entry is None:
                entry = self.entry(type_)
            entry.analysed += 1
            at = e.time
            if at is not None:
                if entry.first_seen is None or at < entry.first_seen:
                    entry.first_seen = at
                if entry.last_seen is None or at > entry.last_seen:
                    entry.last_seen = at
            else:
                entry.lacking["time"] += 1
            topic = e.topic or ""
            if topic in entry.topics:
                entry.topics[topic] += 1
            else:
                entry.add_name(entry.topics, topic)
                self._note_consumers(entry, topic)  # while the handlers are subscribed
            source = e.source
            if source:
                if source in entry.producers:
                    entry.producers[source] += 1
                else:
                    entry.add_name(entry.producers, source)
            else:
                entry.lacking["source"] += 1
            if not e.id:
                entry.lacking["id"] += 1
            corr = e.correlation_id
            if corr is None and e.causation_id is None:
                entry.lacking["correlation"] += 1
            headers = e.headers
            replayed = False
            if headers:
                for name in _PRODUCER_HEADERS:
                    producer = headers.get(name)
                    if producer:
                        entry.add_name(entry.producers, producer)
                        break
                for name in REPLY_TO_HEADERS:
                    if name in headers:
                        entry.reply_to += 1
                        break
                replayed = REPLAY_HEADER in headers

            # The payload's shape, and what it says of the version and sequence.
            data = e.data
            if type(data) is dict:
                key: ShapeKey = (tuple(data), tuple(map(type, data.values())))
            else:
                key = ((NOT_AN_OBJECT,), (type(data),))
            roles = roles_of.get(key)
            if roles is None:
                roles = roles_of[key] = _Roles(version_field(key[0]), sequence_field(key[0]))
                if len(roles_of) > 4096:
                    roles_of.clear()
            version = UNVERSIONED
            extensions = e.extensions
            if e.schema:
                version = registry_version(e.schema)
                entry.named_schema += 1
            elif extensions and extensions.get("dataschema"):  # the common case, inline
                version = str(extensions["dataschema"])
                entry.named_schema += 1
            elif extensions or headers:
                stated, names_schema = attribute_version(extensions, headers)
                if stated is not None:
                    version = stated
                    entry.named_schema += names_schema
            if not version and roles.version is not None:
                version = str(data[roles.version])
            if version in entry.versions:
                entry.versions[version] += 1
            else:
                entry.versions[version] = 1
            if not version:
                entry.lacking["version"] += 1
            schema = entry.schemas.get(version)
            shape = schema.shapes.get(key) if schema is not None else None
            if shape is None:
                shape = entry.new_shape(version, key, e)
                schema = entry.schemas[version]
                if shape is not None:
                    entry.measure(e)
            if shape is not None:
                shape.count += 1
                schema.last = shape  # type: ignore[union-attr]
            until_sized -= 1
            if not until_sized:
                until_sized = SIZE_SAMPLE
                entry.measure(e)
            entry.newest = e

            if replayed:
                continue  # sent again on purpose: neither a repeat nor out of order
            eid = e.id
            if eid in repeated or (eid in repeated_within and eid in firsts):
                self.deliveries.note(eid, type_, topic)
                continue  # a repeat says nothing new of order or of the entity's types
            if eid in repeated_within:
                firsts.add(eid)

            # Per entity: order of arrival and the types it emits in one window.
            entity = e.subject or e.key
            if entity is not None and at is not None:
                seq = data[roles.sequence] if roles.sequence is not None else None
                known = state.get(entity)
                if known is None:
                    state[entity] = [at, seq, at, {type_}]
                else:
                    if at < known[0]:
                        self.entities.went_back(entity, type_, e.id, at, known[0], "time")
                    elif seq is not None and known[1] is not None and _before(seq, known[1]):
                        self.entities.went_back(entity, type_, e.id, seq, known[1], "sequence")
                    else:
                        known[0] = at
                    if seq is not None:
                        known[1] = seq
                    types = known[3]
                    if at - known[2] > soup_window:
                        known[2] = at
                        types.clear()
                    if type_ not in types:
                        types.add(type_)
                        if len(types) > soup_floor:
                            self.entities.many_types(entity, types, at, e.id)
                            soup_floor = self.entities.soup_floor()

            role = self._roles_of_types.get(type_, 0)
            if role == 0:
                role = self._roles_of_types[type_] = role_of(type_)
            if role is not None and corr is not None and at is not None:
                if role == "request":
                    self.requests.request(corr, at, type_)
                else:
                    self.requests.reply(corr, at, type_, e.id)
        self._until_sized = until_sized
        self.entities.trim()

    def observe_dead_letter(self, letter: DeadLetter) -> None:
        """A dead letter: counted against its event's type (tight coupling, order)."""
        event = letter.event
        entry = self.entry(event.type)
        entry.dead_letters += 1
        entry.dead_letter_times.append(letter.created_at)
        self.entities.dead_letter(letter.id, event.id, event.subject or event.key, event.type)

    # -- reading ----------------------------------------------------------------------

    def refresh_consumers(self) -> None:
        """Ask ``consumers_of`` for each topic's consumers and note them on its types."""
        if self.consumers_of is not None:
            for entry in self.entries.values():
                for topic in entry.topics:
                    names = set(self.consumers_of(topic))
                    if names:
                        self.consumers_by_topic.setdefault(topic, set()).update(names)
        self.apply_consumers()

    def _note_consumers(self, entry: EventTypeEntry, topic: str) -> None:
        if self.consumers_of is not None:
            names = set(self.consumers_of(topic))
            if names:
                self.consumers_by_topic.setdefault(topic, set()).update(names)
                entry.consumers.update(names)

    def set_consumers(self, by_topic: Mapping[str, Iterable[str]]) -> None:
        """Consumers found elsewhere (Kafka consumer groups whose offsets cover a topic)."""
        for topic, names in by_topic.items():
            self.consumers_by_topic.setdefault(topic, set()).update(names)
        self.apply_consumers()

    def apply_consumers(self) -> None:
        for entry in self.entries.values():
            for topic in entry.topics:
                entry.consumers.update(self.consumers_by_topic.get(topic, ()))

    def types(self) -> list[EventTypeEntry]:
        """Every entry, the busiest first."""
        return sorted(self.entries.values(), key=lambda e: (-e.count, e.type))

    def summary(self, *, since: float | None = None) -> dict[str, Any]:
        """``{"event_types": [...]}``, the shape of ``eventflow catalog --json``; with
        ``since``, only the types seen since then."""
        self.refresh_consumers()
        now = self.clock()
        return {
            "event_types": [
                e.summary(now, self.watching_since)
                for e in self.types()
                if since is None or (e.last_seen is not None and e.last_seen >= since)
            ]
        }

    # -- persistence ------------------------------------------------------------------

    def evidence_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "deliveries": self.deliveries.to_dict(),
            "entities": self.entities.to_dict(),
            "requests": self.requests.to_dict(),
            "consumers_by_topic": {t: sorted(n) for t, n in self.consumers_by_topic.items()},
        }

    def load(self, entries: Iterable[dict[str, Any]], evidence: dict[str, Any]) -> None:
        """Take the state a store read back (replacing what this catalog holds)."""
        self.entries = {}
        for d in entries:
            entry = EventTypeEntry.from_dict(d)
            self.entries[entry.type] = entry
        self.total = int(evidence.get("total", 0))
        self.deliveries = Deliveries.from_dict(evidence.get("deliveries") or {})
        self.entities = Entities.from_dict(evidence.get("entities") or {})
        self.requests = RequestReplies.from_dict(evidence.get("requests") or {})
        self.consumers_by_topic = {
            t: set(n) for t, n in (evidence.get("consumers_by_topic") or {}).items()
        }


def _power_of_two(n: int) -> int:
    """The smallest power of two that is at least ``n`` (and at least 2)."""
    return max(2, 1 << (max(1, n) - 1).bit_length())


def _before(seq: Any, last: Any) -> bool:
    try:
        return bool(seq < last)
    except TypeError:
        return False
