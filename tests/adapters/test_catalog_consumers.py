"""Consumers in the event catalog from a real consumer group's committed offsets, against
the real test broker."""

from __future__ import annotations

from adapters.kafka.catalog_consumers import consumer_groups_by_topic, note_consumer_groups
from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.profiles import ConnectionProfile
from monitor.core.catalog.catalog import Catalog
from tests.adapters.conftest import commit_offsets, create_topic, produce, read_topic, run


def test_a_groups_committed_offsets_make_it_a_consumer_of_the_topic(
    profile: ConnectionProfile, topic_name: str
) -> None:
    other = f"{topic_name}-unread"

    async def scenario() -> tuple[dict[str, list[str]], Catalog]:
        bs = profile.bootstrap_servers
        await create_topic(bs, topic_name)
        await create_topic(bs, other)
        await produce(bs, topic_name, [b'{"type": "OrderPlaced", "id": "e1", "data": {}}'])
        await produce(bs, other, [b'{"type": "StockCounted", "id": "e2", "data": {}}'])
        await commit_offsets(bs, f"{topic_name}-billing", {(topic_name, 0): 1})
        async with KafkaCluster(profile) as cluster:
            found = await consumer_groups_by_topic(cluster)
        catalog = Catalog()
        catalog.observe(await read_topic(profile, topic_name, 1))
        catalog.observe(await read_topic(profile, other, 1))
        await note_consumer_groups(catalog, profile)
        return found, catalog

    found, catalog = run(scenario())
    assert found[topic_name] == [f"{topic_name}-billing"]
    assert other not in found  # nobody committed there
    consumers = {t["type"]: t["consumers"] for t in catalog.summary()["event_types"]}
    assert consumers == {"OrderPlaced": [f"{topic_name}-billing"], "StockCounted": []}


def test_a_cluster_that_cannot_be_asked_leaves_the_catalog_as_it_was() -> None:
    nowhere = ConnectionProfile(name="nowhere", bootstrap_servers="127.0.0.1:1")
    catalog = Catalog()
    assert run(note_consumer_groups(catalog, nowhere)) == {}
    assert catalog.consumers_by_topic == {}
