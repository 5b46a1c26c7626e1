"""How much of the event log the command keeps: ``--keep`` and ``--keep-days``.

They apply where events are written: the window (no subcommand), ``demo`` and
``kafka tail``. Older events are deleted as new ones are logged, and once more when the
command ends, so the log stays within its limits; dead letters still pending are never
deleted. The options go before the subcommand or after it, as ``--db`` does.
"""

from __future__ import annotations

import argparse

from monitor import cli_types
from monitor.core.eventlog import DEFAULT_KEEP_EVENTS, Retention

_DAY = 86_400.0


def keep_events(text: str) -> int | None:
    """``all`` (no limit), or a whole number of at least 1."""
    if text.strip().lower() == "all":
        return None
    return cli_types.count(text)


def add_retention_options(parser: argparse.ArgumentParser, *, subcommand: bool) -> None:
    """``--keep`` and ``--keep-days``. A subcommand's have no defaults of their own
    (SUPPRESS), so that ``eventflow --keep 1000 demo`` keeps 1,000."""
    parser.add_argument(
        "--keep",
        metavar="N",
        type=keep_events,
        default=argparse.SUPPRESS if subcommand else DEFAULT_KEEP_EVENTS,
        help=f"keep the newest N events in the log, deleting older ones as new ones come "
        f"({DEFAULT_KEEP_EVENTS:,}; 'all' keeps every event)",
    )
    parser.add_argument(
        "--keep-days",
        metavar="D",
        type=cli_types.positive,
        default=argparse.SUPPRESS if subcommand else None,
        help="also delete events logged more than D days ago (no limit)",
    )


def retention(args: argparse.Namespace) -> Retention:
    days = getattr(args, "keep_days", None)
    return Retention(
        max_events=getattr(args, "keep", DEFAULT_KEEP_EVENTS),
        max_age_seconds=None if days is None else days * _DAY,
    )
