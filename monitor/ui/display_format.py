"""How the window writes ages, so that two places showing the same age say the same thing.

The dead-letter table's Age column ("7 min") and the inspector's "Failed at ... (7 min
ago)" both come from :func:`format_age`, computed against the same ``now``
(:class:`AgeClock`): a view reads the clock once per refresh and hands that instant to
everything that shows an age, so a column and a pane never disagree by the minutes
between two reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable

JUST_NOW = "just now"


def format_age(seconds: float) -> str:
    """A short, rounded-down age: ``"just now"``, ``"42 s"``, ``"3 min"``, ``"5 h"``,
    ``"2 d"``. Negative ages (clock skew) read as just now."""
    if seconds < 5:
        return JUST_NOW
    if seconds < 60:
        return f"{int(seconds)} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h"
    return f"{int(seconds // 86400)} d"


def format_ago(seconds: float) -> str:
    """:func:`format_age` as a phrase: ``"7 min ago"``, or ``"just now"``."""
    age = format_age(seconds)
    return age if age == JUST_NOW else f"{age} ago"


class AgeClock:
    """The instant ages are measured from, read once per refresh (:meth:`tick`) and
    shared by everything that shows an age of the same view. ``clock`` returns epoch
    seconds (``time.time`` unless a test gives another)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self.now = clock()

    def tick(self) -> float:
        """Read the clock: the new :attr:`now`."""
        self.now = self._clock()
        return self.now

    def age(self, at: float) -> str:
        """How long before :attr:`now` ``at`` was, as :func:`format_age` writes it."""
        return format_age(self.now - at)

    def ago(self, at: float) -> str:
        """The same as a phrase (:func:`format_ago`)."""
        return format_ago(self.now - at)


__all__ = ["JUST_NOW", "AgeClock", "format_age", "format_ago"]
