"""Protobuf bodies with no compiled classes: message types built at run time.

The schema is a serialized ``FileDescriptorProto`` (what the registry serves with
``format=serialized`` and what Python clients register) or ``.proto`` text (what Java
clients register and registries serve by default), with its imports as references;
``google/protobuf/*`` imports (the well-known types) come from protobuf itself. The body
starts with the message-index list (zig-zag varints: a count, then the indexes; a lone
``0`` means ``[0]``) that picks the message, nested ones included. Rendered with
protobuf's JSON mapping (a ``Timestamp`` as RFC 3339, field names in lowerCamelCase).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from monitor.core.formats.schemas import Schema


def file_descriptor(text: str, name: str = "schema.proto") -> Any:
    """The ``FileDescriptorProto`` of a schema: base64 of its serialized form, or ``.proto``
    text (read by :mod:`monitor.core.formats.proto_text`). Raises ValueError."""
    from google.protobuf import descriptor_pb2
    from google.protobuf.message import DecodeError

    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        from monitor.core.formats.proto_text import parse_proto

        return parse_proto(text, name)
    fdp = descriptor_pb2.FileDescriptorProto()
    try:
        fdp.ParseFromString(raw)
    except DecodeError as exc:
        raise ValueError(f"the schema is not a serialized file descriptor: {exc}") from None
    return fdp


def _well_known_types() -> None:
    # Importing these registers their files in protobuf's default pool.
    from google.protobuf import (  # noqa: F401
        any_pb2,
        duration_pb2,
        empty_pb2,
        field_mask_pb2,
        struct_pb2,
        timestamp_pb2,
        wrappers_pb2,
    )


class ProtobufCodec:
    """A file descriptor and its imports in a private pool; decodes framed bodies."""

    def __init__(self, schema: Schema) -> None:
        from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

        _well_known_types()
        self._pool = descriptor_pool.DescriptorPool()
        self._added: set[str] = set()
        self._default = descriptor_pool.Default()
        self._fdp_type = descriptor_pb2.FileDescriptorProto
        self.file = file_descriptor(schema.text)
        self._add(self.file, schema, ())
        self._classes: dict[tuple[int, ...], tuple[Any, str]] = {}
        self._factory = message_factory
        self._to_dict = json_format.MessageToDict

    def _add(self, fdp: Any, schema: Schema, chain: tuple[str, ...]) -> None:
        if fdp.name in chain:
            raise ValueError(f"schema imports itself ({' -> '.join((*chain, fdp.name))})")
        if fdp.name in self._added:
            return
        for dep in fdp.dependency:
            if dep in self._added:
                continue
            ref = schema.references.get(dep)
            if ref is not None:
                dep_fdp = file_descriptor(ref.text)
                dep_fdp.name = dep  # the name the importing file uses
                self._add(dep_fdp, ref, (*chain, fdp.name))
            elif dep.startswith("google/protobuf/"):
                proto = self._fdp_type()
                try:
                    self._default.FindFileByName(dep).CopyToProto(proto)
                except KeyError:
                    raise ValueError(f"unknown well-known type file {dep}") from None
                self._add(proto, schema, (*chain, fdp.name))
            else:
                raise ValueError(f"import {dep} is not among the schema's references")
        self._pool.Add(fdp)
        self._added.add(fdp.name)

    def message_class(self, indexes: tuple[int, ...]) -> tuple[Any, str]:
        """``(message class, full name)`` of the message ``indexes`` picks (``[0]``: the
        first top-level one; ``[1, 0]``: the first nested in the second). ValueError when
        the schema has no such message."""
        found = self._classes.get(indexes)
        if found is None:
            types = self.file.message_type
            names = []
            for i in indexes:
                if i >= len(types):
                    raise ValueError(f"message index {list(indexes)} is not in the schema")
                names.append(types[i].name)
                types = types[i].nested_type
            full = ".".join(([self.file.package] if self.file.package else []) + names)
            cls = self._factory.GetMessageClass(self._pool.FindMessageTypeByName(full))
            found = self._classes[indexes] = (cls, full)
        return found

    def decode(
        self, body: bytes, framed: bool = True, index_bytes: bytes | None = None
    ) -> tuple[Any, str | None]:
        """``(data, message full name)``; raises ValueError when the body does not fit.
        ``framed``: the body starts with the message-index list (registry framing), unless
        ``index_bytes`` holds it (header framing; empty means the first message)."""
        from google.protobuf.message import DecodeError

        if index_bytes is not None:
            pos, indexes = 0, read_message_indexes(index_bytes)[1] if index_bytes else (0,)
        elif framed:
            pos, indexes = read_message_indexes(body)
        else:
            pos, indexes = 0, (0,)
        cls, full = self.message_class(indexes)
        try:
            msg = cls.FromString(body[pos:])
        except DecodeError as exc:
            raise ValueError(f"body does not decode as {full}: {exc}") from None
        return self._to_dict(msg, always_print_fields_with_no_presence=True), full


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        if pos >= len(data):
            raise ValueError("message-index list ends early (truncated)")
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return (result >> 1) ^ -(result & 1), pos  # zig-zag
        shift += 7
        if shift > 63:
            raise ValueError("message-index varint is too long")


def read_message_indexes(body: bytes) -> tuple[int, tuple[int, ...]]:
    """``(position after the list, indexes)`` of a framed Protobuf body."""
    count, pos = _varint(body, 0)
    if count == 0:
        return pos, (0,)
    if count < 0 or count > 100:
        raise ValueError(f"message-index list of {count} entries: not a Protobuf framing")
    out = []
    for _ in range(count):
        i, pos = _varint(body, pos)
        if i < 0:
            raise ValueError("negative message index")
        out.append(i)
    return pos, tuple(out)
