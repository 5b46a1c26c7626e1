"""Correlation chains: the events of one correlation id as a causal tree with timing.

:func:`build_chain` turns the events (and dead letters) of one correlation id into a
:class:`Chain`: events in causal order (parents before children, siblings by time), the
parent -> child edges with the latency of each hop, the slowest hop, and what is odd
about it (an event whose cause was never seen, a duplicate delivery, a failed step).
The same function serves the command line (events read from the log) and the window
(events held in a :class:`ChainIndex`).

A dead letter that was replayed (the replay carries
:data:`~monitor.core.deadletters.REPLAY_HEADER`) makes one hop of its chain span the
time someone took to fix and replay it. That hop is a *replay hop*: it has no latency
(it is left out of the slowest hop and of what is learned about latencies) and keeps
its span apart, as :attr:`ChainEdge.replayed_after_ms`. Which hop it is depends on the
replay: under the event's own id (the embedded bus's, or a record whose id is in it) the
copy keeps the original time, so the wait lands on the hops from that event to what
came after it failed; a replay with an id of its own and a later time is itself the
end of the hop. A replay is not a duplicate delivery.

:func:`load_chain` reads one chain from the log (blocking: call it from a worker thread
when a window is drawing), :func:`find_chain` one named by a short id (the start of a
correlation id or of an event id, as the window shows them);
:meth:`ChainIndex.find_event` finds the chain an event belongs to among the chains held
in memory.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from monitor.core.deadletters import REPLAY_HEADER, DeadLetter, Status
from monitor.core.envelope import Envelope
from monitor.core.logschema import LogError


@dataclass(frozen=True, slots=True)
class ChainEdge:
    parent_id: str
    child_id: str
    latency_ms: float | None  # None when either side has no time, and on a replay hop
    # A replay hop (see the module docstring): the time from the event to the next
    # step, fixing and replaying included; None on an ordinary hop (or without times).
    replay: bool = False
    replayed_after_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "parent": self.parent_id,
            "child": self.child_id,
            "latency_ms": self.latency_ms,
            "replay": self.replay,
            "replayed_after_ms": self.replayed_after_ms,
        }


@dataclass(slots=True)
class Chain:
    correlation_id: str
    events: list[Envelope]  # causal order, one per event id
    edges: list[ChainEdge]
    depth: dict[str, int]  # event id -> depth in the tree (roots are 0)
    duplicates: dict[str, int] = field(default_factory=dict)  # event id -> extra deliveries
    orphans: list[str] = field(default_factory=list)  # events whose cause was never seen
    dead_letters: list[DeadLetter] = field(default_factory=list)
    # event id -> ids of the dead letters it was replayed from (not duplicates)
    replays: dict[str, list[str]] = field(default_factory=dict)
    # The replays delivered under an id already in ``events``, kept so that a chain
    # rebuilt from this one's events (``events + replay_copies``) finds them again.
    replay_copies: list[Envelope] = field(default_factory=list)

    def event(self, event_id: str) -> Envelope | None:
        """The event with that id, or ``None`` when it is not in this chain."""
        return next((e for e in self.events if e.id == event_id), None)

    def children(self, event_id: str) -> list[str]:
        """Ids of the events caused by ``event_id``, in causal order."""
        return [edge.child_id for edge in self.edges if edge.parent_id == event_id]

    @property
    def replay_edges(self) -> list[ChainEdge]:
        """The hops that span a dead letter's fix and replay, in causal order."""
        return [e for e in self.edges if e.replay]

    @property
    def latency_edges(self) -> list[ChainEdge]:
        """The hops with a latency (timed, and not a replay hop)."""
        return [e for e in self.edges if e.latency_ms is not None]

    def replayed_steps(self) -> list[tuple[Envelope, float | None]]:
        """Each event that was fixed and replayed, with how long after it the chain went
        on (its shortest replay hop, ms; ``None`` without times), in causal order."""
        found: dict[str, float | None] = {}
        for edge in self.replay_edges:
            key = self._replayed_id(edge)
            known, wait = found.get(key), edge.replayed_after_ms
            if key not in found or (wait is not None and (known is None or wait < known)):
                found[key] = wait
        return [(e, found[e.id]) for e in self.events if e.id in found]

    def replayed_event(self, edge: ChainEdge) -> Envelope | None:
        """The event fixed and replayed across the replay hop ``edge``: the replay itself
        when it is the end of the hop, else the event it starts from."""
        return self.event(self._replayed_id(edge))

    def _replayed_id(self, edge: ChainEdge) -> str:
        into = edge.child_id in self.replays and edge.parent_id not in self.replays
        return edge.child_id if into else edge.parent_id

    @property
    def slowest(self) -> ChainEdge | None:
        """The hop with the highest latency; never a replay hop."""
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
            "replays": {k: list(v) for k, v in self.replays.items()},
            "dead_letters": [d.to_dict() for d in self.dead_letters],
        }


