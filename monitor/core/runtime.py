"""The embedded runtime: bus, ingest pipeline, event log and (optionally) the demo shop,
wired together and started and stopped as one.

The window and the headless ``eventflow demo`` both run exactly this, so what one shows
is what the other logs.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from monitor.core.bus import EventBus
from monitor.core.catalog.watch import CatalogWatch
from monitor.core.demo import DemoShop, Scenario
from monitor.core.demo_messy import CarelessProducer
from monitor.core.eventlog import KEEP_ALL, EventLog, Retention
from monitor.core.history_probes import LiveStatsProbe, UndecodedCounter
from monitor.core.history_watch import HistoryWatch
from monitor.core.idempotency import IdempotencyGuard
from monitor.core.logwriter import LogWriter
from monitor.core.pipeline import IngestPipeline

log = logging.getLogger(__name__)


class EmbeddedRuntime:
    """Everything that runs in process. ``db_path=None`` keeps no log (live view only).

    ``demo_rate``: orders per second the demo places; ``None`` leaves the demo out,
    ``0`` subscribes its services (so replays are handled) but places no orders.
    """

    def __init__(
        self,
        db_path: str | Path | None,
        *,
        demo_rate: float | None = 20.0,
        scenario: Scenario | None = None,
        seed: int | None = None,
        retention: Retention = KEEP_ALL,
        messy: bool = False,
    ) -> None:
        self.db_path = str(db_path) if db_path is not None else None
        self.retention = retention
        self.writer: LogWriter | None = None
        self.log: EventLog | None = None
        self.log_failure: str | None = None  # after stop(): what was not logged, and why
        if self.db_path is not None:
            self.writer = LogWriter(self.db_path, retention=retention)
            self.log = EventLog(self.db_path)
        self.pipeline = IngestPipeline(writer=self.writer)
        self.bus = EventBus(
            on_publish=self.pipeline.accept, on_dead_letter=self.pipeline.accept_dead_letter
        )
        self.guard = IdempotencyGuard(log=self.log, writer=self.writer)
        self.demo: DemoShop | None = None
        if demo_rate is not None:
            self.demo = DemoShop(
                self.bus, rate=demo_rate, guard=self.guard, scenario=scenario, seed=seed
            )
        self._demo_rate = demo_rate
        # The messy scenario: a careless producer beside the shop (started with messy=True
        # or later, from the window's Demo menu).
        self.careless = CarelessProducer(
            self.bus, seed=seed, on_dead_letter=self.pipeline.accept_dead_letter
        )
        self._messy = messy
        # The event catalog, learnt from every batch and dead letter, kept in the log.
        self.catalog = CatalogWatch(
            self.db_path,
            consumers_of=lambda topic: [s.name for s in self.bus.subscriptions if s.matches(topic)],
            type_totals=self.pipeline.stats.totals_by_type,  # counted once, by the stats
        )
        self.pipeline.add_observer(self.catalog.catalog)
        self.pipeline.dead_letter_listeners.append(self.catalog.catalog.observe_dead_letter)
        # Sampled history and alert rules, stored in the same log (none without one).
        self.history = HistoryWatch(self.db_path)
        # Undecoded records are counted apart from malformed ones (the overview, history).
        self.undecoded = UndecodedCounter()
        self.pipeline.add_observer(self.undecoded)
        self.history.probes.append(LiveStatsProbe(self.pipeline.stats, self.undecoded))
        self.started = False

    async def start(self) -> None:
        if self.started:
            return
        self.started = True
        if self.log is not None:
            stats = await asyncio.to_thread(self.log.stats)
            self.pipeline.stats.start_with_pending(stats.dead_letters_by_status["pending"])
        await self.catalog.open()  # before events flow: it catches up with the log first
        self.catalog.start()
        self.pipeline.start()
        await self.history.begin()
        if self._messy:
            self.careless.start()
        if self.demo is not None:
            if self._demo_rate:
                self.demo.start()
            else:
                self.demo.subscribe_services()

    # -- the demo, paused or stopped while the bus and the log run on ---------------------

    async def pause_demo(self) -> None:
        """No new demo orders; orders in flight finish and the demo services stay."""
        if self.demo is not None and self.started:
            await self.demo.pause()

    def resume_demo(self) -> None:
        """Demo orders again (the services come back first if they were stopped)."""
        if self.demo is not None and self.started:
            self.demo.resume()

    async def stop_demo(self) -> None:
        """No demo orders and no demo services on the bus; the bus, the pipeline and the
        log go on for everything else (publish, replay, Kafka tails)."""
        if self.demo is not None and self.started:
            await self.demo.stop_services()

    async def stop(self, *, settle: bool = False) -> None:
        """Stop the demo and the bus, flush the pipeline, write the log out, close it.

        ``settle=True`` first lets orders already placed finish their chains.
        """
        if not self.started:
            self._close_log()
            return
        self.started = False
        if self.demo is not None:
            if settle:
                await self.demo.stop_placing()
                try:
                    await asyncio.wait_for(self.demo.settle(), timeout=10)
                except TimeoutError:
                    log.warning("orders still in flight after 10 s; stopping anyway")
            await self.demo.stop()
        await self.careless.stop()
        await self.bus.close()
        await self.pipeline.stop()
        await self.history.stop()  # after the pipeline: the last sample sees every event
        await asyncio.to_thread(self._close_log)
        await self.catalog.stop()  # after the log has every event: saved up to its end

    def _close_log(self) -> None:
        if self.writer is not None and not self.writer.close():
            self.log_failure = self.writer.last_error  # "N events were not written (why)"
            log.error("the event log was not fully written: %s", self.log_failure)
        if self.log is not None:
            self.log.close()
