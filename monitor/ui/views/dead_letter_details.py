"""The inspector of the dead-letter view: everything about one letter.

A summary on top (what failed, where, why, how often), then tabs: the payload as pretty
JSON (or, for a payload kept undecoded, why and what to do), the headers, the whole
envelope, the traceback, and the history of what was done with the letter (replays and
discards, from the log's audit trail).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from monitor.core.deadletters import DeadLetter, DeadLetterAction
from monitor.core.envelope import format_time
from monitor.core.header_text import readable_headers, record_header_pairs
from monitor.core.json_diff import pretty_json
from monitor.ui import theme
from monitor.ui.display_format import AgeClock
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.event_table_model import format_local_moment
from monitor.ui.views.dead_letter_editor import json_editor
from monitor.ui.views.dead_letter_late_decode import payload_text
from monitor.ui.views.dead_letter_model import (
    letter_origin,
    letter_status_colour,
    letter_status_text,
    origin_label,
)

REASON_LINES = 4  # the most the reason takes in the summary
SUMMARY_MIN_WIDTH = 300
SUMMARY_MAX_WIDTH = 460

# Fields that hold one unbreakable value (a name, an id): one line, elided to the room
# the pane has, the whole value in the tooltip.
_ONE_LINE = (
    "Handler",
    "Original topic",
    "Origin",
    "Replays",
    "Correlation id",
    "Event id",
    "Dead letter id",
)


def _value_label() -> QLabel:
    label = QLabel()
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


# After the dots, slashes and dollars of a dotted name, before the next word: where a
# long exception class name (org.springframework.kafka.listener.ListenerExecution...)
# may wrap.
_NAME_BREAK = re.compile(r"(?<=[./$])(?=\w)")


class _ReasonLabel(QLabel):
    """The failure reason, wrapped, also inside long dotted names (a Java class name
    never widens the pane: it wraps at its dots, with invisible break marks). ``text()``
    is the reason as recorded; right-click copies it (a mouse selection would copy the
    break marks, so there is none)."""

    def __init__(self) -> None:
        super().__init__()
        self._reason = ""
        self.setWordWrap(True)
        # Cut at the bottom when longer than it may be, never at the top.
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        copy = QAction("Copy reason", self)
        copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(self._reason))
        self.addAction(copy)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

    def setText(self, text: str) -> None:
        self._reason = text
        super().setText(_NAME_BREAK.sub("\u200b", text))
        self.setToolTip(text)

    def text(self) -> str:
        return self._reason


class DeadLetterDetails(QWidget):
    """Shows one :class:`DeadLetter` (or a hint when none is selected).

    Its age ("7 min ago") is measured from ``ages``, the clock the letters table's Age
    column reads, so both say the same; :meth:`refresh_age` rewrites it after that clock
    moved on.
    """

    def __init__(self, ages: AgeClock | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ages = ages if ages is not None else AgeClock()
        self.letter: DeadLetter | None = None
        self.history_actions: list[DeadLetterAction] = []

        self.empty = QLabel("Select a dead letter to see why it failed and what it carried.")
        self.empty.setObjectName("sectionHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)

        self.title = ElidedLabel()
        self.title.setObjectName("detailsTitle")
        self.status_chip = QLabel()
        self.status_chip.setObjectName("statusChip")
        self.reason = _ReasonLabel()
        self.reason.setObjectName("detailsReason")

        self.fields: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(3)
        mono = theme.monospace_font()
        for name in (
            "Handler",
            "Original topic",
            "Origin",
            "Attempts",
            "Failed at",
            "Replays",
            "Correlation id",
            "Event id",
            "Dead letter id",
        ):
            value = ElidedLabel() if name in _ONE_LINE else _value_label()
            if name.endswith("id"):
                value.setFont(mono)
            self.fields[name] = value
            caption = QLabel(name)
            caption.setObjectName("fieldCaption")
            form.addRow(caption, value)

        self.payload = json_editor(read_only=True)
        self.headers = json_editor(read_only=True)
        self.envelope = json_editor(read_only=True)
        self.traceback = QPlainTextEdit()
        self.traceback.setReadOnly(True)
        self.traceback.setFont(mono)
        self.traceback.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.history = QTreeWidget()
        self.history.setColumnCount(4)
        self.history.setHeaderLabels(["When", "Action", "Target", "Result"])
        self.history.setRootIsDecorated(False)
        self.history.setAlternatingRowColors(True)
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = self.history.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.payload, "Payload")
        self.tabs.addTab(self.headers, "Headers")
        self.tabs.addTab(self.envelope, "Envelope")
        self.tabs.addTab(self.traceback, "Traceback")
        self.tabs.addTab(self.history, "History")

        summary = QWidget()
        summary.setObjectName("detailsSummary")
        left = QVBoxLayout(summary)
        left.setContentsMargins(12, 10, 12, 10)
        left.setSpacing(6)
        left.addWidget(self.status_chip, 0, Qt.AlignmentFlag.AlignLeft)
        left.addWidget(self.title)
        left.addWidget(self.reason)
        left.addSpacing(4)
        left.addLayout(form)
        left.addStretch(1)

        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._scrolling(summary), 2)
        row.addWidget(self.tabs, 3)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

    @staticmethod
    def _scrolling(summary: QWidget) -> QScrollArea:
        """The summary in a frameless area that scrolls it up and down when the pane is
        short (a 700 px screen, a long reason): its rows are never squeezed together."""
        area = QScrollArea()
        area.setObjectName("detailsSummaryScroller")
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setWidget(summary)
        bar = area.verticalScrollBar().sizeHint().width()
        area.setMinimumWidth(SUMMARY_MIN_WIDTH + bar)
        area.setMaximumWidth(SUMMARY_MAX_WIDTH + bar)
        # The pane paints its own background; the area's would show as a grey box.
        summary.setAutoFillBackground(False)
        area.viewport().setAutoFillBackground(False)
        area.setStyleSheet("QScrollArea#detailsSummaryScroller { background: transparent; }")
        return area

    def show_letter(self, letter: DeadLetter | None) -> None:
        """Show ``letter``; None shows the hint. The history is shown by
        :meth:`show_history` (it is read from the log separately)."""
        if letter == self.letter:
            return
        same = letter is not None and self.letter is not None and letter.id == self.letter.id
        self.letter = letter
        if letter is None:
            self.stack.setCurrentIndex(0)
            self.history_actions = []
            return
        self.stack.setCurrentIndex(1)
        event = letter.event
        colour = letter_status_colour(letter)
        self.status_chip.setText(letter_status_text(letter).upper())
        self.status_chip.setStyleSheet(
            f"color: {colour}; border: 1px solid {colour}; border-radius: 8px;"
            " padding: 0 8px; font-weight: 600; font-size: 8pt;"
        )
        self.title.setText(f"{event.type or '(no type)'}")
        self.reason.setText(letter.reason or "(no reason recorded)")
        # Wrapped, but at most a few lines (a reason can be a whole stack of messages):
        # the rest is in its tooltip and the Traceback tab. Measured now, in the font
        # the style sheet gave it.
        lines = self.reason.fontMetrics().lineSpacing() * REASON_LINES
        self.reason.setMaximumHeight(lines + 2)
        self.fields["Handler"].setText(letter.handler or "unknown")
        self.fields["Original topic"].setText(letter.original_topic or "unknown")
        self.fields["Origin"].setText(origin_label(letter_origin(letter)))
        self.fields["Attempts"].setText(str(letter.attempts))
        self.refresh_age()
        self.fields["Failed at"].setToolTip(format_time(letter.created_at) or "")
        replays = str(letter.replay_count)
        if letter.failed_again_as:
            replays += f" \u2014 failed again as {letter.failed_again_as}"
        elif letter.replayed_from:
            replays += f" \u2014 this is the replay of {letter.replayed_from}, failed again"
        self.fields["Replays"].setText(replays)
        self.fields["Replays"].setToolTip(replays)
        self.fields["Correlation id"].setText(event.correlation_id or "(none)")
        self.fields["Event id"].setText(event.id)
        self.fields["Dead letter id"].setText(letter.id)
        # An undecoded payload is not null: it says so, and why (and what to do).
        undecoded = payload_text(event)
        wrap = QPlainTextEdit.LineWrapMode  # a sentence wraps; JSON keeps its lines
        self.payload.setLineWrapMode(wrap.WidgetWidth if undecoded else wrap.NoWrap)
        # A sentence is not coloured as JSON (its "schema id 3" would be a blue number).
        highlighter = self.payload._highlighter  # type: ignore[attr-defined]
        highlighter.setDocument(None if undecoded is not None else self.payload.document())
        self.payload.setPlainText(undecoded if undecoded is not None else pretty_json(event.data))
        # Spring's binary partition/offset/timestamp headers as the numbers they are. A
        # record whose headers repeat a name or carry a null value is shown as the list
        # of pairs the record has, which an object cannot hold.
        pairs = record_header_pairs(letter.record.headers) if letter.record is not None else []
        names = [name for name, _ in pairs]
        if len(set(names)) < len(names) or any(value is None for _, value in pairs):
            rows = (json.dumps(list(pair), ensure_ascii=False) for pair in pairs)
            self.headers.setPlainText("[\n  " + ",\n  ".join(rows) + "\n]")  # a pair a line
        else:
            headers = readable_headers(event.headers)
            self.headers.setPlainText(pretty_json(headers) if headers else "{}")
        self.envelope.setPlainText(pretty_json(event.to_dict()))
        self.traceback.setPlainText(letter.traceback or "No traceback was recorded.")
        if not same:
            self.show_history([])

    def refresh_age(self) -> None:
        """Write the letter's "Failed at" again against :attr:`ages` (its current now)."""
        letter = self.letter
        if letter is None:
            return
        failed = format_local_moment(letter.created_at)
        self.fields["Failed at"].setText(f"{failed}  ({self.ages.ago(letter.created_at)})")

    def show_history(self, actions: Sequence[DeadLetterAction]) -> None:
        self.history_actions = list(actions)
        self.history.clear()
        for action in actions:
            item = QTreeWidgetItem(
                [
                    format_local_moment(action.at),
                    action.action,
                    action.target or "",
                    action.result,
                ]
            )
            item.setToolTip(0, format_time(action.at) or "")
            item.setToolTip(3, action.result)
            self.history.addTopLevelItem(item)
        n = len(actions)
        self.tabs.setTabText(self.tabs.indexOf(self.history), f"History ({n})" if n else "History")

    def history_rows(self) -> list[tuple[str, str, str]]:
        """(action, target, result) of each row shown, for tests and copy-paste."""
        return [(a.action, a.target or "", a.result) for a in self.history_actions]
