"""Fixtures for the Qt tests: one qasync loop for the session, a started runtime, the window.

The pattern (see shared/FIELD-NOTES.md, "Qt, qasync and pytest-qt"): one session-scoped
``qasync.QEventLoop(qapp, already_running=True)``. Qt's event loop is what runs while
``qtbot.waitUntil`` waits, so asyncio tasks progress inside it. A fresh qasync loop per
test broke the next test, so there is exactly one.

The loop is marked as the thread's running loop only while a test that asks for it runs
(:func:`loop`), so tests elsewhere in the suite that call ``asyncio.run`` are unaffected.
Coroutines are run with :func:`run`: schedule a task, ``waitUntil`` it is done.
``loop.run_until_complete`` cannot be used: the loop counts as running already.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync

from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.live_feed import LiveFeed
from monitor.ui.main_window import MainWindow, stop_runtime
from monitor.ui.theme import apply_theme

RunCoroutine = Callable[..., Any]


@pytest.fixture(scope="session")
def qloop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    apply_theme(qapp)  # tests see (and screenshot) the app as users do
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio._set_running_loop(None)  # the constructor set it; `loop` sets it per test
    asyncio.set_event_loop(loop)
    yield loop
    loop.stop()  # marks it not running (Qt's exit() is a no-op with no exec() running)
    loop.close()
    asyncio.set_event_loop(None)


@pytest.fixture
def loop(qloop: qasync.QEventLoop) -> Iterator[qasync.QEventLoop]:
    """The session loop, running for this test; fails the test on any loop error.

    Errors reach the loop's exception handler, not the test: a task that raised and was
    never awaited, "Task was destroyed but it is pending", a failing callback. Record
    them all and assert there were none, as qasync's own tests do.
    """
    errors: list[dict[str, Any]] = []
    qloop.set_exception_handler(lambda _loop, context: errors.append(context))
    previous = asyncio._get_running_loop()
    asyncio._set_running_loop(qloop)
    try:
        yield qloop
        gc.collect()  # a pending task that was dropped is reported when it is collected
    finally:
        asyncio._set_running_loop(previous)
        qloop.set_exception_handler(None)
    assert not errors, "event loop errors: " + "; ".join(
        f"{e.get('message')}: {e.get('exception')!r}" for e in errors
    )


@pytest.fixture
def run(loop: qasync.QEventLoop, qtbot: Any) -> RunCoroutine:
    """``run(coro, timeout_ms=...)``: run a coroutine on the Qt loop and return its result."""

    def run_coroutine(coro: Coroutine[Any, Any, Any], timeout_ms: int = 20_000) -> Any:
        task = loop.create_task(coro)
        qtbot.waitUntil(task.done, timeout=timeout_ms)
        return task.result()

    return run_coroutine


@pytest.fixture
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh config dir for the test (profiles, templates): nothing of the user's."""
    path = tmp_path / "config"
    monkeypatch.setenv("EVENTFLOW_CONFIG_DIR", str(path))
    return path


@pytest.fixture
def quiet_runtime(tmp_path: Path, run: RunCoroutine) -> Iterator[EmbeddedRuntime]:
    """A started runtime with a log and no demo: only the events a test sends."""
    rt = EmbeddedRuntime(tmp_path / "log.db", demo_rate=None)
    run(rt.start())
    yield rt
    run(stop_runtime(rt))


@pytest.fixture
def runtime(tmp_path: Any, run: RunCoroutine) -> Iterator[EmbeddedRuntime]:
    """The embedded runtime with the demo at 200 orders/s, started; stopped afterwards."""
    rt = EmbeddedRuntime(tmp_path / "log.db", demo_rate=200, seed=1)
    run(rt.start())
    yield rt
    run(stop_runtime(rt))  # a no-op but closing the log again when the window stopped it


@pytest.fixture
def context(runtime: EmbeddedRuntime) -> AppContext:
    """What a view is given outside the main window: the runtime and a live feed on it."""
    return AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline))


@pytest.fixture
def window(runtime: EmbeddedRuntime, qtbot: Any) -> Iterator[MainWindow]:
    """The main window on the running demo, shown offscreen; closed (cleanly) afterwards."""
    # Not qtbot.addWidget: pytest-qt would close and delete it before this teardown, and
    # closing is asynchronous here (the runtime stops first).
    win = MainWindow(runtime)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if not win.is_closed():
        with qtbot.waitSignal(win.closed, timeout=20_000):
            win.close()
    win.deleteLater()
