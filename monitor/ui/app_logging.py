"""Where the GUI's log goes: a rotating file under the user's log dir, and Qt's own
messages routed into the same log (otherwise they go to a stderr nobody sees).
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

from monitor.core.paths import log_dir

LOG_FILE_NAME = "eventflow-monitor.log"
_MAX_BYTES = 2_000_000
_BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_qt_log = logging.getLogger("qt")


def _qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    category = getattr(context, "category", None)
    name = f"qt.{category}" if category and category != "default" else "qt"
    logging.getLogger(name).log(_QT_LEVELS.get(kind, logging.WARNING), "%s", message)


class _TerminalFilter(logging.Filter):
    """On the terminal: the app's warnings, but only Qt's errors (its warnings are chatty,
    e.g. the offscreen platform's notes on every window; they stay in the file)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "file_only", False):  # said to the user in a sentence already
            return False
        if record.name == "qt" or record.name.startswith("qt."):
            return record.levelno >= logging.ERROR
        return True


# ``log.exception(..., extra=FILE_ONLY)``: the traceback goes to the log file, not the
# terminal, where the user has just been told what went wrong in one sentence.
FILE_ONLY = {"file_only": True}


def configure_logging(directory: Path | None = None) -> Path | None:
    """Log to ``<log dir>/eventflow-monitor.log`` (rotating) and warnings to stderr.

    Returns the log file, or ``None`` when the directory cannot be written (then only
    stderr gets the log, and a warning says so). Safe to call twice.
    """
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        if getattr(handler, "_eventflow", False):
            root.removeHandler(handler)
            handler.close()
        elif type(handler) is logging.StreamHandler and handler.stream in (sys.stderr, None):
            # The command line's plain stderr handler: the one below replaces it, or every
            # warning would be printed twice.
            root.removeHandler(handler)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(logging.WARNING)
    terminal.addFilter(_TerminalFilter())
    terminal.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    terminal._eventflow = True  # type: ignore[attr-defined]
    root.addHandler(terminal)

    path: Path | None = (directory or log_dir()) / LOG_FILE_NAME
    try:
        assert path is not None
        path.parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
        )
    except OSError as exc:
        logging.getLogger(__name__).warning("cannot write the log file %s: %s", path, exc)
        path = None
    else:
        file_handler.setFormatter(logging.Formatter(_FORMAT))
        file_handler._eventflow = True  # type: ignore[attr-defined]
        root.addHandler(file_handler)
    logging.captureWarnings(True)
    qInstallMessageHandler(_qt_message)
    return path


def restore_logging() -> None:
    """Undo :func:`configure_logging` (the app is done; tests share the process)."""
    qInstallMessageHandler(None)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_eventflow", False):
            root.removeHandler(handler)
            handler.close()
    logging.captureWarnings(False)
