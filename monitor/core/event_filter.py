"""What the event stream's filter bar asks for, with one meaning for live events and the log.

An :class:`EventFilter` is matched against envelopes in memory (:meth:`EventFilter.matcher`)
and turned into an SQL condition over the ``events`` table (:meth:`EventFilter.sql`). The
two agree, so a filter shows the same events live as a log search finds later:

- ``type``, ``source``: the field *contains* the text, ignoring case ("pay" finds
  ``PaymentAuthorized`` and ``PaymentFailed``).
- ``topic``: the topic *is* the text (``orders`` does not show ``orders.placed``), or
  matches it as a shell-style glob when it has one of ``*?[`` (``orders.*``; ``[!x]``
  negates), case-sensitively, as Kafka names topics: the same rule as ``eventflow events
  --topic`` and ``eventflow kafka tail --topic`` (see :func:`topic_matches`).
- ``correlation_id``: the event's chain id (its correlation id, or its own id when it has
  none) *starts with* the text, case-sensitively: ids are opaque, and the table shows only
  their first characters, which is what people copy.
- ``text``: the text appears, ignoring case, in the payload or in the headers (names and
  values), as the log stores them: JSON text (:mod:`monitor.core.json_text`). The log
  holds it in two forms: compact UTF-8 (``{"qty":2,"note":"café"}``, rows written now)
  and spaced ASCII-only (``{"qty": 2, "note": "caf\\u00e9"}``, logs written before, and a
  few rare payloads). So the text is looked for as typed and in its other spelling:
  ``"qty": 2`` and ``"qty":2`` both find that field in either form (the space after a
  ``:`` or ``,`` that separates JSON values is added or dropped), a non-ASCII word is
  also looked for ``\\u``-escaped, and text inside a JSON string with its quotes and
  backslashes escaped (``"quoted"`` finds ``\\"quoted\\"``). For a malformed record,
  its reason and its raw bytes (read as UTF-8) are searched too; for a schema-encoded one,
  its schema (subject, record or message name, id), so ``orders-value`` or
  ``com.shop.OrderPlaced`` finds every record written with that schema.
- ``malformed_only``: only records that could not be decoded.

Empty fields match everything; all the given fields must match. Case is ignored the way
SQLite's ``LIKE`` ignores it, for ASCII letters; a text with other letters is also looked
for in all lower and all upper case, so "MÜNCHEN" and "münchen" find "München" (but
"mÜnchen" only as typed). Type and source compare ASCII letters only, as before.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from monitor.core.envelope import Envelope
from monitor.core.json_text import to_json

_LIKE_ESCAPE = "\\"
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

Matcher = Callable[[Envelope], bool]


def _fold(text: str) -> str:
    """Lower-case ASCII letters only, as SQLite's LIKE compares."""
    return text.translate(_ASCII_LOWER) if not text.isascii() else text.lower()


def like_contains(text: str) -> str:
    """A ``LIKE`` pattern (with ``ESCAPE '\\'``) that matches strings containing ``text``."""
    escaped = (
        text.replace(_LIKE_ESCAPE, _LIKE_ESCAPE * 2)
        .replace("%", _LIKE_ESCAPE + "%")
        .replace("_", _LIKE_ESCAPE + "_")
    )
    return f"%{escaped}%"


def is_topic_pattern(selection: str) -> bool:
    """Whether a topic selection is a glob (``orders.*``) rather than a name. Kafka topic
    names never hold these characters, so a name is never taken for a pattern."""
    return any(c in selection for c in "*?[")


def topic_matches(topic: str | None, selection: str) -> bool:
    """Whether ``topic`` is ``selection``, or matches it as a shell-style glob
    (``fnmatch.fnmatchcase``: ``*``, ``?``, ``[abc]``, ``[!abc]``). The one rule for
    topics in the window's filter, ``events --topic`` and ``kafka tail --topic``."""
    if topic is None:
        return False
    if is_topic_pattern(selection):
        return fnmatch.fnmatchcase(topic, selection)
    return topic == selection


def topic_sql(selection: str) -> tuple[str, list[Any]]:
    """:func:`topic_matches` as an SQL condition over the ``topic`` column, and its
    parameters. SQLite's ``GLOB`` reads the same globs, but negates with ``[^...]``."""
    if is_topic_pattern(selection):
        return "topic GLOB ?", [selection.replace("[!", "[^")]
    return "topic = ?", [selection]


