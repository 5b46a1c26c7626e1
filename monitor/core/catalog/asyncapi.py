"""The catalog as an AsyncAPI 3.0 document.

One channel per topic (its address is the topic), one message per event type with the
payload schema the catalog inferred, a ``send`` operation per producer of a channel and a
``receive`` operation per consumer, and Kafka bindings (the message key as a string). A
type seen on several topics is one message, referenced from each channel.

Names the spec restricts to ``[A-Za-z0-9._-]`` (component and map keys) are made so by
replacing every other character with ``_``; the real names stay in ``address``,
``name`` and ``title``.
"""

from __future__ import annotations

import re
from typing import Any

from monitor.core.catalog.catalog import Catalog
from monitor.core.envelope import format_time

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def key_of(name: str) -> str:
    """A name as an AsyncAPI map key (``[A-Za-z0-9._-]+``)."""
    return _UNSAFE.sub("_", name) or "_"


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def asyncapi_document(
    catalog: Catalog, *, title: str = "Event catalog", version: str = "1.0.0"
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document for everything ``catalog`` knows (see the module)."""
    catalog.refresh_consumers()
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    message_keys: dict[str, str] = {}
    channel_keys: dict[str, str] = {}
    taken_messages: set[str] = set()
    taken_channels: set[str] = set()
    taken_operations: set[str] = set()
    # topic -> producers / consumers / message keys
    senders: dict[str, set[str]] = {}
    receivers: dict[str, set[str]] = {}
    carried: dict[str, list[str]] = {}

    for entry in catalog.types():
        mkey = message_keys[entry.type] = _unique(key_of(entry.type), taken_messages)
        message: dict[str, Any] = {
            "name": entry.type,
            "title": entry.type,
            "summary": (
                f"{entry.count:,} events seen, from {format_time(entry.first_seen)} "
                f"to {format_time(entry.last_seen)}"
            ),
            "contentType": "application/json",
            "payload": entry.schema(),
            "bindings": {
                "kafka": {"key": {"type": "string"}, "bindingVersion": KAFKA_BINDING_VERSION}
            },
        }
        versions = sorted(v for v in entry.versions if v)
        if versions:
            message["description"] = "Versions seen: " + ", ".join(versions)
        messages[mkey] = message
        for topic in entry.topics:
            topic = topic or "(no topic)"
            carried.setdefault(topic, []).append(mkey)
            senders.setdefault(topic, set()).update(entry.producers)
            receivers.setdefault(topic, set()).update(entry.consumers)

    for topic in sorted(carried):
        ckey = channel_keys[topic] = _unique(key_of(topic), taken_channels)
        channels[ckey] = {
            "address": topic,
            "title": topic,
            "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in carried[topic]},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
        }
        refs = [{"$ref": f"#/channels/{ckey}/messages/{m}"} for m in carried[topic]]
        for action, names in (("send", senders[topic]), ("receive", receivers[topic])):
            for who in sorted(names):
                okey = _unique(key_of(f"{who}.{action}.{topic}"), taken_operations)
                operations[okey] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{ckey}"},
                    "title": f"{who} {'publishes to' if action == 'send' else 'reads'} {topic}",
                    "messages": refs,
                }

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": "Learnt by Eventflow Monitor from the events that flowed.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }
