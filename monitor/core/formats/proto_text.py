"""``.proto`` text -> a ``FileDescriptorProto``, for registries that serve Protobuf schemas
as text and for local ``.proto`` files, with no ``protoc``.

A reader for the schema language as registries hold it (proto2 and proto3): ``syntax``,
``package``, ``import``, ``option`` (skipped), ``message`` (nested messages and enums,
``optional``/``required``/``repeated`` fields, ``map<K, V>``, ``oneof``, ``reserved``,
field options in brackets), ``enum`` and ``service`` (skipped). Type names are left as
written: the descriptor pool resolves them by the language's scoping rules. Raises
ValueError with the line for what it cannot read.
"""

from __future__ import annotations

import re
from typing import Any

_TOKEN = re.compile(
    r"""\s+|//[^\n]*|/\*.*?\*/|(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
    r"""|(?P<word>[A-Za-z_][\w.]*|\.[A-Za-z_][\w.]*|-?\d[\w.+-]*)|(?P<sym>[{}\[\]()<>;=,:])""",
    re.DOTALL,
)
_SCALARS = {
    "double": 1, "float": 2, "int64": 3, "uint64": 4, "int32": 5, "fixed64": 6,
    "fixed32": 7, "bool": 8, "string": 9, "bytes": 12, "uint32": 13, "sfixed32": 15,
    "sfixed64": 16, "sint32": 17, "sint64": 18,
}  # fmt: skip
_LABELS = {"optional": 1, "required": 2, "repeated": 3}


def _tokens(text: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    pos, line = 0, 1
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ValueError(f".proto line {line}: cannot read {text[pos : pos + 20]!r}")
        tok = m.group("str") or m.group("word") or m.group("sym")
        if tok:
            out.append((tok, line))
        line += text.count("\n", pos, m.end())
        pos = m.end()
    return out


class _Reader:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self) -> str:
        return self.toks[self.i][0] if self.i < len(self.toks) else ""

    def next(self) -> str:
        if self.i >= len(self.toks):
            raise ValueError(".proto text ends early")
        self.i += 1
        return self.toks[self.i - 1][0]

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            line = self.toks[self.i - 1][1]
            raise ValueError(f".proto line {line}: expected {tok!r}, found {got!r}")

    def skip_statement(self) -> None:
        """Skip to the end of a statement or a balanced block."""
        depth = 0
        while True:
            tok = self.next()
            if tok == "{":
                depth += 1
            elif tok == "}":
                depth -= 1
                if depth == 0:
                    return
            elif tok == ";" and depth == 0:
                return

    def skip_brackets(self) -> None:
        depth = 0
        while True:
            tok = self.next()
            depth += tok == "["
            depth -= tok == "]"
            if depth == 0:
                return


def parse_proto(text: str, name: str = "schema.proto") -> Any:
    """The ``FileDescriptorProto`` of ``.proto`` text; raises ValueError."""
    from google.protobuf import descriptor_pb2

    fdp = descriptor_pb2.FileDescriptorProto(name=name)
    r = _Reader(text)
    while r.peek():
        tok = r.next()
        if tok == "syntax" or tok == "edition":
            r.expect("=")
            fdp.syntax = r.next().strip("\"'")
            r.expect(";")
        elif tok == "package":
            fdp.package = r.next()
            r.expect(";")
        elif tok == "import":
            dep = r.next()
            if dep in ("public", "weak"):
                dep = r.next()
            fdp.dependency.append(dep.strip("\"'"))
            r.expect(";")
        elif tok == "message":
            _message(r, fdp.message_type.add())
        elif tok == "enum":
            _enum(r, fdp.enum_type.add())
        elif tok in ("option", "service", "extend"):
            r.skip_statement()
        elif tok == ";":
            continue
        else:
            raise ValueError(f".proto: unexpected {tok!r} at the top level")
    if fdp.syntax == "proto2":
        fdp.ClearField("syntax")  # proto2 is the descriptor's default
    return fdp


def _message(r: _Reader, msg: Any, name: str | None = None) -> None:
    msg.name = name or r.next()
    r.expect("{")
    oneof_index: int | None = None
    while True:
        tok = r.peek()
        if tok == "}":
            r.next()
            if oneof_index is not None:
                oneof_index = None
                continue
            _synthetic_oneofs_last(msg)
            return
        if tok == ";":
            r.next()
        elif tok == "message":
            r.next()
            _message(r, msg.nested_type.add())
        elif tok == "enum":
            r.next()
            _enum(r, msg.enum_type.add())
        elif tok in ("option", "reserved", "extensions", "extend"):
            r.skip_statement()
        elif tok == "oneof":
            r.next()
            msg.oneof_decl.add(name=r.next())
            r.expect("{")
            oneof_index = len(msg.oneof_decl) - 1
        else:
            _field(r, msg, oneof_index)


def _synthetic_oneofs_last(msg: Any) -> None:
    """protobuf refuses a message whose proto3 ``optional`` fields' oneofs come before a
    declared ``oneof`` ("Synthetic oneofs must be after all other oneofs"), as they do
    when such a field is written first: move them after, keeping each field's."""
    synthetic = {f.oneof_index for f in msg.field if f.proto3_optional}
    order = [i for i in range(len(msg.oneof_decl)) if i not in synthetic] + sorted(synthetic)
    if order == list(range(len(msg.oneof_decl))):
        return
    names = [msg.oneof_decl[i].name for i in order]
    moved = {old: new for new, old in enumerate(order)}
    del msg.oneof_decl[:]
    for name in names:
        msg.oneof_decl.add(name=name)
    for field in msg.field:
        if field.HasField("oneof_index"):
            field.oneof_index = moved[field.oneof_index]


def _field(r: _Reader, msg: Any, oneof_index: int | None) -> None:
    from google.protobuf import descriptor_pb2

    field = msg.field.add()
    tok = r.next()
    label = _LABELS.get(tok)
    proto3_optional = tok == "optional"
    if label is not None:
        tok = r.next()
    if tok == "map":
        r.expect("<")
        key_type = r.next()
        r.expect(",")
        value_type = r.next()
        r.expect(">")
        field.name = r.next()
        entry = msg.nested_type.add(name=_camel(field.name) + "Entry")
        entry.options.map_entry = True
        for number, (fname, ftype) in enumerate((("key", key_type), ("value", value_type)), 1):
            sub = entry.field.add(name=fname, number=number, label=1)
            _set_type(sub, ftype)
        field.label = 3
        field.type_name = entry.name
        field.type = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE
    else:
        _set_type(field, tok)
        field.name = r.next()
        field.label = label or 1
    r.expect("=")
    field.number = int(r.next(), 0)
    if r.peek() == "[":
        r.skip_brackets()
    r.expect(";")
    field.json_name = _camel(field.name, upper=False)
    if oneof_index is not None:
        field.oneof_index = oneof_index
    elif proto3_optional and label == 1:
        field.proto3_optional = True
        msg.oneof_decl.add(name="_" + field.name)
        field.oneof_index = len(msg.oneof_decl) - 1


def _set_type(field: Any, type_name: str) -> None:
    scalar = _SCALARS.get(type_name)
    if scalar is not None:
        field.type = scalar
    else:
        field.type_name = type_name  # message or enum: the pool resolves which


def _enum(r: _Reader, enum: Any) -> None:
    enum.name = r.next()
    r.expect("{")
    while True:
        tok = r.next()
        if tok == "}":
            return
        if tok == ";":
            continue
        if tok in ("option", "reserved"):
            r.skip_statement()
            continue
        r.expect("=")
        enum.value.add(name=tok, number=int(r.next(), 0))
        if r.peek() == "[":
            r.skip_brackets()
        r.expect(";")


def _camel(name: str, upper: bool = True) -> str:
    parts = name.split("_")
    head = parts[0][:1].upper() + parts[0][1:] if upper else parts[0]
    return head + "".join(p[:1].upper() + p[1:] for p in parts[1:])
