"""JSON a person edits: parse it with a message that says where it is wrong, and show what
changed against the original.

Used by the dead-letter editor (payload and headers before a replay), and by anything
else that lets a user change a JSON document and wants to show the change before it is
kept.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from monitor.core.envelope import Envelope
from monitor.core.strict_json import loads_strict

_MISSING: Any = object()


class JsonInputError(ValueError):
    """Text that is not acceptable JSON. The message is a sentence for the user, naming
    the line and column when the text does not parse."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.line = line
        self.column = column


def parse_json(text: str, *, what: str = "The text") -> Any:
    """``text`` as a JSON value; :class:`JsonInputError` saying where it is wrong."""
    if not text.strip():
        raise JsonInputError(f"{what} is empty: write a JSON value (null for none).")
    try:
        return loads_strict(text)
    except json.JSONDecodeError as exc:
        raise JsonInputError(
            f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            line=exc.lineno,
            column=exc.colno,
        ) from exc


def parse_headers(text: str) -> dict[str, str]:
    """Headers as edited: a JSON object whose values are all strings.

    Record headers are strings on every transport, so a number or a nested object is
    refused (with the header's name) rather than silently turned into text.
    """
    value = parse_json(text, what="The headers")
    if not isinstance(value, dict):
        raise JsonInputError(
            'The headers must be a JSON object, such as {"x-tenant": "acme"}, '
            f"not {_json_kind(value)}."
        )
    for name, header in value.items():
        if not name:
            raise JsonInputError("A header needs a name: one of the keys is empty.")
        if not isinstance(header, str):
            raise JsonInputError(
                f'The header "{name}" must be a string (put the value in quotes), '
                f"not {_json_kind(header)}."
            )
    return value


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def pretty_json(value: Any) -> str:
    """Indented JSON, keys in their own order, non-ASCII kept readable."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=repr)


def unified_json_diff(before: Any, after: Any, *, name: str = "document", context: int = 3) -> str:
    """A unified diff of the pretty-printed documents; empty when they are equal."""
    if before == after:
        return ""
    lines = difflib.unified_diff(
        pretty_json(before).splitlines(),
        pretty_json(after).splitlines(),
        fromfile=f"{name} (original)",
        tofile=f"{name} (edited)",
        n=context,
        lineterm="",
    )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class JsonChange:
    """One difference between two JSON documents, at a path such as ``items[0].qty``."""

    path: str
    kind: Literal["added", "removed", "changed"]
    before: Any = None
    after: Any = None

    def describe(self) -> str:
        where = self.path or "(the whole value)"
        if self.kind == "added":
            return f"{where}: added {_short(self.after)}"
        if self.kind == "removed":
            return f"{where}: removed (was {_short(self.before)})"
        return f"{where}: {_short(self.before)} \u2192 {_short(self.after)}"


def _short(value: Any, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def json_changes(before: Any, after: Any, path: str = "") -> list[JsonChange]:
    """Every difference, in document order: objects are compared key by
    key, lists item by item (an item inserted in the middle shows as the items after it
    changing, plus one added at the end; the unified diff shows it as one insertion)."""
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[JsonChange] = []
        for key in [*before, *(k for k in after if k not in before)]:
            sub = f"{path}.{key}" if path else str(key)
            out.extend(_compare(before.get(key, _MISSING), after.get(key, _MISSING), sub))
        return out
    if isinstance(before, list) and isinstance(after, list):
        out = []
        for i in range(max(len(before), len(after))):
            b = before[i] if i < len(before) else _MISSING
            a = after[i] if i < len(after) else _MISSING
            out.extend(_compare(b, a, f"{path}[{i}]"))
        return out
    if before == after and type(before) is type(after):
        return []
    return [JsonChange(path, "changed", before, after)]


def edit_changes(before: Envelope, after: Envelope) -> list[JsonChange]:
    """What editing an event changed, named as the dead-letter editor names its two
    parts (``payload.items[0].sku``, ``headers.x-retry``), then any other field."""

    def parts(e: Envelope) -> dict[str, Any]:
        d = e.to_dict()
        return {"payload": d.pop("data"), "headers": d.pop("headers"), **d}

    return json_changes(parts(before), parts(after))


def describe_changes(changes: Sequence[JsonChange], limit: int) -> list[str]:
    """One line per change, the first ``limit`` of them, then how many more there are."""
    lines = [c.describe() for c in changes[:limit]]
    if len(changes) > limit:
        lines.append(f"\u2026 and {len(changes) - limit} more")
    return lines


def _compare(before: Any, after: Any, path: str) -> list[JsonChange]:
    if before is _MISSING:
        return [JsonChange(path, "added", None, after)]
    if after is _MISSING:
        return [JsonChange(path, "removed", before, None)]
    return json_changes(before, after, path)


__all__ = [
    "JsonChange",
    "JsonInputError",
    "describe_changes",
    "edit_changes",
    "json_changes",
    "parse_headers",
    "parse_json",
    "pretty_json",
    "unified_json_diff",
]
