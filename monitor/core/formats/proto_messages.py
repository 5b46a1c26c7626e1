"""The messages of a Protobuf schema, and the message-index path that names one.

A Protobuf schema (one ``.proto`` file) can hold several messages, nested ones included;
Confluent's framing picks one by its index path in the file descriptor (``[0]``: the
first top-level message; ``[0, 0]``: the first message nested in it). People name a
message instead, fully (``acme.Envelope.Shipped``), without the package
(``Envelope.Shipped``) or by its own name when no other message shares it (``Shipped``).
"""

from __future__ import annotations

from typing import Any


class UnknownMessage(ValueError):
    """A name that picks no message (or several); ``str()`` lists the schema's messages."""


def messages(file: Any) -> list[tuple[str, tuple[int, ...]]]:
    """``(full name, index path)`` of every message of ``file`` (a FileDescriptorProto),
    in the file's order, each followed by those nested in it. The entry types protobuf
    makes for map fields are left out (nobody names them) but keep their place in the
    numbering, as the serializers count them."""
    prefix = f"{file.package}." if file.package else ""
    found: list[tuple[str, tuple[int, ...]]] = []

    def walk(types: Any, outer: str, path: tuple[int, ...]) -> None:
        for i, t in enumerate(types):
            if t.options.map_entry:
                continue
            name = f"{outer}{t.name}"
            found.append((name, (*path, i)))
            walk(t.nested_type, f"{name}.", (*path, i))

    walk(file.message_type, prefix, ())
    return found


def message_path(file: Any, name: str) -> tuple[tuple[int, ...], str]:
    """``(index path, full name)`` of the message ``name`` names; raises
    :class:`UnknownMessage` listing the schema's messages."""
    wanted = name.strip().lstrip(".")
    listed = messages(file)
    package = f"{file.package}." if file.package else ""
    exact = [(path, full) for full, path in listed if full in (wanted, package + wanted)]
    if exact:
        return exact[0]
    by_end = [(path, full) for full, path in listed if full.endswith("." + wanted)]
    if len(by_end) == 1:
        return by_end[0]
    names = ", ".join(full for full, _ in listed) or "none"
    if by_end:
        raise UnknownMessage(
            f"{wanted} names more than one message ({', '.join(f for _, f in by_end)}): "
            "give its full name"
        )
    raise UnknownMessage(f"the schema has no message {wanted}; its messages: {names}")
