"""The schema page of the event details pane: an event's schema text, read-only.

A title (which schema: value or key, subject, version, id, kind), a line that says what
is happening (being fetched, or why it cannot be had), and the text in a monospace
viewer, JSON coloured like the payload. *Back to event* returns to the envelope;
*Copy* puts the text on the clipboard.

The schema comes from the connected session's schema source (``context.kafka.schemas``:
the profile's local schema files and registry, the ones the tail decoded with), looked
up in a background task: the registry client fetches in its own thread and its answer is
cached, so the window never waits on the network. Not connected, a profile without a
registry, or a registry that fails: the page says which, and what to do.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.core.formats.schema_display import (
    SchemaRequest,
    find_schema,
    kind_name,
    readable_schema,
)
from monitor.core.formats.schemas import AVRO, JSON_SCHEMA, Schema
from monitor.ui import theme
from monitor.ui.background import BackgroundTasks
from monitor.ui.context import KafkaConnectionState
from monitor.ui.json_highlight import JsonHighlighter
from monitor.ui.views.form_widgets import restyle


def _style() -> str:
    return f"""QLabel#schemaMessage[tone="muted"] {{ color: {theme.MUTED_TEXT}; }}
QLabel#schemaMessage[tone="error"] {{
    color: {theme.TEXT}; background: {theme.WARNING_BG}; border: 1px solid {theme.WARNING};
    border-radius: 4px;
}}
"""


class SchemaPage(QWidget):
    back_requested = Signal()

    def __init__(
        self, kafka: KafkaConnectionState | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.kafka = kafka
        self.tasks = BackgroundTasks(self)
        theme.keep_styled(self, _style)
        # Wrapped, not elided: the pane is narrow, and the subject and id are the point.
        self.title = QLabel("")
        self.title.setObjectName("sectionTitle")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.back_button = QPushButton("\u2190 Back to event")
        self.back_button.setToolTip("Show the event's envelope, payload and bytes again")
        self.back_button.clicked.connect(self.back_requested)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setToolTip("Copy the schema's text to the clipboard")
        self.copy_button.clicked.connect(self.copy)
        self.message = QLabel("")
        self.message.setObjectName("schemaMessage")
        self.message.setWordWrap(True)
        self.message.setMargin(6)  # the reason's box: the stylesheet's padding is ignored
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.viewer = QPlainTextEdit()
        self.viewer.setObjectName("schemaText")
        self.viewer.setReadOnly(True)
        self.viewer.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # columns line up
        self.viewer.setFont(theme.monospace_font())
        self._highlighter = JsonHighlighter(self.viewer.document())

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.back_button)
        header.addStretch(1)
        header.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(header)
        layout.addWidget(self.title)
        layout.addWidget(self.message)
        layout.addWidget(self.viewer, 1)
        # Takes the room the viewer leaves when it is hidden (a reason instead of a text),
        # so the title and the reason stay at the top.
        layout.addStretch(0)

    # -- finding the schema ---------------------------------------------------------------

    def show_schema(self, request: SchemaRequest) -> None:
        """Look the schema up in the background and show it, or why it cannot be had."""
        self.stop()
        self.fetching(request.describe(), self._where())
        self.tasks.spawn(
            self._find(request),
            failed=lambda exc: self.unavailable(f"The schema could not be read: {exc}"),
        )

    def stop(self) -> None:
        """Drop a lookup still running (another event was selected)."""
        self.tasks.cancel_all()

    def _where(self) -> str:
        profile = self.kafka.profile if self.kafka is not None else None
        if profile is None:
            return "the connected profile"
        return profile.registry_url or f"the schema files of {profile.name}"

    async def _find(self, request: SchemaRequest) -> None:
        kafka = self.kafka
        provider = kafka.schemas if kafka is not None else None
        if kafka is None or kafka.profile is None or provider is None:
            self.unavailable(
                f"The {request.describe()} cannot be shown: the window is not connected to "
                "Kafka. Schemas come from the connected profile's schema registry or schema "
                "files: connect the profile that read this event (Connections)."
            )
            return
        try:
            source = await provider()
        except ValueError as exc:  # a schema file of the profile that cannot be used
            self.unavailable(f"The schema files of {kafka.profile.name} cannot be used: {exc}")
            return
        if source is None:
            self.unavailable(
                f"The {request.describe()} cannot be shown: profile {kafka.profile.name} has "
                "no schema registry and no schema files. Add its registry URL in Connections."
            )
            return
        answer = await find_schema(source, request)
        if not isinstance(answer, Schema):
            self.unavailable(f"The schema cannot be had: {answer.reason.rstrip('.')}.")
            return
        title = f"{request.describe()} \u00b7 {kind_name(answer)}"
        self.show_text(
            title[:1].upper() + title[1:],
            readable_schema(answer),
            json=answer.format in (AVRO, JSON_SCHEMA),
        )

    # -- what is shown --------------------------------------------------------------------

    def fetching(self, what: str, where: str) -> None:
        """The schema is being looked up: say which, and where."""
        self.title.setText(what[:1].upper() + what[1:])
        self._say(f"Fetching it from {where}...", "muted")
        self.viewer.clear()
        self.copy_button.setEnabled(False)

    def unavailable(self, reason: str) -> None:
        """It cannot be had: the reason, in the page, where the text would be."""
        self._say(reason, "error")
        self.viewer.clear()
        self.viewer.hide()
        self.copy_button.setEnabled(False)

    def show_text(self, title: str, text: str, *, json: bool) -> None:
        self.title.setText(title)
        self._say("", "muted")
        # JSON colours for Avro and JSON Schema; .proto text stays plain.
        self._highlighter.setDocument(self.viewer.document() if json else None)
        self.viewer.setPlainText(text.rstrip("\n"))  # no empty last line
        self.viewer.show()
        self.copy_button.setEnabled(True)

    def _say(self, text: str, tone: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        if not text or tone != "error":
            self.viewer.show()
        restyle(self.message, tone=tone)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The app switched themes: the JSON colours are baked into the highlighter.
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_highlighter"):
            self._highlighter.use_theme_colours()

    def text(self) -> str:
        return self.viewer.toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.viewer.toPlainText())
