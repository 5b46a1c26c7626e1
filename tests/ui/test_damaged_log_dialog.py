"""A damaged default log, as a user who started the app from the menu meets it: a question,
the file set aside (kept, and where is said), and a new log; or Quit, and nothing moved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from monitor.core.logschema import LogError
from monitor.core.paths import default_db_path
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.app import NewLogDeclined, start_runtime
from monitor.ui.damaged_log_dialog import DamagedLogDialog
from monitor.ui.main_window import MainWindow

DAMAGED = b"this was a log once\n" * 400
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def damaged_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The user's default log (in a data dir of the test's own), damaged."""
    monkeypatch.setenv("EVENTFLOW_DATA_DIR", str(tmp_path / "data"))
    path = default_db_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(DAMAGED)
    yield path


def the_dialog(qtbot: Any) -> DamagedLogDialog:
    found: list[DamagedLogDialog] = []

    def shown() -> bool:
        found[:] = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, DamagedLogDialog) and w.isVisible()
        ]
        return bool(found)

    qtbot.waitUntil(shown, timeout=10_000)
    return found[0]


def test_setting_the_damaged_log_aside_starts_a_new_one_and_says_where(
    damaged_default: Path, loop: Any, run: Any, qtbot: Any
) -> None:
    task = loop.create_task(start_runtime(str(damaged_default), demo_rate=0.0))
    dialog = the_dialog(qtbot)
    assert str(damaged_default) in dialog.text()
    assert ".corrupt-" in dialog.informativeText()
    qtbot.mouseClick(dialog.new_log_button, LEFT)
    qtbot.waitUntil(task.done, timeout=20_000)
    runtime, notice = task.result()
    try:
        assert runtime.started and runtime.db_path == str(damaged_default)
        kept = [p for p in damaged_default.parent.iterdir() if ".corrupt-" in p.name]
        assert len(kept) == 1 and kept[0].read_bytes() == DAMAGED  # kept whole
        assert notice is not None and kept[0].name in notice and str(kept[0].parent) in notice
        assert damaged_default.read_bytes() != DAMAGED  # a new log, not the old file
        # The window shows the notice once it is up.
        win = MainWindow(runtime, notice=notice)
        win.show()
        qtbot.waitUntil(
            lambda: any(
                w.objectName() == "notice" and w.isVisible() and kept[0].name in w.text()
                for w in QApplication.topLevelWidgets()
                if hasattr(w, "text")
            ),
            timeout=5_000,
        )
        with qtbot.waitSignal(win.closed, timeout=20_000):
            win.close()
        win.deleteLater()
    finally:
        run(runtime.stop())


def test_quit_moves_nothing(damaged_default: Path, loop: Any, qtbot: Any) -> None:
    task = loop.create_task(start_runtime(str(damaged_default), demo_rate=0.0))
    qtbot.mouseClick(the_dialog(qtbot).quit_button, LEFT)
    qtbot.waitUntil(task.done, timeout=20_000)
    with pytest.raises(NewLogDeclined, match="cannot be opened as an event log"):
        task.result()
    assert damaged_default.read_bytes() == DAMAGED
    assert [p.name for p in damaged_default.parent.iterdir()] == [damaged_default.name]


def test_a_log_named_with_db_is_never_moved_nor_asked_about(
    damaged_default: Path, tmp_path: Path, loop: Any, qtbot: Any
) -> None:
    chosen = tmp_path / "mine.db"
    chosen.write_bytes(DAMAGED)
    task = loop.create_task(start_runtime(str(chosen), demo_rate=0.0))
    qtbot.waitUntil(task.done, timeout=20_000)
    with pytest.raises(LogError) as raised:
        task.result()
    assert not isinstance(raised.value, NewLogDeclined)
    assert chosen.read_bytes() == DAMAGED
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, DamagedLogDialog)]


def test_a_runtime_that_starts_is_not_asked_about(
    damaged_default: Path, loop: Any, run: Any, qtbot: Any
) -> None:
    damaged_default.unlink()  # no log yet: a new one is made, nothing asked
    runtime: EmbeddedRuntime
    runtime, notice = run(start_runtime(str(damaged_default), demo_rate=0.0))
    try:
        assert notice is None and runtime.started
    finally:
        run(runtime.stop())
