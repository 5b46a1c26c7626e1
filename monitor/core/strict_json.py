"""JSON as other programs read it: what the user may type, what scripts are given.

Python's ``json`` module is lenient both ways. It reads ``NaN``, ``Infinity`` and
``"\\ud800"`` (a lone surrogate: no Unicode text) and writes them back, but jq,
JavaScript's ``JSON.parse`` and most other readers refuse such text, and a lone
surrogate cannot even be written to a UTF-8 file or terminal. So:

- :func:`loads_strict` reads what a user typed (the composer, the dead-letter editor)
  and refuses those, saying where, as :class:`json.JSONDecodeError` does;
- :func:`dumps_strict` writes output (``--json``, exports) that strict readers accept,
  even for events already logged with such values (a Kafka payload may hold them): NaN
  and infinities become ``null``, as ``JSON.stringify`` writes them. Lone surrogates
  are left to the output stream's ``backslashreplace`` error handler, which writes
  them as the ``\\ud800`` escape JSON spells them with.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Output streams for JSON and exports: a lone surrogate is written as its \uXXXX escape.
OUTPUT_ERRORS = "backslashreplace"


def loads_strict(text: str) -> Any:
    """``json.loads``, refusing NaN, infinities, numbers beyond a double's range and lone
    surrogates; raises :class:`json.JSONDecodeError` with the position of the first."""

    def constant(name: str) -> Any:
        raise json.JSONDecodeError(
            f"{name} is not a JSON number (write null, or the text in quotes)",
            text,
            _find_outside_strings(text, re.escape(name)),
        )

    def beyond_range(literal: str) -> json.JSONDecodeError:
        return json.JSONDecodeError(
            f"{_short(literal)} is beyond the range of JSON numbers readers accept (about 1.8e308)",
            text,
            _find_outside_strings(text, re.escape(literal)),
        )

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise beyond_range(literal)
        return value

    def integer(literal: str) -> int:
        # More digits than a double's 309 is beyond every reader's range (JSON.parse
        # reads it as Infinity); past 4,300 digits int() itself refuses the text.
        if len(literal.lstrip("-")) > 309:
            raise beyond_range(literal)
        return int(literal)

    value = json.loads(text, parse_constant=constant, parse_float=number, parse_int=integer)
    surrogate = _lone_surrogate(value)
    if surrogate is not None:
        raise json.JSONDecodeError(
            f"\\u{ord(surrogate):04x} is half of a surrogate pair, not a character "
            "(JSON files and terminals cannot hold it alone)",
            text,
            _find(text, rf"\\u{ord(surrogate):04x}", flags=re.IGNORECASE),
        )
    return value


def dumps_strict(value: Any, **options: Any) -> str:
    """``json.dumps(value, **options)``, with NaN and infinities written as ``null``."""
    try:
        return json.dumps(value, allow_nan=False, **options)
    except ValueError as exc:
        if "Out of range float" not in str(exc):
            raise
        return json.dumps(_finite(value), allow_nan=False, **options)


def _find(text: str, pattern: str, flags: int = 0) -> int:
    match = re.search(pattern, text, flags)
    return match.start() if match else 0


def _find_outside_strings(text: str, pattern: str) -> int:
    """Where ``pattern`` first occurs outside JSON strings ({"n": "NaN", "v": NaN} points
    at the second NaN)."""
    for match in re.finditer(rf'"(?:\\.|[^"\\])*"|({pattern})', text):
        if match.group(1) is not None:
            return match.start(1)
    return 0


def _short(literal: str) -> str:
    return literal if len(literal) <= 24 else f"{literal[:10]}\u2026 ({len(literal)} digits)"


def _lone_surrogate(value: Any) -> str | None:
    """The first lone surrogate in ``value``'s strings (keys included), if any."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            return value[exc.start]
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _lone_surrogate(key) or _lone_surrogate(item)
            if found:
                return found
    elif isinstance(value, list):
        for item in value:
            found = _lone_surrogate(item)
            if found:
                return found
    return None


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value
