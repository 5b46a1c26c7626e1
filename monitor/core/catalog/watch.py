"""The catalog as a runtime hosts it: fed by the pipeline, stored in the event log.

:class:`CatalogWatch` reads the stored catalog and the events logged since it was saved
when it opens (before events flow), then the pipeline shows it every batch and every dead
letter, and it saves the catalog every ``interval`` seconds and when it stops, in a
worker thread. Without a log it keeps the catalog in memory only. A save that fails is
logged and retried at the next interval: the catalog never stops a host.

When the log asks for a rebuild (events decoded late changed type: see
:mod:`monitor.core.catalog.store`), a save builds the catalog again from the whole log
instead of storing what it holds, and takes that as its own: the types learnt under a
topic while undecoded give way to the decoded ones. Events the pipeline showed while the
rebuild read the log, and the log had not written yet, are not in it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping

from monitor.core.catalog.catalog import Catalog
from monitor.core.catalog.store import CatalogStore
from monitor.core.periodic import Periodic

log = logging.getLogger(__name__)

SAVE_INTERVAL = 15.0


class CatalogWatch:
    def __init__(
        self,
        db_path: str | None,
        *,
        consumers_of: Callable[[str], Iterable[str]] | None = None,
        type_totals: Mapping[str, int] | None = None,
        interval: float = SAVE_INTERVAL,
    ) -> None:
        self.db_path = db_path
        self.catalog = Catalog(consumers_of=consumers_of, type_totals=type_totals)
        self.interval = interval
        self.store: CatalogStore | None = None
        self._dead_letters_to = 0.0
        self._saver = Periodic(interval, self.save, what="saving the catalog")
        self._io = asyncio.Lock()

    async def open(self) -> None:
        """Read the stored catalog and catch up with the log (in a worker thread)."""
        if self.db_path is None or self.store is not None:
            return
        path = self.db_path

        def opening() -> tuple[CatalogStore, float]:
            store = CatalogStore(path)
            mark = store.rebuild_asked()
            built_to = store.load(self.catalog)
            seq, letters_to = store.catch_up(
                self.catalog, built_to, dead_letters_after=store.dead_letters_to()
            )
            if mark is not None:  # built afresh: stored so, or the first save does it again
                store.save(self.catalog, seq, letters_to, rebuilt=mark)
            return store, letters_to

        try:
            self.store, self._dead_letters_to = await asyncio.to_thread(opening)
        except Exception:
            log.exception("the stored catalog could not be read; starting a new one")

    def start(self) -> None:
        if self.store is not None:
            self._saver.start()

    async def save(self) -> None:
        """Store the catalog now (built up to the last event the log holds)."""
        store = self.store
        if store is None:
            return
        async with self._io:
            self.catalog.refresh_consumers()  # the bus's handlers, stored with the types
            # The entries are turned into JSON on the loop (small, bounded), so no thread
            # reads them while the pipeline changes them.
            entries = [e.to_dict() for e in self.catalog.entries.values()]
            evidence = self.catalog.evidence_dict()
            letters_to = max(
                (t for e in self.catalog.entries.values() for t in e.dead_letter_times),
                default=self._dead_letters_to,
            )

            def saving() -> Catalog | None:
                mark = store.rebuild_asked()
                if mark is not None:
                    fresh = Catalog()
                    seq, fresh_letters_to = store.catch_up(fresh, 0)
                    store.save(fresh, seq, fresh_letters_to, rebuilt=mark)
                    return fresh
                snapshot = Catalog()
                snapshot.load(entries, evidence)
                store.save(snapshot, store.last_seq(), letters_to)
                return None

            fresh = await asyncio.to_thread(saving)
            if fresh is not None:
                # Loaded on the loop, where the pipeline feeds the catalog: in place, so
                # whoever holds the catalog sees the rebuilt one.
                self.catalog.load(
                    [e.to_dict() for e in fresh.entries.values()], fresh.evidence_dict()
                )

    async def stop(self) -> None:
        """Stop saving periodically, save a last time (after the log has every event)."""
        await self._saver.stop()
        try:
            await self.save()
        except Exception:
            log.exception("saving the catalog failed")
        if self.store is not None:
            store, self.store = self.store, None
            await asyncio.to_thread(store.close)
