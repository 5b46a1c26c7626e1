"""CrashReporter: every error logged, one dialog per distinct error, never a flood."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest

from monitor.ui.crash_reporter import CrashReporter


def raise_and_capture(exc: BaseException) -> tuple[Any, Any, Any]:
    try:
        raise exc
    except BaseException:
        return sys.exc_info()


def failing_slot() -> tuple[Any, Any, Any]:
    return raise_and_capture(ValueError("bad row 7"))


@pytest.fixture
def reporter(qtbot: Any) -> Any:
    rep = CrashReporter()
    yield rep
    if rep.dialog is not None:
        rep.dialog.close()


def test_logs_every_error_and_shows_one_dialog(reporter: CrashReporter, caplog: Any) -> None:
    caplog.set_level(logging.ERROR, logger="monitor.ui.crash_reporter")
    for _ in range(5):  # a slot failing on every timer tick
        reporter(*failing_slot())
    assert reporter.errors == 5
    assert len([r for r in caplog.records if r.exc_info]) == 5
    assert reporter.dialog is not None and reporter.dialog.isVisible()
    assert "bad row 7" in reporter.dialog.text()
    assert "ValueError" in reporter.dialog.detailedText()


def test_no_second_dialog_while_one_is_open(reporter: CrashReporter, qtbot: Any) -> None:
    reporter(*failing_slot())
    first = reporter.dialog
    reporter(*raise_and_capture(KeyError("other")))
    assert reporter.dialog is first  # the second error is only logged


def test_same_error_is_not_shown_again_after_the_dialog_closed(
    reporter: CrashReporter, qtbot: Any
) -> None:
    reporter(*failing_slot())
    assert reporter.dialog is not None
    reporter.dialog.done(0)
    assert reporter.dialog is None
    reporter(*failing_slot())  # same type, same place
    assert reporter.dialog is None
    reporter(*raise_and_capture(RuntimeError("a different bug")))
    assert reporter.dialog is not None


def test_install_and_uninstall_restore_the_previous_hook() -> None:
    before = sys.excepthook
    rep = CrashReporter()
    rep.install()
    try:
        assert sys.excepthook is rep
    finally:
        rep.uninstall()
    assert sys.excepthook is before
