"""How far behind in time a group is: the age of the record at its committed offset,
read from a real consumer group on the test broker that stopped consuming."""

from __future__ import annotations

import asyncio

from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.sampler import ClusterSampler
from tests.adapters.conftest import commit_offsets
from tests.adapters.lagging_group import make_lagging_group


def test_a_group_that_stopped_consuming_is_behind_by_the_age_of_its_next_record(
    profile: ConnectionProfile, topic_name: str
) -> None:
    group = topic_name + "-billing"

    async def run() -> None:
        bs = profile.bootstrap_servers
        await make_lagging_group(bs, topic_name, group, records=10, consumed=4, age=600)
        sampler = ClusterSampler(profile)
        async with KafkaCluster(profile) as cluster:
            await sampler.sample_once(cluster)
            (info,) = [g for g in sampler.groups if g.group_id == group]
            assert info.lag == 6
            assert info.lag_seconds is not None and 595 <= info.lag_seconds <= 700
            assert info.to_dict()["partitions"][0]["lag_seconds"] == info.lag_seconds
            # Caught up: no lag in records, none in seconds.
            await commit_offsets(bs, group, {(topic_name, 0): 10})
            await sampler.sample_once(cluster)
        assert [v for _, v in sampler.lag.series(group)] == [6.0, 0.0]
        ages = [v for _, v in sampler.lag_seconds.series(group)]
        assert ages[0] >= 595 and ages[1] == 0.0

    asyncio.run(run())
