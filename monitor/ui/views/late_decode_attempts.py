"""What the window's two late decoders share (:mod:`.event_stream_late_decode` for the
stream's rows, :mod:`.dead_letter_late_decode` for dead letters): one attempt at a time
in the background, started when something undecoded is shown or when the connection's
schema source becomes available (a profile with a registry connected, not a
reconnection of the same session), and one more attempt after a running one when a
connection came meanwhile (that attempt may have used no source, or another one).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Signal

from monitor.ui.background import BackgroundTasks
from monitor.ui.context import AppContext

log = logging.getLogger(__name__)

Shown = TypeVar("Shown")


class LateDecodeAttempts(QObject, Generic[Shown]):
    """Subclasses give :meth:`_attempt` (the decoding, returning how many changed) and
    ``what`` (the things decoded, for the log line when an attempt fails)."""

    decoded = Signal(int)  # how many changed: the view redraws or reloads them
    what = "undecoded records"

    def __init__(self, context: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.tasks = BackgroundTasks(self)
        self._running: asyncio.Future[int] | None = None
        self._again = False
        # The schema source the rows were last decoded with on connecting.
        self._source_seen: object | None = None
        context.kafka.changed.connect(self._kafka_changed)

    @property
    def running(self) -> bool:
        return self._running is not None and not self._running.done()

    def _attempt(self, shown: Shown | None) -> Coroutine[Any, Any, int] | None:
        """The attempt's coroutine, or ``None`` when there is nothing it could do."""
        raise NotImplementedError

    def _kafka_changed(self) -> None:
        kafka = self.context.kafka
        find = kafka.schemas if kafka.connected else None
        if find is None or find == self._source_seen:
            if find is None:
                self._source_seen = None
            return
        self._source_seen = find
        if self.running:
            self._again = True
            return
        self._start(None)

    def _start(self, shown: Shown | None) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop (a test without one): nothing could run it
            return
        attempt = self._attempt(shown)
        if attempt is not None:
            self._running = self.tasks.spawn(attempt, done=self._finished, failed=self._failed)

    def _finished(self, count: int) -> None:
        if count:
            self.decoded.emit(count)
        self._run_again()

    def _failed(self, exc: BaseException) -> None:
        # A schema file that cannot be used, say: the tail reports it when it starts;
        # showing the record undecoded, with its reason, is all this can do.
        log.warning("%s could not be decoded: %s", self.what, exc)
        self._run_again()

    def _run_again(self) -> None:
        if self._again:
            self._again = False
            self._start(None)

    async def wait(self) -> None:
        """Until the running attempts have ended (for tests)."""
        while pending := self.tasks.pending():
            await asyncio.gather(*pending, return_exceptions=True)


__all__ = ["LateDecodeAttempts"]
