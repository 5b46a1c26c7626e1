"""The consumers of each topic, as the event catalog names them: the consumer groups
whose committed offsets cover the topic (a group that reads a topic commits there).

:func:`consumer_groups_by_topic` asks a connected :class:`KafkaCluster`;
:func:`note_consumer_groups` is what a host calls: connect, ask, tell the catalog, and
never fail the host (a cluster that cannot be asked is logged and skipped).
"""

from __future__ import annotations

import asyncio
import logging

from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.profiles import ConnectionProfile
from monitor.core.catalog.catalog import Catalog

log = logging.getLogger(__name__)

ASK_WITHIN = 8.0  # seconds a host waits for the groups before it goes on without them


async def consumer_groups_by_topic(cluster: KafkaCluster) -> dict[str, list[str]]:
    """``{topic: [group, ...]}`` for every topic some group has committed offsets on."""
    by_topic: dict[str, set[str]] = {}
    for group in await cluster.groups():
        for partition in group.partitions:
            by_topic.setdefault(partition.topic, set()).add(group.group_id)
    return {topic: sorted(groups) for topic, groups in sorted(by_topic.items())}


async def note_consumer_groups(
    catalog: Catalog, profile: ConnectionProfile, password: str | None = None
) -> dict[str, list[str]]:
    """Tell ``catalog`` which groups consume which topics of the cluster; returns them
    (empty when the cluster could not be asked within :data:`ASK_WITHIN` seconds)."""

    async def ask() -> dict[str, list[str]]:
        async with KafkaCluster(profile, password) as cluster:
            return await consumer_groups_by_topic(cluster)

    try:
        found = await asyncio.wait_for(ask(), ASK_WITHIN)
    except Exception as exc:  # never the host's failure: the catalog just lacks them
        log.info("the consumer groups of %s could not be read: %s", profile.name, exc)
        return {}
    catalog.set_consumers(found)
    return found
