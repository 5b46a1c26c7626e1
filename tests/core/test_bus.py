"""The embedded bus: routing, isolation, retries, dead letters, causation, order,
backpressure, counters, drain and close."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import pytest

from monitor.core.bus import EventBus, RetryPolicy, current_event
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from tests.polling import poll_until

TIMEOUT = 10.0


def run(coro: Coroutine[Any, Any, None]) -> None:
    """Run a test coroutine with an overall timeout (without an extra task around it)."""

    async def bounded() -> None:
        async with asyncio.timeout(TIMEOUT * 3):
            await coro

    asyncio.run(bounded())


wait_until = partial(poll_until, within=TIMEOUT, every=0.001)


def other_tasks() -> set[asyncio.Task[Any]]:
    return {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}


def ev(type_: str = "Thing", **kw: Any) -> Envelope:
    return Envelope(type=type_, source="test", **kw)


class Boom(Exception):
    pass


# -- routing and isolation ---------------------------------------------------------------


def test_publish_delivers_only_to_subscriptions_whose_pattern_matches() -> None:
    async def main() -> None:
        got: dict[str, list[str]] = {"star": [], "hash": [], "pay": [], "all": []}

        def recorder(name: str) -> Callable[[Envelope], Coroutine[Any, Any, None]]:
            async def handler(e: Envelope) -> None:
                got[name].append(e.topic or "")

            return handler

        async with EventBus() as bus:
            bus.subscribe("orders.*", recorder("star"))
            bus.subscribe("orders.#", recorder("hash"))
            bus.subscribe("payments.*", recorder("pay"))
            bus.subscribe("#", recorder("all"))
            for topic in ("orders.placed", "orders.placed.eu", "payments.failed", "orders"):
                await bus.publish(ev(), topic)
            await bus.drain()
        assert got["star"] == ["orders.placed"]
        assert got["hash"] == ["orders.placed", "orders.placed.eu", "orders"]
        assert got["pay"] == ["payments.failed"]
        assert got["all"] == ["orders.placed", "orders.placed.eu", "payments.failed", "orders"]

    run(main())


def test_publish_without_a_topic_raises_value_error() -> None:
    async def main() -> None:
        async with EventBus() as bus:
            with pytest.raises(ValueError):
                await bus.publish(ev())
            e = ev(topic="orders.placed")
            assert (await bus.publish(e)).topic == "orders.placed"

    run(main())


def test_a_raising_handler_affects_neither_the_publisher_nor_another_handler() -> None:
    async def main() -> None:
        good: list[str] = []
        letters: list[DeadLetter] = []

        async def bad(e: Envelope) -> None:
            raise Boom("always")

        async def fine(e: Envelope) -> None:
            good.append(e.id)

        async with EventBus(on_dead_letter=letters.append) as bus:
            bus.subscribe("orders.placed", bad, name="bad", retry=RetryPolicy(max_attempts=1))
            bus.subscribe("orders.placed", fine, name="fine")
            events = [ev() for _ in range(5)]
            for e in events:
                await bus.publish(e, "orders.placed")  # must not raise
            await bus.drain()
        assert good == [e.id for e in events]
        assert [d.event.id for d in letters] == [e.id for e in events]
        assert {d.handler for d in letters} == {"bad"}

    run(main())


# -- retries and dead letters ------------------------------------------------------------


def test_retry_delay_is_exponential_capped_and_jittered_within_bounds() -> None:
    random.seed(1234)
    policy = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=0.3, jitter=0.2)
    expected_base = {1: 0.1, 2: 0.2, 3: 0.3, 4: 0.3, 10: 0.3}  # 0.4 and up capped at 0.3
    for failures, base in expected_base.items():
        samples = [policy.delay(failures) for _ in range(2000)]
        assert all(base * 0.8 - 1e-9 <= s <= base * 1.2 + 1e-9 for s in samples), failures
        # jitter really spreads the delays, over both sides of the base
        assert min(samples) < base * 0.9 and max(samples) > base * 1.1
    exact = RetryPolicy(base_delay=0.05, max_delay=10.0, jitter=0.0)
    assert [exact.delay(n) for n in (1, 2, 3, 4)] == [0.05, 0.1, 0.2, 0.4]
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_failing_handler_is_attempted_max_attempts_times_with_growing_backoff() -> None:
    async def main() -> None:
        attempts_at: list[float] = []
        letters: list[DeadLetter] = []
        loop = asyncio.get_running_loop()

        async def flaky(e: Envelope) -> None:
            attempts_at.append(loop.time())
            raise Boom("no")

        policy = RetryPolicy(max_attempts=4, base_delay=0.02, max_delay=5.0, jitter=0.25)
        async with EventBus(on_dead_letter=letters.append) as bus:
            sub = bus.subscribe("jobs", flaky, name="flaky", retry=policy)
            await bus.publish(ev(), "jobs")
            await bus.drain()
            assert len(attempts_at) == 4
            assert sub.failed == 4 and sub.dead_lettered == 1 and sub.delivered == 0
        gaps = [b - a for a, b in itertools.pairwise(attempts_at)]
        for n, gap in enumerate(gaps, start=1):
            lower = 0.02 * 2 ** (n - 1) * (1 - 0.25)
            assert lower - 0.002 <= gap < lower * 2 + 1.0, (n, gaps)
        assert gaps[2] > gaps[0]  # 0.06..0.10 s against 0.015..0.025 s
        assert len(letters) == 1

    run(main())


def test_after_the_last_attempt_a_dead_letter_carries_handler_reason_traceback_topic() -> None:
    async def main() -> None:
        letters: list[DeadLetter] = []
        event = ev("OrderPlaced", correlation_id="corr-7")

        async def reserve(e: Envelope) -> None:
            raise Boom(f"product {e.type} is not stocked")

        async with EventBus(on_dead_letter=letters.append) as bus:
            bus.subscribe(
                "orders.*",
                reserve,
                name="warehouse",
                retry=RetryPolicy(max_attempts=3, base_delay=0.001, jitter=0.0),
            )
            await bus.publish(event, "orders.placed")
            await bus.drain()
        assert len(letters) == 1
        letter = letters[0]
        assert letter.event is event
        assert letter.handler == "warehouse"
        assert letter.reason == "Boom: product OrderPlaced is not stocked"
        assert letter.traceback is not None
        assert "Traceback" in letter.traceback and "in reserve" in letter.traceback
        assert letter.attempts == 3
        assert letter.original_topic == "orders.placed"
        assert letter.status == "pending"

    run(main())


def test_a_raising_dead_letter_listener_does_not_stop_the_bus() -> None:
    async def main() -> None:
        ok: list[str] = []

        def broken_listener(letter: DeadLetter) -> None:
            raise RuntimeError("listener bug")

        async def handler(e: Envelope) -> None:
            if e.type == "bad":
                raise Boom("x")
            ok.append(e.type)

        async with EventBus(on_dead_letter=broken_listener) as bus:
            bus.subscribe("t", handler, retry=RetryPolicy(max_attempts=1))
            await bus.publish(ev("bad"), "t")
            await bus.publish(ev("good"), "t")
            await bus.drain()
        assert ok == ["good"]

    run(main())


# -- causation --------------------------------------------------------------------------


def test_events_published_in_a_handler_inherit_correlation_and_get_causation() -> None:
    async def main() -> None:
        children: list[Envelope] = []
        child_tasks: list[asyncio.Task[Envelope]] = []

        async with EventBus() as bus:

            async def parent_handler(e: Envelope) -> None:
                assert current_event() is e
                await bus.publish(ev("Direct", subject=e.id), "children")
                # a task created inside the handler copies its context
                child_tasks.append(
                    asyncio.create_task(bus.publish(ev("ViaTask", subject=e.id), "children"))
                )

            async def child_handler(e: Envelope) -> None:
                children.append(e)

            bus.subscribe("parents", parent_handler)
            bus.subscribe("children", child_handler)
            no_corr = ev("Root")
            with_corr = ev("Root", correlation_id="order-42")
            await bus.publish(no_corr, "parents")
            await bus.publish(with_corr, "parents")
            await wait_until(lambda: len(children) == 4)
            await asyncio.gather(*child_tasks)
            await bus.drain()
            assert current_event() is None

        by_parent = {(c.subject, c.type): c for c in children}
        for kind in ("Direct", "ViaTask"):
            a = by_parent[(no_corr.id, kind)]
            assert a.correlation_id == no_corr.id  # no correlation: the parent's own id
            assert a.causation_id == no_corr.id
            b = by_parent[(with_corr.id, kind)]
            assert b.correlation_id == "order-42"
            assert b.causation_id == with_corr.id
        assert no_corr.causation_id is None and with_corr.causation_id is None

    run(main())


# -- ordering ---------------------------------------------------------------------------


def test_ordered_by_key_keeps_per_key_order_while_a_failed_event_waits_for_its_retry() -> None:
    async def main() -> None:
        ordered_done: list[str] = []
        unordered_done: list[str] = []
        failed_once: set[tuple[str, str]] = set()

        def handler(name: str, done: list[str]) -> Callable[[Envelope], Any]:
            async def handle(e: Envelope) -> None:
                if e.type == "k1-1" and (name, e.id) not in failed_once:
                    failed_once.add((name, e.id))
                    raise Boom("transient")
                done.append(e.type)

            return handle

        policy = RetryPolicy(max_attempts=3, base_delay=0.05, jitter=0.0)
        async with EventBus() as bus:
            bus.subscribe(
                "jobs",
                handler("ordered", ordered_done),
                name="ordered",
                retry=policy,
                ordered_by_key=True,
                lanes=4,
            )
            bus.subscribe("jobs", handler("unordered", unordered_done), retry=policy)
            for t in ("k1-1", "k2-1", "k1-2", "k2-2", "k1-3"):
                await bus.publish(ev(t, key=t[:2]), "jobs")
            await bus.drain()

        def of(key: str, done: list[str]) -> list[str]:
            return [t for t in done if t.startswith(key)]

        assert of("k1", ordered_done) == ["k1-1", "k1-2", "k1-3"]
        assert of("k2", ordered_done) == ["k2-1", "k2-2"]
        # Without ordering the retry is scheduled aside and the rest overtakes it.
        assert of("k1", unordered_done) == ["k1-2", "k1-3", "k1-1"]

    run(main())


# -- backpressure -----------------------------------------------------------------------


def test_backpressure_publish_waits_depth_bounded_subscription_reports_lagging() -> None:
    async def main() -> None:
        capacity, total = 5, 60
        release: asyncio.Queue[None] = asyncio.Queue()
        handled = 0
        published = 0
        worst_depth = 0
        worst_in_memory = 0

        async with EventBus() as bus:

            async def slow(e: Envelope) -> None:
                nonlocal handled, worst_depth
                worst_depth = max(worst_depth, sub.depth)
                await release.get()
                handled += 1

            sub = bus.subscribe("jobs", slow, name="slow", capacity=capacity)

            async def producer() -> None:
                nonlocal published, worst_depth, worst_in_memory
                for _ in range(total):
                    await bus.publish(ev(), "jobs")
                    published += 1
                    worst_depth = max(worst_depth, sub.depth)
                    # events held by the bus: queued ones plus the one being handled
                    worst_in_memory = max(worst_in_memory, published - handled)

            task = asyncio.create_task(producer())
            await wait_until(lambda: sub.blocked_publishes > 0)
            assert not task.done()
            assert published < total
            # the queue is full, less the event the handler took and is stuck on
            assert capacity - 1 <= sub.depth <= capacity
            assert sub.lagging
            for _ in range(total):
                before = handled
                release.put_nowait(None)
                await wait_until(lambda b=before: handled > b)
                assert sub.depth <= capacity
            await task
            await bus.drain()
            assert handled == total
            assert not sub.lagging
            assert sub.blocked_publishes > 0
            assert worst_depth <= capacity
            assert worst_in_memory <= capacity + 1

    run(main())


# -- counters, drain, close ---------------------------------------------------------------


def test_counters_per_topic_published_delivered_failed_dead_lettered() -> None:
    async def main() -> None:
        async def ok(e: Envelope) -> None:
            pass

        async def fail(e: Envelope) -> None:
            raise Boom("x")

        async with EventBus() as bus:
            bus.subscribe("good", ok)
            bus.subscribe("good", ok, name="second")
            bus.subscribe("bad", fail, retry=RetryPolicy(max_attempts=2, base_delay=0.001))
            for _ in range(3):
                await bus.publish(ev(), "good")
            for _ in range(2):
                await bus.publish(ev(), "bad")
            await bus.publish(ev(), "nobody.listens")
            await bus.drain()
            good, bad, none = (bus.counters[t] for t in ("good", "bad", "nobody.listens"))
        assert (good.published, good.delivered, good.failed, good.dead_lettered) == (3, 6, 0, 0)
        assert (bad.published, bad.delivered, bad.failed, bad.dead_lettered) == (2, 0, 4, 2)
        assert (none.published, none.delivered) == (1, 0)

    run(main())


def test_drain_returns_only_after_scheduled_retries_are_done() -> None:
    async def main() -> None:
        calls: list[str] = []

        async def once_failing(e: Envelope) -> None:
            calls.append(e.id)
            if len(calls) == 1:
                raise Boom("first attempt fails")

        async with EventBus() as bus:
            await bus.drain()  # idle: returns at once
            sub = bus.subscribe(
                "jobs", once_failing, retry=RetryPolicy(max_attempts=3, base_delay=0.1)
            )
            await bus.publish(ev(), "jobs")
            await wait_until(lambda: len(calls) == 1)
            assert sub.depth == 1  # waiting for its retry
            assert not bus.idle
            await bus.drain()
            assert len(calls) == 2
            assert sub.delivered == 1 and sub.failed == 1
            assert bus.idle

    run(main())


def test_close_leaves_no_pending_tasks_and_publish_after_close_raises() -> None:
    async def main() -> None:
        gate = asyncio.Event()

        async def stuck(e: Envelope) -> None:
            await gate.wait()

        async def always_fails(e: Envelope) -> None:
            raise Boom("x")

        bus = EventBus()
        sub = bus.subscribe("stuck", stuck, capacity=2)
        bus.subscribe("flaky", always_fails, retry=RetryPolicy(max_attempts=5, base_delay=0.5))
        bus.subscribe("k", stuck, ordered_by_key=True, lanes=3)
        for i in range(3):
            await bus.publish(ev(key=f"k{i}"), "k")
        await bus.publish(ev(), "flaky")  # its retry is scheduled, then the bus closes
        # Two publishers blocked by backpressure must be released by close, not hang.
        publishers = [asyncio.create_task(bus.publish(ev(), "stuck")) for _ in range(4)]
        await wait_until(lambda: sub.blocked_publishes > 0)
        assert other_tasks()
        await bus.close()
        results = await asyncio.gather(*publishers, return_exceptions=True)
        blocked = [r for r in results if isinstance(r, RuntimeError)]
        assert blocked, results
        assert not other_tasks()
        with pytest.raises(RuntimeError):
            await bus.publish(ev(), "stuck")
        await asyncio.sleep(0.6)  # the scheduled retry comes due after close: nothing starts
        assert not other_tasks()

    run(main())


def test_unsubscribe_stops_delivery_to_that_handler() -> None:
    async def main() -> None:
        got: list[str] = []

        async def handler(e: Envelope) -> None:
            got.append(e.type)

        async with EventBus() as bus:
            sub = bus.subscribe("t", handler)
            await bus.publish(ev("before"), "t")
            await bus.drain()
            await bus.unsubscribe(sub)
            await bus.publish(ev("after"), "t")
            await bus.drain()
            assert bus.subscriptions == []
        assert got == ["before"]

    run(main())
