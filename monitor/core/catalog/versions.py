"""Where an event says which version of its type's schema it is.

In order: the schema a registry decoded it with (``subject`` and ``version``, or its id),
the CloudEvents ``dataschema`` attribute, a version extension attribute or header, and a
version field of the payload. An event that says none of these has no version
(:data:`UNVERSIONED`), which the design review reports.
"""

from __future__ import annotations

from typing import Any

UNVERSIONED = ""

# Payload fields and extension attributes read as the schema version, in this order.
VERSION_FIELDS = ("schemaVersion", "schema_version", "eventVersion", "dataVersion", "version")
_EXTENSIONS = ("dataschema", "dataversion", "schemaversion", "version")
_HEADERS = ("schema-version", "x-schema-version", "ce_dataschema", "version")
# Payload fields read as a per-key sequence number (the out-of-order rule's).
SEQUENCE_FIELDS = ("sequence", "seq", "sequenceNumber", "sequence_number", "aggregateVersion")


def version_field(names: tuple[str, ...]) -> str | None:
    """The payload field of a shape that carries the schema version, if any."""
    return next((f for f in VERSION_FIELDS if f in names), None)


def sequence_field(names: tuple[str, ...]) -> str | None:
    return next((f for f in SEQUENCE_FIELDS if f in names), None)


def registry_version(schema: dict[str, Any]) -> str:
    subject = schema.get("subject") or schema.get("name")
    version = schema.get("version")
    if subject and version is not None:
        return f"{subject} v{version}"
    if schema.get("id") is not None:
        return f"schema id {schema['id']}"
    return str(schema.get("guid") or subject or "registry schema")


def attribute_version(
    extensions: dict[str, Any], headers: dict[str, str]
) -> tuple[str | None, bool]:
    """The version an event's attributes or headers state, and whether it names a schema
    (``dataschema``) rather than a bare number."""
    if extensions:
        for name in _EXTENSIONS:
            value = extensions.get(name)
            if value not in (None, ""):
                return str(value), name == "dataschema"
    if headers:
        for name in _HEADERS:
            value = headers.get(name)
            if value:
                return str(value), name == "ce_dataschema"
    return None, False
