"""The details pane of the event stream: one envelope, every field, readable and copyable.

:func:`details_html` renders an envelope as a small HTML document (Qt's rich-text subset):
a warning banner with the reason for a malformed record, the envelope attributes, where
the record came from (topic, partition, offset, key), the payload as indented JSON with
quiet syntax colours, the headers, and the raw bytes as a hex dump and as text. It is a
pure function of the envelope, so it is tested without a window.
"""

from __future__ import annotations

import base64
import html
import json

from PySide6.QtCore import QEvent, Qt, QUrl, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from monitor.core.envelope import JSON_CONTENT_TYPE, Envelope, format_time
from monitor.core.formats.schema_display import SchemaRequest
from monitor.core.header_text import readable_headers, visible
from monitor.core.json_diff import pretty_json
from monitor.ui import theme
from monitor.ui.context import KafkaConnectionState
from monitor.ui.event_table_model import format_local_time, schema_text
from monitor.ui.json_highlight import json_html
from monitor.ui.views.event_schema_view import SchemaPage

RAW_PREVIEW_BYTES = 4096  # a hex dump longer than this is read in an export, not here


def hex_dump(data: bytes, limit: int = RAW_PREVIEW_BYTES) -> str:
    """Classic 16-bytes-a-line dump: offset, hex in two groups of 8, printable ASCII."""
    lines = []
    shown = data[:limit]
    for offset in range(0, len(shown), 16):
        chunk = shown[offset : offset + 16]
        hex_part = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hex_part += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hex_part:<49}  |{text}|")
    if len(data) > limit:
        lines.append(f"... {len(data) - limit:,} more bytes")
    return "\n".join(lines)


def raw_text(data: bytes, limit: int = RAW_PREVIEW_BYTES) -> str:
    """The bytes read as UTF-8 (bad sequences replaced), control characters as dots."""
    text = data[:limit].decode("utf-8", "replace")
    return "".join(ch if ch in "\n\t" or ch.isprintable() else "\u00b7" for ch in text)


def _mono(text: str) -> str:
    return f'<span style="font-family:{_mono_family()}">{html.escape(text)}</span>'


def _mono_family() -> str:
    family = theme.monospace_font().family() if QGuiApplication.instance() else ""
    fallbacks = "'DejaVu Sans Mono', 'Menlo', 'Consolas', monospace"
    return f"'{family}', {fallbacks}" if family else fallbacks


def _section(title: str) -> str:
    return (
        f'<p style="margin-top:14px; margin-bottom:4px; color:{theme.MUTED_TEXT};'
        f' font-size:8.5pt; font-weight:600; letter-spacing:1px">{html.escape(title.upper())}</p>'
    )


def _fields(rows: list[tuple[str, str | None, bool]]) -> str:
    """A two-column table of ``(label, value, monospace)``; missing values as a dash."""
    cells = []
    for label, value, mono in rows:
        if value is None or value == "":
            shown = f'<span style="color:{theme.MUTED_TEXT}">\u2014</span>'
        else:
            shown = _mono(value) if mono else html.escape(value)
        cells.append(
            f'<tr><td style="color:{theme.MUTED_TEXT}; padding:2px 14px 2px 0">'
            f'{html.escape(label)}</td><td style="padding:2px 0">{shown}</td></tr>'
        )
    return '<table cellspacing="0" cellpadding="0">' + "".join(cells) + "</table>"


def _code(body_html: str, *, wrap: bool = True) -> str:
    """A shaded block of monospace text; ``wrap=False`` for columns that must line up."""
    white_space = "pre-wrap" if wrap else "pre"
    background = theme.json_colours()["code_bg"]
    return (
        f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{background}">'
        f'<tr><td><pre style="font-family:{_mono_family()}; margin:0;'
        f' white-space:{white_space}">{body_html}</pre></td></tr></table>'
    )


def _time_text(ts: float | None) -> str | None:
    if ts is None:
        return None
    utc = format_time(ts)
    local = format_local_time(ts)
    return f"{utc}  (local {local})" if utc else None


def _payload_parts(event: Envelope) -> list[str]:
    parts = [_section("Payload")]
    if event.data is None:
        if event.format == "tombstone":
            key = f" for key {event.key}" if event.key is not None else ""
            note = (
                f"A tombstone{key}: a record with no value, which tells a compacted topic "
                "to delete the key's earlier records."
            )
        elif event.format == "binary" and event.raw:
            note = "Binary: not text, JSON or a known format. Its bytes are shown below."
        else:
            note = "No payload."
        parts.append(f'<p style="color:{theme.MUTED_TEXT}">{html.escape(note)}</p>')
    elif isinstance(event.data, str) and event.datacontenttype not in (None, JSON_CONTENT_TYPE):
        parts.append(_code(html.escape(event.data)))  # text that is not JSON: as it came
    else:
        parts.append(_code(json_html(pretty_json(event.data))))
    return parts


def _raw_parts(raw: bytes | None) -> list[str]:
    if raw is None:
        return []
    return [
        _section(f"Raw bytes ({len(raw):,})"),
        _code(html.escape(hex_dump(raw)), wrap=False),
        _section("Raw bytes as text (UTF-8)"),
        _code(html.escape(raw_text(raw))),
        _section("Raw bytes as base64"),
        _code(html.escape(base64.b64encode(raw[:RAW_PREVIEW_BYTES]).decode("ascii"))),
    ]


def format_rows(event: Envelope) -> list[tuple[str, str | None, bool]]:
    """What the value and the key were, and the schemas that decoded them."""
    rows: list[tuple[str, str | None, bool]] = [("value format", event.format, False)]
    schema = event.schema or {}
    if schema:
        rows.append(("value schema", schema_text(schema), False))
    if "valid" in schema:
        valid = "yes" if schema["valid"] else f"no: {schema.get('invalid', '')}"
        rows.append(("valid for its schema", valid, False))
    if event.key_format is not None:
        rows.append(("key format", event.key_format, False))
    if event.key_schema:
        rows.append(("key schema", schema_text(event.key_schema), False))
    return rows


# The links under the Format rows that open a schema (handled by the pane).
VALUE_SCHEMA_LINK, KEY_SCHEMA_LINK = "schema:value", "schema:key"


def _schema_links(event: Envelope) -> list[str]:
    links = [
        f'<a href="{href}" style="color:{theme.ACCENT}">{text}</a>'
        for href, info, text in (
            (VALUE_SCHEMA_LINK, event.schema, "Show the value schema"),
            (KEY_SCHEMA_LINK, event.key_schema, "Show the key schema"),
        )
        if info and _names_schema(info)
    ]
    if not links:
        return []
    joined = " &nbsp;\u00b7&nbsp; ".join(links)
    return [f'<p style="margin-top:4px">{joined}</p>']


