"""A record's value and key encoded with registry subjects' schemas, for publishing.

The one path ``kafka publish --value-subject S [--key-subject K]`` and the window's
composer share: fetch each subject's schema (latest or a chosen version) with its
references, encode the JSON input with it in Confluent v0 framing
(:func:`~monitor.core.formats.encode.encode_with_schema`: logical types in the forms the
app shows them), and refuse, before anything is sent, input that does not fit, naming the
field and the reason. Blocking (HTTP): the window calls it from a worker thread.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from adapters.schema_registry.client import RegistryClient, RegistryError, RegistrySettings
from monitor.core.formats.encode import DoesNotFit, encode_with_schema
from monitor.core.formats.schemas import Schema
from monitor.core.raw_record import RawRecord

LATEST = "latest"


@dataclass(frozen=True, slots=True)
class SubjectChoice:
    """A subject and its version (a number, or ``"latest"``)."""

    subject: str
    version: int | str = LATEST

    @classmethod
    def parse(cls, subject: str, version: str | int | None = LATEST) -> SubjectChoice:
        """From what a user typed; raises ValueError for a version that is neither a
        number nor ``latest`` (empty means latest)."""
        text = str(version if version is not None else "").strip().lower() or LATEST
        if text != LATEST and not text.isdigit():
            raise ValueError(f"Version {version!r} of {subject} is not a number or 'latest'")
        return cls(subject.strip(), LATEST if text == LATEST else int(text))

    def __str__(self) -> str:
        return f"{self.subject} v{self.version}"


class SubjectRefused(ValueError):
    """Input that was not encoded, so nothing was sent; ``str()`` is the sentence to show
    (a subject the registry does not have, a registry that does not answer, or input
    that does not fit the schema: then ``does_not_fit`` is true)."""

    def __init__(self, message: str, *, does_not_fit: bool = False) -> None:
        super().__init__(message)
        self.does_not_fit = does_not_fit


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    """The record to send, and the schemas its value and key were encoded with."""

    record: RawRecord
    value_schema: Schema | None
    key_schema: Schema | None


def registry_subjects(settings: RegistrySettings) -> list[str]:
    """The registry's subjects, sorted (for a drop-down); raises RegistryError."""
    client = RegistryClient(settings)
    try:
        return sorted(client.subjects())
    finally:
        client.close()


def key_input(text: str) -> Any:
    """A key as typed, for a key schema: JSON when it parses (``42``, ``{"id": 7}``),
    else the text itself (``o-1`` for a string key, without quotes to type)."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def encode_by_subjects(
    settings: RegistrySettings,
    *,
    value: Any,
    value_subject: SubjectChoice | None,
    key: str | None = None,
    key_subject: SubjectChoice | None = None,
    headers: tuple[tuple[str, bytes], ...] = (),
) -> SubjectRecord:
    """The record for ``value`` (JSON data) and ``key`` (text), each encoded with its
    subject's schema when one is given (else the value as compact JSON, the key as UTF-8).
    Raises :class:`SubjectRefused`."""
    client = RegistryClient(settings)
    try:
        value_schema = key_schema = None
        if value_subject is not None:
            value_bytes, value_schema = _encode(client, value_subject, value, "payload")
        else:
            value_bytes = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        key_bytes = key.encode() if key is not None else None
        if key_subject is not None:
            if key is None:
                raise SubjectRefused(f"A key is needed to encode with {key_subject}.")
            key_bytes, key_schema = _encode(client, key_subject, key_input(key), "key")
    finally:
        client.close()
    return SubjectRecord(RawRecord(value_bytes, key_bytes, headers), value_schema, key_schema)


def _encode(
    client: RegistryClient, choice: SubjectChoice, data: Any, what: str
) -> tuple[bytes, Schema]:
    try:
        schema = client.subject_version(choice.subject, choice.version)
    except RegistryError as exc:
        raise SubjectRefused(f"Subject {choice}: {exc}.") from exc
    label = f"{choice.subject} v{schema.version if schema.version is not None else choice.version}"
    try:
        return encode_with_schema(data, schema), schema
    except DoesNotFit as exc:
        reason = " ".join(str(exc).split()).rstrip(".")  # protobuf's reasons span lines
        raise SubjectRefused(
            f"The {what} does not fit {label}: {reason}.", does_not_fit=True
        ) from exc
    except ValueError as exc:  # a schema that cannot be used, or has no id to frame with
        raise SubjectRefused(f"{label}: {exc}.") from exc
