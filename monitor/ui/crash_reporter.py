"""Unhandled exceptions in slots: logged in full, shown to the user once, app goes on.

PySide6 hands an exception raised in a slot to ``sys.excepthook`` and carries on. The
default hook prints to a terminal the user may not have; this one logs the traceback and
opens one non-modal message box. While it is open, further errors are only logged, and
an error already shown (same type, same place) is not shown again: a slot failing on
every timer tick must not bury the user in dialogs.
"""

from __future__ import annotations

import logging
import sys
import traceback
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def _signature(exc_type: type[BaseException], tb: TracebackType | None) -> str:
    """Type plus the innermost frame: the same bug, whatever its message says this time."""
    frames = traceback.extract_tb(tb)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    return f"{exc_type.__module__}.{exc_type.__qualname__}@{where}"


class CrashReporter:
    """An excepthook: log, then show at most one dialog per distinct error."""

    def __init__(self, log_file: Path | None = None) -> None:
        self.log_file = log_file
        self.errors = 0
        self.dialog: QMessageBox | None = None
        self._shown: set[str] = set()
        self._previous: Any = None

    def install(self) -> None:
        self._previous = sys.excepthook
        sys.excepthook = self

    def uninstall(self) -> None:
        if sys.excepthook is self:
            sys.excepthook = self._previous or sys.__excepthook__

    def __call__(
        self,
        exc_type: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        self.errors += 1
        log.error("unhandled exception (the app goes on)", exc_info=(exc_type, exc, tb))
        signature = _signature(exc_type, tb)
        if self.dialog is not None or signature in self._shown:
            return
        if QApplication.instance() is None:
            return
        self._shown.add(signature)
        log.info("showing the error to the user")
        self._show((exc_type, exc, tb))

    def _show(self, exc_info: ExcInfo) -> None:
        exc_type, exc, tb = exc_info
        where = f"The details are in {self.log_file}." if self.log_file else ""
        box = QMessageBox(QMessageBox.Icon.Warning, "Eventflow Monitor: unexpected error", "")
        box.setText(f"Something went wrong: {exc_type.__name__}: {exc}")
        box.setInformativeText(f"The app keeps running. {where}".strip())
        box.setDetailedText("".join(traceback.format_exception(exc_type, exc, tb)))
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.setWindowModality(Qt.WindowModality.NonModal)  # never a nested event loop
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._dialog_closed)
        self.dialog = box
        box.show()

    def _dialog_closed(self, _result: int) -> None:
        self.dialog = None