# The separators of JSON text, where the two stored forms differ: ``": "`` after a key
# (a key always ends with a quote) and ``", "`` between values (after the end of one:
# quote, digit, ``]``, ``}``, true/false/null/NaN/Infinity; before the start of the
# next). At the start of the text a separator is taken as one too (": 2" -> ":2").
_AFTER_KEY = r'(?:(?<=")|^)'
_AFTER_VALUE = r'(?:(?<=[\]}"\delNy])|^)'
_BEFORE_VALUE = r'(?=[\[{"\d\-tfnNI])'
_SPACED_SEPARATOR = re.compile(_AFTER_KEY + "(:) |" + _AFTER_VALUE + "(,) " + _BEFORE_VALUE)
_COMPACT_SEPARATOR = re.compile(_AFTER_KEY + r"(:)(?=\S)|" + _AFTER_VALUE + "(,)" + _BEFORE_VALUE)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _ascii_escaped(text: str) -> str:
    """Non-ASCII characters as JSON's ``\\uXXXX`` escapes (the old form), nothing else."""
    return _NON_ASCII.sub(lambda m: json.dumps(m.group())[1:-1], text)


def _needles(text: str) -> tuple[str, ...]:
    """The forms of ``text`` to look for in the log's JSON text, both stored forms (see
    the module docstring): compact, as typed, spaced and ASCII-only, and escaped as the
    inside of a JSON string (compact form keeps non-ASCII, the old form escapes it).

    LIKE ignores the case of ASCII letters only, so a text with other letters is also
    looked for in all lower case and all upper case ("MÜNCHEN" finds "München")."""
    cases = [text]
    if not text.isascii():
        cases += [text.lower(), text.upper()]
    forms = []
    for typed in dict.fromkeys(cases):
        forms += [
            _SPACED_SEPARATOR.sub(r"\1\2", typed),  # '"qty": 2' -> '"qty":2'
            typed,
            _ascii_escaped(_COMPACT_SEPARATOR.sub(r"\1\2 ", typed)),  # '"qty":2' -> '"qty": 2'
            json.dumps(typed, ensure_ascii=False)[1:-1],  # a quote -> \", a backslash -> \\
            json.dumps(typed)[1:-1],  # "café" -> caf\u00e9
        ]
    return tuple(dict.fromkeys(forms))


def _quoted(value: str) -> str:
    """``value`` in quotes that do not clash with its own: a search for ``"status":"x"``
    reads as text, then ``"status":"x"`` in typographic single quotes, not as
    ``text ""status":"x""``."""
    return f"\u2018{value}\u2019" if '"' in value else f'"{value}"'


@dataclass(frozen=True, slots=True)
class EventFilter:
    """The filter bar's fields; see the module docstring for what each one matches."""

    type: str = ""
    topic: str = ""
    source: str = ""
    correlation_id: str = ""
    text: str = ""
    malformed_only: bool = False

    def __post_init__(self) -> None:
        # Surrounding spaces are never meant (pasted ids, a trailing space typed).
        for name in ("type", "topic", "source", "correlation_id", "text"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"{name} must be a string, not {type(value).__name__}")
            object.__setattr__(self, name, value.strip())

    @property
    def is_empty(self) -> bool:
        """True when the filter lets every event through."""
        return not (
            self.type
            or self.topic
            or self.source
            or self.correlation_id
            or self.text
            or self.malformed_only
        )

    # -- in memory ----------------------------------------------------------------------

    def matcher(self, cache: SearchTextCache | None = None) -> Matcher:
        """A fast predicate over envelopes. Build it once per filter, call it per event;
        give it a :class:`SearchTextCache` when the same events are filtered again."""
        checks: list[Matcher] = []
        if self.malformed_only:
            checks.append(lambda e: e.malformed)
        for name in ("type", "source"):
            wanted = _fold(getattr(self, name))
            if wanted:
                checks.append(_contains_check(name, wanted))
        if self.topic:
            selection = self.topic
            checks.append(lambda e: topic_matches(e.topic, selection))
        if self.correlation_id:
            prefix = self.correlation_id
            checks.append(lambda e: (e.correlation_id or e.id).startswith(prefix))
        if self.text:
            checks.append(_text_check(tuple(_fold(n) for n in _needles(self.text)), cache))
        if not checks:
            return lambda e: True
        if len(checks) == 1:
            return checks[0]
        return lambda e: all(check(e) for check in checks)

    def matches(self, event: Envelope) -> bool:
        """One-off check; use :meth:`matcher` for many events."""
        return self.matcher()(event)

    # -- in SQL -------------------------------------------------------------------------

    def sql(self) -> tuple[str, list[Any]]:
        """An SQL condition over ``events`` and its parameters; ``("1", [])`` when empty.

        The caller adds it to a ``WHERE`` clause; no column is interpolated from input.
        """
        where: list[str] = []
        params: list[Any] = []
        if self.malformed_only:
            where.append("error IS NOT NULL")
        for column in ("type", "source"):
            value = getattr(self, column)
            if value:
                where.append(f"{column} LIKE ? ESCAPE '\\'")
                params.append(like_contains(value))
        if self.topic:
            condition, values = topic_sql(self.topic)
            where.append(condition)
            params += values
        if self.correlation_id:
            where.append("substr(coalesce(correlation_id, id), 1, ?) = ?")
            params += [len(self.correlation_id), self.correlation_id]
        if self.text:
            patterns = [like_contains(n) for n in _needles(self.text)]
            like = "{} LIKE ? ESCAPE '\\'"
            fields_ = [like.format(c) for _ in patterns for c in ("data", "headers")]
            # A schema lives in the rare-attributes column, NULL for most records.
            schemas = [
                like.format(f"json_extract(extra, '$.{name}')")
                for _ in patterns
                for name in ("schema", "key_schema")
            ]
            fields_.append(f"(extra IS NOT NULL AND ({' OR '.join(schemas)}))")
            # error and raw are NULL for well-formed records: test that first, it is cheap.
            # A blob never matches LIKE: raw is compared as text (up to its first NUL).
            malformed = [like.format(c) for _ in patterns for c in ("error", "CAST(raw AS TEXT)")]
            fields_.append(f"(error IS NOT NULL AND ({' OR '.join(malformed)}))")
            where.append("(" + " OR ".join(fields_) + ")")
            params += [p for p in patterns for _ in range(2)] * 3
        return (" AND ".join(where) or "1"), params

    # -- for people and settings --------------------------------------------------------

    def describe(self) -> str:
        """A short sentence for status lines: ``type contains "Order", text "ord-1"``."""
        parts: list[str] = []
        if self.type:
            parts.append(f"type contains {_quoted(self.type)}")
        if self.topic:
            verb = "matches" if is_topic_pattern(self.topic) else "is"
            parts.append(f"topic {verb} {_quoted(self.topic)}")
        if self.source:
            parts.append(f"source contains {_quoted(self.source)}")
        if self.correlation_id:
            parts.append(f"correlation starts with {_quoted(self.correlation_id)}")
        if self.text:
            parts.append(f"text {_quoted(self.text)}")
        if self.malformed_only:
            parts.append("malformed only")
        return ", ".join(parts) or "no filter"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> EventFilter:
        """Inverse of :meth:`to_dict`; unknown keys and values of the wrong type are
        ignored (settings files get edited and go stale), never an error."""
        if not isinstance(data, dict):
            return cls()
        kwargs: dict[str, Any] = {}
        for f in fields(cls):
            value = data.get(f.name)
            if f.name == "malformed_only":
                if isinstance(value, bool):
                    kwargs[f.name] = value
            elif isinstance(value, str):
                kwargs[f.name] = value
        return cls(**kwargs)


