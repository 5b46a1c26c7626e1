"""Topic patterns for subscriptions.

Topics are dot-separated words (``orders.placed``). A pattern matches a topic word by word:

* ``*`` matches exactly one word: ``orders.*`` matches ``orders.placed``, not ``orders``
  nor ``orders.placed.eu``;
* ``#`` matches zero or more words: ``orders.#`` matches ``orders``, ``orders.placed`` and
  ``orders.placed.eu``; ``#`` alone matches every topic;
* any other word matches itself exactly.

This is the AMQP topic-exchange syntax, which most people who route events already know.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a topic pattern into a regular expression matching whole topics."""
    if not pattern:
        raise ValueError("a topic pattern cannot be empty")
    parts: list[str] = []
    for word in pattern.split("."):
        if word == "*":
            parts.append(r"[^.]+")
        elif word == "#":
            if parts and parts[-1] == "#":
                continue  # '#.#' means the same as '#'
            parts.append("#")
        elif "*" in word or "#" in word:
            raise ValueError(
                f"invalid topic pattern {pattern!r}: '*' and '#' must stand alone between dots"
            )
        else:
            parts.append(re.escape(word))
    # '#' may swallow its neighbouring dot, so that 'a.#' also matches 'a'.
    regex = ""
    for i, part in enumerate(parts):
        if part == "#":
            if i == 0:
                regex += r"(?:[^.]+(?:\.[^.]+)*)?" if len(parts) == 1 else r"(?:[^.]+\.)*"
            else:
                regex += r"(?:\.[^.]+)*"
        else:
            # A leading '#' already ends with its own dot; everywhere else a dot separates.
            if i > 0 and not (i == 1 and parts[0] == "#"):
                regex += r"\."
            regex += part
    return re.compile(regex + r"\Z")


def topic_matches(pattern: str, topic: str) -> bool:
    """True when ``topic`` is matched by ``pattern`` (see the module docstring)."""
    return compile_pattern(pattern).match(topic) is not None
