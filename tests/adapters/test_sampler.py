"""Lag and dead-letter depth sampled from a real broker into gauges."""

from __future__ import annotations

import asyncio

from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.sampler import ClusterSampler
from tests.adapters.broker import free_port
from tests.adapters.conftest import commit_offsets, create_topic, produce
from tests.polling import poll_until


def test_sampler_records_group_lag_and_dead_letter_depth_over_time(
    profile: ConnectionProfile, topic_name: str
) -> None:
    async def run() -> None:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name)
        await create_topic(bs, topic_name + ".DLQ")
        await produce(bs, topic_name, [b"{}"] * 6)
        await produce(bs, topic_name + ".DLQ", [b"{}"] * 2)
        group = topic_name + "-audit"
        await commit_offsets(bs, group, {(topic_name, 0): 1})
        sampler = ClusterSampler(profile)
        async with KafkaCluster(profile) as cluster:
            await sampler.sample_once(cluster)
            await commit_offsets(bs, group, {(topic_name, 0): 4})
            await sampler.sample_once(cluster)
        assert [v for _, v in sampler.lag.series(group)] == [5.0, 2.0]
        assert sampler.dead_letter_depth.latest()[topic_name + ".DLQ"] == 2.0
        assert any(g.group_id == group for g in sampler.groups)

    asyncio.run(run())


def test_sampler_reports_an_unreachable_cluster_and_keeps_trying() -> None:
    states: list[tuple[str, str]] = []
    profile = ConnectionProfile(name="gone", bootstrap_servers=f"127.0.0.1:{free_port()}")
    sampler = ClusterSampler(
        profile, interval=0.05, on_state=lambda s, sentence: states.append((s, sentence))
    )

    async def run() -> None:
        task = asyncio.create_task(sampler.run())
        await poll_until(lambda: len(states) >= 2 or task.done(), 30, every=0.02)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run())
    assert all(state == "unavailable" for state, _ in states[:2])
    assert "Nothing accepts connections" in states[0][1]
