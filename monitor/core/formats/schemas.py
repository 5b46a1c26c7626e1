"""Where schemas come from: the protocol the decoder asks, and the answers it can get.

The decoder never waits for a schema. It asks a :class:`SchemaSource` for the schema a
record names (:class:`~monitor.core.formats.framing.SchemaRef`) and gets one of:

- a :class:`Schema` (decode with it);
- :class:`Pending`: being fetched; the record is held or kept undecoded, and decoded
  once the source calls back (``when_settled``);
- :class:`Unavailable`: it cannot be had (no registry, 404, registry down); the reason
  says what to do, and the record is kept undecoded with its raw bytes.

Sources: the registry client (an adapter), :class:`LocalSchemas` (files per topic
pattern), and :class:`SchemaSources` which asks several in turn.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from monitor.core.formats.framing import SchemaRef

AVRO, PROTOBUF, JSON_SCHEMA = "avro", "protobuf", "json-schema"
# The registry's schemaType -> our format name (absent means Avro, as in the REST API).
REGISTRY_TYPES = {"AVRO": AVRO, "PROTOBUF": PROTOBUF, "JSON": JSON_SCHEMA}


@dataclass(eq=False)
class Schema:
    """One schema with what is known about it, and the schemas it references.

    ``text`` is the schema as the registry or file gives it: Avro JSON, JSON Schema JSON,
    or for Protobuf a base64 ``FileDescriptorProto`` (what registries serve with
    ``format=serialized``) or raw descriptor bytes. ``references`` maps the name used in
    ``text`` (an Avro full name's file, a Protobuf import path) to the referenced schema.
    """

    format: str
    text: str
    id: int | None = None
    guid: str | None = None
    subject: str | None = None
    version: int | None = None
    references: dict[str, Schema] = field(default_factory=dict)
    # The compiled codec, built on first use (see formats.codecs.codec_for).
    codec: Any = field(default=None, repr=False)
    # Envelope.schema dicts made for this schema, by (reference, record name): shared by
    # the events decoded with it, so they are never changed once made.
    infos: dict[Any, dict[str, Any]] = field(default_factory=dict, repr=False)

    def info(self, name: str | None = None) -> dict[str, Any]:
        """What is known about this schema, for ``Envelope.schema``: id, guid, subject,
        version, and the record or message ``name`` the record was decoded as."""
        out: dict[str, Any] = {}
        for key, v in (
            ("id", self.id),
            ("guid", self.guid),
            ("subject", self.subject),
            ("version", self.version),
            ("name", name),
        ):
            if v is not None:
                out[key] = v
        return out


@dataclass(frozen=True, slots=True)
class Pending:
    """The schema is being fetched; the source calls ``when_settled`` callbacks then."""

    reason: str


@dataclass(frozen=True, slots=True)
class Unavailable:
    """The schema cannot be had now; ``reason`` says why and what to do."""

    reason: str


SchemaAnswer = Schema | Pending | Unavailable


class SchemaSource(Protocol):
    """Answers "the schema for this reference" without blocking."""

    def lookup(self, ref: SchemaRef | None, topic: str | None, is_key: bool) -> SchemaAnswer:
        """The schema for ``ref`` (``None``: the record is not framed; only a source that
        knows a schema per topic can answer then) of ``topic``'s key or value."""
        ...

    def when_settled(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` (once, from any thread) when a pending fetch has finished."""
        ...

    def claims(self, topic: str | None, is_key: bool) -> bool:
        """Whether this source has a schema for ``topic``'s unframed keys or values."""
        ...


# Read in the window and on the command line alike: it names the way in each.
NO_REGISTRY = (
    "no schema registry is configured; add one to the profile (Connections view) or give "
    "--schema-registry URL on the command line"
)


class NoSchemas:
    """The source when nothing is configured: every framed record is undecoded, saying so."""

    def lookup(self, ref: SchemaRef | None, topic: str | None, is_key: bool) -> SchemaAnswer:
        what = ref.describe() if ref is not None else "schema"
        return Unavailable(f"{what}: {NO_REGISTRY}")

    def when_settled(self, callback: Callable[[], None]) -> None:
        return None

    def claims(self, topic: str | None, is_key: bool) -> bool:
        return False


NO_SCHEMAS = NoSchemas()


class SchemaSources:
    """Several sources asked in turn: the first schema wins; else the first pending; else
    the last source's reason (the registry's, when there is one, is the one to act on)."""

    def __init__(self, sources: Sequence[SchemaSource]) -> None:
        self.sources = list(sources)

    def lookup(self, ref: SchemaRef | None, topic: str | None, is_key: bool) -> SchemaAnswer:
        answer: SchemaAnswer = NO_SCHEMAS.lookup(ref, topic, is_key)
        pending: Pending | None = None
        for source in self.sources:
            got = source.lookup(ref, topic, is_key)
            if isinstance(got, Schema):
                return got
            if isinstance(got, Pending):
                pending = pending or got
            else:
                answer = got
        return pending or answer

    def when_settled(self, callback: Callable[[], None]) -> None:
        for source in self.sources:
            source.when_settled(callback)

    def claims(self, topic: str | None, is_key: bool) -> bool:
        return any(source.claims(topic, is_key) for source in self.sources)


def close_schema_source(source: object) -> None:
    """Close what a source holds open (a registry client's worker threads), each of a
    :class:`SchemaSources`' parts too; a source with nothing to close is left as it is."""
    for part in getattr(source, "sources", [source]):
        close = getattr(part, "close", None)
        if close is not None:
            close()


class SchemaFileError(ValueError):
    """A local schema file that cannot be read or is not a schema."""


@dataclass(frozen=True, slots=True)
class SchemaFile:
    """``pattern=path``: records of topics matching ``pattern`` use the schema in ``path``
    (``key:pattern=path`` for keys)."""

    pattern: str
    path: str
    for_key: bool = False

    @classmethod
    def parse(cls, text: str) -> SchemaFile:
        pattern, sep, path = text.partition("=")
        for_key = pattern.startswith("key:")
        if for_key:
            pattern = pattern[4:]
        if not sep or not pattern.strip() or not path.strip():
            raise SchemaFileError(
                f"{text!r} is not PATTERN=PATH (e.g. 'orders.*=schemas/order.avsc')"
            )
        return cls(pattern.strip(), path.strip(), for_key)

    def __str__(self) -> str:
        return f"{'key:' if self.for_key else ''}{self.pattern}={self.path}"


def load_schema_file(path: str | Path) -> Schema:
    """A schema from a file, its format told by its suffix: ``.avsc`` (Avro), ``.json``
    (JSON Schema), ``.proto`` (Protobuf text importing nothing but google/protobuf/*),
    ``.desc``/``.pb``/``.protoset`` (a Protobuf descriptor set, as ``protoc
    --include_imports --descriptor_set_out`` writes). Raises SchemaFileError."""
    p = Path(path)
    suffix = p.suffix.lower()
    try:
        if suffix in (".desc", ".pb", ".protoset", ".binpb"):
            return _descriptor_set_schema(p.read_bytes(), p)
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SchemaFileError(f"cannot read schema file {p}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SchemaFileError(f"schema file {p} is not UTF-8 text") from exc
    if suffix == ".proto":
        # Read when first used; imports other than google/protobuf/* need a descriptor set.
        return Schema(PROTOBUF, text, subject=p.name)
    if suffix not in (".avsc", ".json"):
        raise SchemaFileError(
            f"{p}: unknown schema file type {suffix or '(none)'}; use .avsc, .json or .desc"
        )
    try:
        json.loads(text)
    except ValueError as exc:
        raise SchemaFileError(f"schema file {p} is not valid JSON: {exc}") from exc
    return Schema(AVRO if suffix == ".avsc" else JSON_SCHEMA, text, subject=p.name)


def _descriptor_set_schema(raw: bytes, p: Path) -> Schema:
    """A ``FileDescriptorSet``: its last file is the schema, the others its imports."""
    import base64

    from google.protobuf import descriptor_pb2
    from google.protobuf.message import DecodeError

    fds = descriptor_pb2.FileDescriptorSet()
    try:
        fds.ParseFromString(raw)
    except DecodeError as exc:
        raise SchemaFileError(f"{p} is not a Protobuf descriptor set: {exc}") from None
    if not fds.file:
        raise SchemaFileError(f"{p} is an empty descriptor set")

    def text(fdp: Any) -> str:
        return base64.b64encode(fdp.SerializeToString()).decode("ascii")

    refs = {f.name: Schema(PROTOBUF, text(f), subject=f.name) for f in fds.file[:-1]}
    for ref in refs.values():  # imports may import each other
        ref.references = refs
    return Schema(PROTOBUF, text(fds.file[-1]), subject=p.name, references=refs)


class LocalSchemas:
    """Schemas from files, per topic pattern; a framed record's id is then ignored."""

    def __init__(self, files: Sequence[SchemaFile]) -> None:
        self.rules = [(f.pattern, f.for_key, load_schema_file(f.path)) for f in files]
        self._by_topic: dict[tuple[str | None, bool], Schema | None] = {}

    def _schema_of(self, topic: str | None, is_key: bool) -> Schema | None:
        key = (topic, is_key)
        if key not in self._by_topic:
            found = None
            for pattern, for_key, schema in self.rules:
                if (
                    for_key == is_key
                    and topic is not None
                    and (topic == pattern or fnmatch.fnmatchcase(topic, pattern))
                ):
                    found = schema
                    break
            if len(self._by_topic) > 4096:
                self._by_topic.clear()
            self._by_topic[key] = found
        return self._by_topic[key]

    def claims(self, topic: str | None, is_key: bool) -> bool:
        return self._schema_of(topic, is_key) is not None

    def lookup(self, ref: SchemaRef | None, topic: str | None, is_key: bool) -> SchemaAnswer:
        schema = self._schema_of(topic, is_key)
        if schema is not None:
            return schema
        what = ref.describe() if ref is not None else "schema"
        return Unavailable(f"{what}: no local schema file matches topic {topic}, and {NO_REGISTRY}")

    def when_settled(self, callback: Callable[[], None]) -> None:
        return None
