"""The JSON text the event log stores, in one place: the log writes it, searches read it.

Plain ``json.dumps`` output (ASCII-only, ``": "`` and ``", "`` separators), so a search
for ``"qty": 2`` finds what the log holds, and ``repr`` for values JSON cannot hold, so
logging an event never fails on its payload. The C encoder is built once: ``json.dumps``
with any option builds a new encoder per call, and this runs for every logged event.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

_SAMPLE = '{"a": [1.5, null, true, "\\u00e9"]}'


def _make_fast_encoder() -> Callable[[Any], str] | None:
    """``json.dumps(value, default=repr)`` without its per-call setup; ``None`` where the
    interpreter has no C encoder or a different one."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        iterencode = make(
            None, repr, json.encoder.encode_basestring_ascii, None, ": ", ", ", False, False, True
        )
    except TypeError:
        return None

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode if encode({"a": [1.5, None, True, "\u00e9"]}) == _SAMPLE else None


_fast = _make_fast_encoder()


def to_json(value: Any) -> str:
    """``value`` as the log's JSON text; ``repr`` text for a circular structure."""
    try:
        if _fast is not None:
            return _fast(value)
        return json.dumps(value, default=repr)
    except (ValueError, RecursionError):
        return json.dumps(repr(value))
