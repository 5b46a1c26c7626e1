"""A broker record exactly as it came: value bytes, key bytes and headers.

A dead letter read from a Kafka dead-letter topic keeps its :class:`RawRecord`, so that a
replay sends the record the consumer failed on, not a re-encoding of our model of it:
the same value and key bytes and the original headers, less the ones the failing side
added when it dead-lettered the record (Spring Kafka's ``kafka_dlt-*``, Kafka Connect's
``__connect.errors.*``) and less an earlier replay's marker, plus the replay marker.

No attribute the record did not have is added: a plain JSON record stays a plain JSON
record, a CloudEvent keeps exactly its ``ce_*`` headers.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from monitor.core.envelope import Envelope
from monitor.core.formats.codecs import UNDECODED
from monitor.core.formats.encode import DoesNotFit
from monitor.core.formats.framing import VALUE_SCHEMA_HEADER
from monitor.core.formats.reframe import framing_of, reframed
from monitor.core.formats.schemas import AVRO, JSON_SCHEMA, PROTOBUF, Schema

Header = tuple[str, bytes | None]

# Headers a framework adds when it moves a failed record to a dead-letter topic.
FAILURE_HEADER_PREFIXES = ("kafka_dlt-", "__connect.errors.")
# Headers a replayed record carries, so a consumer can tell a replay from the first
# delivery and drop a duplicate it already processed.
REPLAY_HEADER = "eventflow-replay-of"
REPLAY_COUNT_HEADER = "eventflow-replay-count"
_REPLAY_HEADERS = frozenset((REPLAY_HEADER, REPLAY_COUNT_HEADER))


def is_failure_header(name: str) -> bool:
    return name.startswith(FAILURE_HEADER_PREFIXES)


@dataclass(frozen=True, slots=True)
class RawRecord:
    """``value`` and ``key`` as bytes (``None`` for a null), ``headers`` in their order."""

    value: bytes | None
    key: bytes | None = None
    headers: tuple[Header, ...] = ()

    @classmethod
    def of(
        cls, value: Any, key: Any = None, headers: Iterable[tuple[Any, Any]] | None = None
    ) -> RawRecord:
        """From what a client library hands over (bytes-like or None; header names as
        text or bytes)."""
        return cls(
            _bytes(value),
            _bytes(key),
            tuple(
                (n if isinstance(n, str) else bytes(n).decode("utf-8", "replace"), _bytes(v))
                for n, v in headers or ()
            ),
        )

    def for_replay(self, letter_id: str, count: int) -> RawRecord:
        """The record to send again: failure headers and an earlier replay marker
        removed, this replay's marker added."""
        kept = tuple(
            (n, v) for n, v in self.headers if not is_failure_header(n) and n not in _REPLAY_HEADERS
        )
        marker = ((REPLAY_HEADER, letter_id.encode()), (REPLAY_COUNT_HEADER, str(count).encode()))
        return RawRecord(self.value, self.key, kept + marker)

    def to_json(self) -> str:
        return json.dumps(
            {
                "value": _b64(self.value),
                "key": _b64(self.key),
                "headers": [[n, _b64(v)] for n, v in self.headers],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> RawRecord:
        d = json.loads(text)
        return cls(
            _unb64(d.get("value")),
            _unb64(d.get("key")),
            tuple((str(n), _unb64(v)) for n, v in d.get("headers") or ()),
        )


def record_of_event(event: Envelope) -> RawRecord:
    """A best-effort record for an event whose original bytes were not kept (a dead
    letter logged by an older version): the raw bytes when the decoder kept them, else
    the data encoded by its content type, and the headers as decoded text. Headers the
    original had are all there (``ce_*`` ones included); none is added."""
    if event.raw is not None:
        value: bytes | None = event.raw
    elif event.data is None:
        value = None
    elif isinstance(event.data, str) and not _json_media(event.datacontenttype):
        value = event.data.encode("utf-8", "surrogatepass")
    else:
        value = json.dumps(event.data, separators=(",", ":"), ensure_ascii=False).encode(
            "utf-8", "surrogatepass"
        )
    key = event.key.encode("utf-8", "surrogateescape") if event.key is not None else None
    headers = tuple((n, v.encode("utf-8", "surrogatepass")) for n, v in event.headers.items())
    return RawRecord(value, key, headers)


def edited_record(
    record: RawRecord, before: Envelope, after: Envelope, schema: Schema | None = None
) -> RawRecord:
    """``record`` with the user's edit of its event (``before`` -> ``after``) applied.

    The value is re-encoded only when the data changed, in the payload's own format:
    JSON, text, MessagePack, CBOR; Avro, Protobuf and JSON Schema with ``schema``, the one
    it was decoded with, framed as it came (:mod:`monitor.core.formats.reframe`: the same
    schema id or GUID, the same Protobuf message). An edit that does not fit the schema,
    or an Avro or Protobuf edit without the schema, raises :class:`EditRefused` saying
    why (a JSON Schema payload without its schema is written as JSON behind its framing).
    The key changes only when it was edited; a header keeps its original bytes unless its
    text changed (Spring's binary numbers survive an edit of another header), a header
    removed in the edit is dropped and a new one appended.
    """
    value = record.value
    if after.data != before.data:
        value = _reencoded(record, before, after, schema)
    key = record.key
    if after.key != before.key:
        key = after.key.encode("utf-8", "surrogateescape") if after.key is not None else None
    headers: list[Header] = []
    for name, raw in record.headers:
        if name not in after.headers:
            continue
        text = after.headers[name]
        headers.append((name, raw if text == before.headers.get(name) else text.encode()))
    seen = {n for n, _ in record.headers}
    headers.extend((n, v.encode()) for n, v in after.headers.items() if n not in seen)
    return RawRecord(value, key, tuple(headers))


class EditRefused(ValueError):
    """An edit that cannot be turned into the record's bytes; the message says why."""


class SchemaNotGiven(EditRefused):
    """An Avro or Protobuf edit with no schema source to encode it: the caller adds how to
    give one where it runs (a profile in the window, schema options on the command line)."""


# Formats whose bytes are written with a registry (or local) schema.
SCHEMA_FORMATS = frozenset((AVRO, PROTOBUF, JSON_SCHEMA))


def needs_schema(record: RawRecord | None, before: Envelope, after: Envelope) -> bool:
    """Whether turning this edit into bytes takes the schema the value was decoded with:
    the payload changed and was schema-encoded."""
    return (
        record is not None
        and bool(record.value)
        and before.format in SCHEMA_FORMATS
        and after.data != before.data
    )


def schema_label(event: Envelope) -> str:
    """The schema an event was decoded with, as the details pane names it."""
    info = event.schema or {}
    parts = [str(info[k]) for k in ("subject", "name") if info.get(k)]
    if info.get("id") is not None:
        parts.append(f"schema id {info['id']}")
    elif info.get("guid"):
        parts.append(f"schema GUID {info['guid']}")
    return ", ".join(dict.fromkeys(parts)) or "its schema"


def value_schema_header(record: RawRecord) -> bytes | None:
    """The record's ``__value_schema_id`` header (header framing), if it has one."""
    return next((v for n, v in record.headers if n == VALUE_SCHEMA_HEADER), None)


def _reencoded(
    record: RawRecord, before: Envelope, after: Envelope, schema: Schema | None
) -> bytes | None:
    value, fmt = record.value, before.format
    if fmt == UNDECODED:
        raise EditRefused(
            "The payload was never decoded (its schema could not be had), so an edit of it "
            "cannot be encoded. Edit the headers, or replay the letter as it is."
        )
    if fmt in SCHEMA_FORMATS and value and schema is not None:
        which = schema_label(before)
        try:
            framing = framing_of(value, value_schema_header(record), fmt)
            return reframed(framing, after.data, schema)
        except DoesNotFit as exc:
            reason = exc.reason
            raise EditRefused(f"The edited payload does not fit {which}: {reason}.") from None
        except ValueError as exc:  # broken framing, or a schema that cannot be used
            raise EditRefused(f"The edit cannot be encoded with {which}: {exc}.") from None
    if fmt in (AVRO, PROTOBUF):
        raise SchemaNotGiven(
            f"The payload is {fmt} ({schema_label(before)}): the edit must be encoded with "
            "that schema again, and no schema registry or schema file was given: give one, "
            "or replay the letter as it is."
        )
    if fmt == "msgpack":
        import msgpack

        return bytes(msgpack.packb(after.data))
    if fmt == "cbor":
        import cbor2

        return bytes(cbor2.dumps(after.data))
    plain = record_of_event(
        Envelope(type="", source="", data=after.data, datacontenttype=after.datacontenttype)
    ).value
    if fmt == JSON_SCHEMA and value and plain:
        # Without its schema: JSON behind the prefix it had (the same schema id or GUID).
        try:
            return framing_of(value, value_schema_header(record), fmt).prefix + plain
        except ValueError:
            return plain
    return plain


def _json_media(ctype: str | None) -> bool:
    media = (ctype or "").split(";", 1)[0].strip().lower()
    return not media or media == "application/json" or media.endswith("+json")


def _bytes(v: Any) -> bytes | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape")
    return bytes(v)


def _b64(v: bytes | None) -> str | None:
    return None if v is None else base64.b64encode(v).decode("ascii")


def _unb64(v: Any) -> bytes | None:
    return None if v is None else base64.b64decode(v)