def details_html(event: Envelope) -> str:
    """The whole details document for one envelope."""
    parts: list[str] = []
    if event.malformed:
        reason = event.error or "the record could not be decoded"
        parts.append(
            f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{theme.WARNING_BG}"'
            f' style="border:1px solid {theme.WARNING}"><tr><td>'
            f'<b style="color:{theme.WARNING}">\u26a0 Malformed record</b><br>'
            f'<span style="color:{theme.TEXT}">{html.escape(reason)}</span>'
            "</td></tr></table>"
        )
    elif event.undecoded:
        reason = event.error or "its schema cannot be had yet"
        parts.append(
            f'<table width="100%" cellspacing="0" cellpadding="8" bgcolor="{theme.SURFACE}"'
            f' style="border:1px solid {theme.BORDER}"><tr><td>'
            f'<b style="color:{theme.TEXT}">Undecoded: kept as it came</b><br>'
            f'<span style="color:{theme.TEXT}">{html.escape(reason)}</span>'
            "</td></tr></table>"
        )
    title = event.type or ("(malformed record)" if event.malformed else "(no type)")
    parts.append(
        f'<p style="margin-top:6px; margin-bottom:0; font-size:13pt; font-weight:600;'
        f' color:{theme.TEXT}">{html.escape(title)}</p>'
    )
    subtitle = " \u00b7 ".join(x for x in (event.source, format_time(event.time)) if x)
    if subtitle:
        parts.append(
            f'<p style="margin-top:2px; color:{theme.MUTED_TEXT}">{html.escape(subtitle)}</p>'
        )

    # What people look for first: for a malformed record the bytes that arrived, else
    # the payload; the envelope attributes (mostly in the table already) come last.
    if event.malformed or event.undecoded:
        parts += _raw_parts(event.raw)
        if event.data is not None:
            parts += _payload_parts(event)
    else:
        parts += _payload_parts(event)
        if event.data is None:  # binary: its bytes are its payload, so they come next
            parts += _raw_parts(event.raw)

    parts.append(_section(f"Headers ({len(event.headers)})" if event.headers else "Headers"))
    if event.headers:
        # Spring's binary partition/offset/timestamp headers as the numbers they are.
        readable = readable_headers(event.headers)
        parts.append(_fields([(name, value, True) for name, value in readable.items()]))
    else:
        parts.append(f'<p style="color:{theme.MUTED_TEXT}">No headers.</p>')

    parts.append(_section("Origin"))
    parts.append(
        _fields(
            [
                ("topic", event.topic, False),
                ("partition", None if event.partition is None else str(event.partition), True),
                ("offset", None if event.offset is None else f"{event.offset}", True),
                ("key", visible(event.key) if event.key is not None else None, True),
            ]
        )
    )
    if event.format is not None or event.key_format is not None:
        parts.append(_section("Format"))
        parts.append(_fields(format_rows(event)))
        parts += _schema_links(event)

    parts.append(_section("Envelope"))
    envelope_rows: list[tuple[str, str | None, bool]] = [
        ("id", event.id, True),
        ("type", event.type, False),
        ("source", event.source, False),
        ("subject", event.subject, False),
        ("time", _time_text(event.time), True),
        ("correlation id", event.correlation_id, True),
        ("causation id", event.causation_id, True),
        ("specversion", event.specversion, False),
        ("content type", event.datacontenttype, False),
    ]
    for name, value in sorted(event.extensions.items()):
        text = value if isinstance(value, str) else json.dumps(value, default=repr)
        envelope_rows.append((name, text, True))
    parts.append(_fields(envelope_rows))

    if not (event.malformed or event.undecoded or event.data is None):
        parts += _raw_parts(event.raw)
    return f'<div style="color:{theme.TEXT}">' + "".join(parts) + "</div>"


