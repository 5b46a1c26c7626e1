"""History and alerts for the window, as one QObject: signals out, coroutines in.

:class:`HistoryService` sits over the runtime's :class:`~monitor.core.history_watch.
HistoryWatch` (the core samples, stores and evaluates; this only hosts it). It adds the
Kafka side's gauges to the samples while a cluster is connected, turns each alert the
engine raises into :attr:`alert_raised`, and reads series and alerts from the log in a
worker thread, so no view ever waits on SQLite.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Signal

from adapters.kafka.cluster import GroupInfo
from monitor.core.alerts import Alert, AlertRule
from monitor.core.gauges import GaugeHistory
from monitor.core.history_probes import cluster_probes
from monitor.core.history_store import Series
from monitor.core.history_watch import HistoryWatch
from monitor.ui.background import BackgroundTasks
from monitor.ui.context import AppContext
from monitor.ui.kafka_service import KafkaService

log = logging.getLogger(__name__)


class HistoryService(QObject):
    alert_raised = Signal(object)  # Alert, stored (it has its id)
    alerts_changed = Signal()  # one was raised or acknowledged: lists reload
    sampled = Signal()  # a sample was taken: history charts may redraw

    def __init__(
        self, context: AppContext, kafka: KafkaService | None = None, parent: Any = None
    ) -> None:
        super().__init__(parent)
        self.watch: HistoryWatch = context.runtime.history
        self.runtime = context.runtime
        self.tasks = BackgroundTasks(self)
        self.lag_seconds = GaugeHistory()
        if kafka is not None:
            kafka.groups_updated.connect(self._record_lag_seconds)
            context.kafka.changed.connect(lambda: self._set_profile(context))
            self.watch.probes.extend(
                cluster_probes(
                    kafka.lag,
                    self.lag_seconds,
                    kafka.dead_letter_depth,
                    fresh=3 * kafka_interval(kafka),
                    total_dead_letters=False,  # the log's pending count is the total
                )
            )
        self.watch.alert_listeners.append(self._raised)
        self.watch.sample_listeners.append(self._sampled)

    def _set_profile(self, context: AppContext) -> None:
        profile = context.kafka.profile
        self.watch.engine.profile = profile.name if profile is not None else None

    def _record_lag_seconds(self, groups: list[GroupInfo]) -> None:
        for g in groups:
            if g.lag_seconds is not None:
                self.lag_seconds.record(g.group_id, g.lag_seconds)

    def _raised(self, alert: Alert) -> None:
        self.alert_raised.emit(alert)
        self.alerts_changed.emit()

    def _sampled(self, _at: float, _values: dict[str, float]) -> None:
        self.sampled.emit()

    @property
    def keeps_history(self) -> bool:
        return self.watch.db_path is not None

    # -- reading (worker thread) --------------------------------------------------------

    async def series(
        self, patterns: Sequence[str], *, since: float, step: float | None = None
    ) -> list[Series]:
        """Stored series matching ``patterns`` since ``since``; empty without a log."""
        store = self.watch.store
        if store is None:
            return []
        return await asyncio.to_thread(store.read, list(patterns), since=since, step=step)

    async def alerts(self, limit: int = 500) -> list[Alert]:
        log_ = self.watch.alerts
        if log_ is None:
            return []
        return await asyncio.to_thread(log_.alerts, limit=limit)

    async def acknowledge(self, ids: Sequence[int]) -> int:
        log_ = self.watch.alerts
        if log_ is None or not ids:
            return 0
        changed = await asyncio.to_thread(log_.acknowledge, list(ids))
        self.alerts_changed.emit()
        return changed

    async def dead_letter_near(self, at: float, within: float) -> str | None:
        """The id of the dead letter created nearest to ``at`` (within ``within`` seconds
        after it: a chart's point starts its bucket), or None."""
        event_log = self.runtime.log
        if event_log is None:
            return None
        letters = await asyncio.to_thread(event_log.dead_letters, limit=5000)
        near = [d for d in letters if at - 1.0 <= d.created_at <= at + within]
        if not near:
            return None
        return min(near, key=lambda d: abs(d.created_at - at)).id

    def rules(self) -> list[AlertRule]:
        return list(self.watch.engine.rules)

    async def save_rule(self, rule: AlertRule) -> None:
        await self.watch.save_rule(rule)


def kafka_interval(kafka: KafkaService) -> float:
    return float(getattr(kafka, "sample_interval", 5.0))
