"""How much of the event log the command keeps: ``--keep`` and ``--keep-days``.

They apply where events are logged: the window (no subcommand), ``demo`` and
``kafka tail``; other commands refuse them rather than ignore them. Older events are
deleted as new ones are logged and when the command ends, so the log stays within its
limits; dead letters still pending are never deleted. The options go before the
subcommand or after it, as ``--db`` does.

The default limit never deletes what a user kept on purpose: a log that already holds
more events than the default (from a run with ``--keep all``, say) is left whole, with a
note saying how to trim it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from monitor import cli_types
from monitor.core.eventlog import DEFAULT_KEEP_EVENTS, EventLog, LogError, Retention

_DAY = 86_400.0
_OPTIONS = (("--keep", "keep"), ("--keep-days", "keep_days"))


def keep_events(text: str) -> int | None:
    """``all`` (no limit), or a whole number of at least 1."""
    if text.strip().lower() == "all":
        return None
    return cli_types.count(text)


def add_retention_options(parser: argparse.ArgumentParser) -> None:
    """``--keep`` and ``--keep-days``, with no defaults of their own (SUPPRESS): a value
    given after the subcommand wins over one given before it, and :func:`retention` can
    tell a limit the user chose from the default."""
    parser.add_argument(
        "--keep",
        metavar="N",
        type=keep_events,
        default=argparse.SUPPRESS,
        help=f"keep the newest N events in the log, deleting older ones as new ones come "
        f"({DEFAULT_KEEP_EVENTS:,}; 'all' keeps every event)",
    )
    parser.add_argument(
        "--keep-days",
        metavar="D",
        type=cli_types.positive,
        default=argparse.SUPPRESS,
        help="also delete events logged more than D days ago (no limit)",
    )


def check_retention_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace, *, logs_events: bool
) -> None:
    """A usage error for ``--keep`` on a command that logs nothing (``eventflow --keep 10
    events`` would look like a limit on what is listed, and change nothing)."""
    given = [option for option, name in _OPTIONS if hasattr(args, name)]
    if given and not logs_events:
        verb = "applies" if len(given) == 1 else "apply"
        parser.error(
            f"{' and '.join(given)} {verb} only where events are logged: the window "
            "(no subcommand), demo and kafka tail"
        )


def retention(args: argparse.Namespace, db_path: str | None) -> Retention:
    """The limits the user gave, or the default ones for the log at ``db_path``."""
    days = getattr(args, "keep_days", None)
    max_age = None if days is None else days * _DAY
    if hasattr(args, "keep"):
        return Retention(max_events=args.keep, max_age_seconds=max_age)
    if db_path is not None and _holds_more_than_default(db_path):
        print(
            f"eventflow: the event log {db_path} holds more than the "
            f"{DEFAULT_KEEP_EVENTS:,} events kept by default, so none are deleted by this "
            "run. --keep N keeps the newest N; --keep all keeps every event.",
            file=sys.stderr,
        )
        return Retention(max_events=None, max_age_seconds=max_age)
    return Retention(max_events=DEFAULT_KEEP_EVENTS, max_age_seconds=max_age)


def _holds_more_than_default(db_path: str) -> bool:
    if not Path(db_path).is_file():
        return False
    try:
        with EventLog(db_path, create=False) as event_log:
            return event_log.holds_more_than(DEFAULT_KEEP_EVENTS)
    except LogError:  # the command says what is wrong with the file when it opens it
        return False
