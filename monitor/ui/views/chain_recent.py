"""The list of recent chains to pick from, with a filter for the ones that need a look.

Filled from the :class:`~monitor.core.chains.ChainIndex` on the view's timer (about once a
second), judged by the view's :class:`~monitor.core.chain_expectations.ExpectationModel`.
The work per refresh is bounded: at most ``SHOWN`` chains are listed, judged from their
raw events (no chain is built), and the search for stalled chains walks the whole index
a slice at a time (:class:`StalledScanner`). While the pointer is over the list
it holds still, so the chain under it can be clicked even when hundreds arrive a second.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from monitor.core.chain_expectations import ChainState, ExpectationModel
from monitor.core.chains import Chain, ChainIndex
from monitor.core.wording import count, format_duration, short_id
from monitor.ui import theme
from monitor.ui.views.chain_style import STATE_TITLES, chain_colours, state_colour

SHOWN = 100

ID_ROLE = Qt.ItemDataRole.UserRole
STATE_ROLE = Qt.ItemDataRole.UserRole + 1
SUBTITLE_ROLE = Qt.ItemDataRole.UserRole + 2

FILTERS = (
    ("All recent chains", "all"),
    ("Failed (dead letters)", "failed"),
    ("Stalled", "stalled"),
)


@dataclass(frozen=True, slots=True)
class RecentChain:
    correlation_id: str
    first_type: str
    last_type: str
    events: int
    state: ChainState
    last_time: float | None

    @property
    def title(self) -> str:
        if self.events == 1:
            return self.first_type
        return f"{self.first_type} \u2192 {self.last_type}"

    def subtitle(self, now: float) -> str:
        events = count(self.events, "event")
        parts = [short_id(self.correlation_id, 8), events]
        if self.last_time is not None:
            age = now - self.last_time
            parts.append("just now" if age < 1.0 else f"{format_duration(age)} ago")
        return "  \u00b7  ".join(parts)


def held_chains(index: ChainIndex, ids: list[str], event_budget: int) -> Iterator[Chain]:
    """The chains ``ids`` still held, built, in order, until ``event_budget`` events were
    built (for learning: the model wants whole chains)."""
    spent = 0
    for cid in ids:
        revision = index.revision(cid)
        if revision is None:
            continue
        spent += revision[0]
        if spent > event_budget:
            return
        chain = index.chain(cid)
        if chain is not None and chain.events:
            yield chain


def describe(
    index: ChainIndex, model: ExpectationModel, cid: str
) -> tuple[RecentChain, ChainState] | None:
    """One list entry from the chain's raw events (no chain is built: this runs for many
    chains a second). ``None`` when the chain is no longer held or is empty."""
    held = index.held(cid)
    if held is None or not held[0]:
        return None
    events, letters = held
    timed = [e for e in events if e.time is not None]
    first = min(timed, key=lambda e: e.time or 0.0) if timed else events[0]
    last = max(timed, key=lambda e: e.time or 0.0) if timed else events[-1]
    state = model.assess_events(events, letters).state
    entry = RecentChain(
        cid,
        first.type or "?",
        last.type or "?",
        len({e.id for e in events}),
        state,
        last.time,
    )
    return entry, state


def summarise(index: ChainIndex, model: ExpectationModel, ids: list[str]) -> list[RecentChain]:
    """Describe the chains ``ids`` (those no longer held are left out)."""
    out = []
    for cid in ids:
        described = describe(index, model, cid)
        if described is not None:
            out.append(described[0])
    return out


class StalledScanner:
    """Finds stalled chains anywhere in the index with a bounded cost per call.

    A stalled chain is one nobody touched for a while, so it sits among the older chains,
    not the newest. Each :meth:`scan` looks at the next ``per_scan`` chains of the index
    (newest to oldest, then round again) and remembers the stalled ones it met; listing
    re-checks what it remembers, so a chain that went on, or left memory, drops out.
    """

    def __init__(self, per_scan: int = 400, remember: int = 120) -> None:
        self.per_scan = per_scan
        self.remember = remember
        self._cursor = 0
        self._found: dict[str, None] = {}

    def scan(self, index: ChainIndex, model: ExpectationModel) -> list[RecentChain]:
        ids = index.ids()[::-1]  # newest first
        if self._cursor >= len(ids):
            self._cursor = 0
        for cid in ids[self._cursor : self._cursor + self.per_scan]:
            described = describe(index, model, cid)
            if described is not None and described[1] is ChainState.STALLED:
                self._found.pop(cid, None)
                self._found[cid] = None
        self._cursor += self.per_scan
        while len(self._found) > self.remember:
            del self._found[next(iter(self._found))]
        stalled: list[RecentChain] = []
        for cid in list(self._found):
            described = describe(index, model, cid)
            if described is None or described[1] is not ChainState.STALLED:
                del self._found[cid]
            else:
                stalled.append(described[0])
        stalled.sort(key=lambda c: c.last_time or 0.0, reverse=True)
        return stalled[:SHOWN]


def chains_for_filter(
    index: ChainIndex, model: ExpectationModel, mode: str, scanner: StalledScanner
) -> list[RecentChain]:
    """The chains the list shows for filter ``mode`` (``all``, ``failed``, ``stalled``)."""
    if mode == "failed":
        return summarise(index, model, index.failed_ids(SHOWN))
    if mode == "stalled":
        return scanner.scan(index, model)
    return summarise(index, model, index.recent_ids(SHOWN))


class _ChainItemDelegate(QStyledItemDelegate):
    """Two lines per chain: a state dot and the flow (first -> last type) on top, the
    short id, the event count and the age below in a muted colour."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        fm = QFontMetricsF(option.font)
        return QSize(200, int(fm.height() * 2 + 14))

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        c = chain_colours()
        rect = QRectF(option.rect)
        state_value = index.data(STATE_ROLE)
        state = ChainState(state_value) if state_value else None
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.fillRect(rect, QColor(theme.SELECTION))
        elif hovered:
            painter.fillRect(rect, QColor(theme.ALT_ROW))
        if state in (ChainState.FAILED, ChainState.STALLED):  # a coloured edge: look here
            painter.fillRect(
                QRectF(rect.left(), rect.top() + 2, 3, rect.height() - 4),
                QColor(state_colour(state)),
            )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(state_colour(state)))
        font = QFont(option.font)
        fm = QFontMetricsF(font)
        top = rect.top() + 6
        painter.drawEllipse(QPointF(rect.left() + 13, top + fm.height() / 2), 4.5, 4.5)
        left = rect.left() + 26
        width = rect.width() - 32
        title = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if state is ChainState.FAILED:
            font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(c.failed if state is ChainState.FAILED else c.text))
        painter.drawText(
            QRectF(left, top, width, fm.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetricsF(font).elidedText(title, Qt.TextElideMode.ElideRight, width),
        )
        small = QFont(option.font)
        small.setPointSizeF(max(7.5, small.pointSizeF() - 1.0))
        painter.setFont(small)
        painter.setPen(QColor(c.muted))
        subtitle = str(index.data(SUBTITLE_ROLE) or "")
        sfm = QFontMetricsF(small)
        painter.drawText(
            QRectF(left, top + fm.height() + 1, width, sfm.height()),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            sfm.elidedText(subtitle, Qt.TextElideMode.ElideRight, width),
        )
        painter.setPen(QColor(c.grid))
        painter.drawLine(QPointF(rect.left(), rect.bottom()), QPointF(rect.right(), rect.bottom()))
        painter.restore()


class RecentChainsList(QWidget):
    """A filter and a list; a click (or Enter) on a chain emits :attr:`chain_picked`."""

    chain_picked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        title = QLabel("Recent chains")
        title.setObjectName("sectionTitle")
        self.filter = QComboBox()
        for text, mode in FILTERS:
            self.filter.addItem(text, mode)
        self.filter.setToolTip("Show every recent chain, or only those that need a look")
        self.list = QListWidget()
        self.list.setObjectName("recentChains")
        self.list.setItemDelegate(_ChainItemDelegate(self.list))
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.empty = QLabel("No chains yet: they appear as events arrive.")
        self.empty.setObjectName("sectionHint")
        self.empty.setWordWrap(True)
        self.list.itemClicked.connect(self._picked)
        self.list.itemActivated.connect(self._picked)
        head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(title)
        head.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.filter)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        self._shown: list[RecentChain] = []
        self._current: str | None = None

    @property
    def mode(self) -> str:
        return str(self.filter.currentData())

    def ids(self) -> list[str]:
        return [c.correlation_id for c in self._shown]

    def holds_still(self) -> bool:
        """True while the pointer is over the list: refreshing now would move the target."""
        return self.list.underMouse()

    def set_current(self, correlation_id: str | None) -> None:
        """Mark the chain the view shows (if listed)."""
        self._current = correlation_id
        for i in range(self.list.count()):
            item = self.list.item(i)
            on = item.data(ID_ROLE) == correlation_id
            if item.isSelected() != on:
                item.setSelected(on)

    def update_chains(self, chains: list[RecentChain], now: float) -> None:
        self._shown = chains
        lst = self.list
        lst.setUpdatesEnabled(False)
        try:
            while lst.count() > len(chains):
                lst.takeItem(lst.count() - 1)
            for i, c in enumerate(chains):
                item = lst.item(i)
                if item is None:
                    item = QListWidgetItem()
                    lst.addItem(item)
                # Only what changed is set: an unchanged item is not repainted.
                if item.text() != c.title:
                    item.setText(c.title)
                subtitle = c.subtitle(now)
                if item.data(SUBTITLE_ROLE) != subtitle:
                    item.setData(SUBTITLE_ROLE, subtitle)
                if item.data(ID_ROLE) != c.correlation_id:
                    item.setData(ID_ROLE, c.correlation_id)
                    item.setToolTip(c.correlation_id)
                if item.data(STATE_ROLE) != c.state.value:
                    item.setData(STATE_ROLE, c.state.value)
                    item.setStatusTip(STATE_TITLES[c.state])
            self.set_current(self._current)
        finally:
            lst.setUpdatesEnabled(True)
        self.empty.setVisible(not chains)
        if not chains:
            self.empty.setText(
                {
                    "failed": "No failed chain among the recent ones.",
                    "stalled": "No stalled chain among the recent ones.",
                }.get(self.mode, "No chains yet: they appear as events arrive.")
            )

    def item_rect_centre(self, correlation_id: str) -> tuple[int, int]:
        """Where the item of that chain is on the list's viewport (for a test's click)."""
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(ID_ROLE) == correlation_id:
                rect = self.list.visualItemRect(item)
                return rect.center().x(), rect.center().y()
        raise KeyError(correlation_id)

    def _picked(self, item: QListWidgetItem) -> None:
        cid = item.data(ID_ROLE)
        if isinstance(cid, str):
            self.chain_picked.emit(cid)
