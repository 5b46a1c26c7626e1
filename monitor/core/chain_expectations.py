"""What normally comes next in a chain, and chains where it never came.

An :class:`ExpectationModel` learns from the chains it is shown which event type follows
which (``OrderPlaced`` is followed by ``PaymentAuthorized`` or ``PaymentFailed``) and how
long that hop usually takes. :meth:`ExpectationModel.assess` then tells, for one chain,
whether it is

* **failed**: a dead letter is pending on one of its events;
* **stalled**: an event whose type is normally followed by another has had no such
  successor for longer than the hop's timeout (``factor`` x its typical latency, at least
  ``min_timeout_s``): "expected InventoryReserved after PaymentAuthorized, not seen for
  12 s";
* **in progress**: such a successor is awaited, but not overdue yet;
* **complete**: nothing is awaited.

How the model learns. For every event it looks at (once per event id, remembered in a
bounded set) it records either a *continuation* (the event has children: which types, and
the latency of each hop) or, once the event is older than ``settle_s`` and still has no
child and no dead letter, an *ending*. A type has an expected successor when it has been
seen continuing ``min_support`` times or more and in at least ``min_ratio`` of the
decided cases; the successor types named are those seen in at least ``min_share`` of its
continuations, the most frequent first. A prior (the demo's order flow by default) counts
as ``prior_weight`` continuations, so a fresh model already knows the demo and learns
anything else from what it sees. Times come from ``clock`` (epoch seconds, injectable for
tests); event times are the envelopes' own.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter, OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from monitor.core.chains import Chain
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.wording import format_duration

# The order flow the demo runs (monitor/core/demo.py): the default prior.
DEMO_FLOW: Mapping[str, Sequence[str]] = {
    "OrderPlaced": ("PaymentAuthorized", "PaymentFailed"),
    "PaymentAuthorized": ("InventoryReserved",),
    "InventoryReserved": ("OrderShipped",),
}


def format_latency(ms: float | None) -> str:
    """A hop latency in milliseconds for labels: ``3.4 ms``, ``120 ms``, ``1.52 s``."""
    if ms is None:
        return "?"
    if ms < 10:
        return f"{ms:.1f} ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.2f} s"


def _either(types: Sequence[str]) -> str:
    return " or ".join(types) if len(types) <= 3 else " or ".join(types[:3]) + " or ..."


@dataclass(frozen=True, slots=True)
class Expectation:
    """After an event of ``after_type`` one of ``next_types`` normally follows."""

    after_type: str
    next_types: tuple[str, ...]  # the most frequent first
    typical_s: float | None  # median hop latency seen; None when no hop was timed yet
    timeout_s: float  # a successor later than this is overdue

    @property
    def next_text(self) -> str:
        return _either(self.next_types)


@dataclass(frozen=True, slots=True)
class Awaited:
    """An event still waiting for its expected successor."""

    event_id: str
    expectation: Expectation
    waited_s: float

    @property
    def stalled(self) -> bool:
        return self.waited_s > self.expectation.timeout_s

    @property
    def sentence(self) -> str:
        exp = self.expectation
        if self.stalled:
            return (
                f"expected {exp.next_text} after {exp.after_type}, "
                f"not seen for {format_duration(self.waited_s)}"
            )
        return f"waiting for {exp.next_text} after {exp.after_type}"


class ChainState(StrEnum):
    COMPLETE = "complete"
    IN_PROGRESS = "in progress"
    STALLED = "stalled"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class ChainHealth:
    """The verdict on one chain at one moment (see the module docstring)."""

    state: ChainState
    awaited: tuple[Awaited, ...] = ()  # stalled ones included
    failed_event_ids: tuple[str, ...] = ()  # events with a pending dead letter

    @property
    def stalls(self) -> tuple[Awaited, ...]:
        return tuple(a for a in self.awaited if a.stalled)

    @property
    def sentence(self) -> str:
        """One line for a status badge."""
        if self.state is ChainState.FAILED:
            n = len(self.failed_event_ids)
            text = "a step failed (dead letter)" if n == 1 else f"{n} steps failed (dead letters)"
            stalls = self.stalls
            return text + (f"; {stalls[0].sentence}" if stalls else "")
        if self.state is ChainState.STALLED:
            stalls = self.stalls
            more = f" (and {len(stalls) - 1} more)" if len(stalls) > 1 else ""
            return stalls[0].sentence + more
        if self.state is ChainState.IN_PROGRESS:
            return self.awaited[0].sentence
        return "nothing more expected"


class ExpectationModel:
    """Learns successor types and hop latencies; judges chains. See the module docstring.

    Not thread-safe: use it from one thread (the window's, in the app).
    """

    def __init__(
        self,
        prior: Mapping[str, Sequence[str]] | None = DEMO_FLOW,
        *,
        factor: float = 3.0,
        min_timeout_s: float = 1.0,
        settle_s: float = 10.0,
        min_ratio: float = 0.6,
        min_support: int = 3,
        min_share: float = 0.02,
        prior_weight: int = 20,
        memory: int = 50_000,
        latency_samples: int = 256,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.factor = factor
        self.min_timeout_s = min_timeout_s
        self.settle_s = settle_s
        self.min_ratio = min_ratio
        self.min_support = min_support
        self.min_share = min_share
        self.memory = memory
        self.clock = clock
        self._latency_samples = latency_samples
        self._continued: Counter[str] = Counter()
        self._ended: Counter[str] = Counter()
        self._follows: dict[str, Counter[str]] = {}
        self._latencies: dict[str, deque[float]] = {}
        # Event ids (and edges) already counted: a chain is shown to the model many times.
        self._judged: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._cache: dict[str, Expectation | None] = {}
        for after, followers in (prior or {}).items():
            self._continued[after] += prior_weight
            counter = self._follows.setdefault(after, Counter())
            for follower in followers:
                counter[follower] += prior_weight

    # -- learning -----------------------------------------------------------------------

    def _mark(self, key: tuple[str, str]) -> bool:
        """True the first time ``key`` is seen (within the bounded memory)."""
        if key in self._judged:
            return False
        self._judged[key] = None
        if len(self._judged) > self.memory:
            self._judged.popitem(last=False)
        return True

    def observe(self, chains: Iterable[Chain]) -> None:
        """Learn from ``chains``. Showing the same chain again only adds what is new in it."""
        now = self.clock()
        changed = False
        for chain in chains:
            by_id = {e.id: e for e in chain.events}
            children: dict[str, list[str]] = {}
            latency: dict[str, float | None] = {}
            for edge in chain.edges:
                children.setdefault(edge.parent_id, []).append(edge.child_id)
                latency[edge.child_id] = edge.latency_ms
            failed = {d.event.id for d in chain.dead_letters}
            for e in chain.events:
                if not e.type or e.malformed:
                    continue
                kids = children.get(e.id)
                if kids:
                    if self._mark(("event", e.id)):
                        self._continued[e.type] += 1
                        changed = True
                    for kid in kids:
                        child = by_id[kid]
                        if not child.type or not self._mark(("edge", kid)):
                            continue
                        self._follows.setdefault(e.type, Counter())[child.type] += 1
                        ms = latency.get(kid)
                        if ms is not None and ms >= 0:
                            self._latencies.setdefault(
                                e.type, deque(maxlen=self._latency_samples)
                            ).append(ms / 1000.0)
                        changed = True
                elif e.id in failed:
                    continue  # a failure says nothing about what normally follows
                elif (
                    e.time is not None
                    and now - e.time > self.settle_s
                    and self._mark(("event", e.id))
                ):
                    self._ended[e.type] += 1
                    changed = True
        if changed:
            self._cache.clear()

    # -- what is expected ---------------------------------------------------------------

    def expectation(self, event_type: str) -> Expectation | None:
        """What normally follows ``event_type``, or ``None`` when nothing does (as far as
        the model knows)."""
        if event_type in self._cache:
            return self._cache[event_type]
        result = self._expectation(event_type)
        self._cache[event_type] = result
        return result

    def _expectation(self, event_type: str) -> Expectation | None:
        continued = self._continued.get(event_type, 0)
        ended = self._ended.get(event_type, 0)
        if continued < self.min_support or continued < self.min_ratio * (continued + ended):
            return None
        follows = self._follows.get(event_type)
        if not follows:
            return None
        total = sum(follows.values())
        next_types = tuple(t for t, n in follows.most_common() if n >= self.min_share * total) or (
            follows.most_common(1)[0][0],
        )
        samples = self._latencies.get(event_type)
        typical = statistics.median(samples) if samples else None
        timeout = max(self.min_timeout_s, self.factor * typical if typical else 0.0)
        return Expectation(event_type, next_types, typical, timeout)

    def transitions(self) -> dict[str, dict[str, int]]:
        """Every type's successors with their counts (the prior included)."""
        return {t: dict(c.most_common()) for t, c in self._follows.items()}

    # -- judging ------------------------------------------------------------------------

    def assess(self, chain: Chain) -> ChainHealth:
        """Failed, stalled, in progress or complete: see the module docstring."""
        return self.assess_events(chain.events, chain.dead_letters)

    def assess_events(
        self, events: Sequence[Envelope], dead_letters: Sequence[DeadLetter] = ()
    ) -> ChainHealth:
        """:meth:`assess` on a chain's raw events (in any order, repeats allowed), without
        building the chain first: cheap enough to scan many chains."""
        now = self.clock()
        failed = tuple(dict.fromkeys(d.event.id for d in dead_letters if d.status == "pending"))
        failed_set = set(failed)
        ids = {e.id for e in events}
        child_types: dict[str, set[str]] = {}
        for e in events:
            cause = e.causation_id
            if cause is not None and cause != e.id and cause in ids:
                child_types.setdefault(cause, set()).add(e.type)
        awaited: list[Awaited] = []
        judged: set[str] = set()
        for e in events:
            if e.id in judged or e.id in failed_set or e.time is None or not e.type:
                continue
            judged.add(e.id)
            exp = self.expectation(e.type)
            if exp is None or not child_types.get(e.id, set()).isdisjoint(exp.next_types):
                continue
            awaited.append(Awaited(e.id, exp, max(0.0, now - e.time)))
        awaited.sort(key=lambda a: a.waited_s - a.expectation.timeout_s, reverse=True)
        if failed:
            state = ChainState.FAILED
        elif any(a.stalled for a in awaited):
            state = ChainState.STALLED
        elif awaited:
            state = ChainState.IN_PROGRESS
        else:
            state = ChainState.COMPLETE
        return ChainHealth(state, tuple(awaited), failed)
