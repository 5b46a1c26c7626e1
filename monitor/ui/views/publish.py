"""Publish: compose a test event, send it to the embedded bus or to Kafka, once or in bursts.

The composer holds one event: type, source, subject, key, correlation and causation ids,
headers and a JSON payload (coloured and checked as it is typed; Send stays disabled while
it is invalid, and the reason is shown). Templates fill it in: the demo flow's events ship
with the app, the user's own are saved under the config dir (:mod:`monitor.core.templates`,
placeholders such as ``{{short_id}}`` included).

Targets: the embedded bus (the event goes through the ingest pipeline like the demo's,
so it shows in the stream and in its chain at once, and the demo's services react to it),
or a topic of the connected Kafka cluster, in CloudEvents binary or structured mode (it
shows in the stream when that topic is tailed). A read-only profile disables Kafka
publishing and says why; a production profile asks for confirmation first. With a schema
registry on the connected profile, a value (and key) subject turns Send into one record
encoded with the subject's schema (:mod:`monitor.ui.views.publish_schema`); a payload
that does not fit is refused beside Send, naming the field, before anything is sent.
Such a record carries no CloudEvents attributes, so Type, Source, Subject and the
correlation and causation ids are greyed out then, saying why.

A burst sends N events at R per second with a progress bar, and can be cancelled.
Only one send or burst runs at a time.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from adapters.kafka.profiles import ConnectionProfile
from adapters.schema_registry.subject_encoding import (
    SubjectChoice,
    registry_subjects,
    subject_messages,
)
from monitor.core import wording
from monitor.core.demo import TOPICS as DEMO_TOPICS
from monitor.core.envelope import Envelope, new_event_id
from monitor.core.templates import DEFAULT_SOURCE, EventTemplate, TemplateError, TemplateStore
from monitor.core.wording import short_id
from monitor.ui import theme
from monitor.ui.context import AppContext
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.kafka_service import KafkaService
from monitor.ui.screen_fit import scrolling
from monitor.ui.views.form_widgets import (
    card,
    card_style,
    label,
    primary_button_style,
    restyle,
    with_button,
)
from monitor.ui.views.json_editor import JsonEditor
from monitor.ui.views.publish_headers import HeadersEditor
from monitor.ui.views.publish_schema import SchemaSubjects
from monitor.ui.views.publish_sender import EventSender, Outcome
from monitor.ui.views.publish_templates import TemplateBar

log = logging.getLogger(__name__)

_COMPOSER_NAME = "composed event"
FIRST_TEMPLATE = "OrderPlaced"  # where the demo's chains start
DEFAULT_TOPIC = "test.events"  # on the bus: seen by no demo service, so nothing reacts


def _style() -> str:
    return (
        card_style()
        + f"""QLabel#payloadStatus[valid="true"] {{ color: {theme.LIVE}; }}
QLabel#payloadStatus[valid="false"] {{ color: {theme.DANGER}; font-weight: 600; }}
QLabel#sendHint {{ color: {theme.MUTED_TEXT}; }}
QFrame#rule {{ color: {theme.BORDER}; }}
QLabel#sendHint[problem="true"] {{ color: {theme.DANGER}; }}
QLabel#targetNote[tone="warn"] {{ color: {theme.WARNING}; }}
QLabel#targetNote[tone="muted"] {{ color: {theme.MUTED_TEXT}; }}
QLabel#status[tone="ok"] {{ color: {theme.LIVE}; }}
QLabel#status[tone="error"] {{ color: {theme.DANGER}; }}
QLabel#status[tone="muted"] {{ color: {theme.MUTED_TEXT}; }}
"""
        + primary_button_style()
        + f"""QPushButton:disabled, QRadioButton:disabled, QComboBox:disabled, QSpinBox:disabled,
