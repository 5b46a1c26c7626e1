"""Short ids: the start of an id, as the window shows it, taken for the whole id.

The window shows ids by their first 8 characters, so that is what people copy into
``eventflow chain``, ``dlq show`` or ``events --correlation-id``. A prefix stands for a
whole id when exactly one id starts with it; several are an error that lists them (the
user picks one), none is an error that says so. A prefix must be at least
:data:`MIN_PREFIX` characters: shorter ones match too much to mean one thing.

This module holds the rules and the sentences; :class:`~monitor.core.eventlog.EventLog`
finds the candidates (``resolve_chain_id``, ``resolve_dead_letter_id``).
"""

from __future__ import annotations

from collections.abc import Sequence

from monitor.core.logschema import LogError

MIN_PREFIX = 6
# Candidates named in an "ambiguous" error; a count says how many more there are.
LISTED = 10
# The highest code point: every string that starts with ``p`` sorts before
# ``p + _TOP`` (SQLite compares text as UTF-8 bytes, and U+10FFFF has the largest).
_TOP = "\U0010ffff"


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """``(low, high)`` with ``low <= s < high`` for the strings ``s`` that start with
    ``prefix``: a range test SQLite evaluates faster than ``substr`` or ``LIKE``, and
    answers from an index where the column has one."""
    return prefix, prefix + _TOP


def check_prefix(text: str, what: str) -> str:
    """``text`` without surrounding spaces; :class:`LogError` when it is empty or shorter
    than :data:`MIN_PREFIX` (``what`` names the id in the sentence: "dead letter id")."""
    text = text.strip()
    if not text:
        raise LogError(f"Give a {what}.")
    if len(text) < MIN_PREFIX:
        raise LogError(
            f"{text!r} is too short to stand for a {what}: give at least {MIN_PREFIX} "
            "characters of it, or all of it."
        )
    return text


def pick_one(text: str, candidates: Sequence[str], *, what: str, kinds: str, where: str) -> str:
    """The one id in ``candidates`` (the distinct whole ids that ``text`` stands for).

    Raises :class:`LogError` when there is none ("No ``what`` in ``where`` is or starts
    with ...") or more than one ("... could be any of 3 ``kinds``", listing up to
    :data:`LISTED` of them, sorted, so the user can pick one). A caller may stop
    collecting after ``LISTED + 1`` distinct ids: beyond that, the sentence says "more
    than".
    """
    unique = sorted(set(candidates))
    if len(unique) == 1:
        return unique[0]
    if not unique:
        raise LogError(f"No {what} in {where} is or starts with {text}.")
    if len(unique) > LISTED:
        count, names = f"more than {LISTED}", ", ".join(unique[:LISTED]) + ", ..."
    else:
        count, names = str(len(unique)), ", ".join(unique)
    raise LogError(
        f"{text} could be any of {count} {kinds} in {where}; give more of it, or one of"
        f" these: {names}."
    )


__all__ = ["LISTED", "MIN_PREFIX", "check_prefix", "pick_one", "prefix_bounds"]