def _same_record(a: Envelope, b: Envelope) -> bool:
    """Whether two envelopes are the same Kafka record (topic, partition and offset)."""
    return a.offset is not None and (a.offset, a.partition, a.topic) == (
        b.offset,
        b.partition,
        b.topic,
    )


def build_chain(
    correlation_id: str,
    events: Iterable[Envelope],
    dead_letters: Sequence[DeadLetter] = (),
) -> Chain:
    """Order ``events`` causally and link them. Repeated ids count as duplicates, except
    the same Kafka record read twice (one delivery, logged twice by a tail run again
    before logs left such records out), and a delivery that carries the replay marker:
    that is a replay (see the module docstring), and the hops it makes span the fix are
    replay hops."""
    by_id: dict[str, Envelope] = {}
    duplicates: dict[str, int] = {}
    replays: dict[str, list[str]] = {}
    copies: list[Envelope] = []
    for e in events:
        replayed_from = e.headers.get(REPLAY_HEADER) if e.headers else None
        if e.id not in by_id:
            by_id[e.id] = e
        elif _same_record(by_id[e.id], e):
            continue  # one Kafka record read twice (a tail run again): not a redelivery
        elif replayed_from:
            if replayed_from not in replays.get(e.id, ()):
                copies.append(e)
        else:
            duplicates[e.id] = duplicates.get(e.id, 0) + 1
        if replayed_from:
            seen = replays.setdefault(e.id, [])
            if replayed_from not in seen:
                seen.append(replayed_from)
    spans = _replay_spans(by_id, replays, dead_letters)
    children: dict[str | None, list[Envelope]] = {}
    orphans: list[str] = []
    for e in by_id.values():
        parent = e.causation_id if e.causation_id in by_id and e.causation_id != e.id else None
        if parent is None and e.id in spans.linked:
            parent = spans.linked[e.id]
        elif e.causation_id and parent is None:
            orphans.append(e.id)
        children.setdefault(parent, []).append(e)

    def by_time(e: Envelope) -> float:
        return e.time if e.time is not None else float("inf")

    ordered: list[Envelope] = []
    depth: dict[str, int] = {}
    edges: list[ChainEdge] = []
    # Pushed latest first, so they pop earliest first; events of the same time in the
    # order given (log order), not reversed.
    stack = [(e, 0) for e in reversed(sorted(children.get(None, []), key=by_time))]
    while stack:  # depth-first, iterative: a chain can be long
        e, d = stack.pop()
        if e.id in depth:
            continue
        depth[e.id] = d
        ordered.append(e)
        for child in reversed(sorted(children.get(e.id, []), key=by_time)):
            span = None
            if child.time is not None and e.time is not None:
                span = round((child.time - e.time) * 1000.0, 3)
            if spans.is_replay_hop(e, child):
                edges.append(ChainEdge(e.id, child.id, None, True, span))
            else:
                edges.append(ChainEdge(e.id, child.id, span))
            stack.append((child, d + 1))
    # A causation cycle (bad data) leaves events unreached: show them as roots.
    for e in sorted(by_id.values(), key=by_time):
        if e.id not in depth:
            depth[e.id] = 0
            ordered.append(e)
    position = {e.id: i for i, e in enumerate(ordered)}
    edges.sort(key=lambda edge: position[edge.child_id])
    return Chain(
        correlation_id,
        ordered,
        edges,
        depth,
        duplicates,
        orphans,
        list(dead_letters),
        replays,
        copies,
    )