QLineEdit:disabled {{ color: {theme.MUTED_TEXT}; }}
QLineEdit:disabled {{ background: {theme.WINDOW_BG}; }}
QProgressBar {{
    border: 1px solid {theme.BORDER}; border-radius: 4px; background: {theme.WINDOW_BG};
    text-align: center; min-height: 16px;
}}
QProgressBar::chunk {{ background: {theme.ACCENT}; border-radius: 3px; }}
"""
    )


class PublishView(QWidget):
    """The event composer. ``send_action`` sends the composed event (bind a shortcut to it)."""

    published = Signal(object)  # the last Envelope of a finished send or burst
    chain_requested = Signal(str)  # a correlation id the user wants to see as a chain

    def __init__(
        self,
        context: AppContext,
        service: KafkaService,
        parent: QWidget | None = None,
        *,
        templates: TemplateStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.service = service
        self.templates = templates if templates is not None else TemplateStore()
        self.event_sender = EventSender(context.runtime, service, self)
        self.event_sender.progress.connect(lambda done, _total: self.progress.setValue(done))
        self.event_sender.finished.connect(self._finished)
        self.event_sender.failed.connect(self._failed)
        self.event_sender.cancelled.connect(self._cancelled)
        self._kafka_topics: list[str] = []
        theme.keep_styled(self, _style)

        self.send_action = QAction("Send event", self)
        self.send_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.send_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.send_action.setToolTip("Send the composed event once (Ctrl+Enter)")
        self.send_action.triggered.connect(self.send)
        self.addAction(self.send_action)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        layout.addWidget(self._build_templates_bar())
        body = QSplitter(Qt.Orientation.Horizontal)
        body.setChildrenCollapsible(False)
        body.addWidget(self._build_event_card())
        body.addWidget(self._build_payload_card())
        body.setStretchFactor(0, 2)
        body.setStretchFactor(1, 3)
        body.setSizes([430, 620])
        self.splitter = body
        layout.addWidget(body, 1)
        layout.addWidget(self._build_send_card())

        context.kafka.changed.connect(self._kafka_changed)
        service.topics_updated.connect(self._kafka_topics_updated)
        self.template_bar.reload(select=FIRST_TEMPLATE)
        self._kafka_topics_updated(service.topics)
        self._kafka_changed()
        self._target_changed()
        self.topic_combo.setEditText(DEFAULT_TOPIC)
        self.payload.validate()
        self._payload_validity(self.payload.valid, self.payload.message)

    # -- layout -------------------------------------------------------------------------

    def _build_templates_bar(self) -> QWidget:
        frame, outer = card()
        self.template_bar = TemplateBar(self.templates, self.composed)
        self.template_bar.chosen.connect(self.load_template)
        self.template_bar.message.connect(self._show_status)
        # Short names for what tests and shortcuts reach for.
        self.template_combo = self.template_bar.combo
        self.load_template_button = self.template_bar.load_button
        self.save_template_button = self.template_bar.save_button
        outer.addWidget(self.template_bar)
        return frame

    def _build_event_card(self) -> QWidget:
        frame, outer = card()
        outer.addWidget(label("Event", "cardTitle"))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        self.type_edit = QLineEdit()
        self.type_edit.setPlaceholderText("OrderPlaced (required)")
        self.source_edit = QLineEdit(DEFAULT_SOURCE)
        self.source_edit.setPlaceholderText("who sends it, e.g. demo-shop/storefront")
        self.subject_edit = QLineEdit()
        self.subject_edit.setPlaceholderText("optional, e.g. ord-1001")
        self.key_edit = QLineEdit()
        self.key_edit.setPlaceholderText("optional; Kafka partitions by it")
        self.correlation_edit = QLineEdit()
        self.correlation_edit.setPlaceholderText("empty: the event starts its own chain")
        self.correlation_edit.setToolTip(
            "Events with the same correlation id form one chain. Empty: each event's own id."
        )
        self.causation_edit = QLineEdit()
        self.causation_edit.setPlaceholderText("optional: the id of the event that caused it")
        for edit in (self.correlation_edit, self.causation_edit):
            edit.setFont(theme.monospace_font())
        self.new_correlation_button = QPushButton("New id")
        self.new_correlation_button.setToolTip("Generate a fresh correlation id")
        self.new_correlation_button.clicked.connect(
            lambda: self.correlation_edit.setText(new_event_id())
        )
        self.new_causation_button = QPushButton("New id")
        self.new_causation_button.setToolTip("Generate a fresh causation id")
        self.new_causation_button.clicked.connect(
            lambda: self.causation_edit.setText(new_event_id())
        )
        # What a record by subject does not carry (see _cloudevent_fields), with the
        # tooltips they have otherwise.
        self._cloudevent_tips = {
            w: w.toolTip()
            for w in (
                self.type_edit,
                self.source_edit,
                self.subject_edit,
                self.correlation_edit,
                self.new_correlation_button,
                self.causation_edit,
                self.new_causation_button,
            )
        }
        form.addRow("Type", self.type_edit)
        form.addRow("Source", self.source_edit)
        form.addRow("Subject", self.subject_edit)
        form.addRow("Key", self.key_edit)
        form.addRow(
            "Correlation id", with_button(self.correlation_edit, self.new_correlation_button)
        )
        form.addRow("Causation id", with_button(self.causation_edit, self.new_causation_button))
        # The fields and headers scroll inside the card when the screen is short (a
        # laptop's 700 px), instead of setting the whole view's minimum height.
        fields = QWidget()
        inner = QVBoxLayout(fields)
        inner.setContentsMargins(0, 0, 4, 0)
        inner.setSpacing(8)
        inner.addLayout(form)
        inner.addSpacing(4)
        inner.addWidget(label("Headers", "cardTitle"))
        self.headers = HeadersEditor()
        inner.addWidget(self.headers, 1)
        area = scrolling(fields)
        area.setMinimumHeight(120)
        outer.addWidget(area, 1)
        self.type_edit.textChanged.connect(self._update_actions)
        return frame

    def _build_payload_card(self) -> QWidget:
        frame, outer = card()
        title = QHBoxLayout()
        title.addWidget(label("Payload (JSON)", "cardTitle"))
        title.addStretch(1)
        self.payload_status = label("", "payloadStatus")
        title.addWidget(self.payload_status)
        self.format_button = QPushButton("Format")
        self.format_button.setToolTip("Re-indent the payload")
        self.format_button.clicked.connect(self.payload_format)
        title.addWidget(self.format_button)
        outer.addLayout(title)
        self.payload = JsonEditor()
        self.payload.validity_changed.connect(self._payload_validity)
        outer.addWidget(self.payload, 1)
        # One line (the whole sentence in the tooltip when cut): wrapped, it set the
        # view's minimum height to that of the sentence at its narrowest.
        hint = ElidedLabel(
            "Placeholders {{seq}} {{uuid}} {{short_id}} {{now}} are filled in for each event "
            "sent, so a burst carries distinct ids."
        )
        hint.setObjectName("muted")
        outer.addWidget(hint)
        return frame

    def _build_send_card(self) -> QWidget:
        frame, outer = card()
        target = QHBoxLayout()
        target.setSpacing(8)
        target.addWidget(label("Publish to", "cardTitle"))
        self.bus_radio = QRadioButton("Embedded bus")
        self.bus_radio.setToolTip("In-process: the demo services react, the chain shows at once")
        self.kafka_radio = QRadioButton("Kafka")
        self.target_group = QButtonGroup(self)
        self.target_group.addButton(self.bus_radio)
        self.target_group.addButton(self.kafka_radio)
        self.bus_radio.setChecked(True)
        self.bus_radio.toggled.connect(self._target_changed)
        target.addWidget(self.bus_radio)
        target.addWidget(self.kafka_radio)
        target.addSpacing(8)
        target.addWidget(QLabel("Topic"))
        self.topic_combo = QComboBox()
        self.topic_combo.setEditable(True)
        self.topic_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        # Long topic names of a cluster must not widen the view: about 20 characters
        # shown at least, the rest of the row's room when there is some.
        self.topic_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.topic_combo.setMinimumContentsLength(20)
        topic_edit = self.topic_combo.lineEdit()
        if topic_edit is not None:
            topic_edit.setPlaceholderText("topic name")
        self.topic_combo.editTextChanged.connect(self._update_actions)
        target.addWidget(self.topic_combo, 1)
        target.addSpacing(8)
        target.addWidget(QLabel("CloudEvents"))
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Binary (ce_* headers)", "binary")
        self.mode_combo.addItem("Structured (one JSON value)", "structured")
        self.mode_combo.setToolTip(
            "How the event is written to Kafka: attributes as ce_* headers and the payload "
            "as the value (binary), or the whole event as one JSON value (structured)"
        )
        target.addWidget(self.mode_combo)
        outer.addLayout(target)
        # Registry subjects: shown for Kafka when the connected profile has a registry.
        self.schema_subjects = SchemaSubjects()
        self.schema_subjects.setVisible(False)
        self.schema_subjects.changed.connect(self._subjects_changed)
        outer.addWidget(self.schema_subjects)
        # A subject's Protobuf messages are read once typing pauses, not per keystroke.
        self._messages_timer = QTimer(self)
        self._messages_timer.setSingleShot(True)
        self._messages_timer.setInterval(400)
        self._messages_timer.timeout.connect(self._load_messages)
        self.schema_subjects.subject_changed.connect(self._messages_timer.start)
        # One line each (the whole sentence in the tooltip when cut), so the send card
        # leaves the composer its room on a 700 px screen.
        self.target_note = ElidedLabel("")
        self.target_note.setObjectName("targetNote")
        outer.addWidget(self.target_note)
        # Off by default: a broker creates a topic a producer names, so a typo would
        # publish into a new topic nobody reads (publish_sender refuses it).
        self.create_topic_check = QCheckBox("Create the topic if it does not exist")
        self.create_topic_check.setToolTip(
            "Let the broker create the topic on the first send; without this, a topic the"
            " cluster does not have is refused"
        )
        self.create_topic_check.setVisible(False)
        outer.addWidget(self.create_topic_check)

        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setObjectName("rule")  # coloured by the view's stylesheet, which follows the theme
        outer.addWidget(line)

        actions = QHBoxLayout()
        actions.setSpacing(8)
        self.send_button = QPushButton("Send")
        self.send_button.setObjectName("primary")
        self.send_button.setToolTip("Send the composed event once (Ctrl+Enter)")
        self.send_button.clicked.connect(self.send)
        actions.addWidget(self.send_button)
        actions.addSpacing(10)
        actions.addWidget(QLabel("Burst of"))
        self.burst_count = QSpinBox()
        self.burst_count.setRange(1, 1_000_000)
        self.burst_count.setValue(50)
        self.burst_count.setGroupSeparatorShown(True)
        self.burst_count.setSuffix(" events")
        self.burst_count.setMinimumWidth(110)
        self.burst_count.setMaximumWidth(150)
        actions.addWidget(self.burst_count)
        actions.addWidget(QLabel("at"))
        self.burst_rate = QSpinBox()
        self.burst_rate.setRange(0, 1_000_000)
        self.burst_rate.setValue(100)
        self.burst_rate.setGroupSeparatorShown(True)
        self.burst_rate.setSuffix(" /s")
        self.burst_rate.setSpecialValueText("full speed")
        self.burst_rate.setMinimumWidth(100)
        self.burst_rate.setMaximumWidth(140)
        self.burst_rate.setToolTip("Events per second; 0 sends as fast as the target takes them")
        actions.addWidget(self.burst_rate)
        self.burst_button = QPushButton("Send burst")
        self.burst_button.clicked.connect(self.send_burst)
        actions.addWidget(self.burst_button)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop the burst; events already sent stay sent")
        self.cancel_button.clicked.connect(self.cancel)
        actions.addWidget(self.cancel_button)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("")  # "%v / %m" once something is sent
        self.progress.setMinimumWidth(60)
        actions.addWidget(self.progress, 1)
        outer.addLayout(actions)

        self.send_hint = ElidedLabel("")
        self.send_hint.setObjectName("sendHint")
        self.status = label("Nothing sent yet.", "status")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.status.setOpenExternalLinks(False)
        self.status.linkActivated.connect(self._link_activated)
        restyle(self.status, tone="muted")
        results = QHBoxLayout()
        results.setSpacing(12)
        results.addWidget(self.send_hint, 1)
        results.addWidget(self.status, 2)
        outer.addLayout(results)
        return frame

    # -- state of the controls ----------------------------------------------------------

    @property
    def sending(self) -> bool:
        return self.event_sender.running

    def problem(self) -> str | None:
        """Why the composed event cannot be sent now, or ``None``."""
        by_subjects = self.by_subjects()
        if by_subjects:
            try:
                self.schema_subjects.choices()
            except ValueError as exc:
                return str(exc)
        elif not self.type_edit.text().strip():
            return "The event needs a type."
        if not self.payload.valid:
            return f"The payload is not valid JSON: {self.payload.message}"
        if not self.topic_combo.currentText().strip():
            return "Choose a topic to publish to."
        if self.kafka_radio.isChecked():
            kafka = self.context.kafka
            if not kafka.connected or kafka.profile is None:
                return "Not connected to Kafka: connect a profile in Connections first."
            if kafka.profile.read_only:
                return (
                    f"Profile {kafka.profile.name} is read-only: publishing to Kafka is "
                    "disabled. Connect with a profile that is not read-only to publish."
                )
        return None

    def _update_actions(self, *_: object) -> None:
        problem = self.problem()
        ready = problem is None and not self.sending
        self.send_button.setEnabled(ready)
        self.send_action.setEnabled(ready)
        by_subjects = self.by_subjects()
        # A subject's record is one record as typed: no burst, no CloudEvents mode.
        self.burst_button.setEnabled(ready and not by_subjects)
        self.burst_button.setToolTip(
            "A burst sends CloudEvents: clear the schema subjects to send one"
            if by_subjects
            else ""
        )
        self.mode_combo.setEnabled(self.kafka_radio.isChecked() and not by_subjects)
        self.cancel_button.setEnabled(self.sending)
        self.burst_count.setEnabled(not self.sending)
        self.burst_rate.setEnabled(not self.sending)
        self._cloudevent_fields(enabled=not by_subjects)
        if self.sending:
            text = "Sending..."
        elif problem is not None:
            text = problem
        elif self.status.property("tone") == "error":
            text = ""  # the refusal beside it says why the last send did not go
        else:
            text = "Ready to send."
        self.send_hint.setText(text)
        restyle(self.send_hint, problem=problem is not None and not self.sending)

    def _payload_validity(self, valid: bool, message: str) -> None:
        self.payload_status.setText(("\u2713 " if valid else "\u2717 ") + message)
        restyle(self.payload_status, valid=valid)
        self.format_button.setEnabled(valid)
        self._update_actions()

    def payload_format(self) -> None:
        self.payload.format_document()

    def _target_changed(self, *_: object) -> None:
        kafka = self.kafka_radio.isChecked()
        current = self.topic_combo.currentText()
        names = self._kafka_topics if kafka else self._bus_topics()
        self.topic_combo.blockSignals(True)
        self.topic_combo.clear()
        self.topic_combo.addItems(names)
        self.topic_combo.setEditText(current)
        self.topic_combo.blockSignals(False)
        self.create_topic_check.setVisible(kafka)
        self._show_schema_subjects()
        self._describe_target()
        self._update_actions()

    def by_subjects(self) -> bool:
        """Whether Send publishes a record encoded with registry subjects (Kafka, a
        registry on the profile, a subject given) rather than a CloudEvent."""
        return self.schema_subjects.isVisibleTo(self) and self.schema_subjects.in_use()

    def _subjects_changed(self) -> None:
        self.type_edit.setPlaceholderText(
            "not sent with a schema subject" if self.by_subjects() else "OrderPlaced (required)"
        )
        self._describe_target()
        self._update_actions()

    def _cloudevent_fields(self, *, enabled: bool) -> None:
        """Grey out what a record by subject does not carry, saying why on hover."""
        why = (
            ""
            if enabled
            else "Not sent with a schema subject: the record carries no CloudEvents "
            "attributes. Put a correlation id in the payload's own field instead."
        )
        for widget, tip in self._cloudevent_tips.items():
            widget.setEnabled(enabled)
            widget.setToolTip(tip if enabled else why)

    def _load_messages(self) -> None:
        """Read the value's and the key's schema, for the messages of a Protobuf one (in a
        worker thread, as the subjects)."""
        try:
            value, key = self.schema_subjects.choices()
        except ValueError:
            return
        for is_key, choice in ((False, value), (True, key)):
            if choice is None:
                continue
            choice = SubjectChoice(choice.subject, choice.version)
            self.service.spawn(
                self._messages_of(choice),
                done=partial(self._messages_loaded, choice, is_key),
                failed=lambda exc: log.info("the subject's messages were not read: %s", exc),
            )

    async def _messages_of(self, choice: SubjectChoice) -> list[str]:
        settings = await self.service.registry_settings()
        if settings is None:
            return []
        return await asyncio.to_thread(subject_messages, settings, choice)

    def _messages_loaded(self, choice: SubjectChoice, is_key: bool, names: list[str]) -> None:
        if shiboken6.isValid(self):
            self.schema_subjects.set_messages(choice, names, is_key=is_key)

    def _registry_profile(self) -> ConnectionProfile | None:
        kafka = self.context.kafka
        profile = kafka.profile if kafka.connected else None
        return profile if profile is not None and profile.registry_url else None

    def _show_schema_subjects(self) -> None:
        profile = self._registry_profile()
        show = self.kafka_radio.isChecked() and profile is not None
        was = self.schema_subjects.isVisibleTo(self)
        self.schema_subjects.setVisible(show)
        if show and not was and profile is not None:
            self._load_subjects(profile)

    def _load_subjects(self, profile: ConnectionProfile) -> None:
        """Fill the subject drop-downs from the registry, in a worker thread (HTTP blocks);
        a registry that cannot list them leaves the boxes to type in."""

        async def load() -> list[str]:
            settings = await self.service.registry_settings()
            if settings is None:
                return []
            return await asyncio.to_thread(registry_subjects, settings)

        self.service.spawn(
            load(),
            done=lambda subjects: self._subjects_loaded(profile, subjects),
            failed=lambda exc: log.info("the registry's subjects were not read: %s", exc),
        )

    def _subjects_loaded(self, profile: ConnectionProfile, subjects: list[str]) -> None:
        if shiboken6.isValid(self) and self._registry_profile() is profile:
            self.schema_subjects.set_subjects(subjects)

    def _bus_topics(self) -> list[str]:
        seen = set(DEMO_TOPICS) | set(self.context.runtime.bus.counters)
        return sorted(seen)

    def _kafka_changed(self) -> None:
        kafka = self.context.kafka
        self.kafka_radio.setEnabled(kafka.connected)
        if kafka.connected and kafka.profile is not None:
            # A profile name may be 64 characters: cut, it keeps the row on the screen.
            name = kafka.profile.name
            shown = name if len(name) <= 20 else name[:19] + "\u2026"
            self.kafka_radio.setText(f"Kafka: {shown}")
            self.kafka_radio.setToolTip(f"{name}: {kafka.sentence}")
        else:
            self.kafka_radio.setText("Kafka")
            self.kafka_radio.setToolTip("Connect a Kafka profile in Connections to publish there")
            if self.kafka_radio.isChecked():
                self.bus_radio.setChecked(True)
        self._show_schema_subjects()
        self._describe_target()
        self._update_actions()

    def _describe_target(self) -> None:
        kafka = self.context.kafka
        tone = "muted"
        if not self.kafka_radio.isChecked():
            text = (
                "The event goes through the ingest pipeline at once: it shows in the stream "
                "and in its chain, and the demo services react to it."
            )
            if not kafka.connected:
                text += " To publish to Kafka, connect a profile in Connections."
        elif self.by_subjects():
            text = (
                "One record: the payload (and the key) encoded with the subject's schema in "
                "Confluent framing, the headers as given, no CloudEvents attributes."
            )
            if kafka.profile is not None and kafka.profile.is_production:
                text += " You will be asked to confirm first."
                tone = "warn"
        elif kafka.profile is not None and kafka.profile.read_only:
            text, tone = (
                f"Profile {kafka.profile.name} is read-only: nothing can be published.",
                "warn",
            )
        elif kafka.profile is not None and kafka.profile.is_production:
            text = (
                f"Profile {kafka.profile.name} is labelled {kafka.profile.environment}: you "
                "will be asked to confirm before anything is sent."
            )
            tone = "warn"
        else:
            text = (
                "Sent with acks=all. It shows in the stream when its topic is tailed "
                "(Connections, Tail selected topics)."
            )
        self.target_note.setText(text)
        restyle(self.target_note, tone=tone)

    def _kafka_topics_updated(self, topics: list[Any]) -> None:
        self._kafka_topics = [t.name for t in topics]
        if self.kafka_radio.isChecked():
            self._target_changed()

    # -- templates ----------------------------------------------------------------------

    def load_template(self, template: EventTemplate) -> None:
        """Fill the composer from ``template`` (correlation and causation ids are kept)."""
        self.type_edit.setText(template.type)
        self.source_edit.setText(template.source)
        self.subject_edit.setText(template.subject or "")
        self.key_edit.setText(template.key or "")
        self.headers.set_headers(template.headers)
        self.payload.set_value(template.data)
        if template.topic:
            self.topic_combo.setEditText(template.topic)
        index = self.mode_combo.findData(template.mode)
        if index >= 0:
            self.mode_combo.setCurrentIndex(index)
        self._update_actions()

    def composed(self, name: str = _COMPOSER_NAME, *, untyped: str = "") -> EventTemplate:
        """The composer's content as a template. Raises ``ValueError`` (invalid payload)
        or :class:`TemplateError` (no type, unless ``untyped`` stands in for it)."""
        return EventTemplate(
            name=name,
            type=self.type_edit.text().strip() or untyped,
            source=self.source_edit.text().strip() or DEFAULT_SOURCE,
            subject=self.subject_edit.text().strip() or None,
            key=self.key_edit.text().strip() or None,
            topic=self.topic_combo.currentText().strip() or None,
            mode=self.mode_combo.currentData(),
            headers=self.headers.headers(),
            data=self.payload.value(),
        )

    # -- sending ------------------------------------------------------------------------

    def send(self) -> None:
        """Send the composed event once (what Send and ``send_action`` do)."""
        self._start(count=1, rate=None)

    def send_burst(self) -> None:
        rate = self.burst_rate.value()
        self._start(count=self.burst_count.value(), rate=float(rate) if rate else None)

    def cancel(self) -> None:
        self.event_sender.cancel()

    def _start(self, *, count: int, rate: float | None) -> None:
        if self.sending or self.problem() is not None:
            return
        try:
            # A record by subject is no CloudEvent: its type field is not sent, nor needed.
            template = self.composed(untyped="record" if self.by_subjects() else "")
        except (TemplateError, ValueError) as exc:
            self._show_status(str(exc), "error")
            return
        topic = self.topic_combo.currentText().strip()
        correlation = self.correlation_edit.text().strip() or None
        causation = self.causation_edit.text().strip() or None

        def make(i: int) -> Envelope:
            return template.make_envelope(i + 1, correlation_id=correlation, causation_id=causation)

        if self.kafka_radio.isChecked():
            profile = self.context.kafka.profile
            assert profile is not None  # problem() checked it
            confirmed = profile.is_production and self._confirm(profile, count, template, topic)
            if profile.is_production and not confirmed:
                self._show_status("Not sent: publishing to production was not confirmed.", "muted")
                return
            if self.by_subjects():
                value_subject, key_subject = self.schema_subjects.choices()  # problem() checked
                self.event_sender.to_kafka_by_subjects(
                    make,
                    topic,
                    profile=profile,
                    value_subject=value_subject,
                    key_subject=key_subject,
                    confirmed=confirmed,
                    target=f"Kafka {profile.name} ({profile.bootstrap_servers})",
                    create_topic=self.create_topic_check.isChecked(),
                )
                self._sending_started(topic, count=1)
                return
            self.event_sender.to_kafka(
                make,
                topic,
                count=count,
                rate=rate,
                mode=self.mode_combo.currentData(),
                confirmed=confirmed,
                target=f"Kafka {profile.name} ({profile.bootstrap_servers})",
                create_topic=self.create_topic_check.isChecked(),
            )
        else:
            self.event_sender.to_bus(make, topic, count=count, rate=rate)
        self._sending_started(topic, count=count)

    def _sending_started(self, topic: str, *, count: int) -> None:
        self.progress.setFormat("%v / %m")
        self.progress.setRange(0, count)
        self.progress.setValue(0)
        self._show_status(f"Sending {wording.count(count, 'event')} to {topic}...", "muted")
        self._update_actions()

    def _confirm(
        self, profile: ConnectionProfile, count: int, template: EventTemplate, topic: str
    ) -> bool:
        # Asked here, in the click's own call: a modal dialog inside a task would run the
        # event loop's other tasks while this one is suspended half-way.
        what = "1 event" if count == 1 else f"{count:,} events"
        what += f" of type {template.type}"
        if self.by_subjects():
            subject = self.schema_subjects.value_subject.currentText().strip()
            what = f"1 record encoded with {subject}"
        answer = QMessageBox.question(
            self,
            "Publish to production?",
            f"Profile {profile.name} is labelled {profile.environment}.\n\n"
            f"Publish {what} to {topic}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _finished(self, outcome: Outcome) -> None:
        event = outcome.last
        where = f"{outcome.topic} on {outcome.target}"
        if outcome.sent is not None:
            sent = outcome.sent
            where = f"{sent.topic}[{sent.partition}]@{sent.offset} on {outcome.target}"
        if outcome.encoded_as is not None:
            # Not a CloudEvent: no id or correlation of ours travels with the record.
            self._show_status(f"Published {outcome.encoded_as} to {where}.", "ok")
            self._update_actions()
            return
        if outcome.count == 1 and event is not None:
            text = f"Published {event.type} <code>{short_id(event.id)}</code> to {where}"
        else:
            text = f"Published {outcome.count:,} events to {where} in {outcome.seconds:.1f} s"
        if event is not None:
            chain = event.chain_id
            text += (
                f" (correlation <code>{short_id(chain)}</code>, "
                f"<a href='chain:{chain}'>show chain</a>)."
            )
        else:
            text += "."
        if outcome.to_kafka and not self.service.is_tailing(outcome.topic):
            text += f" {outcome.topic} is not tailed, so it does not show in the stream."
        self._show_status(text, "ok", rich=True)
        self._update_actions()
        if event is not None:
            self.published.emit(event)

    def _failed(self, sentence: str, done: int, total: int) -> None:
        sent = f" after {done:,} of {total:,} events" if done else ""
        self._show_status(f"Not sent{sent}: {sentence}", "error")
        self._update_actions()

    def _cancelled(self, done: int, total: int) -> None:
        self._show_status(
            f"Cancelled after {done:,} of {total:,} events; those stay sent.", "muted"
        )
        self._update_actions()

    def _show_status(self, text: str, tone: str, rich: bool = False) -> None:
        self.status.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        self.status.setText(text)
        restyle(self.status, tone=tone)

    def _link_activated(self, link: str) -> None:
        if link.startswith("chain:"):
            self.chain_requested.emit(link.removeprefix("chain:"))

    async def shutdown(self) -> None:
        """Cancel a send or burst still running and wait for it to end."""
        await self.event_sender.shutdown()
