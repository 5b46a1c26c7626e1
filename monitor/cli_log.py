"""The event log a command reads: ``--db`` or the default path, opened without creating
one (a reader makes no log where there is none)."""

from __future__ import annotations

import argparse

from monitor.cli_errors import CliError
from monitor.core.eventlog import EventLog, LogError
from monitor.core.paths import default_db_path


def db_path(args: argparse.Namespace) -> str:
    return str(args.db) if getattr(args, "db", None) else str(default_db_path())


def open_log(args: argparse.Namespace) -> EventLog:
    """The log of ``args``; a missing or unusable one is a :class:`CliError` saying why."""
    try:
        return EventLog(db_path(args), create=False)
    except LogError as exc:
        raise CliError(str(exc)) from exc


__all__ = ["db_path", "open_log"]