@dataclass(slots=True)
class _ReplaySpans:
    """Where the wait for a fix and a replay falls in a chain (see the module docstring)."""

    # A replay with an id and a time of its own: the hop into it is the replay hop.
    into: set[str] = field(default_factory=set)
    # A replay with its cause unseen -> the event it replays (its parent in the graph).
    linked: dict[str, str] = field(default_factory=dict)
    # A replay that kept the failed event's time -> when that event was given up on:
    # the hops from it to events after that moment are replay hops.
    after: dict[str, float] = field(default_factory=dict)

    def is_replay_hop(self, parent: Envelope, child: Envelope) -> bool:
        if child.id in self.into:
            return True
        failed_at = self.after.get(parent.id)
        return failed_at is not None and (child.time is None or child.time > failed_at)


def _replay_spans(
    by_id: Mapping[str, Envelope],
    replays: Mapping[str, list[str]],
    dead_letters: Sequence[DeadLetter],
) -> _ReplaySpans:
    spans = _ReplaySpans()
    if not replays:
        return spans
    letters = {d.id: d for d in dead_letters}
    first_failure: dict[str, float] = {}
    for d in dead_letters:
        known = first_failure.get(d.event.id)
        if known is None or d.created_at < known:
            first_failure[d.event.id] = d.created_at
    for event_id, letter_ids in replays.items():
        event = by_id[event_id]
        named = [letters[i] for i in letter_ids if i in letters]
        moments = [d.created_at for d in named]
        if event_id in first_failure:
            moments.append(first_failure[event_id])
        failed_at = min(moments) if moments else None
        first_seen = REPLAY_HEADER in event.headers  # no delivery before the replay
        if first_seen and (
            failed_at is None or (event.time is not None and event.time > failed_at)
        ):
            spans.into.add(event_id)
            origin = next((d.event.id for d in named if d.event.id != event_id), None)
            if origin is not None and origin in by_id and event.causation_id not in by_id:
                spans.linked[event_id] = origin
            continue
        if failed_at is not None:  # without it, which hop waited cannot be told
            spans.after[event_id] = failed_at
    return spans


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


class ChainLookup(ChainSource, Protocol):
    """What :func:`find_chain` needs of a log (:class:`~monitor.core.eventlog.EventLog`)."""

    def resolve_chain_id(self, text: str) -> str: ...


class ChainNotFound(LookupError):
    """No chain, or more than one, answers to an id; ``str()`` is the sentence that says
    which (for several: naming them, so the user can pick one)."""


def find_chain(log: ChainLookup, text: str) -> Chain:
    """The chain ``text`` stands for in the log: a correlation id, the id of any logged
    event, or the start of either (see ``EventLog.resolve_chain_id``).

    Raises :class:`ChainNotFound` with the log's sentence when no chain or several
    answer to it; an error reading the log (closed, damaged) propagates as it is.
    Blocking I/O: run it in a worker thread when an event loop that draws a window is
    running."""
    try:
        chain_id = log.resolve_chain_id(text)
    except LogError as exc:
        # The log raises LogError both for "no such id" and for a damaged file: if it
        # still answers an (indexed) read, the sentence is about the id.
        log.chain_dead_letters(text.strip())
        raise ChainNotFound(str(exc)) from exc
    chain = load_chain(log, chain_id)
    if chain is None:  # retention removed it in between
        raise ChainNotFound(f"The chain {chain_id} is no longer in the event log.")
    return chain
