"""What every view is given: the runtime, the live feed, settings, and the Kafka connection.

Views take an :class:`AppContext` and nothing else, so the main window builds them in any
order and tests build one view alone. Views never talk to each other directly: they emit
signals (for example "show the chain of this correlation id") that the main window wires.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal

from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.live_feed import LiveFeed

if TYPE_CHECKING:
    from adapters.kafka.profiles import ConnectionProfile
    from adapters.kafka.publisher import KafkaPublisher
    from monitor.core.formats.schemas import SchemaSource


class KafkaConnectionState(QObject):
    """The Kafka cluster the window is connected to, if any: the one place that says so.

    The Kafka service sets it; views read it and listen to :attr:`changed` to enable or
    disable their actions. ``state`` is ``disconnected``, ``connecting``, ``connected``,
    ``reconnecting`` (the cluster stopped answering; retried in the background) or
    ``failed`` (a connection attempt did not succeed: nothing is connected), and
    ``sentence`` says it for a person.
    """

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.profile: ConnectionProfile | None = None
        self.password: str | None = None
        # The connected session's producer (set by the Kafka service while connected):
        # what writes to the cluster (a dead-letter replay) goes through it.
        self.producer: Callable[[], Awaitable[KafkaPublisher]] | None = None
        # The connected session's schema source (its registry and schema files; None
        # when the profile has neither): an edit of a schema-encoded dead letter is
        # encoded with the schema found there.
        self.schemas: Callable[[], Awaitable[SchemaSource | None]] | None = None
        self.state = "disconnected"  # disconnected | connecting | connected | reconnecting
        self.sentence = "Not connected to Kafka."

    def set(
        self,
        state: str,
        sentence: str,
        profile: ConnectionProfile | None = None,
        password: str | None = None,
    ) -> None:
        self.state, self.sentence = state, sentence
        if state in ("disconnected", "failed"):
            self.profile, self.password, self.producer = None, None, None
            self.schemas = None
        elif profile is not None:
            self.profile, self.password = profile, password
        self.changed.emit()

    @property
    def connected(self) -> bool:
        return self.profile is not None and self.state in ("connected", "reconnecting")


@dataclass
class AppContext:
    runtime: EmbeddedRuntime
    feed: LiveFeed
    settings: QSettings | None = None
    kafka: KafkaConnectionState = field(default_factory=KafkaConnectionState)
