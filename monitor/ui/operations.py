"""Long operations in the window: one at a time, with progress, a result, and cancel.

An operation is an async function of an :class:`OperationState`. It runs as an asyncio
task on the window's (qasync) loop, so it never blocks drawing; it reports progress with
:meth:`OperationState.progress` and looks at :attr:`OperationState.cancel_requested` at the
points where stopping is safe (between two windows of a replay, say). Blocking I/O inside
it goes through ``asyncio.to_thread`` as everywhere else.

:class:`OperationRunner` runs one operation at a time: :meth:`OperationRunner.start`
refuses a second while the first runs, which is how a view keeps a user from starting
two replays of the same letters. :class:`OperationBar` is the strip that shows the running
operation: title, progress bar, cancel button, and the result once it is done.

Callbacks (``on_success``, ``on_failure``, ``on_cancelled``) run after the task has
finished, from the loop, never inside the task; they may update widgets. Avoid opening a
modal dialog (``exec``) from them all the same: show the outcome in the window instead.

Example::

    async def work(state: OperationState) -> int:
        stored = 0
        for chunk in chunks:
            if state.cancel_requested:
                break  # a safe point: between two chunks
            await asyncio.to_thread(store, chunk)
            stored += 1
            state.progress(stored, len(chunks))
        return stored

    runner.start("Storing", work, on_success=show_count, summary=lambda n: f"{n} stored")
    bar = OperationBar(runner)  # put it under the view's content
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

log = logging.getLogger(__name__)

T = TypeVar("T")

PROGRESS_INTERVAL = 0.05  # seconds between two progress signals (the last always goes out)
RESULT_SECONDS = 8.0  # how long the bar shows a finished operation's result


class OperationCancelled(Exception):
    """Raised by :meth:`OperationState.check_cancelled` once cancel was requested."""


class OperationState:
    """What a running operation sees: where to report progress, whether to stop."""

    def __init__(self, runner: OperationRunner) -> None:
        self._runner = runner
        self._cancel_requested = False
        # While True, a cancel stops the task at once: the operation is waiting on
        # something safe to abandon (reading, connecting). While False (the default),
        # a cancel waits for the operation's next look at ``cancel_requested``.
        self.interruptible = False
        self.done = 0
        self.total = 0
        self.text = ""
        self._last_emit = 0.0

    @property
    def cancel_requested(self) -> bool:
        """True once the user (or the program) asked the operation to stop."""
        return self._cancel_requested

    def check_cancelled(self) -> None:
        """Raise :class:`OperationCancelled` when cancel was requested."""
        if self._cancel_requested:
            raise OperationCancelled

    def progress(self, done: int, total: int, text: str | None = None) -> None:
        """``done`` of ``total`` steps (``total`` 0: unknown); ``text`` replaces the label.

        Cheap to call per item: the runner passes it on at most 20 times a second, and
        always when ``done`` reaches ``total``.
        """
        self.done, self.total = done, total
        if text is not None:
            self.text = text
        at = time.monotonic()
        if done >= total or text is not None or at - self._last_emit >= PROGRESS_INTERVAL:
            self._last_emit = at
            self._runner._emit_progress(self)


class _Job(Generic[T]):
    """One started operation and what to call when it ends."""

    def __init__(
        self,
        title: str,
        state: OperationState,
        on_success: Callable[[T], None] | None,
        on_failure: Callable[[BaseException], None] | None,
        on_cancelled: Callable[[], None] | None,
        summary: Callable[[T], str] | None,
    ) -> None:
        self.title = title
        self.state = state
        self.on_success = on_success
        self.on_failure = on_failure
        self.on_cancelled = on_cancelled
        self.summary = summary
        self.task: asyncio.Future[T] | None = None
        self.ended = asyncio.Event()  # set once the callbacks have run


class OperationRunner(QObject):
    """Runs at most one operation at a time as an asyncio task; see the module docstring."""

    # True while an operation runs (views disable their actions on it).
    busy_changed = Signal(bool)
    # The title of an operation that just started.
    started = Signal(str)
    # done, total (0: unknown), label text.
    progress_changed = Signal(int, int, str)
    # How it ended ("succeeded" | "failed" | "cancelled") and a sentence about it.
    finished = Signal(str, str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        # Destroyed with an operation running (its window went away): stop the task, it
        # has nobody left to report to.
        current: list[_Job[Any] | None] = [None]
        self._current = current
        self.destroyed.connect(lambda *_: _cancel(current[0]))

    @property
    def _job(self) -> _Job[Any] | None:
        return self._current[0]

    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def title(self) -> str:
        """The running operation's title, or ``""``."""
        return self._job.title if self._job is not None else ""

    @property
    def cancel_requested(self) -> bool:
        return self._job is not None and self._job.state.cancel_requested

    def start(
        self,
        title: str,
        work: Callable[[OperationState], Awaitable[T]],
        *,
        on_success: Callable[[T], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        summary: Callable[[T], str] | None = None,
    ) -> bool:
        """Start ``work(state)``; False (and nothing started) while another one runs.

        When it returns, ``on_success(result)`` is called (also after a cancel request the
        work honoured by returning early: its result says how far it got). When it raises
        :class:`OperationCancelled` or is cancelled hard, ``on_cancelled()``; on any other
        exception, ``on_failure(exc)`` (without one, the error is logged). ``summary``
        turns the result into the sentence :attr:`finished` carries.
        """
        if self._job is not None:
            return False
        state = OperationState(self)
        job: _Job[T] = _Job(title, state, on_success, on_failure, on_cancelled, summary)

        async def run() -> T:
            return await work(state)

        job.task = asyncio.ensure_future(run())
        self._current[0] = job
        job.task.add_done_callback(lambda task: self._finish(job, task))
        self.busy_changed.emit(True)
        self.started.emit(title)
        self.progress_changed.emit(0, 0, title)
        return True

    def cancel(self, *, hard: bool = False) -> None:
        """Ask the running operation to stop at its next safe point (at once while it
        is :attr:`~OperationState.interruptible`); ``hard`` cancels its task at once
        whatever it is doing."""
        job = self._job
        if job is None:
            return
        if not job.state.cancel_requested:
            job.state._cancel_requested = True
            self.progress_changed.emit(job.state.done, job.state.total, "Stopping\u2026")
        if (hard or job.state.interruptible) and job.task is not None:
            job.task.cancel()

    async def shutdown(self, grace: float = 5.0) -> None:
        """Stop the running operation (if any) and wait until it has ended and its
        callbacks ran: a polite cancel first, a hard one after ``grace`` seconds. For
        closing a window."""
        job = self._job
        if job is None or job.task is None:
            return
        self.cancel()
        try:
            async with asyncio.timeout(grace):
                await job.ended.wait()
        except TimeoutError:
            job.task.cancel()
            await job.ended.wait()

    # -- internals ----------------------------------------------------------------------

    def _emit_progress(self, state: OperationState) -> None:
        job = self._job
        if job is None or job.state is not state:
            return  # a late report from an operation that already ended
        text = "Stopping\u2026" if state.cancel_requested else (state.text or job.title)
        self.progress_changed.emit(state.done, state.total, text)

    def _finish(self, job: _Job[Any], task: asyncio.Future[Any]) -> None:
        try:
            self._report(job, task)
        finally:
            job.ended.set()

    def _report(self, job: _Job[Any], task: asyncio.Future[Any]) -> None:
        if self._current[0] is job:
            self._current[0] = None
        if not shiboken6.isValid(self):
            if not task.cancelled():
                task.exception()  # retrieved: nobody is left to show it
            return
        try:
            if task.cancelled():
                self._ended("cancelled", "Cancelled", job.on_cancelled)
                return
            exc = task.exception()
            if isinstance(exc, OperationCancelled):
                self._ended("cancelled", "Cancelled", job.on_cancelled)
            elif exc is not None:
                if job.on_failure is None:
                    log.error("%s failed", job.title, exc_info=exc)
                message = str(exc) or type(exc).__name__
                self.finished.emit("failed", f"{job.title} failed: {message}")
                self.busy_changed.emit(False)
                if job.on_failure is not None:
                    job.on_failure(exc)
            else:
                result = task.result()
                text = job.summary(result) if job.summary is not None else "Done"
                self.finished.emit("succeeded", text)
                self.busy_changed.emit(False)
                if job.on_success is not None:
                    job.on_success(result)
        except Exception:
            # A callback failed. Hand it to the excepthook (the crash reporter in the app,
            # pytest-qt in tests) instead of the loop's "exception in callback" log line.
            sys.excepthook(*sys.exc_info())

    def _ended(self, kind: str, text: str, callback: Callable[[], None] | None) -> None:
        self.finished.emit(kind, text)
        self.busy_changed.emit(False)
        if callback is not None:
            callback()


def _cancel(job: _Job[Any] | None) -> None:
    if job is not None and job.task is not None:
        job.task.cancel()


class OperationBar(QWidget):
    """A strip for one :class:`OperationRunner`: title, progress, Cancel, then the result.

    Hidden while nothing runs. After an operation it shows how it went: a success for a
    few seconds, a failure or a stop until Dismiss.
    """

    def __init__(self, runner: OperationRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("operationBar")
        self.runner = runner
        self.label = QLabel()
        self.label.setObjectName("operationLabel")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setMinimumWidth(220)
        self.progress.setMaximumWidth(420)
        self.progress.setTextVisible(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the step in progress; what was done is kept")
        self.cancel_button.clicked.connect(self._on_button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.cancel_button)
        self._hide_timer = QTimer(self)
        self._hide_timer.setSingleShot(True)
        self._hide_timer.setInterval(int(RESULT_SECONDS * 1000))
        self._hide_timer.timeout.connect(self.hide)
        self.last_kind = ""
        runner.started.connect(self._on_started)
        runner.progress_changed.connect(self._on_progress)
        runner.finished.connect(self._on_finished)
        self.hide()

    def _on_started(self, title: str) -> None:
        self._hide_timer.stop()
        self.last_kind = ""
        self.setProperty("outcome", "")
        self._repolish()
        self.label.setText(title)
        self.progress.setRange(0, 0)  # busy until the first real count
        self.cancel_button.setText("Cancel")
        self.cancel_button.setEnabled(True)
        self.show()

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if total > 0:
            self.progress.setRange(0, total)
            self.progress.setValue(min(done, total))
            self.progress.setFormat(f"%p%  ({done:,} of {total:,})")
        self.label.setText(text)
        if self.runner.cancel_requested:
            self.cancel_button.setEnabled(False)

    def _on_finished(self, kind: str, text: str) -> None:
        self.last_kind = kind
        self.setProperty("outcome", kind)
        self._repolish()
        if self.progress.maximum() == 0:  # never got a count: show an honest full bar
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if kind == "succeeded" else 0)
        self.label.setText(text)
        self.cancel_button.setText("Dismiss")
        self.cancel_button.setEnabled(True)
        if kind == "succeeded":  # a failure or a stop stays until dismissed
            self._hide_timer.start()

    def _on_button(self) -> None:
        if self.runner.busy:
            self.runner.cancel()
            self.cancel_button.setEnabled(False)
        else:
            self._hide_timer.stop()
            self.hide()

    def _repolish(self) -> None:
        for widget in (self, self.label):
            widget.style().unpolish(widget)
            widget.style().polish(widget)
