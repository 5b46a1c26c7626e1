"""View 4, Dead letters: triage what failed, fix it, send it again.

Left, the reason groups (exception class + message shape) with a count each; right, the
letters of the chosen status and group, and under them the inspector of the selected
letter (summary, payload, headers, envelope, traceback, history). Above them, the
actions: replay (the selection, or the whole group) to the embedded bus or to the
connected Kafka cluster at a chosen rate, edit the payload and headers before a replay,
discard. What the actions do, and when they are allowed, lives in
:mod:`~monitor.ui.views.dead_letter_commands`; this module lays the view out, keeps it
filled and follows the selection.

The table is reloaded from the event log in a worker thread every two seconds while the
view is visible, and after every action; rows are updated in place, so the selection and
the scroll position survive. Replays and discards run as one cancellable operation at a
time, shown in the bar at the bottom; a stop lands between two windows of a replay, so
the store records exactly what the target accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

import shiboken6
from PySide6.QtCore import (
    QByteArray,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QGuiApplication, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStyle,
    QStyleOptionToolButton,
    QStylePainter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from monitor.core.dead_letter_groups import (
    DeadLetterSnapshot,
    ReasonGroup,
    group_by_reason,
    load_snapshot,
    sort_newest_first,
)
from monitor.core.deadletters import DeadLetter, Status
from monitor.ui import theme
from monitor.ui.background import BackgroundTasks
from monitor.ui.context import AppContext
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.flow_layout import FlowLayout
from monitor.ui.operations import OperationBar
from monitor.ui.table_setup import set_up_table
from monitor.ui.views.dead_letter_commands import DeadLetterCommands
from monitor.ui.views.dead_letter_details import DeadLetterDetails
from monitor.ui.views.dead_letter_editor import DeadLetterEditDialog
from monitor.ui.views.dead_letter_group_list import ReasonGroupList
from monitor.ui.views.dead_letter_late_decode import LetterDecoding
from monitor.ui.views.dead_letter_model import (
    BUS_ORIGIN,
    Column,
    DeadLetterFilterProxy,
    DeadLetterTableModel,
    GroupKeyRole,
    ReasonGroupModel,
    letter_origin,
    origin_label,
)
from monitor.ui.views.dead_letter_replay import ReplayTarget
from monitor.ui.views.dead_letter_style import view_stylesheet

log = logging.getLogger(__name__)

REFRESH_MS = 2000
DEFAULT_RATE = 100  # letters per second: gentle on whatever consumes the replays
MAX_RATE = 10_000
MESSAGE_MS = 12_000
SETTINGS_PREFIX = "dead_letters"
SEARCH_MIN_WIDTH = 180
SEARCH_MAX_WIDTH = 420  # beyond this the summary gets the room (it elides otherwise)
ORIGIN_COMBO_CHARS = 13  # the closed origin combo's width, in characters
TARGET_BUTTON_MAX_WIDTH = 200

# Narrow enough that the Reason column (which takes the rest) keeps room in a 1024 px
# window; the user's own widths are remembered (table_header).
_COLUMN_WIDTHS = {
    Column.STATUS: 116,  # "failed again" with its dot
    Column.AGE: 64,
    Column.REASON: 360,
    Column.EVENT_TYPE: 136,
    Column.TOPIC: 140,
    Column.HANDLER: 100,
    Column.ATTEMPTS: 84,
    Column.REPLAYS: 68,
}

STATUS_FILTERS: tuple[tuple[Status | None, str], ...] = (
    ("pending", "Pending"),
    ("replayed", "Replayed"),
    ("discarded", "Discarded"),
    (None, "All"),
)


class _LetterTable(QTableView):
    """A table that says what an empty result means instead of showing blank space."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.placeholder = ""

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self.placeholder and model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(
                self.viewport().rect().adjusted(24, 24, -24, -24),
                Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                self.placeholder,
            )
            painter.end()


class _ElidingToolButton(QToolButton):
    """A text tool button that elides its text when it gets less than its preferred
    width (the target buttons carry a profile name of any length); its action's tooltip
    says it whole."""

    def shown_text(self) -> str:
        """The text as painted: shortened by as much as the button is too narrow."""
        text = self.text()
        missing = self.sizeHint().width() - self.width()
        if missing <= 0:
            return text
        metrics = self.fontMetrics()
        room = max(0, metrics.horizontalAdvance(text) - missing)
        return metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)

    def paintEvent(self, event: QPaintEvent) -> None:
        shown = self.shown_text()
        if shown == self.text():
            super().paintEvent(event)
            return
        option = QStyleOptionToolButton()
        self.initStyleOption(option)
        option.text = shown
        painter = QStylePainter(self)
        painter.drawComplexControl(QStyle.ComplexControl.CC_ToolButton, option)


