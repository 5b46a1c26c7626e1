"""The embedded event bus: asyncio publish/subscribe inside one process.

Contract, in short:

* ``subscribe(pattern, handler)`` registers an async handler for every topic the pattern
  matches (syntax in :mod:`monitor.core.topics`).
* ``await publish(event, topic)`` hands the event to every matching subscription's queue
  and returns. Handlers run in the subscription's own worker task, so a handler that
  raises never reaches the publisher or another handler.
* A failing handler is retried with exponential backoff and jitter, up to
  ``RetryPolicy.max_attempts`` attempts in all; after the last one the event becomes a
  :class:`~monitor.core.deadletters.DeadLetter` passed to ``on_dead_letter``.
* An event published while a handler runs inherits that handler's event: its correlation
  id (or, if it had none, its id) and, as causation id, the handled event's id.
* ``ordered_by_key=True`` delivers events with the same key in publish order (one lane per
  key hash, retries wait in line); otherwise retries are scheduled aside so that one poison
  event does not hold up the rest.
* Every subscription queue is bounded: when it is full, ``publish`` waits until the slow
  handler makes room (backpressure) and the subscription reports itself ``lagging``.
  Memory never grows without bound.
* Counters per topic: published, delivered, failed (attempts that raised), dead-lettered.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import zlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from monitor.core.deadletters import DeadLetter, describe_exception
from monitor.core.envelope import Envelope
from monitor.core.topics import compile_pattern

log = logging.getLogger(__name__)

Handler = Callable[[Envelope], Awaitable[None]]
PublishListener = Callable[[Envelope], None]
DeadLetterListener = Callable[[DeadLetter], None]

# The event whose handler is running in the current task; read by publish() to link
# the events a handler emits to the event that caused them.
_handling: contextvars.ContextVar[Envelope | None] = contextvars.ContextVar(
    "eventflow_handling", default=None
)

# A worker that never awaits anything real would starve the event loop (and with it the
# window); it yields after this many deliveries in a row.
_YIELD_EVERY = 256


def current_event() -> Envelope | None:
    """The event being handled in this task, or ``None`` outside a handler."""
    return _handling.get()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a failing handler is retried.

    ``max_attempts`` counts every attempt including the first (1 means no retry). The delay
    before attempt n+1 is ``base_delay * 2**(n-1)``, capped at ``max_delay``, then spread
    by +/- ``jitter`` (a fraction) so that retries of many events do not arrive together.
    """

    max_attempts: int = 3
    base_delay: float = 0.05
    max_delay: float = 5.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def delay(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failed attempt."""
        base = min(self.max_delay, self.base_delay * (2 ** max(0, failures - 1)))
        spread = base * self.jitter
        return float(max(0.0, base + random.uniform(-spread, spread)))


@dataclass(slots=True)
class TopicCounters:
    """What happened to the events of one topic since the bus started."""

    published: int = 0
    delivered: int = 0
    failed: int = 0
    dead_lettered: int = 0


@dataclass(slots=True)
class _Lane:
    items: deque[tuple[Envelope, int]] = field(default_factory=deque)
    waiter: asyncio.Future[None] | None = None
    task: asyncio.Task[None] | None = None


class Subscription:
    """One handler's registration: its pattern, queue(s), retry policy and counters."""

    def __init__(
        self,
        bus: EventBus,
        pattern: str,
        handler: Handler,
        *,
        name: str,
        retry: RetryPolicy,
        capacity: int,
        ordered_by_key: bool,
        lanes: int,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.bus = bus
        self.pattern = pattern
        self.handler = handler
        self.name = name
        self.retry = retry
        self.capacity = capacity
        self.ordered_by_key = ordered_by_key
        self._regex = compile_pattern(pattern)
        self._lanes = [_Lane() for _ in range(lanes if ordered_by_key else 1)]
        self._retrying = 0  # events waiting for a scheduled retry, counted against capacity
        self._queued = 0  # events in the lanes; kept as a counter because depth is hot
        self._busy = 0  # lanes running a handler right now
        self._space: asyncio.Future[None] | None = None
        self._stopped = False  # unsubscribed or the bus closed: takes no more events
        self.delivered = 0
        self.failed = 0
        self.dead_lettered = 0
        self.blocked_publishes = 0  # how often a publisher had to wait for this handler

    def matches(self, topic: str) -> bool:
        return self._regex.match(topic) is not None

    @property
    def depth(self) -> int:
        """Events queued or waiting for a retry."""
        return self._queued + self._retrying

    @property
    def lagging(self) -> bool:
        """True when the queue is at least 80 % full: the handler is not keeping up."""
        return self.depth >= self.capacity * 0.8

    @property
    def idle(self) -> bool:
        return self._queued == 0 and self._retrying == 0 and self._busy == 0

    # -- queueing ---------------------------------------------------------------------

    def _lane_for(self, event: Envelope) -> _Lane:
        if len(self._lanes) == 1:
            return self._lanes[0]
        key = (event.key or event.chain_id).encode("utf-8", "surrogatepass")
        return self._lanes[zlib.crc32(key) % len(self._lanes)]

    async def _wait_for_space(self) -> None:
        loop = asyncio.get_running_loop()
        while self.depth >= self.capacity and not self._stopped:
            self.blocked_publishes += 1
            if self._space is None or self._space.done():
                self._space = loop.create_future()
            await asyncio.shield(self._space)

    def _enqueue(self, event: Envelope, attempt: int = 0) -> None:
        if self._stopped:
            return
        lane = self._lane_for(event)
        lane.items.append((event, attempt))
        self._queued += 1
        if lane.task is None:
            lane.task = asyncio.get_running_loop().create_task(
                self._work(lane), name=f"eventflow-bus:{self.name}"
            )
        waiter = lane.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _made_space(self) -> None:
        space = self._space
        if space is not None and not space.done() and self.depth < self.capacity:
            space.set_result(None)
        if self.bus._drainers and self.idle:
            self.bus._wake_drainers()

    # -- delivery ---------------------------------------------------------------------

    async def _work(self, lane: _Lane) -> None:
        loop = asyncio.get_running_loop()
        in_a_row = 0
        while True:
            if not lane.items:
                lane.waiter = loop.create_future()
                await lane.waiter
                lane.waiter = None
                in_a_row = 0
                continue
            event, attempt = lane.items.popleft()
            self._queued -= 1
            self._busy += 1
            try:
                await self._deliver(event, attempt)
            finally:
                self._busy -= 1
                self._made_space()
            in_a_row += 1
            if in_a_row >= _YIELD_EVERY:
                in_a_row = 0
                await asyncio.sleep(0)

    async def _deliver(self, event: Envelope, attempt: int) -> None:
        counters = self.bus.counters_for(event.topic or "")
        while True:
            attempt += 1
            token = _handling.set(event)
            try:
                await self.handler(event)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failed += 1
                counters.failed += 1
                if attempt >= self.retry.max_attempts:
                    self._dead_letter(event, exc, attempt)
                    return
                delay = self.retry.delay(attempt)
                if self.ordered_by_key:
                    # Order matters more than throughput here: the lane waits.
                    await asyncio.sleep(delay)
                    continue
                self._retrying += 1
                asyncio.get_running_loop().call_later(delay, self._retry_now, event, attempt)
                return
            else:
                self.delivered += 1
                counters.delivered += 1
                return
            finally:
                _handling.reset(token)

    def _retry_now(self, event: Envelope, attempt: int) -> None:
        self._retrying -= 1
        if self.bus.closed:
            return
        self._enqueue(event, attempt)

    def _dead_letter(self, event: Envelope, exc: Exception, attempts: int) -> None:
        self.dead_lettered += 1
        self.bus.counters_for(event.topic or "").dead_lettered += 1
        reason, tb = describe_exception(exc)
        letter = DeadLetter(
            event=event,
            reason=reason,
            traceback=tb,
            handler=self.name,
            attempts=attempts,
            original_topic=event.topic,
        )
        log.info("dead letter from %s on %s: %s", self.name, event.topic, reason)
        self.bus._emit_dead_letter(letter)

    async def _stop(self) -> None:
        self._stopped = True
        space = self._space  # release publishers waiting for room: there will be none
        if space is not None and not space.done():
            space.set_result(None)
        tasks = [lane.task for lane in self._lanes if lane.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for lane in self._lanes:
            lane.task = None


class EventBus:
    """In-process publish/subscribe. See the module docstring for the contract.

    ``on_publish`` sees every published event (the ingest pipeline listens here);
    ``on_dead_letter`` receives every dead letter. Listeners must not raise; if one does,
    the error is logged and the bus goes on.
    """

    def __init__(
        self,
        *,
        on_publish: PublishListener | None = None,
        on_dead_letter: DeadLetterListener | None = None,
        default_capacity: int = 10_000,
    ) -> None:
        self.on_publish = on_publish
        self.on_dead_letter = on_dead_letter
        self.default_capacity = default_capacity
        self.counters: dict[str, TopicCounters] = {}
        self.closed = False
        self._subscriptions: list[Subscription] = []
        self._routes: dict[str, list[Subscription]] = {}  # topic -> matching subscriptions
        self._drainers: list[asyncio.Future[None]] = []

    @property
    def subscriptions(self) -> list[Subscription]:
        return list(self._subscriptions)

    def subscribe(
        self,
        pattern: str,
        handler: Handler,
        *,
        name: str | None = None,
        retry: RetryPolicy | None = None,
        capacity: int | None = None,
        ordered_by_key: bool = False,
        lanes: int = 4,
    ) -> Subscription:
        """Register ``handler`` for every topic matching ``pattern``."""
        sub = Subscription(
            self,
            pattern,
            handler,
            name=name or str(getattr(handler, "__qualname__", repr(handler))),
            retry=retry or RetryPolicy(),
            capacity=capacity or self.default_capacity,
            ordered_by_key=ordered_by_key,
            lanes=max(1, lanes),
        )
        self._subscriptions.append(sub)
        self._routes.clear()
        return sub

    async def unsubscribe(self, sub: Subscription) -> None:
        """Remove a subscription; events still in its queue are dropped."""
        if sub in self._subscriptions:
            self._subscriptions.remove(sub)
            self._routes.clear()
            await sub._stop()

    def counters_for(self, topic: str) -> TopicCounters:
        counters = self.counters.get(topic)
        if counters is None:
            counters = self.counters[topic] = TopicCounters()
        return counters

    def _route(self, topic: str) -> list[Subscription]:
        subs = self._routes.get(topic)
        if subs is None:
            subs = self._routes[topic] = [s for s in self._subscriptions if s.matches(topic)]
        return subs

    async def publish(self, event: Envelope, topic: str | None = None) -> Envelope:
        """Publish ``event`` on ``topic`` (default: ``event.topic``) and return it.

        Waits only while a matching subscription's queue is full. Raises ``ValueError``
        without a topic and ``RuntimeError`` once the bus is closed.
        """
        if self.closed:
            raise RuntimeError("the event bus is closed")
        if topic is not None:
            event.topic = topic
        elif not event.topic:
            raise ValueError("publish needs a topic: pass one or set event.topic")
        parent = _handling.get()
        if parent is not None:
            if event.correlation_id is None:
                event.correlation_id = parent.chain_id
            if event.causation_id is None:
                event.causation_id = parent.id
        subs = self._route(event.topic)
        for sub in subs:
            if sub.depth >= sub.capacity:
                await sub._wait_for_space()
                if self.closed:
                    raise RuntimeError("the event bus is closed")
            sub._enqueue(event)
        self.counters_for(event.topic).published += 1
        if self.on_publish is not None:
            try:
                self.on_publish(event)
            except Exception:
                log.exception("publish listener failed")
        return event

    def _emit_dead_letter(self, letter: DeadLetter) -> None:
        if self.on_dead_letter is not None:
            try:
                self.on_dead_letter(letter)
            except Exception:
                log.exception("dead-letter listener failed")

    @property
    def idle(self) -> bool:
        return all(sub.idle for sub in self._subscriptions)

    def _wake_drainers(self) -> None:
        if not self.idle:
            return
        drainers, self._drainers = self._drainers, []
        for fut in drainers:
            if not fut.done():
                fut.set_result(None)

    async def drain(self) -> None:
        """Wait until every queue is empty and no handler or retry is pending."""
        while not self.idle and not self.closed:
            fut = asyncio.get_running_loop().create_future()
            self._drainers.append(fut)
            await fut

    async def close(self) -> None:
        """Stop every worker. Queued events and pending retries are dropped."""
        self.closed = True
        for sub in self._subscriptions:
            await sub._stop()
        self._wake_drainers()
        for fut in self._drainers:
            if not fut.done():
                fut.set_result(None)
        self._drainers.clear()

    async def __aenter__(self) -> EventBus:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
