"""What the catalog reads of an event: an :class:`~monitor.core.envelope.Envelope`, or
the lighter :class:`LoggedEvent` the store makes of a log row (an envelope costs twice as
much to make, and building the catalog of a large log makes one per row)."""

from __future__ import annotations

from typing import Any, Protocol

from monitor.core.envelope import format_time


class ObservedEvent(Protocol):
    id: str
    type: str
    source: str
    time: float | None
    subject: str | None
    key: str | None
    correlation_id: str | None
    causation_id: str | None
    topic: str | None
    headers: dict[str, str]
    data: Any
    extensions: dict[str, Any]
    schema: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]: ...


class LoggedEvent:
    """A logged event as the catalog reads it (see the module docstring)."""

    __slots__ = (
        "causation_id",
        "correlation_id",
        "data",
        "extensions",
        "headers",
        "id",
        "key",
        "schema",
        "source",
        "subject",
        "time",
        "topic",
        "type",
    )

    def __init__(
        self,
        id: str,
        type: str,
        source: str,
        time: float | None,
        subject: str | None,
        correlation_id: str | None,
        causation_id: str | None,
        topic: str | None,
        key: str | None,
        headers: dict[str, str],
        data: Any,
        extensions: dict[str, Any],
    ) -> None:
        self.id = id
        self.type = type
        self.source = source
        self.time = time
        self.subject = subject
        self.correlation_id = correlation_id
        self.causation_id = causation_id
        self.topic = topic
        self.key = key
        self.headers = headers
        self.data = data
        self.extensions = extensions
        self.schema: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The fields an example shows, as :meth:`Envelope.to_dict` names them."""
        return {
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "time": format_time(self.time),
            "subject": self.subject,
            "data": self.data,
            "correlation_id": self.correlation_id,
            "causation_id": self.causation_id,
            "topic": self.topic,
            "key": self.key,
            "headers": dict(self.headers),
            "extensions": dict(self.extensions),
        }
