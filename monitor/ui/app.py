"""The GUI's entry point: Qt application, qasync event loop, runtime, main window.

One loop runs both Qt and asyncio (qasync), so the embedded bus, the log writer's async
side and the widgets share a thread without blocking each other. Shutdown order matters:
the window's close stops the runtime (the log is written out, tasks end) before the loop
stops, so the log is complete and no task is destroyed while pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from adapters import bundle_check
from monitor.core.damaged_log import is_damage, set_aside
from monitor.core.eventlog import DEFAULT_RETENTION, Retention
from monitor.core.logschema import LogError
from monitor.core.paths import default_db_path
from monitor.core.resources import resource
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.app_logging import FILE_ONLY, configure_logging
from monitor.ui.crash_reporter import CrashReporter
from monitor.ui.damaged_log_dialog import ask_to_start_a_new_log
from monitor.ui.main_window import MainWindow
from monitor.ui.settings import AppSettings
from monitor.ui.theme import apply_theme

log = logging.getLogger(__name__)

APP_NAME = "Eventflow Monitor"
ORGANIZATION = "Eventflow"
SMOKE_TEST_SECONDS = 3.0
SMOKE_TEST_PATIENCE = 10.0  # extra seconds a slow machine gets before the check fails

NO_DISPLAY_MESSAGE = (
    "eventflow: no display found (none of DISPLAY, WAYLAND_DISPLAY or QT_QPA_PLATFORM is "
    "set). Run it under xvfb-run (xvfb-run -a eventflow) or with QT_QPA_PLATFORM=offscreen, "
    "check it with `eventflow --smoke-test` (offscreen), or use the headless "
    "`eventflow demo --headless --duration 10`."
)


def display_available(environ: Mapping[str, str] | None = None, platform: str = "") -> bool:
    """False on Linux when Qt would have no display to open (it aborts the process then)."""
    env = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def run_app(
    *,
    db_path: str | None,
    demo_rate: float,
    smoke_test: bool = False,
    retention: Retention = DEFAULT_RETENTION,
) -> int:
    """Open the main window on the embedded runtime; return the process exit code.

    0: closed normally (or the smoke test passed); 1: failed to start (no display
    included) or the smoke test failed. 2 stays the command line's usage error.
    """
    if smoke_test and not os.environ.get("QT_QPA_PLATFORM"):
        # The smoke test checks the app, not the desktop: offscreen, it runs on a server,
        # over SSH or in an installer's check, and flashes no window on a desktop. A set
        # QT_QPA_PLATFORM still chooses (the packaging check tests the xcb plugin so).
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    if not display_available():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return 1
    log_file = configure_logging()
    app = QApplication.instance() or QApplication(sys.argv[:1])  # the CLI owns the args
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setDesktopFileName("eventflow-monitor")  # matches the installed desktop entry
    icon = resource("icons", "eventflow-256.png")
    if icon.exists():
        app.setWindowIcon(QIcon(str(icon)))
    app.setOrganizationName(ORGANIZATION)
    # The coroutine below decides when the app ends (after the runtime stopped), not Qt.
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)

    reporter = CrashReporter(log_file)
    reporter.install()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    loop.set_exception_handler(_log_loop_exception)
    try:
        code: int = loop.run_until_complete(
            _run(db_path=db_path, demo_rate=demo_rate, smoke_test=smoke_test, retention=retention)
        )
        return code
    finally:
        _finish(loop)
        asyncio.set_event_loop(None)
        reporter.uninstall()
        log.info("%s exited", APP_NAME)


async def _run(
    *, db_path: str | None, demo_rate: float, smoke_test: bool, retention: Retention
) -> int:
    log.info(
        "%s starting (log: %s, keeping %s; demo rate %s/s)",
        APP_NAME,
        db_path,
        retention.describe(),
        demo_rate,
    )
    ctrl_c = _CtrlC()
    try:
        return await _run_window(
            db_path=db_path,
            demo_rate=demo_rate,
            smoke_test=smoke_test,
            retention=retention,
            ctrl_c=ctrl_c,
        )
    finally:
        ctrl_c.remove()


async def _run_window(
    *,
    db_path: str | None,
    demo_rate: float,
    smoke_test: bool,
    retention: Retention,
    ctrl_c: _CtrlC,
) -> int:
    try:
        runtime, notice = await start_runtime(
            db_path,
            demo_rate=demo_rate,
            retention=retention,
            ask=not smoke_test and not ctrl_c.pressed,
            watch=ctrl_c.watch,
        )
    except Exception as exc:
        message = f"Eventflow Monitor could not start: {exc}"
        print(message, file=sys.stderr)
        # Declined: the user has just read why, in the question; no second dialog.
        if not smoke_test and not ctrl_c.pressed and not isinstance(exc, NewLogDeclined):
            box = QMessageBox(QMessageBox.Icon.Critical, APP_NAME, message)
            ctrl_c.watch(box)  # Ctrl+C in the terminal closes it: nobody may be at the screen
            # Outside the task step: a modal dialog's nested loop would run other tasks
            # while this one is still executing.
            await qasync.asyncWrap(box.exec)
        return 1

    settings = None if smoke_test else AppSettings()  # the window applies its theme
    window = MainWindow(runtime, settings=settings, notice=notice)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    ctrl_c.watch(window)
    try:
        if smoke_test:
            return await _smoke_test(window, closed)
        await closed.wait()
        return 0
    finally:
        try:
            await window.shutdown()  # already done after a normal close; this covers errors
        except Exception:
            log.exception("the runtime did not stop cleanly")


class NewLogDeclined(LogError):
    """The default log is damaged and the user chose not to start a new one."""


async def start_runtime(
    db_path: str | None,
    *,
    demo_rate: float,
    retention: Retention = DEFAULT_RETENTION,
    ask: bool = True,
    watch: Callable[[QWidget], None] | None = None,
) -> tuple[EmbeddedRuntime, str | None]:
    """Start the runtime on ``db_path``: ``(runtime, notice)``, the notice saying what
    was done to get there (or None). Raises what stopped it.

    When the log at the *default* path is damaged and ``ask`` is true, the user is asked
    (:func:`ask_to_start_a_new_log`) whether to set it aside and start a new one, as a
    damaged settings file is; a log named with ``--db`` is the user's own choice and is
    never moved. Not asked, the original error is raised; declined,
    :class:`NewLogDeclined` with the same message.
    """
    try:
        return await _started(db_path, demo_rate, retention), None
    except Exception as exc:
        default = str(default_db_path())
        if not (ask and db_path is not None and db_path == default and is_damage(exc)):
            raise
        path = Path(db_path)
        if not await ask_to_start_a_new_log(path, str(exc), watch=watch):
            raise NewLogDeclined(str(exc)) from exc
        try:
            aside = await asyncio.to_thread(set_aside, path)
        except OSError as move_error:
            raise LogError(
                f"{exc} It could not be set aside either ({move_error.strerror}): move "
                f"{path} away by hand, or start with --db PATH."
            ) from move_error
        log.warning("the damaged event log %s was set aside as %s", path, aside)
        notice = (
            f"The event log {path} was damaged, so a new one was started. The damaged file "
            f"is kept as {aside.name} in {aside.parent}."
        )
        return await _started(db_path, demo_rate, retention), notice


async def _started(db_path: str | None, demo_rate: float, retention: Retention) -> EmbeddedRuntime:
    runtime: EmbeddedRuntime | None = None
    try:
        runtime = EmbeddedRuntime(db_path, demo_rate=demo_rate, retention=retention)
        await runtime.start()
        return runtime
    except Exception:
        log.exception("the runtime did not start", extra=FILE_ONLY)
        if runtime is not None:
            with contextlib.suppress(Exception):
                await runtime.stop()
        raise


async def _smoke_test(window: MainWindow, closed: asyncio.Event) -> int:
    """Let the demo run, check every part of the window got data, close, report."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(SMOKE_TEST_SECONDS)
    deadline = loop.time() + SMOKE_TEST_PATIENCE

    def checks() -> dict[str, bool]:
        return {
            "window visible": window.isVisible(),
            "table has rows": window.table_model.rowCount() > 0,
            "chart has data": window.rate_chart.has_data(),
        }

    while not all(checks().values()) and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.25)  # polling widgets: there is no event to wait on
    result = checks()
    # The libraries imported only when a record or a profile needs them, which a bundle
    # could leave out without the window noticing.
    missing = await asyncio.to_thread(bundle_check.problems)
    result["formats and sign-in libraries"] = not missing
    for problem in missing:
        print(f"smoke test: {problem}")
    rows = window.table_model.rowCount()
    curves = len(window.rate_chart.topics())
    runtime = window.runtime
    window.close()
    await asyncio.wait_for(closed.wait(), timeout=30)
    writer = runtime.writer
    if writer is not None and writer.last_error:
        result["event log written"] = False
    failed = [name for name, ok in result.items() if not ok]
    summary = (
        f"{runtime.pipeline.stats.total} events, {rows} table rows, {curves} topic curves, "
        f"{writer.written if writer else 0} events logged"
    )
    if failed:
        print(f"smoke test failed ({', '.join(failed)}): {summary}")
        return 1
    print(f"smoke test passed: {summary}")
    return 0


