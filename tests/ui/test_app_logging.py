"""The GUI's log: a rotating file, with Qt's own messages in it."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import qWarning

from monitor.ui.app_logging import LOG_FILE_NAME, configure_logging, restore_logging


@pytest.fixture
def configured(tmp_path: Path) -> Any:
    root = logging.getLogger()
    level = root.level
    path = configure_logging(tmp_path / "logs")
    yield path
    restore_logging()
    root.setLevel(level)


def test_log_file_rotates_and_receives_qt_messages(configured: Path | None, qapp: Any) -> None:
    assert configured is not None
    assert configured.name == LOG_FILE_NAME
    handlers = [
        h
        for h in logging.getLogger().handlers
        if isinstance(h, logging.handlers.RotatingFileHandler)
    ]
    assert len(handlers) == 1 and handlers[0].maxBytes > 0 and handlers[0].backupCount > 0
    logging.getLogger("monitor.test").info("hello from the test")
    qWarning("a warning from Qt itself")
    for handler in handlers:
        handler.flush()
    text = configured.read_text(encoding="utf-8")
    assert "hello from the test" in text
    assert "a warning from Qt itself" in text and " qt" in text


def test_configuring_twice_does_not_duplicate_handlers(configured: Path | None) -> None:
    before = len(logging.getLogger().handlers)
    configure_logging(configured.parent if configured else None)
    assert len(logging.getLogger().handlers) == before


def test_an_unwritable_log_dir_falls_back_to_stderr(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the log directory should be")
    try:
        assert configure_logging(blocker / "logs") is None
    finally:
        restore_logging()