class EventDetailsPane(QWidget):
    """Shows one envelope (:meth:`show_event`); offers its chain, a JSON copy and, for an
    event decoded with a schema, the schema's text (from ``kafka``'s schema source)."""

    chain_requested = Signal(str)

    def __init__(
        self, kafka: KafkaConnectionState | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._event: Envelope | None = None
        self.title = QLabel("Details")
        self.title.setObjectName("sectionTitle")
        self.chain_button = QPushButton("Show chain")
        self.chain_button.setToolTip("Open this event's correlation chain (double-click a row)")
        self.chain_button.clicked.connect(self._request_chain)
        self.copy_button = QPushButton("Copy JSON")
        self.copy_button.setToolTip("Copy the whole envelope as JSON to the clipboard")
        self.copy_button.clicked.connect(self.copy_json)
        self.schema_button = QPushButton("Show schema")
        self.schema_button.clicked.connect(self._schema_clicked)
        self.schema_menu = QMenu(self.schema_button)  # value or key, when both have one
        self.schema_menu.addAction("Value schema", lambda: self.show_schema(is_key=False))
        self.schema_menu.addAction("Key schema", lambda: self.show_schema(is_key=True))
        self.schema_page = SchemaPage(kafka)
        self.schema_page.back_requested.connect(self.show_envelope)
        self.browser = QTextBrowser()
        self.browser.setObjectName("eventDetails")
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._link_clicked)
        self.browser.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # keyboard: scroll, select
        self.browser.setTabChangesFocus(True)  # and Tab moves on, it never types here
        self.browser.document().setDocumentMargin(10)

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.schema_button)
        header.addWidget(self.chain_button)
        header.addWidget(self.copy_button)
        # The envelope, or the schema it was decoded with, in the same place.
        self.pages = QStackedWidget()
        envelope_page = QWidget()
        envelope_layout = QVBoxLayout(envelope_page)
        envelope_layout.setContentsMargins(0, 0, 0, 0)
        envelope_layout.setSpacing(4)
        envelope_layout.addLayout(header)
        envelope_layout.addWidget(self.browser, 1)
        self.pages.addWidget(envelope_page)
        self.pages.addWidget(self.schema_page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages, 1)
        self.show_event(None)

    @property
    def current_event(self) -> Envelope | None:
        return self._event

    def show_event(self, event: Envelope | None) -> None:
        if event is self._event and event is not None:
            return  # the same row re-selected while rows arrived: keep the scroll position
        self._event = event
        self.chain_button.setEnabled(event is not None)
        self.copy_button.setEnabled(event is not None)
        self._offer_schema(event)
        self.show_envelope()
        self._render()

    # -- the schema ---------------------------------------------------------------------

    def _offer_schema(self, event: Envelope | None) -> None:
        """*Show schema* for an event decoded with one; a menu when key and value both
        have one."""
        value = bool(event is not None and event.schema and _names_schema(event.schema))
        key = bool(event is not None and event.key_schema and _names_schema(event.key_schema))
        self.schema_button.setEnabled(value or key)
        self._both_schemas = value and key
        if value or key:
            self.schema_button.setToolTip("Show the text of the schema this event was decoded with")
        else:
            self.schema_button.setToolTip("This event was not decoded with a schema")
        # One action for a lone key schema: the button shows it directly.
        self._lone_key_schema = key and not value

    def _schema_clicked(self) -> None:
        if self._both_schemas:  # which one: a menu under the button
            where = self.schema_button.rect().bottomLeft()
            self.schema_menu.popup(self.schema_button.mapToGlobal(where))
        else:
            self.show_schema(is_key=False)

    def _link_clicked(self, url: QUrl) -> None:
        if url.toString() in (VALUE_SCHEMA_LINK, KEY_SCHEMA_LINK):
            self.show_schema(is_key=url.toString() == KEY_SCHEMA_LINK)

    def show_schema(self, *, is_key: bool) -> None:
        """Show the value's (or the key's) schema in place of the envelope."""
        event = self._event
        is_key = is_key or self._lone_key_schema
        info = (event.key_schema if is_key else event.schema) if event is not None else None
        if event is None or not info:
            return
        self.schema_page.show_schema(SchemaRequest(dict(info), event.topic, is_key))
        self.pages.setCurrentWidget(self.schema_page)

    def show_envelope(self) -> None:
        self.schema_page.stop()
        self.pages.setCurrentIndex(0)

    @property
    def showing_schema(self) -> bool:
        return self.pages.currentWidget() is self.schema_page

    def _render(self) -> None:
        if self._event is None:
            self.browser.setHtml(
                f'<p style="color:{theme.MUTED_TEXT}; margin-top:24px" align="center">'
                "Select an event to see its envelope, payload and headers (and its raw"
                " bytes, when it is not JSON).</p>"
            )
            return
        self.browser.setHtml(details_html(self._event))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The app switched themes: the HTML has the old theme's colours written into it.
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "browser"):
            scroll = self.browser.verticalScrollBar()
            position = scroll.value()
            self._render()
            scroll.setValue(position)

    def text(self) -> str:
        """What the pane shows, as plain text (for tests and the clipboard)."""
        return self.browser.toPlainText()

    def copy_json(self) -> None:
        if self._event is not None:
            QGuiApplication.clipboard().setText(pretty_json(self._event.to_dict()))

    def _request_chain(self) -> None:
        if self._event is not None:
            self.chain_requested.emit(self._event.chain_id)


def _names_schema(info: dict[str, object]) -> bool:
    """Whether an event's schema info names a schema that can be looked up (an id, a
    GUID, or a local file's subject), not only its validity."""
    return any(info.get(k) is not None for k in ("id", "guid", "subject"))


__all__ = ["EventDetailsPane", "details_html", "hex_dump"]
