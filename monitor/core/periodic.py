"""Work done every few seconds on the running event loop, the one way the core does it.

:class:`Periodic` awaits ``step`` every ``interval`` seconds (first at once, or after one
interval) until :meth:`Periodic.stop`. A step that raises is logged, naming ``what``, and
the next step runs on time: one bad round must not stop the pipeline's flush, the
catalog's saves or the history's samples.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self,
        interval: float,
        step: Callable[[], Awaitable[object] | object],
        *,
        what: str,
        at_once: bool = False,
    ) -> None:
        self.interval = interval
        self.step = step
        self.what = what
        self.at_once = at_once
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self) -> None:
        """Start stepping (on the running loop); a second start does nothing."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._run(), name=f"eventflow-{self.what.replace(' ', '-')}"
            )

    async def _run(self) -> None:
        if not self.at_once:
            await asyncio.sleep(self.interval)
        while True:
            try:
                result = self.step()
                if inspect.isawaitable(result):
                    await result
            except Exception:
                log.exception("%s failed; trying again in %g s", self.what, self.interval)
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        """Stop stepping; returns once a step under way has been cancelled."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
