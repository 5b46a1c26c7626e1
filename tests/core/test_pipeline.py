"""The ingest pipeline: each batch reaches stats, chains, the live buffer and the log writer;
a partial batch is flushed by the timer; dead letters reach the writer and the stats."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial
from pathlib import Path

import pytest

from monitor.core.bus import EventBus, RetryPolicy
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.logwriter import LogWriter
from monitor.core.pipeline import IngestPipeline
from tests.polling import poll_until


def ev(corr: str, type_: str = "OrderPlaced", topic: str = "orders.placed") -> Envelope:
    return Envelope(type=type_, source="test", topic=topic, correlation_id=corr)


wait_until = partial(poll_until, every=0.002)


def test_a_full_batch_goes_to_stats_chains_live_buffer_and_writer(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    try:
        pipeline = IngestPipeline(writer=writer, batch_size=10)
        events = [ev(f"c{i % 3}") for i in range(25)]
        for e in events[:9]:
            pipeline.accept(e)
        # not yet a full batch, and no timer running: nothing handed on
        assert pipeline.accepted == 0 and pipeline.live.seq == 0 and writer.backlog == 0
        pipeline.accept(events[9])  # the 10th completes the batch
        assert pipeline.accepted == 10
        pipeline.accept_many(events[10:25])  # 15 more: 25 pending >= 10, handed on at once
        assert pipeline.accepted == 25
        assert pipeline.stats.total == 25
        assert pipeline.stats.totals_by_topic == {"orders.placed": 25}
        assert len(pipeline.chains) == 3
        chain = pipeline.chains.chain("c0")
        assert chain is not None and len(chain.events) == 9
        live, seq, missed = pipeline.live.since(0)
        assert [e.id for e in live] == [e.id for e in events] and seq == 25 and missed == 0
        assert writer.flush(timeout=10)
        with EventLog(db) as log:
            assert log.count_events() == 25
            assert len(log.chain_events("c1")) == 8
    finally:
        writer.close()


def test_a_partial_batch_is_flushed_by_the_timer(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))

    async def main() -> None:
        pipeline = IngestPipeline(writer=writer, batch_size=1000, flush_interval=0.02)
        pipeline.start()
        pipeline.start()  # idempotent: one timer
        try:
            for i in range(7):
                pipeline.accept(ev(f"c{i}"))
            assert pipeline.live.seq == 0
            await wait_until(lambda: pipeline.live.seq == 7)
            assert pipeline.accepted == 7 and pipeline.stats.total == 7
            await asyncio.to_thread(writer.flush, 10)
            assert writer.written == 7
            pipeline.accept(ev("last"))
        finally:
            await pipeline.stop()  # flushes what is left and stops the timer
        assert pipeline.accepted == 8
        assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]

    try:
        asyncio.run(main())
        assert writer.flush(timeout=10)
    finally:
        writer.close()
    with EventLog(db) as log:
        assert log.count_events() == 8


def test_dead_letters_reach_writer_stats_and_chain_after_their_event(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))

    async def main() -> IngestPipeline:
        pipeline = IngestPipeline(writer=writer, batch_size=1000, flush_interval=10.0)
        bus = EventBus(on_publish=pipeline.accept, on_dead_letter=pipeline.accept_dead_letter)

        async def broken(e: Envelope) -> None:
            raise ValueError(f"cannot handle {e.type}")

        bus.subscribe("orders.*", broken, name="warehouse", retry=RetryPolicy(max_attempts=1))
        async with bus:
            await bus.publish(ev("c-9"), "orders.placed")
            await bus.drain()
        return pipeline

    try:
        pipeline = asyncio.run(main())
        # the dead letter flushed the pending batch first, so its event is not waiting
        assert pipeline.accepted == 1
        assert pipeline.stats.dead_letters_pending == 1
        assert pipeline.stats.dead_letters_total == 1
        chain = pipeline.chains.chain("c-9")
        assert chain is not None and [d.handler for d in chain.dead_letters] == ["warehouse"]
        revision = pipeline.chains.revision("c-9")
        pipeline.dead_letters_resolved({chain.dead_letters[0].id: "replayed"})
        assert pipeline.stats.dead_letters_pending == 0
        assert pipeline.stats.dead_letters_total == 1
        # its chain no longer shows it pending, and says it changed
        resolved = pipeline.chains.chain("c-9")
        assert resolved is not None and [d.status for d in resolved.dead_letters] == ["replayed"]
        assert pipeline.chains.revision("c-9") != revision
        assert writer.flush(timeout=10)
    finally:
        writer.close()
    with EventLog(db) as log:
        letters = log.dead_letters()
        assert len(letters) == 1
        letter: DeadLetter = letters[0]
        assert letter.handler == "warehouse" and letter.status == "pending"
        assert letter.reason == "ValueError: cannot handle OrderPlaced"
        assert [e.id for e in log.chain_events("c-9")] == [letter.event.id]


def test_wait_for_room_slows_a_fast_source_to_the_writers_pace(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))

    async def main() -> int:
        pipeline = IngestPipeline(writer=writer, batch_size=500, max_backlog=2000)
        worst = 0
        for _ in range(40):
            pipeline.accept_many([ev("c") for _ in range(500)])
            await pipeline.wait_for_room()
            worst = max(worst, writer.backlog)
        await pipeline.stop()
        return worst

    try:
        worst = asyncio.run(main())
        assert worst <= 2000
        assert writer.flush(timeout=30)
    finally:
        writer.close()
    with EventLog(db) as log:
        assert log.count_events() == 20_000


def test_an_observer_that_raises_costs_neither_the_log_nor_the_other_observers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    seen: list[int] = []

    class Broken:
        name = "broken chart"

        def observe(self, events: Sequence[Envelope]) -> None:
            raise RuntimeError("chart exploded")

    class Counting:
        def observe(self, events: Sequence[Envelope]) -> None:
            seen.append(len(events))

    try:
        pipeline = IngestPipeline(writer=writer, batch_size=5)
        # Before the built-in observers, so a batch meets the failure first.
        pipeline.observers.insert(0, Broken())
        pipeline.add_observer(Counting())
        pipeline.accept_many([ev("c1") for _ in range(5)])
        pipeline.accept_many([ev("c2") for _ in range(5)])
        assert seen == [5, 5]
        assert pipeline.stats.total == 10 and len(pipeline.chains) == 2
        assert pipeline.live.seq == 10
        assert writer.flush(timeout=10)
        with EventLog(db) as log:
            assert log.count_events() == 10
        assert "broken chart" in caplog.text and "chart exploded" in caplog.text
    finally:
        writer.close()
