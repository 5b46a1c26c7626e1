"""Replaying dead letters on the bus: original topic, replay headers, store updated only after
the bus accepted the event, no accidental second replay, dry runs that change nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from monitor.core.bus import EventBus
from monitor.core.deadletters import REPLAY_COUNT_HEADER, REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.replay import replay_on_bus


def make_letter(topic: str | None = "payments.authorized") -> DeadLetter:
    event = Envelope(
        type="PaymentAuthorized",
        source="demo-shop/payments",
        topic=topic,
        correlation_id="order-1",
        causation_id="evt-0",
        headers={"traceparent": "00-abc-01"},
        data={"orderId": "ord-1"},
    )
    return DeadLetter(
        event=event, reason="WarehouseTimeout", original_topic=topic, handler="warehouse"
    )


def test_replay_republishes_to_the_original_topic_with_replay_headers(tmp_path: Path) -> None:
    letter = make_letter()
    received: list[Envelope] = []
    state_at_publish: list[tuple[str, int]] = []

    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([letter])

        def on_publish(e: Envelope) -> None:
            # runs inside publish: the store must not say "replayed" before the bus took it
            stored = log.dead_letter(letter.id)
            state_at_publish.append((stored.status, len(log.actions(letter.id))))

        async def main() -> None:
            async def warehouse(e: Envelope) -> None:
                received.append(e)

            async with EventBus(on_publish=on_publish) as bus:
                bus.subscribe("payments.authorized", warehouse)
                progress: list[tuple[int, int]] = []
                outcomes = await replay_on_bus(
                    bus, log, [letter], on_progress=lambda d, t: progress.append((d, t))
                )
                await bus.drain()
            assert [(o.status, o.target) for o in outcomes] == [
                ("replayed", "bus:payments.authorized")
            ]
            assert progress == [(1, 1)]

        asyncio.run(main())

        assert state_at_publish == [("pending", 0)]
        assert len(received) == 1
        replayed = received[0]
        assert replayed.topic == "payments.authorized"
        assert replayed.id == letter.event.id  # same event: consumers can deduplicate
        assert replayed.correlation_id == "order-1" and replayed.causation_id == "evt-0"
        assert replayed.data == {"orderId": "ord-1"}
        assert replayed.headers == {
            "traceparent": "00-abc-01",
            REPLAY_HEADER: letter.id,
            REPLAY_COUNT_HEADER: "1",
        }
        assert REPLAY_HEADER not in letter.event.headers  # the stored event is not changed
        stored = log.dead_letter(letter.id)
        assert stored.status == "replayed" and stored.replay_count == 1
        actions = log.actions(letter.id)
        assert [(a.action, a.target, a.result) for a in actions] == [
            ("replay", "bus:payments.authorized", "published")
        ]


def test_a_replayed_letter_is_skipped_unless_forced(tmp_path: Path) -> None:
    letter = make_letter()
    received: list[Envelope] = []
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([letter])

        async def main() -> None:
            async def handler(e: Envelope) -> None:
                received.append(e)

            async with EventBus() as bus:
                bus.subscribe("#", handler)
                first = await replay_on_bus(bus, log, [log.dead_letter(letter.id)])
                assert first[0].status == "replayed"
                again = await replay_on_bus(bus, log, [log.dead_letter(letter.id)])
                assert again[0].status == "skipped"
                assert "already replayed" in again[0].detail
                forced = await replay_on_bus(bus, log, [log.dead_letter(letter.id)], force=True)
                assert forced[0].status == "replayed"
                other = await replay_on_bus(
                    bus, log, [log.dead_letter(letter.id)], topic="payments.retry", force=True
                )
                assert other[0].target == "bus:payments.retry"
                await bus.drain()

        asyncio.run(main())
        assert [e.headers[REPLAY_COUNT_HEADER] for e in received] == ["1", "2", "3"]
        assert [e.topic for e in received] == [
            "payments.authorized",
            "payments.authorized",
            "payments.retry",
        ]
        assert log.dead_letter(letter.id).replay_count == 3
        assert len(log.actions(letter.id)) == 3


def test_dry_run_changes_nothing(tmp_path: Path) -> None:
    letter = make_letter()
    received: list[Envelope] = []
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([letter])

        async def main() -> None:
            async def handler(e: Envelope) -> None:
                received.append(e)

            async with EventBus() as bus:
                bus.subscribe("#", handler)
                outcomes = await replay_on_bus(bus, log, [letter], dry_run=True)
                await bus.drain()
                assert [o.status for o in outcomes] == ["would replay"]
                assert bus.counters == {}

        asyncio.run(main())
        assert received == []
        stored = log.dead_letter(letter.id)
        assert stored.status == "pending" and stored.replay_count == 0
        assert log.actions() == []


def test_a_letter_without_topic_or_a_refused_publish_fails_and_stays_pending(
    tmp_path: Path,
) -> None:
    no_topic = make_letter(topic=None)
    letter = make_letter()
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([no_topic, letter])

        async def main() -> None:
            bus = EventBus()
            await bus.close()  # the bus refuses every publish now
            outcomes = await replay_on_bus(bus, log, [no_topic, letter])
            assert [o.status for o in outcomes] == ["failed", "failed"]
            assert "no original topic" in outcomes[0].detail
            assert "closed" in outcomes[1].detail

        asyncio.run(main())
        assert log.dead_letter(letter.id).status == "pending"
        assert [(a.action, a.result) for a in log.actions(letter.id)] == [
            ("replay", "the event bus is closed")
        ]
        assert log.actions(no_topic.id) == []
        assert log.dead_letter(no_topic.id).status == "pending"
