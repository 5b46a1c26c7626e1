"""How much of the event log the command keeps: ``--keep`` and ``--keep-days``.

They apply where events are logged: the window (no subcommand), ``demo`` and
``kafka tail``; other commands refuse them rather than ignore them. Older events are
deleted as new ones are logged and when the command ends, so the log stays within its
limits; dead letters still pending are never deleted. The options go before the
subcommand or after it, as ``--db`` does.

A log remembers what it was told to keep: later commands that write to it keep the same
until told otherwise, so a log kept whole on purpose (``--keep all``) is not trimmed to
the default by the next run that was not given the option.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor import cli_types
from monitor.core.eventlog import (
    DEFAULT_KEEP_EVENTS,
    SECONDS_PER_DAY,
    EventLog,
    LogError,
    Retention,
)

_OPTIONS = (("--keep", "keep"), ("--keep-days", "keep_days"))
_ALL, _NONE = "all", "none"  # the words for "no limit", on the command line and stored


def keep_events(text: str) -> int | None:
    """``all`` (no limit), or a whole number of at least 1."""
    if text.strip().lower() == _ALL:
        return None
    return cli_types.count(text)


def keep_days(text: str) -> float | None:
    """``none`` (no age limit), or a number of days above 0."""
    if text.strip().lower() == _NONE:
        return None
    return cli_types.positive(text)


def add_retention_options(parser: argparse.ArgumentParser) -> None:
    """``--keep`` and ``--keep-days``, with no defaults of their own (SUPPRESS): a value
    given after the subcommand wins over one given before it, and :func:`retention` can
    tell what the user gave from what the log remembers."""
    parser.add_argument(
        "--keep",
        metavar="N",
        type=keep_events,
        default=argparse.SUPPRESS,
        help=f"keep the newest N events in the log, deleting older ones as new ones come; "
        f"'all' keeps every event. The log remembers it (default {DEFAULT_KEEP_EVENTS:,})",
    )
    parser.add_argument(
        "--keep-days",
        metavar="D",
        type=keep_days,
        default=argparse.SUPPRESS,
        help="also delete events logged more than D days ago; 'none' sets no age limit. "
        "The log remembers it (default: none)",
    )


def check_retention_options(
    parser: argparse.ArgumentParser, args: argparse.Namespace, *, logs_events: bool
) -> None:
    """A usage error for ``--keep`` on a command that logs nothing (``eventflow --keep 10
    events`` would look like a limit on what is listed, and change nothing)."""
    given = [option for option, name in _OPTIONS if hasattr(args, name)]
    if given and (not logs_events or getattr(args, "no_log", False)):
        verb = "applies" if len(given) == 1 else "apply"
        parser.error(
            f"{' and '.join(given)} {verb} only where events are logged: the window "
            "(no subcommand), demo and kafka tail without --no-log"
        )


def retention(args: argparse.Namespace, db_path: str | None) -> Retention:
    """What the log at ``db_path`` keeps: what the user gave now (which the log then
    remembers), else what the log remembers, else the default."""
    stored = _stored(db_path, args)
    events = getattr(
        args, "keep", _remembered(stored.get("keep"), keep_events, DEFAULT_KEEP_EVENTS)
    )
    days = getattr(args, "keep_days", _remembered(stored.get("keep_days"), keep_days, None))
    return Retention(
        max_events=events, max_age_seconds=None if days is None else days * SECONDS_PER_DAY
    )


def _stored(db_path: str | None, args: argparse.Namespace) -> dict[str, str]:
    """The log's remembered limits, after remembering those given now. A log that cannot
    be read or written here says so when the command opens it: the limits given now
    apply to this run all the same."""
    if db_path is None:
        return {}
    given = {name: getattr(args, name) for _, name in _OPTIONS if hasattr(args, name)}
    if not given and not Path(db_path).is_file():
        return {}
    try:
        with EventLog(db_path) as event_log:
            for name, value in given.items():
                word = _ALL if name == "keep" else _NONE
                event_log.set_setting(name, word if value is None else str(value))
            return {name: v for _, name in _OPTIONS if (v := event_log.setting(name))}
    except LogError:
        return {}


def _remembered(text: str | None, parse: Callable[[str], Any], default: Any) -> Any:
    """A remembered value as the option parses it; the default when there is none, or
    when it does not parse (a log edited by hand)."""
    if text is None:
        return default
    try:
        return parse(text)
    except (argparse.ArgumentTypeError, ValueError):
        return default


def deleted_note(keeping: Retention, deleted: int) -> str:
    """What a command's "logged to" line adds when retention deleted events as it ran:
    the log holds fewer events than were logged into it, and that should not surprise."""
    if not deleted:
        return ""
    noun = "event was" if deleted == 1 else "events were"
    return f" (it keeps {keeping.describe()}: {deleted:,} older {noun} deleted)"
