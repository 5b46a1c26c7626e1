"""run_app owns its QApplication and event loop, so it runs in a subprocess here."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from monitor.core.eventlog import EventLog
from monitor.ui.app import NO_DISPLAY_MESSAGE, display_available

REPO = Path(__file__).resolve().parents[2]


def isolated_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment, with the user's dirs (log, config, data) moved into tmp_path."""
    env = dict(os.environ)
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def _run_app_code(db: Path, *, smoke_test: bool) -> str:
    return (
        "import sys\n"
        "from monitor.ui.app import run_app\n"
        f"sys.exit(run_app(db_path={str(db)!r}, demo_rate=100, smoke_test={smoke_test}))\n"
    )


def run_app_in_subprocess(
    env: dict[str, str], db: Path, timeout: float = 90, *, smoke_test: bool = True
) -> Any:
    code = _run_app_code(db, smoke_test=smoke_test)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_app_in_subprocess(env: dict[str, str], db: Path) -> subprocess.Popen[str]:
    """The window on ``db`` (not a smoke test: it runs until stopped) in a child process."""
    return subprocess.Popen(
        [sys.executable, "-c", _run_app_code(db, smoke_test=False)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_smoke_test_passes_offscreen(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    result = run_app_in_subprocess(isolated_env(tmp_path, QT_QPA_PLATFORM="offscreen"), db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("smoke test passed:"), result.stdout
    assert len(result.stdout.strip().splitlines()) == 1
    for bad in ("Traceback", "Task was destroyed", "never retrieved", "Fatal Python error"):
        assert bad not in result.stderr, result.stderr
    # The log writer flushed before the loop ended: the events are in the file.
    with EventLog(db) as log:
        assert log.count_events() > 0
    # The GUI's own log went to the rotating file under the user's log dir.
    log_files = list((tmp_path / "xdg_state_home").rglob("eventflow-monitor.log"))
    assert log_files, "no log file written"
    text = log_files[0].read_text(encoding="utf-8")
    assert "Eventflow Monitor starting" in text
    assert "Eventflow Monitor exited" in text


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")
def test_no_display_is_a_plain_message_and_exit_code_1(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    result = run_app_in_subprocess(env, tmp_path / "log.db", timeout=60, smoke_test=False)
    assert result.returncode == 1, result.stdout + result.stderr  # 2 is a usage error
    assert result.stderr.strip() == NO_DISPLAY_MESSAGE
    for hint in ("no display found", "QT_QPA_PLATFORM=offscreen", "xvfb-run", "--smoke-test"):
        assert hint in result.stderr
    assert "eventflow demo --headless --duration 10" in result.stderr
    assert not (tmp_path / "log.db").exists()  # nothing was started


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")
def test_the_smoke_test_runs_offscreen_by_itself_without_a_display(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--db", str(tmp_path / "log.db"), "--smoke-test"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("smoke test passed:"), result.stdout


def test_display_available() -> None:
    assert not display_available({}, platform="linux")
    assert display_available({"DISPLAY": ":0"}, platform="linux")
    assert display_available({"WAYLAND_DISPLAY": "wayland-0"}, platform="linux")
    assert display_available({"QT_QPA_PLATFORM": "offscreen"}, platform="linux")
    assert display_available({"DISPLAY": ""}, platform="linux") is False
    assert display_available({}, platform="win32")
    assert display_available({}, platform="darwin")


def test_ctrl_c_closes_the_window_and_stops_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    log_dir = tmp_path / "xdg_state_home"
    proc = start_app_in_subprocess(isolated_env(tmp_path, QT_QPA_PLATFORM="offscreen"), db)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # running once events reach the log file
            if db.exists() and _count_events(db) > 0:
                break
            time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)  # a loaded CI machine stops slowly
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out + err
    for bad in ("Traceback", "Task was destroyed", "never retrieved", "KeyboardInterrupt"):
        assert bad not in err, err
    text = next(log_dir.rglob("eventflow-monitor.log")).read_text(encoding="utf-8")
    assert "Eventflow Monitor exited" in text


def test_a_crash_in_a_slot_is_logged_and_the_app_goes_on(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from monitor.ui import app\n"
        "show = app.MainWindow.show\n"
        "def show_then_fail(self):\n"
        "    show(self)\n"
        "    for delay in (300, 600, 900):  # the same bug three times: one dialog\n"
        "        QTimer.singleShot(delay, lambda: 1 / 0)\n"
        "app.MainWindow.show = show_then_fail\n"
        f"sys.exit(app.run_app(db_path={str(tmp_path / 'log.db')!r}, demo_rate=100,"
        " smoke_test=True))\n"
    )
    env = isolated_env(tmp_path, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, text=True, timeout=90
    )
    assert result.returncode == 0, result.stdout + result.stderr  # the app went on
    text = next((tmp_path / "xdg_state_home").rglob("eventflow-monitor.log")).read_text("utf-8")
    assert text.count("ZeroDivisionError: division by zero") == 3  # each one logged
    assert text.count("showing the error to the user") == 1  # one dialog


def _count_events(db: Path) -> int:
    try:
        with EventLog(db, create=False) as log:
            return log.count_events()
    except Exception:  # not created or mid-migration yet
        return 0


def test_a_log_that_cannot_be_opened_fails_with_a_message(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    result = run_app_in_subprocess(
        isolated_env(tmp_path, QT_QPA_PLATFORM="offscreen"), blocker / "log.db", timeout=60
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Eventflow Monitor could not start" in result.stderr


def test_a_file_that_is_not_a_log_is_one_sentence_on_the_terminal_and_a_traceback_in_the_file(
    tmp_path: Path,
) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not an event log\n" * 100)
    before = text.read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "--db", str(text), "--smoke-test"],
        env=isolated_env(tmp_path, QT_QPA_PLATFORM="offscreen"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # no traceback, nothing said twice
    assert lines[0].startswith("Eventflow Monitor could not start:")
    assert "cannot be opened as an event log" in lines[0]
    assert text.read_bytes() == before
    log_file = next((tmp_path / "xdg_state_home").rglob("eventflow-monitor.log"))
    assert "Traceback" in log_file.read_text(encoding="utf-8")


def test_ctrl_c_closes_the_could_not_start_dialog(tmp_path: Path) -> None:
    # Started from a terminal with nobody at the screen: the error dialog must not keep the
    # process alive after Ctrl+C.
    blocker = tmp_path / "file"
    blocker.write_text("a file where a directory should be")
    env = isolated_env(tmp_path, QT_QPA_PLATFORM="offscreen")
    proc = start_app_in_subprocess(env, blocker / "log.db")
    try:
        assert proc.stderr is not None
        for line in proc.stderr:  # the message is printed just before the dialog opens
            if "Eventflow Monitor could not start" in line:
                break
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 1
