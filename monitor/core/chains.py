"""Correlation chains: the events of one correlation id as a causal tree with timing.

:func:`build_chain` turns the events (and dead letters) of one correlation id into a
:class:`Chain`: events in causal order (parents before children, siblings by time), the
parent -> child edges with the latency of each hop, the slowest hop, and what is odd
about it (an event whose cause was never seen, a duplicate delivery, a failed step).
The same function serves the command line (events read from the log) and the window
(events held in a :class:`ChainIndex`).

:func:`load_chain` reads one chain from the log (blocking: call it from a worker thread
when a window is drawing); :meth:`ChainIndex.find_event` finds the chain an event belongs
to among the chains held in memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from monitor.core.deadletters import DeadLetter, Status
from monitor.core.envelope import Envelope


@dataclass(frozen=True, slots=True)
class ChainEdge:
    parent_id: str
    child_id: str
    latency_ms: float | None  # None when either side has no time

    def to_dict(self) -> dict[str, Any]:
        return {"parent": self.parent_id, "child": self.child_id, "latency_ms": self.latency_ms}


@dataclass(slots=True)
class Chain:
    correlation_id: str
    events: list[Envelope]  # causal order, one per event id
    edges: list[ChainEdge]
    depth: dict[str, int]  # event id -> depth in the tree (roots are 0)
    duplicates: dict[str, int] = field(default_factory=dict)  # event id -> extra deliveries
    orphans: list[str] = field(default_factory=list)  # events whose cause was never seen
    dead_letters: list[DeadLetter] = field(default_factory=list)

    def event(self, event_id: str) -> Envelope | None:
        """The event with that id, or ``None`` when it is not in this chain."""
        return next((e for e in self.events if e.id == event_id), None)

    def children(self, event_id: str) -> list[str]:
        """Ids of the events caused by ``event_id``, in causal order."""
        return [edge.child_id for edge in self.edges if edge.parent_id == event_id]

    @property
    def slowest(self) -> ChainEdge | None:
        timed = [e for e in self.edges if e.latency_ms is not None]
        return max(timed, key=lambda e: e.latency_ms or 0.0) if timed else None

    @property
    def duration_ms(self) -> float | None:
        times = [e.time for e in self.events if e.time is not None]
        return (max(times) - min(times)) * 1000.0 if times else None

    def to_dict(self) -> dict[str, Any]:
        slowest = self.slowest
        return {
            "correlation_id": self.correlation_id,
            "events": [
                {
                    **e.to_dict(),
                    "depth": self.depth.get(e.id, 0),
                    "duplicates": self.duplicates.get(e.id, 0),
                }
                for e in self.events
            ],
            "edges": [edge.to_dict() for edge in self.edges],
            "slowest_edge": slowest.to_dict() if slowest else None,
            "duration_ms": self.duration_ms,
            "orphans": list(self.orphans),
            "dead_letters": [d.to_dict() for d in self.dead_letters],
        }


def build_chain(
    correlation_id: str,
    events: Iterable[Envelope],
    dead_letters: Sequence[DeadLetter] = (),
) -> Chain:
    """Order ``events`` causally and link them. Repeated ids count as duplicates."""
    by_id: dict[str, Envelope] = {}
    duplicates: dict[str, int] = {}
    for e in events:
        if e.id in by_id:
            duplicates[e.id] = duplicates.get(e.id, 0) + 1
        else:
            by_id[e.id] = e
    children: dict[str | None, list[Envelope]] = {}
    orphans: list[str] = []
    for e in by_id.values():
        parent = e.causation_id if e.causation_id in by_id and e.causation_id != e.id else None
        if e.causation_id and parent is None:
            orphans.append(e.id)
        children.setdefault(parent, []).append(e)

    def by_time(e: Envelope) -> float:
        return e.time if e.time is not None else float("inf")

    ordered: list[Envelope] = []
    depth: dict[str, int] = {}
    edges: list[ChainEdge] = []
    stack = [(e, 0) for e in sorted(children.get(None, []), key=by_time, reverse=True)]
    while stack:  # depth-first, iterative: a chain can be long
        e, d = stack.pop()
        if e.id in depth:
            continue
        depth[e.id] = d
        ordered.append(e)
        for child in sorted(children.get(e.id, []), key=by_time, reverse=True):
            latency = None
            if child.time is not None and e.time is not None:
                latency = round((child.time - e.time) * 1000.0, 3)
            edges.append(ChainEdge(e.id, child.id, latency))
            stack.append((child, d + 1))
    # A causation cycle (bad data) leaves events unreached: show them as roots.
    for e in sorted(by_id.values(), key=by_time):
        if e.id not in depth:
            depth[e.id] = 0
            ordered.append(e)
    position = {e.id: i for i, e in enumerate(ordered)}
    edges.sort(key=lambda edge: position[edge.child_id])
    return Chain(correlation_id, ordered, edges, depth, duplicates, orphans, list(dead_letters))


class ChainIndex:
    """The most recent chains in memory, for the live view: at most ``max_chains`` chains
    of at most ``max_events`` events each; the least recently touched chain goes first."""

    def __init__(self, max_chains: int = 5000, max_events: int = 500) -> None:
        self.max_chains = max_chains
        self.max_events = max_events
        self._events: OrderedDict[str, list[Envelope]] = OrderedDict()
        self._letters: dict[str, list[DeadLetter]] = {}

    def __len__(self) -> int:
        return len(self._events)

    def add(self, events: Iterable[Envelope]) -> None:
        # Runs for every event: locals bound once, the chain id read without the property.
        chains, letters = self._events, self._letters
        max_chains, max_events = self.max_chains, self.max_events
        for e in events:
            key = e.correlation_id or e.id
            bucket = chains.get(key)
            if bucket is None:
                bucket = chains[key] = []
                if len(chains) > max_chains:
                    old, _ = chains.popitem(last=False)
                    letters.pop(old, None)
            else:
                chains.move_to_end(key)
            if len(bucket) < max_events:
                bucket.append(e)

    def add_dead_letter(self, letter: DeadLetter) -> None:
        key = letter.event.chain_id
        if key in self._events:
            # Re-inserted, so the chain that failed last comes last (see failed_ids).
            letters = self._letters.pop(key, [])
            letters.append(letter)
            self._letters[key] = letters

    def set_dead_letter_statuses(self, statuses: Mapping[str, Status]) -> None:
        """Held dead letters that were replayed or discarded: ``{letter id: status}``.
        (Replaced, not changed in place: the log writer may still be reading the object.)"""
        for letters in self._letters.values():
            for i, letter in enumerate(letters):
                status = statuses.get(letter.id)
                if status is not None and status != letter.status:
                    letters[i] = replace(letter, status=status)

    def chain(self, correlation_id: str) -> Chain | None:
        events = self._events.get(correlation_id)
        if events is None:
            return None
        return build_chain(correlation_id, events, self._letters.get(correlation_id, []))

    def recent_ids(self, n: int = 50) -> list[str]:
        """The ``n`` most recently touched correlation ids, newest first."""
        if n <= 0:
            return []
        ids: list[str] = []
        for key in reversed(self._events):
            ids.append(key)
            if len(ids) >= n:
                break
        return ids

    def oldest_ids(self, n: int = 50) -> list[str]:
        """The ``n`` least recently touched correlation ids, oldest first: the chains
        most likely to be finished, which is what a learner wants to look at."""
        if n <= 0:
            return []
        ids: list[str] = []
        for key in self._events:
            ids.append(key)
            if len(ids) >= n:
                break
        return ids

    def failed_ids(self, n: int = 50) -> list[str]:
        """Correlation ids of chains with a dead letter, the latest failure first."""
        if n <= 0:
            return []
        ids: list[str] = []
        for key in reversed(self._letters):
            ids.append(key)
            if len(ids) >= n:
                break
        return ids

    def ids(self) -> list[str]:
        """Every held correlation id, least recently touched first."""
        return list(self._events)

    def held(self, correlation_id: str) -> tuple[Sequence[Envelope], Sequence[DeadLetter]] | None:
        """The chain's events (as received, repeats included) and dead letters, without
        building the chain: for scans that only need to look. Read-only views: do not
        modify them. ``None`` when the chain is not held."""
        events = self._events.get(correlation_id)
        if events is None:
            return None
        return events, self._letters.get(correlation_id, ())

    def revision(self, correlation_id: str) -> tuple[int, int, int] | None:
        """A token that changes whenever the chain gains an event or a dead letter, or one
        of its dead letters is resolved, so a view can skip rebuilding and redrawing a
        chain that did not change; ``None`` when the chain is not held. Cheap: no chain
        is built."""
        events = self._events.get(correlation_id)
        if events is None:
            return None
        letters = self._letters.get(correlation_id, ())
        return len(events), len(letters), sum(d.status != "pending" for d in letters)

    def find_prefix(self, prefix: str, *, min_length: int = 6) -> str | None:
        """The held correlation id that starts with ``prefix`` (at least ``min_length``
        characters, as the tables show ids shortened), when exactly one does."""
        if len(prefix) < min_length:
            return None
        found = None
        for key in self._events:
            if key.startswith(prefix):
                if found is not None:
                    return None  # more than one: not a prefix of one chain
                found = key
        return found

    def find_event(self, event_id: str, *, max_events: int = 200_000) -> str | None:
        """The correlation id of the held chain that contains event ``event_id``.

        A correlation id is answered at once; otherwise chains are scanned newest first,
        looking at no more than ``max_events`` events, so the cost stays bounded however
        full the index is. ``None`` when no scanned chain holds that event.
        """
        if event_id in self._events:
            return event_id
        seen = 0
        for key in reversed(self._events):
            bucket = self._events[key]
            for e in bucket:
                if e.id == event_id:
                    return key
            seen += len(bucket)
            if seen >= max_events:
                break
        return None


class ChainSource(Protocol):
    """What :func:`load_chain` needs of a log (:class:`~monitor.core.eventlog.EventLog`)."""

    def chain_events(self, correlation_id: str) -> list[Envelope]: ...

    def chain_dead_letters(self, correlation_id: str) -> list[DeadLetter]: ...

    def chain_id_of_event(self, event_id: str) -> str | None: ...


def load_chain(log: ChainSource, correlation_id: str) -> Chain | None:
    """The chain of ``correlation_id`` as logged, or ``None`` when the log has neither an
    event nor a dead letter of it. A chain whose events are gone (retention keeps pending
    dead letters) is its dead letters alone. Also finds a chain by the id of its first
    event when the other events carry that id as their correlation id (as the demo's do),
    and by the id of any logged event (a slower read: event ids are not indexed).
    Blocking I/O: run it in a worker thread when an event loop that draws a window is
    running."""
    events = log.chain_events(correlation_id)
    letters = log.chain_dead_letters(correlation_id)
    if not events and not letters:
        # Perhaps the id of an event further down a chain: find the chain it belongs to.
        chain_id = log.chain_id_of_event(correlation_id)
        if chain_id is None or chain_id == correlation_id:
            return None
        correlation_id = chain_id
        events = log.chain_events(correlation_id)
        letters = log.chain_dead_letters(correlation_id)
        if not events and not letters:
            return None
    return build_chain(correlation_id, events, letters)