def _contains_check(name: str, wanted: str) -> Matcher:
    def check(event: Envelope) -> bool:
        value = getattr(event, name)
        return bool(value) and wanted in _fold(value)

    return check


def search_texts(event: Envelope) -> tuple[str, ...]:
    """What a free-text filter searches in ``event``, case-folded (see the module
    docstring): payload, headers and schemas as JSON text; reason and raw bytes when
    malformed."""
    texts: list[str] = []
    if event.data is not None:
        texts.append(_fold(to_json(event.data)))
    if event.headers:
        texts.append(_fold(to_json(event.headers)))
    for schema in (event.schema, event.key_schema):
        if schema is not None:
            texts.append(_fold(to_json(schema)))
    if event.malformed:
        texts.append(_fold(event.error or "malformed record"))
        if event.raw is not None:
            # SQLite's LIKE reads a blob as text up to its first NUL byte.
            texts.append(_fold(event.raw.split(b"\0", 1)[0].decode("utf-8", "replace")))
    return tuple(texts)


class SearchTextCache:
    """:func:`search_texts` per envelope, computed once and kept for the newest
    ``capacity`` envelopes asked about.

    A view that applies one filter after another to the same recent events (someone
    typing) encodes each payload once instead of once per keystroke. Entries hold their
    envelope, so an id can never be taken for another envelope's.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(1, capacity)
        self._entries: dict[int, tuple[Envelope, tuple[str, ...]]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def texts(self, event: Envelope) -> tuple[str, ...]:
        key = id(event)
        entry = self._entries.get(key)
        if entry is not None and entry[0] is event:
            return entry[1]
        texts = search_texts(event)
        self._entries[key] = (event, texts)
        if len(self._entries) > self.capacity:
            del self._entries[next(iter(self._entries))]  # the oldest entry
        return texts

    def clear(self) -> None:
        self._entries.clear()


def _text_check(needles: tuple[str, ...], cache: SearchTextCache | None) -> Matcher:
    texts_of = cache.texts if cache is not None else search_texts

    def check(event: Envelope) -> bool:
        return any(n in text for text in texts_of(event) for n in needles)

    return check


__all__ = [
    "EventFilter",
    "Matcher",
    "SearchTextCache",
    "is_topic_pattern",
    "like_contains",
    "search_texts",
    "topic_matches",
    "topic_sql",
]
