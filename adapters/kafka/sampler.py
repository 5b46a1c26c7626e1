"""Periodic sampling of a cluster's consumer lag and dead-letter depth into gauges.

:class:`ClusterSampler` asks the cluster every ``interval`` seconds for each consumer
group's total lag, its lag in seconds (the age of the record at the committed offset,
the worst partition's) and each dead-letter topic's depth, and records them in
:class:`~monitor.core.gauges.GaugeHistory` objects the window and the history read. A failed sample
is reported through ``on_state`` and retried on the next tick; sampling never stops on an
error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from adapters.kafka.cluster import GroupInfo, KafkaCluster
from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import ConnectionProfile
from monitor.core.gauges import GaugeHistory

log = logging.getLogger(__name__)


class ClusterSampler:
    def __init__(
        self,
        profile: ConnectionProfile,
        password: str | None = None,
        *,
        lag: GaugeHistory | None = None,
        dead_letter_depth: GaugeHistory | None = None,
        interval: float = 5.0,
        on_state: Callable[[str, str], None] | None = None,
    ) -> None:
        self.profile = profile
        self.password = password
        self.lag = lag if lag is not None else GaugeHistory()
        self.dead_letter_depth = (
            dead_letter_depth if dead_letter_depth is not None else GaugeHistory()
        )
        self.lag_seconds = GaugeHistory()
        self.interval = interval
        self.on_state = on_state
        self.groups: list[GroupInfo] = []  # the latest full answer, for a table of partitions

    async def sample_once(self, cluster: KafkaCluster) -> None:
        groups = await cluster.groups(lag_seconds=True)
        depth = await cluster.dead_letter_depth()
        for group in groups:
            self.lag.record(group.group_id, group.lag)
            if group.lag_seconds is not None:
                self.lag_seconds.record(group.group_id, group.lag_seconds)
        for topic, messages in depth.items():
            self.dead_letter_depth.record(topic, messages)
        self.groups = groups

    async def run(self) -> None:
        """Sample until cancelled, reconnecting as needed."""
        while True:
            try:
                async with KafkaCluster(self.profile, self.password) as cluster:
                    self._state("sampling", f"Sampling lag on {self.profile.bootstrap_servers}.")
                    while True:
                        await self.sample_once(cluster)
                        await asyncio.sleep(self.interval)
            except KafkaUnavailable as exc:
                self._state("unavailable", f"{exc} Retrying in {self.interval:g} s.")
                await asyncio.sleep(self.interval)

    def _state(self, state: str, sentence: str) -> None:
        log.info("lag sampler %s: %s", state, sentence)
        if self.on_state is not None:
            self.on_state(state, sentence)
