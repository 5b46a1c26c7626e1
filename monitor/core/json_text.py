"""The JSON text the event log stores, in one place: the log writes it, searches read it.

Written by orjson: compact UTF-8 JSON (``{"qty":2,"note":"café"}``), about 3-5 times
cheaper than the json module's encoder, which matters because this runs for every logged
event on the log writer's thread. Logs written before held the json module's text
(ASCII-only, ``": "`` and ``", "`` separators, ``{"qty": 2, "note": "caf\\u00e9"}``),
and a few new rows still do (below): searches look for both forms (see
:mod:`monitor.core.event_filter`), and ``json.loads`` reads both.

Logging an event never fails and never drops data because of its payload:

- A value JSON has no form for is written as its ``repr`` text, a JSON string
  (``"<class 'object'>"``, ``"Decimal('1.5')"``, ``"{1, 2}"``). orjson writes a few types
  itself where the json module wrote their ``repr``: ``datetime``, ``date`` and ``time``
  as ISO 8601 text, ``UUID`` as its canonical text, an ``Enum`` member as its value, a
  dataclass as an object of its fields.
- Keys that are not strings are written as the json module writes them (``1`` ->
  ``"1"``, ``None`` -> ``"null"``).
- What orjson refuses goes to the json module's encoder, as before, so the row holds the
  old format: integers beyond 64 bits (kept exact), strings with lone surrogates, nesting
  deeper than orjson goes (253 levels). What that encoder refuses too (a circular
  structure, keys JSON cannot hold such as tuples) is logged as the ``repr`` text of the
  whole value.
- NaN and infinities: orjson writes them as ``null``, which would turn a ``NaN`` payload
  value into ``null`` for good (and a replayed dead letter with it). So when orjson's text
  contains ``null`` and does not read back equal to the value, the json module writes it
  instead, with ``NaN``/``Infinity`` as before. Payloads whose text has no ``null`` pay
  one substring test for this; the others a read-back (still cheaper than the json
  module). A payload with a ``null`` that does not read back equal for another reason
  (non-string keys, tuples, the types above) takes that path too: correct, only slower,
  and there ``datetime`` and the like are their ``repr`` text as before.

Floats are written in the shortest form that reads back exactly, as before, but small
and large ones may be spelled differently (``1e-05`` was, ``0.00001`` is now).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_SAMPLE = '{"a": [1.5, null, true, "\\u00e9"]}'
_OPTIONS = orjson.OPT_NON_STR_KEYS


def _repr_text(value: Any) -> str:
    """``repr(value)``, or the default object repr when that fails: what is logged for a
    value JSON has no form for (orjson and the json module call it for each such value)."""
    try:
        return repr(value)
    except Exception:
        return object.__repr__(value)


def _make_fast_encoder() -> Callable[[Any], str] | None:
    """``json.dumps(value, default=_repr_text)`` without its per-call setup; ``None`` where
    the interpreter has no C encoder or a different one."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        iterencode = make(
            None,
            _repr_text,
            json.encoder.encode_basestring_ascii,
            None,
            ": ",
            ", ",
            False,
            False,
            True,
        )
    except TypeError:
        return None

    def encode(value: Any) -> str:
        return "".join(iterencode(value, 0))

    return encode if encode({"a": [1.5, None, True, "\u00e9"]}) == _SAMPLE else None


_fast = _make_fast_encoder()


def _json_module_text(value: Any) -> str:
    """``value`` as the json module writes it (the old format); the ``repr`` text of the
    whole value when even that is refused (a circular structure, a tuple as a key)."""
    try:
        if _fast is not None:
            return _fast(value)
        return json.dumps(value, default=_repr_text)
    except Exception:
        return json.dumps(_repr_text(value))


def _reads_back_equal(text: str, value: Any) -> bool:
    try:
        return bool(orjson.loads(text) == value)
    except Exception:  # an __eq__ that raises, numpy arrays...
        return False


def to_json(value: Any) -> str:
    """``value`` as the log's JSON text (see the module docstring); never raises."""
    try:
        text = orjson.dumps(value, default=_repr_text, option=_OPTIONS).decode()
    except Exception:  # orjson.JSONEncodeError: beyond 64 bits, circular, surrogates...
        return _json_module_text(value)
    # orjson writes NaN and infinities as null: keep them through the json module.
    if "null" in text and not _reads_back_equal(text, value):
        return _json_module_text(value)
    return text
