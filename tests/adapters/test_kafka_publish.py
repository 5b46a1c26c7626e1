"""Publishing test events to a real broker, and the safety gate in front of every write."""

from __future__ import annotations

import asyncio

import pytest

from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import (
    ConfirmationNeeded,
    KafkaPublisher,
    WriteRefused,
    check_partition_number,
    check_write_allowed,
)
from monitor.core.envelope import Envelope
from tests.adapters.conftest import create_topic, read_topic


@pytest.mark.parametrize("mode", ["binary", "structured"])
def test_published_events_come_back_identical_in_both_cloudevents_modes(
    profile: ConnectionProfile, topic_name: str, mode: str
) -> None:
    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name)
        event = Envelope(
            type="OrderPlaced",
            source="eventflow-test",
            subject="ord-1",
            data={"orderId": "ord-1", "total": 12.5},
            key="ord-1",
            correlation_id="corr-1",
            causation_id="cause-0",
            headers={"tenant": "eu"},
        )
        async with KafkaPublisher(profile, mode=mode) as pub:  # type: ignore[arg-type]
            sent = await pub.send(event, topic_name)
        assert sent.topic == topic_name and sent.offset == 0
        [back] = await read_topic(profile, topic_name, 1)
        assert (back.id, back.type, back.source, back.subject) == (
            event.id, "OrderPlaced", "eventflow-test", "ord-1",
        )  # fmt: skip
        assert back.data == {"orderId": "ord-1", "total": 12.5}
        assert (back.correlation_id, back.causation_id) == ("corr-1", "cause-0")
        assert back.key == "ord-1" and back.headers["tenant"] == "eu"
        assert not back.malformed
        if mode == "structured":
            assert back.headers["content-type"].startswith("application/cloudevents+json")
        else:
            assert back.headers["ce_id"] == event.id

    asyncio.run(run())


def test_a_burst_sends_every_event_and_reports_progress(
    profile: ConnectionProfile, topic_name: str
) -> None:
    progress: list[tuple[int, int]] = []

    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name)
        async with KafkaPublisher(profile) as pub:
            acked = await pub.burst(
                lambda i: Envelope(type="Ping", source="t", data={"i": i}),
                topic_name,
                count=250,
                rate=5000,
                window=100,
                on_progress=lambda done, total: progress.append((done, total)),
            )
        assert acked == 250
        events = await read_topic(profile, topic_name, 250)
        assert sorted(e.data["i"] for e in events) == list(range(250))

    asyncio.run(run())
    assert progress[-1] == (250, 250) and len(progress) == 3


def test_read_only_profiles_refuse_writes_and_production_ones_need_confirmation() -> None:
    ro = ConnectionProfile(name="ro", bootstrap_servers="h:1", read_only=True)
    with pytest.raises(WriteRefused, match="read-only: publishing is disabled"):
        check_write_allowed(ro, confirmed=True, action="publishing")
    prod = ConnectionProfile(name="prod", bootstrap_servers="h:1", environment="production")
    with pytest.raises(ConfirmationNeeded, match="needs explicit confirmation"):
        check_write_allowed(prod, confirmed=False, action="replay")
    check_write_allowed(prod, confirmed=True, action="replay")
    check_write_allowed(
        ConnectionProfile(name="dev", bootstrap_servers="h:1"), confirmed=False, action="x"
    )


def test_a_partition_the_topic_does_not_have_is_refused_with_one_clear_sentence(
    profile: ConnectionProfile, topic_name: str
) -> None:
    def ping(i: int) -> Envelope:
        return Envelope(type="Ping", source="t", data={"i": i})

    async def run() -> None:
        await create_topic(profile.bootstrap_servers, topic_name, 3)
        no_99 = f"^Topic {topic_name} has partitions 0-2; there is no partition 99\\.$"
        no_minus_1 = r"^There is no partition -1: partitions are numbered from 0\.$"
        async with KafkaPublisher(profile) as pub:
            with pytest.raises(KafkaUnavailable, match=no_99):
                await pub.send(ping(0), topic_name, partition=99)
            with pytest.raises(KafkaUnavailable, match=no_minus_1):
                await pub.send(ping(0), topic_name, partition=-1)
            with pytest.raises(KafkaUnavailable, match=no_99):
                await pub.burst(ping, topic_name, count=5, partition=99)
            with pytest.raises(KafkaUnavailable, match=no_minus_1):
                await pub.burst(ping, topic_name, count=5, partition=-1)
            async with KafkaCluster(profile) as cluster:
                [topic] = [t for t in await cluster.topics() if t.name == topic_name]
            assert topic.messages == 0  # nothing was sent
            sent = await pub.send(ping(0), topic_name, partition=2)  # the publisher still works
            assert (sent.partition, sent.offset) == (2, 0)
        one = f"{topic_name}-single"
        await create_topic(profile.bootstrap_servers, one, 1)
        async with KafkaPublisher(profile) as pub:
            with pytest.raises(KafkaUnavailable, match=f"^Topic {one} has only partition 0; "):
                await pub.send(ping(0), one, partition=1)

    asyncio.run(run())


def test_a_negative_partition_is_refused_without_a_connection() -> None:
    with pytest.raises(KafkaUnavailable, match="no partition -1: partitions are numbered from 0"):
        check_partition_number(-1)
    check_partition_number(0)
    check_partition_number(None)
