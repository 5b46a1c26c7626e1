"""The embedded runtime: wiring bus -> pipeline -> log, clean start/stop, restarts that
remember pending dead letters, and a dead letter replayed to a finished chain."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

from monitor.core.bus import RetryPolicy
from monitor.core.chains import build_chain
from monitor.core.demo import Scenario
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.replay import replay_on_bus
from monitor.core.runtime import EmbeddedRuntime


def other_tasks() -> list[asyncio.Task[object]]:
    return [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]


def test_a_runtime_without_a_log_still_feeds_the_live_views() -> None:
    runtime = EmbeddedRuntime(None, demo_rate=None)
    assert runtime.writer is None and runtime.log is None and runtime.demo is None

    async def main() -> None:
        await runtime.start()
        await runtime.start()  # idempotent
        got: list[str] = []

        async def handler(e: Envelope) -> None:
            got.append(e.type)

        runtime.bus.subscribe("things.*", handler)
        await runtime.bus.publish(Envelope(type="Thing", source="me"), "things.made")
        await runtime.bus.drain()
        await runtime.stop()
        assert got == ["Thing"]
        assert runtime.pipeline.accepted == 1
        assert runtime.pipeline.live.latest(1)[0].type == "Thing"
        assert other_tasks() == []

    asyncio.run(main())


def test_stop_without_start_closes_the_log(tmp_path: Path) -> None:
    runtime = EmbeddedRuntime(tmp_path / "log.db", demo_rate=5)
    assert runtime.writer is not None
    asyncio.run(runtime.stop())
    assert not runtime.writer._thread.is_alive()
    assert (tmp_path / "log.db").exists()


def test_a_restart_remembers_pending_dead_letters(tmp_path: Path) -> None:
    db = tmp_path / "log.db"

    async def first() -> None:
        runtime = EmbeddedRuntime(db, demo_rate=None)
        await runtime.start()

        async def broken(e: Envelope) -> None:
            raise RuntimeError("down")

        runtime.bus.subscribe("jobs", broken, retry=RetryPolicy(max_attempts=1))
        for _ in range(2):
            await runtime.bus.publish(Envelope(type="Job", source="me"), "jobs")
        await runtime.bus.drain()
        assert runtime.pipeline.stats.dead_letters_pending == 2
        await runtime.stop()

    async def second() -> int:
        runtime = EmbeddedRuntime(db, demo_rate=None)
        await runtime.start()
        pending = runtime.pipeline.stats.dead_letters_pending
        await runtime.stop()
        return pending

    asyncio.run(first())
    assert asyncio.run(second()) == 2
    with EventLog(db) as log:
        assert log.count_events() == 2
        assert log.stats().dead_letters_by_status["pending"] == 2


def test_a_dead_letter_replayed_after_the_fault_is_fixed_completes_its_chain(
    tmp_path: Path,
) -> None:
    db = tmp_path / "log.db"
    scenario = dataclasses.replace(
        Scenario.load(),
        payment_decline_rate=0.0,
        warehouse_timeout_rate=1.0,  # the warehouse is down
        poison_sku_rate=0.0,
        duplicate_delivery_rate=0.0,
        step_delay_ms=(1.0, 2.0),
        retry=RetryPolicy(max_attempts=2, base_delay=0.005),
    )
    runtime = EmbeddedRuntime(db, demo_rate=0, scenario=scenario, seed=3)

    async def main() -> str:
        await runtime.start()
        demo, log, writer = runtime.demo, runtime.log, runtime.writer
        assert demo is not None and log is not None and writer is not None
        assert demo.orders_placed == 0  # rate 0: services only
        order = await demo.place_order()
        await demo.settle()
        await asyncio.to_thread(writer.flush, 10)
        letters = await asyncio.to_thread(log.dead_letters, status="pending")
        assert [d.handler for d in letters] == ["warehouse"]
        assert letters[0].event.type == "PaymentAuthorized"

        scenario.warehouse_timeout_rate = 0.0  # the warehouse is back
        outcomes = await replay_on_bus(runtime.bus, log, letters)
        assert [o.status for o in outcomes] == ["replayed"]
        await demo.settle()
        await runtime.stop(settle=True)
        assert other_tasks() == []
        return order.id

    order_id = asyncio.run(main())
    with EventLog(db) as log:
        chain = build_chain(order_id, log.chain_events(order_id), log.chain_dead_letters(order_id))
        # the payment event is logged twice (first delivery and replay): one node, and the
        # replay is a replay, not a duplicate delivery; the wait for it is not latency
        assert [e.type for e in chain.events] == [
            "OrderPlaced",
            "PaymentAuthorized",
            "InventoryReserved",
            "OrderShipped",
        ]
        assert chain.duplicates == {}
        payment = chain.events[1]
        assert list(chain.replays) == [payment.id]
        assert [e.parent_id for e in chain.replay_edges] == [payment.id]
        assert chain.slowest is not None and not chain.slowest.replay
        assert log.dead_letters(status="replayed")[0].replay_count == 1
        assert log.dead_letters(status="pending") == []
