"""argparse types for the command line's numbers, so a nonsense value is refused with one
line of usage before anything runs (``--limit 0`` would show nothing, ``--duration nan``
would never end, ``--rate inf`` would flood)."""

from __future__ import annotations

import argparse
import math


def count(text: str) -> int:
    """A whole number of at least 1 (``--limit``, ``--max``, ``--count``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def positive(text: str) -> float:
    """A finite number above zero (``--duration`` in seconds, a replay's ``--rate``)."""
    value = _finite(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, not {text}")
    return value


def rate(text: str) -> float:
    """A finite number of at least zero (the demo's orders per second: 0 runs the demo's
    services with no orders, for events the user publishes)."""
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative, not {text}")
    return value


def _finite(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, not {text}")
    return value