class DeadLettersView(QWidget):
    """The dead-letter view. Takes an :class:`AppContext` and nothing else.

    Actions for the window's shortcuts and menus: :attr:`replay_action` (the selection,
    to the chosen target), :attr:`replay_group_action`, :attr:`edit_action`,
    :attr:`discard_action`, :attr:`discard_group_action`, :attr:`refresh_action`,
    :attr:`show_chain_action`; the target is chosen with :attr:`replay_to_bus_action` /
    :attr:`replay_to_kafka_action`. Call :meth:`aclose` before the runtime stops.
    """

    # A letter was double-clicked (or "Show chain" chosen): the chain id of its event.
    chain_requested = Signal(str)
    # A reload from the log has been applied to the table (tests and the status bar).
    refreshed = Signal()

    # Declared here: the commands read the view (a LetterView) while it is being built.
    commands: DeadLetterCommands
    rate_spin: QSpinBox
    message_label: QLabel
    group_list: ReasonGroupList
    table: _LetterTable
    letter_decoding: LetterDecoding

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deadLettersView")
        self.context = context
        self.runtime = context.runtime
        self.log = context.runtime.log
        self.snapshot: DeadLetterSnapshot | None = None
        self._pinned: DeadLetter | None = None  # see show_letter
        self.tasks = BackgroundTasks(self)  # cancelled in aclose, or with the view
        self._reload_task: asyncio.Future[None] | None = None
        self._reload_again = False
        self._history_token = 0
        self._closed = False

        # Undecoded letters are decoded once the connection has their schema.
        self.letter_decoding = LetterDecoding(context, self.log, self._letters, self)
        self.letter_decoding.decoded.connect(lambda _n: self.refresh())
        self.model = DeadLetterTableModel(self)
        self.proxy = DeadLetterFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.group_model = ReasonGroupModel(self)
        self._make_actions()
        self._build()
        theme.keep_styled(self, view_stylesheet)

        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.selectionModel().currentRowChanged.connect(self._on_selection)
        self.group_list.selectionModel().selectionChanged.connect(self._on_group_selected)
        self.proxy.rowsInserted.connect(self._update_empty_text)
        self.proxy.rowsRemoved.connect(self._update_empty_text)
        self.proxy.modelReset.connect(self._update_empty_text)
        self.commands.kafka_note_changed.connect(self._show_kafka_note)

        self._on_screen = True  # see set_on_screen
        # The periodic reload runs on the live feed's clock, as every view's refresh does.
        self._timer = context.feed.every(REFRESH_MS, self._on_timer, self)
        self._timer.start()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(MESSAGE_MS)
        self._message_timer.timeout.connect(lambda: self.say(""))

        self.commands.follow_kafka()
        self._select_group(None)
        self._update_empty_text()
        self._update_actions()
        self.message_label.hide()
        if self.log is None:
            self.message_label.setText(
                "No event log: dead letters are kept in the log. Start with a log file "
                "(the default) to inspect and replay them."
            )
            self.message_label.show()
        self._restore_state()
        # The first reload happens when the view is shown (showEvent).

    # -- construction -------------------------------------------------------------------

    def _make_actions(self) -> None:
        self.commands = DeadLetterCommands(self, parent=self)
        c = self.commands
        self.runner = c.runner
        self.replay_action = c.replay_action
        self.replay_group_action = c.replay_group_action
        self.edit_action = c.edit_action
        self.discard_action = c.discard_action
        self.discard_group_action = c.discard_group_action
        self.replay_to_origin_action = c.replay_to_origin_action
        self.replay_to_bus_action = c.replay_to_bus_action
        self.replay_to_kafka_action = c.replay_to_kafka_action

        def action(text: str, tip: str, slot: Callable[[], None]) -> QAction:
            a = QAction(text, self)
            a.setToolTip(tip)
            a.triggered.connect(slot)
            self.addAction(a)
            return a

        self.refresh_action = action(
            "Refresh", "Reload the dead letters from the log", self.refresh
        )
        self.show_chain_action = action(
            "Show chain",
            "Open the correlation chain of the selected letter's event",
            self._request_chain,
        )
        self.copy_id_action = action(
            "Copy dead-letter id", "Copy the selected letter's id", self._copy_id
        )
        self.runner.busy_changed.connect(self._update_actions)

    def _update_actions(self, *_args: Any) -> None:
        if not self.alive():
            return
        self.commands.update()
        one = bool(self.table.selectionModel().selectedRows())
        self.show_chain_action.setEnabled(one)
        self.copy_id_action.setEnabled(one)
        self.rate_spin.setEnabled(not self.runner.busy)

    def _tool_button(self, action: QAction, name: str = "actionButton") -> QToolButton:
        button = QToolButton()
        button.setObjectName(name)
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    def _build(self) -> None:
        # header: title, counts, status filter, origin filter, search -- one row that
        # wraps (FlowLayout) when the window is narrow, instead of clipping a control.
        title = QLabel("Dead letters")
        title.setObjectName("viewTitle")
        # The counts are on the status buttons too; the summary's tooltip says it whole.
        self.summary_label = ElidedLabel()
        self.summary_label.setObjectName("viewSummary")
        # Short ("12 waiting"): it keeps its width, and a narrow window wraps the row.
        self.status_buttons: dict[Status | None, QPushButton] = {}
        self._status_group = QButtonGroup(self)
        self._status_group.setExclusive(True)
        segments = QWidget()
        segments_layout = QHBoxLayout(segments)
        segments_layout.setContentsMargins(0, 0, 0, 0)
        segments_layout.setSpacing(0)
        for i, (status, text) in enumerate(STATUS_FILTERS):
            button = QPushButton(text)
            button.setCheckable(True)
            button.setObjectName("segment")
            button.setProperty(
                "position", "first" if i == 0 else "last" if i == len(STATUS_FILTERS) - 1 else ""
            )
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(lambda _c=False, s=status: self.set_status_filter(s))
            self._status_group.addButton(button)
            self.status_buttons[status] = button
            segments_layout.addWidget(button)
        self.status_buttons["pending"].setChecked(True)
        self.origin_combo = QComboBox()
        self.origin_combo.setObjectName("originFilter")
        self.origin_combo.setToolTip(
            "Show the letters of one origin: the embedded bus, or a Kafka cluster"
        )
        # As wide as "All origins" and a little more, whatever the cluster names: a long
        # one is elided in the closed combo and whole in the list and its tooltip.
        self.origin_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.origin_combo.setMinimumContentsLength(ORIGIN_COMBO_CHARS)
        self.origin_combo.view().setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.origin_combo.addItem("All origins", None)
        self.origin_combo.addItem(origin_label(BUS_ORIGIN), BUS_ORIGIN)
        self.origin_combo.currentIndexChanged.connect(self._on_origin_chosen)
        self.search = QLineEdit()
        self.search.setObjectName("search")
        self.search.setPlaceholderText("Filter by reason, event, topic, handler or id")
        self.search.setToolTip(self.search.placeholderText())
        self.search.setClearButtonEnabled(True)
        self.search.setMinimumWidth(SEARCH_MIN_WIDTH)
        self.search.setMaximumWidth(SEARCH_MAX_WIDTH)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        policy.setHorizontalStretch(3)  # the search takes most of what is left on its line
        self.search.setSizePolicy(policy)
        self.search.textChanged.connect(self.proxy.set_text)

        header = FlowLayout(spacing=10, line_spacing=6)
        for widget in (title, self.summary_label, segments, self.origin_combo, self.search):
            header.addWidget(widget)

        # toolbar: actions, target, rate -- the same, each group kept whole when it wraps
        self.replay_button = self._tool_button(self.replay_action, "primaryButton")
        self.replay_group_button = self._tool_button(self.replay_group_action)
        self.edit_button = self._tool_button(self.edit_action)
        self.discard_button = self._tool_button(self.discard_action, "dangerButton")
        self.discard_group_button = self._tool_button(self.discard_group_action, "dangerButton")
        target_caption = QLabel("Replay to")
        target_caption.setObjectName("fieldCaption")
        self.origin_target_button = _ElidingToolButton()
        self.bus_target_button = _ElidingToolButton()
        self.kafka_target_button = _ElidingToolButton()
        for target, action, position in (
            (self.origin_target_button, self.replay_to_origin_action, "first"),
            (self.bus_target_button, self.replay_to_bus_action, "middle"),
            (self.kafka_target_button, self.replay_to_kafka_action, "last"),
        ):
            target.setObjectName("targetButton")
            target.setDefaultAction(action)
            target.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            target.setCursor(Qt.CursorShape.PointingHandCursor)
            target.setProperty("position", position)
            target.setMaximumWidth(TARGET_BUTTON_MAX_WIDTH)  # a long profile name elides
        rate_caption = QLabel("at most")
        rate_caption.setObjectName("fieldCaption")
        self.rate_spin = QSpinBox()
        self.rate_spin.setRange(1, MAX_RATE)
        self.rate_spin.setValue(DEFAULT_RATE)
        self.rate_spin.setSuffix(" / s")
        self.rate_spin.setToolTip(
            "Replays are paced to this many letters per second, so the consumers that "
            "failed on them are not flooded"
        )
        self.rate_spin.setKeyboardTracking(False)

        def group(*widgets: QWidget, spacing: int = 6) -> QWidget:
            box = QWidget()
            row = QHBoxLayout(box)
            row.setContentsMargins(0, 0, 0, 0)
            row.setSpacing(spacing)
            for widget in widgets:
                row.addWidget(widget)
            return box

        targets = group(
            self.origin_target_button,
            self.bus_target_button,
            self.kafka_target_button,
            spacing=0,
        )
        # An empty widget that takes the room left on the first line, so that the target
        # and the rate sit at the right edge while everything fits on one line.
        push_right = QWidget()
        push_right.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)
        push_right.setMinimumWidth(0)
        toolbar = FlowLayout(spacing=16, line_spacing=6)
        toolbar.addWidget(group(self.replay_button, self.replay_group_button, self.edit_button))
        toolbar.addWidget(group(self.discard_button, self.discard_group_button))
        toolbar.addWidget(push_right)
        # Where and how fast replays go stay together: on a line of their own when the
        # window is narrow.
        toolbar.addWidget(group(target_caption, targets, rate_caption, self.rate_spin))

        self.kafka_note = QLabel()
        self.kafka_note.setObjectName("kafkaNote")
        self.kafka_note.setWordWrap(True)
        self.kafka_note.hide()
        self.message_label = QLabel()
        self.message_label.setObjectName("messageLabel")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        # groups | table / details
        self.group_list = ReasonGroupList()
        self.group_list.setModel(self.group_model)
        groups_title = QLabel("Failure reasons")
        groups_title.setObjectName("sectionTitle")
        groups_pane = QWidget()
        groups_layout = QVBoxLayout(groups_pane)
        groups_layout.setContentsMargins(0, 0, 0, 0)
        groups_layout.setSpacing(2)
        groups_layout.addWidget(groups_title)
        groups_layout.addWidget(self.group_list, 1)

        self.table = self._make_table()
        self.details = DeadLetterDetails(self.model.ages)
        details_frame = QFrame()
        details_frame.setObjectName("detailsPane")
        frame_layout = QVBoxLayout(details_frame)
        frame_layout.setContentsMargins(0, 0, 0, 0)
        frame_layout.addWidget(self.details)

        self.content_splitter = QSplitter(Qt.Orientation.Vertical)
        self.content_splitter.setChildrenCollapsible(False)
        self.content_splitter.addWidget(self.table)
        self.content_splitter.addWidget(details_frame)
        self.content_splitter.setStretchFactor(0, 1)
        self.content_splitter.setStretchFactor(1, 1)
        self.content_splitter.setSizes([360, 340])

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(groups_pane)
        self.splitter.addWidget(self.content_splitter)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 4)
        self.splitter.setSizes([270, 1160])

        self.operation_bar = OperationBar(self.runner)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 8)
        layout.setSpacing(8)
        layout.addLayout(header)
        layout.addLayout(toolbar)
        layout.addWidget(self.kafka_note)
        layout.addWidget(self.message_label)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.operation_bar)

    def _make_table(self) -> _LetterTable:
        view = _LetterTable()
        view.setObjectName("deadLetterTable")
        view.setModel(self.proxy)
        set_up_table(
            view,
            sorting=True,
            selection=QAbstractItemView.SelectionMode.ExtendedSelection,
            stretch_last=False,
            row_padding=10,
        )
        view.sortByColumn(Column.AGE, Qt.SortOrder.DescendingOrder)  # newest first
        view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context_menu)
        view.doubleClicked.connect(self._on_double_click)
        horizontal = view.horizontalHeader()
        for column, width in _COLUMN_WIDTHS.items():
            view.setColumnWidth(column, width)
        horizontal.setSectionResizeMode(Column.REASON, QHeaderView.ResizeMode.Stretch)
        return view

    def changeEvent(self, event: QEvent) -> None:
        # The app switched themes: the stylesheet follows by itself (theme.keep_styled);
        # the two lists paint with theme colours of their own.
        if event.type() == QEvent.Type.PaletteChange:
            self.table.viewport().update()
            self.group_list.viewport().update()
        super().changeEvent(event)

    # -- public API ---------------------------------------------------------------------

    @property
    def status_filter(self) -> Status | None:
        return self.proxy.status

    def set_status_filter(self, status: Status | None) -> None:
        """Show letters of one status (``None``: all) and regroup the reasons for it."""
        self.status_buttons[status].setChecked(True)
        self.proxy.set_status(status)
        self._regroup()
        self._update_empty_text()
        self._update_actions()

    @property
    def origin_filter(self) -> str | None:
        """The origin shown (``"bus"``, ``"kafka:<profile>"``), or None for all."""
        return self.proxy.origin

    def set_origin_filter(self, origin: str | None) -> None:
        """Show the letters of one origin (``None``: every origin) and regroup the reasons
        for it. An origin no letter has yet is offered in the combo all the same."""
        if origin is not None:
            self._add_origins([origin])
        row = self.origin_combo.findData(origin) if origin is not None else 0
        if self.origin_combo.currentIndex() != row:
            self.origin_combo.setCurrentIndex(row)  # -> _on_origin_chosen
        else:
            self._apply_origin(origin)

    def origins(self) -> list[str | None]:
        """The origins the combo offers, in its order (None: "All origins")."""
        return [self.origin_combo.itemData(i) for i in range(self.origin_combo.count())]

    def show_letter(self, letter_id: str) -> bool:
        """Select the letter with id ``letter_id`` and scroll to it, clearing the filters
        that would hide it (status, origin, reason group, text). False when the log has
        no such letter; the view is then left as it was.

        A letter the last reload did not bring (filed since, or older than the newest
        letters a reload reads) is read from the log by its id -- one row by primary
        key -- and shown until a reload brings it.
        """
        if not letter_id:
            return False
        row = self.model.row_of(letter_id)
        letter = self.model.letter(row) if row is not None else self._read_letter(letter_id)
        if letter is None:
            return False
        if row is None:
            self._pinned = letter
            self.model.set_letters(self._letters())
            self._add_origins([letter_origin(letter)])
        self._reveal(letter)
        row = self.proxy.row_of(letter.id)
        if row is None:  # not expected: every filter that could hide it was cleared
            log.warning("dead letter %s could not be shown", letter_id)
            return False
        index = self.proxy.index(row, Column.EVENT_TYPE)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        self._on_selection()
        return True

    def _selected_on_screen(self) -> tuple[str, int] | None:
        """The selected letter's id and row, when its row is in sight."""
        current = self.current_letter()
        row = self.proxy.row_of(current.id) if current is not None else None
        if current is None or row is None:
            return None
        rect = self.table.visualRect(self.proxy.index(row, Column.EVENT_TYPE))
        return (current.id, row) if self.table.viewport().rect().contains(rect.center()) else None

    def _keep_in_place(self, letter_id: str, row: int) -> None:
        """Letters filed since went in above the selected one: scroll by as many rows, so
        the letter being read stays where it was instead of drifting out of sight."""
        now = self.proxy.row_of(letter_id)
        if now is None or now == row:
            return
        self.table.updateGeometries()  # the scroll bar's range, for the rows just added
        bar = self.table.verticalScrollBar()
        if self.table.verticalScrollMode() == QAbstractItemView.ScrollMode.ScrollPerPixel:
            bar.setValue(bar.value() + (now - row) * self.table.rowHeight(now))
        else:
            bar.setValue(bar.value() + (now - row))

    def _read_letter(self, letter_id: str) -> DeadLetter | None:
        if self.log is None:
            return None
        try:
            return self.log.dead_letter(letter_id)
        except Exception as exc:  # LogError: no such letter; or the log cannot be read
            log.info("dead letter %s not shown: %s", letter_id, exc)
            return None

    def _reveal(self, letter: DeadLetter) -> None:
        """Clear each filter that hides ``letter``, and only those."""
        if self.proxy.status is not None and letter.status != self.proxy.status:
            self.set_status_filter(letter.status)
        if self.proxy.origin is not None and letter_origin(letter) != self.proxy.origin:
            self.set_origin_filter(None)
        if self.proxy.group is not None and letter.reason_group != self.proxy.group:
            self._select_group(None)
        if self.proxy.row_of(letter.id) is None and self.search.text():
            self.search.clear()  # the text filter was what hid it

    def _letters(self) -> list[DeadLetter]:
        """The snapshot's letters, plus the one :meth:`show_letter` read by itself."""
        letters = list(self.snapshot.letters) if self.snapshot is not None else []
        if self._pinned is not None and all(d.id != self._pinned.id for d in letters):
            letters = sort_newest_first([*letters, self._pinned])
        return letters

    def _add_origins(self, origins: Iterable[str]) -> None:
        """Offer each origin not offered yet: clusters sorted by name after the bus."""
        known = set(self.origins())
        fresh = sorted({o for o in origins if o not in known})
        for origin in fresh:
            self.origin_combo.addItem(origin_label(origin), origin)
            row = self.origin_combo.count() - 1
            self.origin_combo.setItemData(row, origin_label(origin), Qt.ItemDataRole.ToolTipRole)

    def _on_origin_chosen(self, row: int) -> None:
        self._apply_origin(self.origin_combo.itemData(row) if row >= 0 else None)

    def _apply_origin(self, origin: str | None) -> None:
        self.proxy.set_origin(origin)
        self.origin_combo.setToolTip(
            f"Showing the letters from {origin_label(origin)}"
            if origin is not None
            else "Show the letters of one origin: the embedded bus, or a Kafka cluster"
        )
        self._regroup()
        self._update_empty_text()
        self._update_actions()

    @property
    def selected_group(self) -> str | None:
        return self.proxy.group

    def selected_letters(self) -> list[DeadLetter]:
        """The letters of the selected rows, oldest first (the order they are replayed)."""
        letters = []
        for index in self.table.selectionModel().selectedRows():
            letter = self.proxy.letter_at(index.row())
            if letter is not None:
                letters.append(letter)
        return sorted(letters, key=lambda d: (d.created_at, d.id))

    def current_letter(self) -> DeadLetter | None:
        """The letter shown in the inspector: the current row when it is selected."""
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row()):
            rows = self.table.selectionModel().selectedRows()
            if not rows:
                return None
            index = rows[0]
        return self.proxy.letter_at(index.row())

    def replay_target(self) -> ReplayTarget:
        """Where :attr:`replay_action` sends letters now."""
        return self.commands.replay_target()

    @property
    def edit_dialog(self) -> DeadLetterEditDialog | None:
        """The payload/headers editor while it is open."""
        return self.commands.edit_dialog

    @property
    def refresh_interval(self) -> int:
        """Milliseconds between two reloads while the view is visible."""
        return self._timer.interval()

    def set_refresh_interval(self, ms: int) -> None:
        self._timer.setInterval(max(50, ms))

    def refresh(self) -> None:
        """Reload from the log in a worker thread. Calls while a reload runs are folded
        into one more reload after it."""
        if self.log is None or self._closed:
            return
        if self._reload_task is not None and not self._reload_task.done():
            self._reload_again = True
            return
        try:
            self._reload_task = self.spawn(self._reload())
        except RuntimeError:  # no event loop (a test without one): nothing to do
            log.debug("no event loop; dead letters not refreshed")

    async def aclose(self) -> None:
        """Stop refreshing, stop a running operation (politely first), end background
        tasks. Await it before the runtime stops; the view can then be deleted."""
        if not shiboken6.isValid(self):
            return
        self._save_state()
        self._closed = True
        self._timer.stop()
        await self.runner.shutdown()
        await self.tasks.aclose()
        await self.letter_decoding.tasks.aclose()
        self.commands.close_editor()

    # -- preferences --------------------------------------------------------------------

    def _restore_state(self) -> None:
        """Layout, columns, rate and status filter from ``context.settings``. A value of
        the wrong kind (an old or damaged file) is ignored: the default stays."""
        settings = self.context.settings
        if settings is None:
            return
        for key, widget in self._layout_parts().items():
            value = settings.value(f"{SETTINGS_PREFIX}/{key}")
            if isinstance(value, QByteArray) and not value.isEmpty():
                widget.restoreState(value)
        try:
            rate = int(settings.value(f"{SETTINGS_PREFIX}/rate") or DEFAULT_RATE)
        except (TypeError, ValueError):
            rate = DEFAULT_RATE
        self.rate_spin.setValue(rate)
        status = settings.value(f"{SETTINGS_PREFIX}/status")
        for known, _text in STATUS_FILTERS:
            if status == (known or "all"):
                self.set_status_filter(known)
        origin = settings.value(f"{SETTINGS_PREFIX}/origin")
        if isinstance(origin, str) and origin:
            self.set_origin_filter(origin)

    def _save_state(self) -> None:
        settings = self.context.settings
        if settings is None:
            return
        for key, widget in self._layout_parts().items():
            settings.setValue(f"{SETTINGS_PREFIX}/{key}", widget.saveState())
        settings.setValue(f"{SETTINGS_PREFIX}/rate", self.rate_spin.value())
        settings.setValue(f"{SETTINGS_PREFIX}/status", self.proxy.status or "all")
        settings.setValue(f"{SETTINGS_PREFIX}/origin", self.proxy.origin or "")

    def _layout_parts(self) -> dict[str, Any]:
        return {
            "splitter": self.splitter,
            "content_splitter": self.content_splitter,
            "table_header": self.table.horizontalHeader(),
        }

    # -- refreshing ---------------------------------------------------------------------

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]:
        """Run ``coro`` as a task the view keeps and cancels in :meth:`aclose` (or when it
        is deleted)."""
        return self.tasks.spawn(coro)

    def _on_timer(self) -> None:
        if self._on_screen and self.isVisible():
            self.refresh()

    def set_on_screen(self, on_screen: bool) -> None:
        """Whether the view can be seen (a dock tabbed behind another stays "visible" to
        Qt): the periodic reload from the log runs only then, and once on being shown."""
        was, self._on_screen = self._on_screen, on_screen
        if on_screen and not was and self.isVisible():
            self.refresh()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.refresh()

    async def _reload(self) -> None:
        log_ = self.log
        assert log_ is not None
        while True:
            self._reload_again = False
            try:
                snapshot = await asyncio.to_thread(load_snapshot, log_)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self._closed:
                    log.warning("could not read dead letters: %s", exc)
                    self.say(f"Could not read the dead letters from the log: {exc}")
                return
            if not self.alive():
                return
            self._apply(snapshot)
            if not self._reload_again:
                return

    def _apply(self, snapshot: DeadLetterSnapshot) -> None:
        self.snapshot = snapshot
        shown = self.details.letter
        if self._pinned is not None and any(d.id == self._pinned.id for d in snapshot.letters):
            self._pinned = None  # the log's snapshot has it now, as it stands
        anchor = self._selected_on_screen()
        self.model.set_letters(self._letters())
        if anchor is not None:
            self._keep_in_place(*anchor)
        self._add_origins(letter_origin(d) for d in snapshot.letters)
        for status, text in STATUS_FILTERS:
            button = self.status_buttons[status]
            button.setText(f"{text}  {snapshot.count_text(status)}")
            button.setMinimumWidth(button.sizeHint().width())  # never clip a count
        self.summary_label.setText(self._summary_text(snapshot))
        pending = snapshot.count_text("pending")
        self.summary_label.set_detail(f"{pending} waiting for a replay or a discard")
        self._regroup()
        current = self.current_letter()
        if current is not None and shown is not None and current.id == shown.id:
            if current != shown:
                # Replayed, edited, failed again...: whatever changed it added history.
                self.details.show_letter(current)
                self._load_history(current.id)
        elif current is None and shown is not None:
            self.details.show_letter(None)
        self.details.refresh_age()  # the Age column was just measured: the same instant
        self._update_actions()
        self.refreshed.emit()

    @staticmethod
    def _summary_text(snapshot: DeadLetterSnapshot) -> str:
        pending = snapshot.count_text("pending")
        if snapshot.counts.get("pending", 0) == 0:
            return "nothing waiting"
        return f"{pending} waiting"

    def _regroup(self) -> None:
        if self.snapshot is None:
            return
        letters = [d for d in self._letters() if self.proxy.accepts(d)]
        groups = group_by_reason(letters)
        keep = self.proxy.group
        self.group_model.set_groups(groups)
        if keep is not None and self.group_model.row_of(keep) is None:
            keep = None  # the group has none of this status (any more)
        self._select_group(keep)

    def _select_group(self, key: str | None) -> None:
        row = self.group_model.row_of(key)
        if row is None:
            row, key = 0, None
        index = self.group_model.index(row, 0)
        selection = self.group_list.selectionModel()
        if not selection.isSelected(index):
            selection.blockSignals(True)
            selection.select(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            selection.setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
            selection.blockSignals(False)
            self.group_list.viewport().update()
        self.proxy.set_group(key)

    def _on_group_selected(self, *_args: Any) -> None:
        rows = self.group_list.selectionModel().selectedRows()
        key = rows[0].data(GroupKeyRole) if rows else None
        if not rows:
            self._select_group(None)
        self.proxy.set_group(key)
        self._update_empty_text()
        self._update_actions()

    def _update_empty_text(self, *_args: Any) -> None:
        if self.log is None:
            text = "No event log, so no dead letters to show."
        elif self.snapshot is None:
            text = "Reading dead letters from the log\u2026"
        elif self.search.text().strip():
            text = "No dead letter matches the filter."
        elif self.proxy.status == "pending":
            text = "No pending dead letters. Every event was handled, replayed or discarded."
        elif self.proxy.status is None:
            text = "No dead letters yet."
        else:
            text = f"No {self.proxy.status} dead letters."
        self.table.placeholder = text
        self.table.viewport().update()

    # -- selection and inspection -------------------------------------------------------

    def _on_selection(self, *_args: Any) -> None:
        letter = self.current_letter()
        previous = self.details.letter
        self.details.show_letter(letter)
        if letter is not None and (previous is None or previous.id != letter.id):
            self._load_history(letter.id)
            self.letter_decoding.letter_shown(letter)
        self._update_actions()

    def _load_history(self, letter_id: str) -> None:
        if self.log is None or self._closed:
            return
        self._history_token += 1
        token = self._history_token
        log_ = self.log

        async def load() -> None:
            try:
                actions = await asyncio.to_thread(log_.actions, letter_id)
            except Exception as exc:
                log.warning("could not read the history of %s: %s", letter_id, exc)
                return
            if not self.alive():
                return
            shown = self.details.letter
            if token == self._history_token and shown is not None and shown.id == letter_id:
                self.details.show_history(actions)

        with contextlib.suppress(RuntimeError):
            self.spawn(load())

    def _on_double_click(self, index: QModelIndex) -> None:
        letter = self.proxy.letter_at(index.row())
        if letter is not None:
            self.chain_requested.emit(letter.event.chain_id)

    def _request_chain(self) -> None:
        letter = self.current_letter()
        if letter is not None:
            self.chain_requested.emit(letter.event.chain_id)

    def _copy_id(self) -> None:
        letter = self.current_letter()
        if letter is not None:
            QGuiApplication.clipboard().setText(letter.id)

    def _context_menu(self, pos: QPoint) -> None:
        if not self.table.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        for a in (self.replay_action, self.edit_action, self.discard_action):
            menu.addAction(a)
        menu.addSeparator()
        menu.addAction(self.show_chain_action)
        menu.addAction(self.copy_id_action)
        menu.popup(self.table.viewport().mapToGlobal(pos))

    # -- enabling -----------------------------------------------------------------------

    def selected_group_info(self) -> ReasonGroup | None:
        """The selected reason group, or None for "All reasons"."""
        key = self.proxy.group
        if key is None:
            return None
        for group in self.group_model.groups():
            if group.key == key:
                return group
        return None

    def _show_kafka_note(self, text: str, level: str) -> None:
        self.kafka_note.setText(text)
        self.kafka_note.setProperty("level", level)
        self.kafka_note.style().unpolish(self.kafka_note)
        self.kafka_note.style().polish(self.kafka_note)
        self.kafka_note.setVisible(bool(text))

    def say(self, text: str) -> None:
        """A one-line message under the toolbar, cleared after a while."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))
        self._message_timer.start()

    def alive(self) -> bool:
        """False once :meth:`aclose` ran or the widget was deleted: late task results
        are then dropped."""
        return not self._closed and shiboken6.isValid(self)

    def after_action(self) -> None:
        """Reload the table and the selected letter's history (after a replay, a
        discard or an edit)."""
        if not self.alive():
            return
        self.refresh()
        letter = self.details.letter
        if letter is not None:
            self._load_history(letter.id)
        self._update_actions()
