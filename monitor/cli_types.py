"""argparse types for the command line's numbers, so a nonsense value is refused with one
line of usage before anything runs (``--limit 0`` would show nothing, ``--duration nan``
would never end, ``--rate inf`` would flood)."""

from __future__ import annotations

import argparse
import math
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

# Far above any real count, and below SQLite's largest integer (a LIMIT is one).
MAX_COUNT = 2**62


def count(text: str) -> int:
    """A whole number of at least 1 (``--limit``, ``--max``, ``--count``)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    if value > MAX_COUNT:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_COUNT:,}, not {text}")
    return value


def filter_text(text: str) -> str:
    """A filter's value (``--type``, ``--search``, ...): an empty one is refused, not read
    as "no filter", which would list everything (an unset shell variable gives one)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("is empty: give a value, or leave the option out")
    return text


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


_AGO = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])", re.IGNORECASE)
_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}


def since(text: str) -> float:
    """``--since``: a time ago (``90s``, ``15m``, ``24h``, ``7d``, ``1w``; a leading ``-``
    is allowed) or an ISO 8601 time; returns epoch seconds. argparse turns the
    ValueError into a usage error that says what is accepted."""
    t = text.strip().lstrip("-")
    m = _AGO.fullmatch(t)
    if m:
        return datetime.now(UTC).timestamp() - float(m.group(1)) * _SECONDS[m.group(2).lower()]
    try:
        when = datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time: give a time ago such as 15m, 24h or 7d, "
            "or a time such as 2026-12-06T10:00:00Z"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.timestamp()


def http_url(text: str) -> str:
    """An http(s) URL with a host (``--schema-registry``): a typo is refused before
    anything runs, not met later as "unknown url type" on every record."""
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an http(s) URL; write it like https://registry.example.com:8081"
        )
    return text
