"""The loop every host runs: sample the probes, store the samples, evaluate the rules.

:class:`HistoryWatch` is hosted by the window, ``demo --headless``, ``kafka tail`` and
``eventflow watch`` alike. Every ``interval`` seconds it calls its probes (cheap, on the
event loop), hands the values to the :class:`~monitor.core.alerts.AlertEngine`, and
writes samples and alerts to the log in a worker thread. Roll-ups run every
``rollup_every`` seconds, also in the thread.

:meth:`stop` takes a last sample, so a history ends on the true final value. A sample
that cannot be written is logged and the loop goes on: history must never stop a host.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path

from monitor.core.alert_log import AlertLog
from monitor.core.alerts import Alert, AlertEngine, AlertRule
from monitor.core.history_probes import Probe
from monitor.core.history_store import TIERS, HistoryStore
from monitor.core.periodic import Periodic

log = logging.getLogger(__name__)

DEFAULT_INTERVAL = 5.0
_ROLLUP_EVERY = 60.0
_REMEMBER = 86_400.0  # alerts read back at start, so quiet periods survive a restart


class HistoryWatch:
    """``db_path=None`` evaluates rules but stores nothing (a run without a log)."""

    def __init__(
        self,
        db_path: str | Path | None,
        *,
        interval: float = DEFAULT_INTERVAL,
        profile: str | None = None,
        clock: Callable[[], float] = time.time,
        rollup_every: float = _ROLLUP_EVERY,
        remember_alerts: bool = True,
    ) -> None:
        self.db_path = str(db_path) if db_path is not None else None
        # False for a check that must report what holds now (watch --exit-on-alert),
        # whatever an earlier run already told: no quiet period carried over.
        self.remember_alerts = remember_alerts
        self.interval = interval
        self.clock = clock
        self.rollup_every = rollup_every
        self.engine = AlertEngine(profile=profile)
        self.probes: list[Probe] = []
        # Told of each alert after it is stored (it has its id then); one that raises is
        # logged and skipped.
        self.alert_listeners: list[Callable[[Alert], None]] = []
        self.sample_listeners: list[Callable[[float, dict[str, float]], None]] = []
        self.store: HistoryStore | None = None
        self.alerts: AlertLog | None = None
        self.last_values: dict[str, float] = {}
        self.samples_taken = 0
        self._rolled_at = 0.0
        self._sampler: Periodic | None = None
        self._io = asyncio.Lock()

    async def open(self) -> None:
        """Open the log's history and alerts, read the rules and recent alerts."""
        if self.db_path is None or self.store is not None:
            return
        path = self.db_path

        def opening() -> tuple[HistoryStore, AlertLog, list[AlertRule], list[Alert]]:
            store = HistoryStore(path)
            alerts = AlertLog(path)
            return store, alerts, alerts.rules(), alerts.alerts(since=self.clock() - _REMEMBER)

        self.store, self.alerts, rules, recent = await asyncio.to_thread(opening)
        self.engine.set_rules(rules)
        if self.remember_alerts:
            self.engine.remember(recent)

    async def begin(self) -> None:
        """Open the log's history, take the first sample now (where the next sample's
        rates start from, so events that arrive at once are counted) and start the loop."""
        await self.open()
        try:
            await self.sample()
        except Exception:
            log.exception("the first history sample failed")
        self.start(first_sample=False)

    def start(self, *, first_sample: bool = True) -> None:
        """Sample every ``interval`` seconds until :meth:`stop`, the first one at once
        unless ``first_sample`` is false (:meth:`begin` took it)."""
        if self._sampler is None:
            # The first sample at once: it is where the rates of the next one start from,
            # so even a run shorter than the interval ends with its rates.
            self._sampler = Periodic(
                self.interval, self._open_and_sample, what="taking a history sample",
                at_once=first_sample,
            )  # fmt: skip
            self._sampler.start()

    async def _open_and_sample(self) -> None:
        with contextlib.suppress(Exception):
            await self.open()
        await self.sample()

    def take(self) -> tuple[float, dict[str, float], list[Alert]]:
        """Call the probes and the engine (on the caller's thread); store nothing."""
        at = self.clock()
        values: dict[str, float] = {}
        for probe in list(self.probes):
            try:
                values.update(probe(at))
            except Exception:
                log.exception("a history probe failed")
        alerts = self.engine.observe(at, values)
        self.last_values = values
        self.samples_taken += 1
        return at, values, alerts

    async def sample(self) -> list[Alert]:
        """Take one sample, store it and its alerts, tell the listeners."""
        at, values, alerts = self.take()
        async with self._io:
            if self.store is not None and self.alerts is not None:
                store, alert_log = self.store, self.alerts
                roll = at - self._rolled_at >= self.rollup_every
                if roll:
                    self._rolled_at = at

                def write() -> None:
                    store.write(at, values)
                    if alerts:
                        alert_log.add(alerts)
                    if roll:
                        store.roll_up(at)
                        alert_log.forget_before(at - TIERS[-1].keep)

                await asyncio.to_thread(write)
        for listener in list(self.sample_listeners):
            try:
                listener(at, values)
            except Exception:
                log.exception("history sample listener failed")
        for alert in alerts:
            for alert_listener in list(self.alert_listeners):
                try:
                    alert_listener(alert)
                except Exception:
                    log.exception("alert listener failed")
        return alerts

    async def stop(self) -> None:
        """Stop the loop, take the last sample, close the log's history."""
        if self._sampler is not None:
            sampler, self._sampler = self._sampler, None
            await sampler.stop()
        try:
            await self.open()
            await self.sample()
        except Exception:
            log.exception("the last history sample failed")
        store, alerts = self.store, self.alerts
        self.store = self.alerts = None
        if store is not None or alerts is not None:

            def closing() -> None:
                for closable in (store, alerts):
                    if closable is not None:
                        closable.close()

            await asyncio.to_thread(closing)

    async def save_rule(self, rule: AlertRule) -> None:
        """Store an edited rule and use it from the next sample on."""
        rules = [rule if r.name == rule.name else r for r in self.engine.rules]
        if rule not in rules:
            rules.append(rule)
        self.engine.set_rules(rules)  # in place: a list of rules keeps its order
        if self.alerts is not None:
            await asyncio.to_thread(self.alerts.save_rule, rule)