class _CtrlC:
    """Ctrl+C in the terminal closes the window (cleanly) instead of being swallowed by Qt.

    Installed before anything starts: a Ctrl+C that arrives while the runtime starts or the
    window is being built is remembered and closes the window as soon as there is one.
    The widget watched is the main window, or the error dialog when the app cannot start.
    """

    def __init__(self) -> None:
        self.widget: QWidget | None = None
        self.pressed = False
        self._loop = asyncio.get_running_loop()
        try:
            self._loop.add_signal_handler(signal.SIGINT, self._on_signal)
            self.installed = True
        except (NotImplementedError, RuntimeError, ValueError):  # Windows, or not main thread
            self.installed = False

    def _on_signal(self) -> None:
        self.pressed = True
        if self.widget is not None:
            self.widget.close()

    def watch(self, widget: QWidget) -> None:
        self.widget = widget
        if self.pressed:
            widget.close()

    def remove(self) -> None:
        if self.installed:
            self._loop.remove_signal_handler(signal.SIGINT)
            self.installed = False


def _log_loop_exception(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    exc = context.get("exception")
    message = context.get("message", "unhandled error in the event loop")
    log.error("%s (%s)", message, context.get("task") or context.get("future") or "", exc_info=exc)


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is still pending (there should be nothing), then close the loop."""
    pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
    if pending:
        log.warning("%d task(s) still running at exit; cancelling them", len(pending))
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.close()
