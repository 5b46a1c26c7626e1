"""A record's value and key encoded with registry subjects' schemas, for publishing.

The one path ``kafka publish --value-subject S [--key-subject K]`` and the window's
composer share: fetch each subject's schema (latest or a chosen version) with its
references, encode the JSON input with it in Confluent v0 framing
(:func:`~monitor.core.formats.encode.encode_with_schema`: logical types in the forms the
app shows them), and refuse, before anything is sent, input that does not fit, naming the
field and the reason. Blocking (HTTP): the window calls it from a worker thread.

A Protobuf subject's message is the one its choice names, else the first; a payload
refused for the first that fits another carries that one's name (``fits``), for the
CLI and the composer to say how to choose it there. A key is JSON when it reads as JSON,
else text; a number typed for a string key schema is its text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from adapters.schema_registry.client import RegistryClient, RegistryError, RegistrySettings
from monitor.core.formats.codecs import codec_for
from monitor.core.formats.encode import (
    DoesNotFit,
    encode_with_schema,
    message_choice,
    schema_messages,
)
from monitor.core.formats.schema_display import kind_name
from monitor.core.formats.schemas import AVRO, PROTOBUF, Schema
from monitor.core.raw_record import RawRecord

LATEST = "latest"


@dataclass(frozen=True, slots=True)
class SubjectChoice:
    """A subject, its version (a number, or ``"latest"``) and, for a Protobuf schema with
    several messages, the message to encode (``None``: the first)."""

    subject: str
    version: int | str = LATEST
    message: str | None = None

    @classmethod
    def parse(
        cls, subject: str, version: str | int | None = LATEST, message: str | None = None
    ) -> SubjectChoice:
        """From what a user typed; raises ValueError for a version that is neither a
        number nor ``latest`` (empty means latest)."""
        text = str(version if version is not None else "").strip().lower() or LATEST
        if text != LATEST and not text.isdigit():
            raise ValueError(f"Version {version!r} of {subject} is not a number or 'latest'")
        return cls(
            subject.strip(),
            LATEST if text == LATEST else int(text),
            (message or "").strip() or None,
        )

    def __str__(self) -> str:
        """``orders-value version 3``, ``orders-value (the latest version)``."""
        if self.version == LATEST:
            return f"{self.subject} (the latest version)"
        return f"{self.subject} version {self.version}"


class SubjectRefused(ValueError):
    """Input that was not encoded, so nothing was sent; ``str()`` is the sentence to show
    (a subject the registry does not have, a registry that does not answer, or input
    that does not fit the schema: then ``does_not_fit`` is true). ``fits``: the other
    Protobuf messages the input does fit, for the caller to say how to choose one
    (``--value-message``, the composer's message box); ``is_key``: it was the key."""

    def __init__(
        self,
        message: str,
        *,
        does_not_fit: bool = False,
        fits: tuple[str, ...] = (),
        is_key: bool = False,
    ) -> None:
        super().__init__(message)
        self.does_not_fit = does_not_fit
        self.fits = fits
        self.is_key = is_key


@dataclass(frozen=True, slots=True)
class SubjectRecord:
    """The record to send, the schemas its value and key were encoded with, and the
    Protobuf message each is (``None`` for other formats)."""

    record: RawRecord
    value_schema: Schema | None
    key_schema: Schema | None
    value_message: str | None = None
    key_message: str | None = None

    def described(self) -> str:
        """``an Avro record (orders-value version 3, schema id 42)``, with the message of
        a Protobuf one and the key's subject when it has one."""
        schema = self.value_schema or self.key_schema
        if schema is None:
            return "a record"
        kind = kind_name(schema)
        message = self.value_message if schema is self.value_schema else self.key_message
        named = message or _record_name(schema)
        which = f"{named}, " if named else ""
        which += f"{schema_label(schema)}, schema id {schema.id}"
        if self.key_schema is not None and self.value_schema is not None:
            which += f"; key {schema_label(self.key_schema)}"
        article = "an" if kind[:1].lower() in "aeiou" else "a"
        return f"{article} {kind} record ({which})"


def _record_name(schema: Schema) -> str | None:
    """An Avro schema's record name (``com.acme.OrderPlaced``), as a Protobuf record says
    its message; ``None`` for other schemas."""
    if schema.format != AVRO:
        return None
    try:
        name = codec_for(schema).name
    except Exception:  # it encoded the record just now: this cannot fail in practice
        return None
    return name if isinstance(name, str) else None


def schema_label(schema: Schema, choice: SubjectChoice | None = None) -> str:
    """``orders-value version 3``: the subject and the version the registry answered
    with (the choice's when it did not say)."""
    subject = schema.subject or (choice.subject if choice else "the schema")
    version = schema.version if schema.version is not None else (choice and choice.version)
    return f"{subject} version {version}" if version not in (None, LATEST) else subject


def registry_subjects(settings: RegistrySettings) -> list[str]:
    """The registry's subjects, sorted (for a drop-down); raises RegistryError."""
    client = RegistryClient(settings)
    try:
        return sorted(client.subjects())
    finally:
        client.close()


def subject_messages(settings: RegistrySettings, choice: SubjectChoice) -> list[str]:
    """The messages of the subject's schema when it is Protobuf (full names, nested ones
    included), else none; raises RegistryError, or ValueError for an unusable schema."""
    client = RegistryClient(settings)
    try:
        return schema_messages(client.subject_version(choice.subject, choice.version))
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
        value_message = key_message = None
        if value_subject is not None:
            value_bytes, value_schema, value_message = _encode(client, value_subject, value)
        else:
            value_bytes = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        key_bytes = key.encode() if key is not None else None
        if key_subject is not None:
            if key is None:
                raise SubjectRefused(f"A key is needed to encode with {key_subject}.")
            key_bytes, key_schema, key_message = _encode_key(client, key_subject, key)
    finally:
        client.close()
    return SubjectRecord(
        RawRecord(value_bytes, key_bytes, headers),
        value_schema,
        key_schema,
        value_message,
        key_message,
    )


def _encode_key(
    client: RegistryClient, choice: SubjectChoice, key: str
) -> tuple[bytes, Schema, str | None]:
    # ``--key 123`` for a string key means the text "123": JSON reads it as a number, so
    # when the number does not fit, the text as typed is tried before refusing.
    data = key_input(key)
    try:
        return _encode(client, choice, data, is_key=True)
    except SubjectRefused as exc:
        if not exc.does_not_fit or data == key:
            raise
        try:
            return _encode(client, choice, key, is_key=True)
        except SubjectRefused:
            raise exc from None


def _encode(
    client: RegistryClient, choice: SubjectChoice, data: Any, *, is_key: bool = False
) -> tuple[bytes, Schema, str | None]:
    try:
        schema = client.subject_version(choice.subject, choice.version)
    except RegistryError as exc:
        text = str(exc)
        sep = " " if text.startswith(("was ", "is ")) else ": "
        raise SubjectRefused(f"Subject {choice}{sep}{text}.") from exc
    label = schema_label(schema, choice)
    what = "key" if is_key else "payload"
    try:
        message = None
        if schema.format == PROTOBUF:
            name = choice.message
            message = message_choice(schema, name)[1] if name else schema_messages(schema)[0]
        value = encode_with_schema(data, schema, choice.message)
    except DoesNotFit as exc:
        reason = exc.reason
        of = f" ({message})" if message else ""
        raise SubjectRefused(
            f"The {what} does not fit {label}{of}: {reason}.",
            does_not_fit=True,
            fits=exc.fits,
            is_key=is_key,
        ) from exc
    except (ValueError, IndexError) as exc:  # an unknown message, an unusable schema
        text = str(exc) or "the schema has no messages"
        raise SubjectRefused(f"{label}: {text}.", is_key=is_key) from exc
    return value, schema, message
