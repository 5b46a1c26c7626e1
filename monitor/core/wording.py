"""How counts, durations, sizes and ids read in a sentence: one way, in the window, the
command line and the adapters' messages alike.

``count(3, "topic")`` is ``"3 topics"``, ``count(1, "delivery", "deliveries")`` is
``"1 delivery"``; thousands are grouped (``"1,204 events"``). ``format_duration`` says a
duration as people do (``850 ms``, ``4.2 s``, ``3 min 5 s``); ``format_size`` a number of
bytes (``512 B``, ``12.5 KB``, ``3.1 MB``); ``short_id`` the start of an id as the tables
show it (the command line and the window take it back for the whole id).
"""

from __future__ import annotations

SHORT_ID_LENGTH = 8


def plural_of(n: int, noun: str, plural: str | None = None) -> str:
    """``noun`` for one, its plural otherwise (``plural`` when the word is irregular;
    ``-es`` after ``ch``, ``sh``, ``s`` or ``x``, else ``-s``)."""
    if n == 1:
        return noun
    if plural is not None:
        return plural
    return noun + ("es" if noun.endswith(("ch", "sh", "s", "x")) else "s")


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``"1 topic"``, ``"3 topics"``, ``"1,204 events"``."""
    return f"{n:,} {plural_of(n, noun, plural)}"


def short_id(text: str | None, length: int = SHORT_ID_LENGTH) -> str:
    """The start of an id as tables show it; ``-`` for none."""
    return (text or "-")[:length]


def format_duration(seconds: float) -> str:
    """A duration as people say it: ``850 ms``, ``4.2 s``, ``12 s``, ``3 min 5 s``,
    ``2 h 10 min``, ``3 d 4 h``. Negative durations (clock skew) read as zero."""
    seconds = max(0.0, seconds)
    if seconds < 1.0:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 10.0:
        return f"{seconds:.1f} s"
    if seconds < 60.0:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} d {hours % 24} h"


def format_size(num_bytes: float) -> str:
    """``512 B``, ``12.5 KB``, ``3.1 MB``, ``1.2 GB`` (powers of 1,024)."""
    value = float(num_bytes)
    if abs(value) < 1024:
        return f"{value:.0f} B"
    for unit in ("KB", "MB"):
        value /= 1024
        if abs(value) < 1024:
            return f"{value:.1f} {unit}"
    return f"{value / 1024:.1f} GB"
