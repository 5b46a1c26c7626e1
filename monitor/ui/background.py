"""The one way the window keeps a background task: owned by a widget or a service,
kept until it ends, cancelled with its owner.

asyncio holds tasks only weakly, so a task nobody keeps can vanish mid-way; a task kept
by a widget that is gone can call back into a deleted widget. :class:`BackgroundTasks`
does both jobs for its owner: ``spawn`` keeps the task until it ends, a task that fails
with nobody listening goes to ``sys.excepthook`` (the app's one error dialog), and every
task still running is cancelled when the owner is destroyed or ``aclose`` is awaited.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject


class BackgroundTasks(QObject):
    """The tasks of one owner (a QObject); see the module docstring."""

    def __init__(self, owner: QObject) -> None:
        super().__init__(owner)
        self._tasks: set[asyncio.Future[Any]] = set()
        tasks = self._tasks  # not self: the lambda must not keep a deleted wrapper
        owner.destroyed.connect(lambda *_: [t.cancel() for t in list(tasks)])

    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> asyncio.Future[Any]:
        """Run ``coro`` as a task kept until it ends. ``done(result)`` runs when it
        succeeds, ``failed(exc)`` when it raises (without it, the error goes to
        ``sys.excepthook``); a cancelled task calls neither."""
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)

        def finished(t: asyncio.Future[Any]) -> None:
            self._tasks.discard(t)
            if t.cancelled():
                return
            exc = t.exception()
            if exc is None:
                if done is not None:
                    done(t.result())
            elif failed is not None:
                failed(exc)
            else:
                sys.excepthook(type(exc), exc, exc.__traceback__)

        task.add_done_callback(finished)
        return task

    def pending(self) -> list[asyncio.Future[Any]]:
        """The tasks that have not ended."""
        return [t for t in self._tasks if not t.done()]

    def cancel_all(self) -> None:
        for task in self.pending():
            task.cancel()

    async def aclose(self) -> None:
        """Cancel every task and wait until each has ended."""
        tasks = self.pending()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __len__(self) -> int:
        return len(self.pending())
