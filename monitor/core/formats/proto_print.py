"""A ``FileDescriptorProto`` written back as ``.proto`` text, for people to read.

Registries serve Protobuf schemas to the decoder in their serialized form, and local
descriptor sets hold nothing else; the details pane shows what a developer would have
written: ``syntax``, ``package``, ``import``, messages (nested ones, ``map<K, V>``,
``oneof``, proto2 labels and proto3 ``optional``), enums and services. Comments and
options other than defaults are not in a descriptor, so they are not shown.
"""

from __future__ import annotations

from typing import Any

# FieldDescriptorProto.Type -> its name in the language (messages and enums by type_name).
_SCALARS = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64",
    7: "fixed32", 8: "bool", 9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32",
    16: "sfixed64", 17: "sint32", 18: "sint64",
}  # fmt: skip
_LABELS = {1: "optional", 2: "required", 3: "repeated"}
_REPEATED = 3
_INDENT = "  "


def proto_source(fdp: Any) -> str:
    """The ``.proto`` text of a ``FileDescriptorProto``."""
    syntax = fdp.syntax or "proto2"  # an empty syntax is proto2, as protoc writes it
    lines = [f'syntax = "{syntax}";']
    if fdp.package:
        lines += ["", f"package {fdp.package};"]
    if fdp.dependency:
        lines.append("")
        lines += [f'import "{name}";' for name in fdp.dependency]
    printer = _Printer(fdp.package, proto3=syntax == "proto3")
    for enum in fdp.enum_type:
        lines.append("")
        lines += printer.enum(enum, 0)
    for message in fdp.message_type:
        lines.append("")
        lines += printer.message(message, 0)
    for service in fdp.service:
        lines.append("")
        lines += printer.service(service)
    return "\n".join(lines) + "\n"


class _Printer:
    def __init__(self, package: str, *, proto3: bool) -> None:
        self.package = package
        self.proto3 = proto3

    def type_name(self, name: str) -> str:
        """A referenced type as written in this file: without the leading dot, and
        without this file's package (the language resolves it from there)."""
        name = name.lstrip(".")
        if self.package and name.startswith(self.package + "."):
            return name[len(self.package) + 1 :]
        return name

    def message(self, msg: Any, depth: int) -> list[str]:
        pad = _INDENT * depth
        inner = _INDENT * (depth + 1)
        out = [f"{pad}message {msg.name} {{"]
        maps = {n.name: n for n in msg.nested_type if n.options.map_entry}
        for enum in msg.enum_type:
            out += self.enum(enum, depth + 1)
        for nested in msg.nested_type:
            if nested.name not in maps:  # a map's entry type is written as map<K, V>
                out += self.message(nested, depth + 1)
        # Oneofs that are real (not the synthetic ones proto3 optional fields make).
        real_oneofs = {
            i
            for i, _ in enumerate(msg.oneof_decl)
            if any(
                f.HasField("oneof_index") and f.oneof_index == i and not f.proto3_optional
                for f in msg.field
            )
        }
        written: set[int] = set()
        for field in msg.field:
            index = field.oneof_index if field.HasField("oneof_index") else None
            if index in real_oneofs and not field.proto3_optional:
                if index in written:
                    continue
                written.add(index)
                out.append(f"{inner}oneof {msg.oneof_decl[index].name} {{")
                for member in msg.field:
                    if member.HasField("oneof_index") and member.oneof_index == index:
                        out.append(_INDENT * (depth + 2) + self.field(member, maps, bare=True))
                out.append(f"{inner}}}")
                continue
            out.append(inner + self.field(field, maps))
        for start, end in ((r.start, r.end) for r in msg.reserved_range):
            out.append(f"{inner}reserved {start if end - 1 == start else f'{start} to {end - 1}'};")
        if msg.reserved_name:
            names = ", ".join(f'"{n}"' for n in msg.reserved_name)
            out.append(f"{inner}reserved {names};")
        out.append(f"{pad}}}")
        return out

    def field(self, field: Any, maps: dict[str, Any], *, bare: bool = False) -> str:
        kind = _SCALARS.get(field.type) or self.type_name(field.type_name)
        entry = maps.get(field.type_name.rsplit(".", 1)[-1]) if field.type_name else None
        label = ""
        if entry is not None and field.label == _REPEATED:
            key, value = entry.field[0], entry.field[1]
            key_type = _SCALARS.get(key.type) or self.type_name(key.type_name)
            value_type = _SCALARS.get(value.type) or self.type_name(value.type_name)
            kind = f"map<{key_type}, {value_type}>"
        elif field.proto3_optional:
            label = "optional "
        elif not bare and (field.label == _REPEATED or not self.proto3):
            label = _LABELS.get(field.label, "optional") + " "
        default = f" [default = {_default(field)}]" if field.HasField("default_value") else ""
        return f"{label}{kind} {field.name} = {field.number}{default};"

    def enum(self, enum: Any, depth: int) -> list[str]:
        pad = _INDENT * depth
        out = [f"{pad}enum {enum.name} {{"]
        out += [f"{pad}{_INDENT}{v.name} = {v.number};" for v in enum.value]
        out.append(f"{pad}}}")
        return out

    def service(self, service: Any) -> list[str]:
        out = [f"service {service.name} {{"]
        for m in service.method:
            arg = ("stream " if m.client_streaming else "") + self.type_name(m.input_type)
            ret = ("stream " if m.server_streaming else "") + self.type_name(m.output_type)
            out.append(f"{_INDENT}rpc {m.name}({arg}) returns ({ret});")
        out.append("}")
        return out


def _default(field: Any) -> str:
    if field.type in (9, 12):  # string, bytes: quoted
        text = str(field.default_value).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{text}"'
    return str(field.default_value)
