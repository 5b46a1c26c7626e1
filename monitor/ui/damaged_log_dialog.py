"""The question asked when the default event log is damaged: set it aside and start a new
one, or quit.

A user who started the app from the desktop menu cannot pass ``--db``: without this
question a damaged default log would stop the app at every start. The damaged file is
kept (renamed beside it, :mod:`monitor.core.damaged_log`), and the dialog says where.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget

from monitor.core.damaged_log import aside_path

TITLE = "The event log is damaged"


class DamagedLogDialog(QMessageBox):
    """Two answers: :attr:`new_log_button` (set the file aside, start a new log) and
    :attr:`quit_button`. ``reason`` is the sentence the log gave when it failed."""

    def __init__(self, path: Path, reason: str, parent: QWidget | None = None) -> None:
        super().__init__(QMessageBox.Icon.Warning, TITLE, "", parent=parent)
        self.setObjectName("damagedLogDialog")
        self.path = path
        example = aside_path(path).name
        self.setText(f"The event log {path} cannot be read: it is damaged.")
        self.setInformativeText(
            "Eventflow Monitor can keep the damaged file, renamed to "
            f"{example} in the same folder, and start a new, empty log. Nothing in the "
            "damaged file is deleted.\n\nOr quit, and start it later with --db PATH to use "
            "another file."
        )
        self.setDetailedText(reason)
        self.new_log_button = self.addButton(
            "Set it aside and start a new log", QMessageBox.ButtonRole.AcceptRole
        )
        self.quit_button = self.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.new_log_button)
        self.setEscapeButton(self.quit_button)

    def chose_new_log(self) -> bool:
        return self.clickedButton() is self.new_log_button


async def ask_to_start_a_new_log(
    path: Path, reason: str, *, watch: Callable[[QWidget], None] | None = None
) -> bool:
    """Show the question and wait for the answer without blocking the event loop (the
    dialog is opened, not exec'd). ``watch`` is given the dialog (Ctrl+C in the terminal
    closes it, which counts as Quit). True: set the log aside and start a new one."""
    dialog = DamagedLogDialog(path, reason)
    answered: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def finished(_result: int) -> None:
        if not answered.done():
            answered.set_result(None)

    dialog.finished.connect(finished)
    if watch is not None:
        watch(dialog)
    dialog.open()
    try:
        await answered
        return dialog.chose_new_log()
    finally:
        dialog.deleteLater()
