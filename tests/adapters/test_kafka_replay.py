"""Replaying dead letters into a real broker: marker headers, ack before the store
changes, no accidental second replay."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.replay import replay_to_kafka
from monitor.core.deadletters import REPLAY_COUNT_HEADER, REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from tests.adapters.conftest import create_topic, read_topic


def letters(n: int, topic: str) -> list[DeadLetter]:
    return [
        DeadLetter(
            event=Envelope(type="PaymentAuthorized", source="t", data={"n": i}, topic=topic),
            reason="ValueError: boom",
            original_topic=topic,
            handler="warehouse",
            attempts=3,
        )
        for i in range(n)
    ]


def test_replay_sends_with_marker_headers_then_marks_replayed_and_skips_a_second_time(
    profile: ConnectionProfile, topic_name: str, tmp_path: Path
) -> None:
    dead = letters(5, topic_name)
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters(dead)

        async def run() -> None:
            await create_topic(profile.bootstrap_servers, topic_name)
            async with KafkaPublisher(profile) as pub:
                first = await replay_to_kafka(pub, log, dead, window=2)
                assert [o.status for o in first] == ["replayed"] * 5
                again = await replay_to_kafka(pub, log, [log.dead_letter(d.id) for d in dead])
                assert [o.status for o in again] == ["skipped"] * 5
            sent = await read_topic(profile, topic_name, 5)
            assert [e.headers[REPLAY_HEADER] for e in sent] == [d.id for d in dead]
            assert {e.headers[REPLAY_COUNT_HEADER] for e in sent} == {"1"}
            assert [e.id for e in sent] == [d.event.id for d in dead]

        asyncio.run(run())
        for d in dead:
            stored = log.dead_letter(d.id)
            assert stored.status == "replayed" and stored.replay_count == 1
            [action] = log.actions(d.id)
            assert action.target == f"kafka:test/{topic_name}"
            assert action.result.startswith(f"acked at {topic_name}[0]@")


def test_a_crash_between_ack_and_store_update_leaves_letters_pending_not_lost(
    profile: ConnectionProfile, topic_name: str, tmp_path: Path
) -> None:
    """The store fails after the broker acknowledged: the letters stay pending (they were
    sent, at least once) and a later replay sends them again with the same marker."""
    dead = letters(3, topic_name)
    path = tmp_path / "log.db"
    with EventLog(path) as log:
        log.add_dead_letters(dead)
    broken = EventLog(path)
    broken.close()  # every write now fails, as if the process died before the update

    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name)
        async with KafkaPublisher(profile) as pub:
            with pytest.raises(Exception, match="closed"):
                await replay_to_kafka(pub, broken, dead)
            with EventLog(path) as log:
                assert {log.dead_letter(d.id).status for d in dead} == {"pending"}
                assert log.actions() == []
                # After the restart: replayed again, now recorded.
                outcomes = await replay_to_kafka(pub, log, [log.dead_letter(d.id) for d in dead])
                assert [o.status for o in outcomes] == ["replayed"] * 3
                assert {log.dead_letter(d.id).status for d in dead} == {"replayed"}
        sent = await read_topic(profile, topic_name, 6)
        # Each was sent twice, both times with the marker a consumer can deduplicate on.
        assert sorted(e.headers[REPLAY_HEADER] for e in sent) == sorted([d.id for d in dead] * 2)

    asyncio.run(run())


def test_dry_run_sends_nothing_and_changes_nothing(
    profile: ConnectionProfile, topic_name: str, tmp_path: Path
) -> None:
    dead = letters(2, topic_name)
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters(dead)

        async def run() -> None:
            await create_topic(profile.bootstrap_servers, topic_name)
            async with KafkaPublisher(profile) as pub:
                outcomes = await replay_to_kafka(pub, log, dead, dry_run=True)
            assert [o.status for o in outcomes] == ["would replay"] * 2

        asyncio.run(run())
        assert {log.dead_letter(d.id).status for d in dead} == {"pending"}
        assert log.actions() == []
