"""The idempotency guard: at most once per (handler, event id), failures not marked, marks
that survive a restart through the event log."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from monitor.core.bus import EventBus, RetryPolicy
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.idempotency import IdempotencyGuard
from monitor.core.logwriter import LogWriter


def ev() -> Envelope:
    return Envelope(type="PaymentAuthorized", source="test")


def test_once_skips_a_second_delivery_of_the_same_event_and_counts_it() -> None:
    guard = IdempotencyGuard()
    runs: list[str] = []

    async def ship(e: Envelope) -> None:
        runs.append(e.id)

    guarded = guard.once("shipping", ship)

    async def main() -> None:
        first, second = ev(), ev()
        async with EventBus() as bus:
            bus.subscribe("payments.authorized", guarded, name="shipping")
            for e in (first, first, second, first):  # an at-least-once transport
                await bus.publish(e, "payments.authorized")
            await bus.drain()
        assert runs == [first.id, second.id]
        assert guard.duplicates_skipped == 2
        assert guard.seen("shipping", first.id)
        assert not guard.seen("billing", first.id)  # per handler

    asyncio.run(main())


def test_an_event_whose_handler_failed_is_not_marked_and_is_retried() -> None:
    guard = IdempotencyGuard()
    attempts: list[str] = []

    async def flaky(e: Envelope) -> None:
        attempts.append(e.id)
        if len(attempts) == 1:
            raise TimeoutError("warehouse did not answer")

    guarded = guard.once("warehouse", flaky)
    event = ev()

    async def direct() -> None:
        with pytest.raises(TimeoutError):
            await guarded(event)
        assert not guard.seen("warehouse", event.id)
        await guarded(event)  # the retry runs the handler again
        assert guard.seen("warehouse", event.id)
        await guarded(event)
        assert attempts == [event.id, event.id]
        assert guard.duplicates_skipped == 1

    asyncio.run(direct())

    # and on the bus: a retried failure is delivered, not skipped as a duplicate
    bus_guard = IdempotencyGuard()
    calls: list[int] = []

    async def fails_once(e: Envelope) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise TimeoutError("transient")

    async def on_bus() -> None:
        async with EventBus() as bus:
            sub = bus.subscribe(
                "t",
                bus_guard.once("w", fails_once),
                retry=RetryPolicy(max_attempts=3, base_delay=0.01),
            )
            await bus.publish(ev(), "t")
            await bus.drain()
            assert sub.delivered == 1 and sub.dead_lettered == 0
        assert len(calls) == 2
        assert bus_guard.duplicates_skipped == 0

    asyncio.run(on_bus())


def test_marks_survive_a_restart_through_the_log(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    done, failed = ev(), ev()

    async def ok(e: Envelope) -> None:
        pass

    async def bad(e: Envelope) -> None:
        raise RuntimeError("no")

    writer = LogWriter(str(db))
    try:
        with EventLog(db) as log:
            guard = IdempotencyGuard(log=log, writer=writer)

            async def first_run() -> None:
                await guard.once("shipping", ok)(done)
                with pytest.raises(RuntimeError):
                    await guard.once("shipping", bad)(failed)

            asyncio.run(first_run())
        assert writer.flush(timeout=10)
    finally:
        writer.close()

    # "restart": a new log connection and a new guard, nothing in memory
    with EventLog(db) as log:
        assert log.is_processed("shipping", done.id)
        assert not log.is_processed("shipping", failed.id)
        warm = IdempotencyGuard(log=log)
        cold = IdempotencyGuard(log=log, cache_size=0)  # beyond the cache, the log decides
        runs: list[str] = []

        async def record(e: Envelope) -> None:
            runs.append(e.id)

        assert not cold._cache  # nothing warmed: a hit can only come from the log

        async def second_run() -> None:
            await warm.once("shipping", record)(done)  # warmed cache: skipped
            await warm.once("shipping", record)(failed)  # never marked: runs now
            await cold.once("shipping", record)(done)  # primary-key lookup: skipped

        asyncio.run(second_run())
        assert runs == [failed.id]
        assert warm.duplicates_skipped == 1
        assert cold.duplicates_skipped == 1


def test_the_cache_is_bounded() -> None:
    guard = IdempotencyGuard(cache_size=10)
    for i in range(100):
        guard.mark("h", f"e{i}")
    assert len(guard._cache) == 10
    assert guard.seen("h", "e99") and not guard.seen("h", "e0")  # no log to fall back on


def test_new_events_are_not_looked_up_in_the_log_and_evicted_ones_are(tmp_path: Path) -> None:
    # The log lookup is a blocking read on the event loop's thread: a new event, made
    # after the guard started and after any mark it evicted, cannot have been processed,
    # so only replays, old events and evicted ones cost one.
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    runs: list[str] = []

    async def record(e: Envelope) -> None:
        runs.append(e.id)

    try:
        with EventLog(db) as log:
            guard = IdempotencyGuard(log=log, writer=writer, cache_size=2)
            handler = guard.once("shipping", record)
            first, second, third = ev(), ev(), ev()

            async def run() -> None:
                for e in (first, second, third):  # the third evicts the first's mark
                    await handler(e)
                assert guard.log_lookups == 0
                assert writer.flush(timeout=10)
                await handler(first)  # redelivered: only the log still knows it
                assert guard.log_lookups == 1 and guard.duplicates_skipped == 1
                await handler(ev())  # made now, after the eviction: no lookup
                assert guard.log_lookups == 1
                replayed = Envelope(type="X", source="t", time=first.time)
                await handler(replayed)  # an old time, unknown id: asked, and runs
                assert guard.log_lookups == 2

            asyncio.run(run())
    finally:
        writer.close()
    assert len(runs) == 5
