"""A Kafka session as the window uses it: browse, watch, tail into the pipeline, publish."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from functools import partial

import pytest

from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import ConfirmationNeeded, WriteRefused
from adapters.kafka.session import KafkaSession, check_connection
from adapters.kafka.tail import StartPosition
from adapters.schema_registry.client import RegistryClient
from monitor.core.envelope import Envelope
from monitor.core.formats.framing import SchemaRef
from monitor.core.formats.schemas import Unavailable
from monitor.core.pipeline import IngestPipeline
from tests.adapters.broker import TansuBroker, free_port
from tests.adapters.conftest import commit_offsets, create_topic, produce
from tests.adapters.schema_registry_server import SchemaRegistryServer
from tests.polling import poll_until

until = partial(poll_until, every=0.02)


def in_live(pipeline: IngestPipeline, topic: str) -> list[Envelope]:
    return [e for e in pipeline.live.latest(pipeline.live.capacity) if e.topic == topic]


def test_session_reads_topics_groups_and_samples_lag(
    profile: ConnectionProfile, topic_name: str
) -> None:
    snapshots: list[tuple[list[str], list[str]]] = []

    async def run() -> None:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name)
        await create_topic(bs, topic_name + ".DLT")
        await produce(bs, topic_name, [b"{}"] * 5)
        await produce(bs, topic_name + ".DLT", [b"{}"] * 2)
        group = topic_name + "-billing"
        await commit_offsets(bs, group, {(topic_name, 0): 2})
        pipeline = IngestPipeline()
        session = KafkaSession(
            profile,
            pipeline=pipeline,
            interval=0.2,
            on_snapshot=lambda t, g: snapshots.append(
                ([x.name for x in t], [x.group_id for x in g])
            ),
        )
        await session.open()
        try:
            topics = {t.name: t for t in session.topics}
            assert topics[topic_name].messages == 5
            assert topics[topic_name + ".DLT"].is_dead_letter_topic
            lag = {g.group_id: g.lag for g in session.groups}
            assert lag[group] == 3
            assert session.lag.latest()[group] == 3.0
            assert session.dead_letter_depth.latest()[topic_name + ".DLT"] == 2.0
            await commit_offsets(bs, group, {(topic_name, 0): 4})
            # The watch samples again, and hands the tables a new snapshot.
            await until(lambda: session.lag.latest()[group] == 1.0 and len(snapshots) >= 2)
            assert topic_name in snapshots[-1][0] and group in snapshots[-1][1]
        finally:
            await session.close()
        assert session.running_tasks() == []
        await session.close()  # twice is fine

    asyncio.run(run())


def test_wrong_address_fails_with_one_sentence_and_leaves_nothing_running() -> None:
    profile = ConnectionProfile(name="typo", bootstrap_servers=f"127.0.0.1:{free_port()}")

    async def run() -> None:
        session = KafkaSession(profile, pipeline=IngestPipeline())
        with pytest.raises(KafkaUnavailable) as caught:
            await session.open()
        assert "Nothing accepts connections" in str(caught.value)
        assert "\n" not in str(caught.value)
        assert session.running_tasks() == []
        ok, sentence = await check_connection(profile)
        assert not ok and "Nothing accepts connections" in sentence
        await session.close()

    asyncio.run(run())


def test_check_connection_counts_topics(profile: ConnectionProfile) -> None:
    ok, sentence = asyncio.run(check_connection(profile))
    assert ok and sentence.startswith(f"Connected to {profile.bootstrap_servers}: ")


def test_tail_feeds_the_pipeline_and_publish_comes_back_through_it(
    profile: ConnectionProfile, topic_name: str
) -> None:
    tail_states: list[str] = []

    async def run() -> None:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name)
        await produce(bs, topic_name, [json.dumps({"n": i}).encode() for i in range(3)])
        pipeline = IngestPipeline()
        pipeline.start()
        session = KafkaSession(
            profile, pipeline=pipeline, on_tail_state=lambda s, _: tail_states.append(s)
        )
        await session.open()
        try:
            await session.start_tail([topic_name], StartPosition("beginning"))
            assert session.tailing and session.is_tailing(topic_name)
            assert not session.is_tailing("other")
            await until(lambda: len(in_live(pipeline, topic_name)) == 3)
            event = Envelope(type="Probe", source="test", data={"x": 1}, correlation_id="c-9")
            sent = await session.publish(event, topic_name, mode="structured")
            assert sent.offset == 3
            await until(lambda: any(e.type == "Probe" for e in in_live(pipeline, topic_name)))
            back = next(e for e in in_live(pipeline, topic_name) if e.type == "Probe")
            assert (back.id, back.correlation_id, back.data) == (event.id, "c-9", {"x": 1})

            progress: list[tuple[int, int]] = []
            acked = await session.burst(
                lambda i: Envelope(type="Burst", source="test", data={"i": i}),
                topic_name,
                count=20,
                rate=400,
                on_progress=lambda d, n: progress.append((d, n)),
            )
            assert acked == 20 and progress[-1] == (20, 20)
            await until(lambda: sum(e.type == "Burst" for e in in_live(pipeline, topic_name)) == 20)
            await session.stop_tail()
            assert not session.tailing
        finally:
            await session.close()
            await pipeline.stop()
        assert session.running_tasks() == []

    asyncio.run(run())
    assert tail_states[0] == "connected" and tail_states[-1] == "stopped"


def test_tail_of_a_missing_topic_fails_at_start_and_of_a_pattern_waits(
    profile: ConnectionProfile,
) -> None:
    async def run() -> None:
        states: list[str] = []
        session = KafkaSession(
            profile,
            pipeline=IngestPipeline(),
            on_tail_state=lambda state, _sentence: states.append(state),
        )
        await session.open()
        try:
            with pytest.raises(KafkaUnavailable, match="No topic"):
                await session.start_tail(["no-such-topic"])  # a name: a typo, most likely
            assert not session.tailing and session.running_tasks() != []
            await session.start_tail(["no-such-topic-*"])  # a pattern: topics to come
            assert session.tailing and states[-1] == "waiting"
        finally:
            await session.close()

    asyncio.run(run())


def test_read_only_and_production_profiles_gate_publishing(profile: ConnectionProfile) -> None:
    event = Envelope(type="T", source="s")

    async def run() -> None:
        ro = KafkaSession(replace(profile, read_only=True), pipeline=IngestPipeline())
        prod = KafkaSession(replace(profile, environment="production"), pipeline=IngestPipeline())
        with pytest.raises(WriteRefused, match="read-only"):
            await ro.publish(event, "anything")
        with pytest.raises(ConfirmationNeeded, match="confirmation"):
            await prod.burst(lambda i: event, "anything", count=1, rate=None)
        await ro.close()
        await prod.close()

    asyncio.run(run())


def test_watch_reports_a_lost_broker_and_its_return() -> None:
    broker = TansuBroker().start()
    states: list[tuple[str, str]] = []
    profile = ConnectionProfile(name="flaky", bootstrap_servers=broker.bootstrap)

    async def run() -> None:
        session = KafkaSession(
            profile,
            pipeline=IngestPipeline(),
            interval=0.1,
            on_state=lambda s, sentence: states.append((s, sentence)),
        )
        await session.open()
        try:
            broker.stop()
            await until(lambda: any(s == "reconnecting" for s, _ in states), within=40)
            broker.start()
            await until(lambda: states[-1][0] == "connected", within=40)
        finally:
            await session.close()

    try:
        asyncio.run(run())
    finally:
        broker.stop()
    reconnecting = next(sentence for s, sentence in states if s == "reconnecting")
    assert "Retrying in 0.1 s" in reconnecting


def test_closing_the_session_closes_its_schema_registry_client(
    profile: ConnectionProfile,
) -> None:
    with SchemaRegistryServer() as registry:
        with_registry = replace(profile, registry_url=registry.url)

        registry.state.fault = "hang"  # a schema fetch still on its way at the close
        registry.state.hang_for = 2.0

        async def scenario() -> tuple[object, object, object, list[str]]:
            session = KafkaSession(with_registry, pipeline=IngestPipeline())
            # Two callers at once (the tail starting, a late decode) share one source.
            source, again = await asyncio.gather(session.schema_source(), session.schema_source())
            assert isinstance(source, RegistryClient) and again is source
            settled: list[str] = []
            pending = source.lookup(SchemaRef(id=1), "t", False)
            source.when_settled(lambda: settled.append("settled"))
            await session.close()
            assert await session.schema_source() is None  # nothing new after the close
            # The pending fetch settles as closed, and whoever waited on it is told; a
            # decode still holding the source is told why nothing is fetched.
            return pending, source.lookup(SchemaRef(id=1), "t", False), source, settled

        pending, answer, source, settled = asyncio.run(scenario())
    assert "being fetched" in pending.reason  # type: ignore[attr-defined]
    assert isinstance(answer, Unavailable)
    assert "was closed; connect again" in answer.reason
    assert settled == ["settled"]
    assert source._pool._shutdown  # type: ignore[attr-defined]
