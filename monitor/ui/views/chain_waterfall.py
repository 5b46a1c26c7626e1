"""The timeline of one chain: a waterfall, one row per event, time running left to right
from the chain's first event.

Each event's bar spans its hop: from the moment its cause happened to its own time, so the
bar's length is the hop latency and its right end is when the event happened. The slowest
hop is violet and says so. A hop across a dead letter's fix and replay is a teal dashed
line with the time it took, not a latency bar. A dead letter gets a red row (from the
failed event to the moment it was given up on); an awaited successor gets a dashed row
running off the right edge, amber once it is overdue. :func:`waterfall_rows` computes the
rows (no Qt); :class:`ChainWaterfall` paints them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QHelpEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import QApplication, QSizePolicy, QToolTip, QWidget

from monitor.core.chain_expectations import ChainHealth, format_latency
from monitor.core.chains import Chain
from monitor.core.envelope import format_time
from monitor.core.wording import count, format_duration, short_id
from monitor.ui import theme
from monitor.ui.views.chain_style import (
    chain_colours,
    replay_wait_text,
    replayed_text,
    service_name,
)

RowKind = Literal["event", "failed", "ghost"]

ROW_H = 28
HEADER_H = 26
LABEL_W = 250  # the event column, and the notes on the right, when there is room
NOTE_W = 210
# In a narrow window (1024 px with the list of chains beside it) both columns give way,
# down to these, so the timeline fits without scrolling sideways.
MIN_LABEL_W = 150
MIN_NOTE_W = 130
MIN_BARS_W = 110
PAD = 10


@dataclass(frozen=True, slots=True)
class WaterfallRow:
    kind: RowKind
    key: str  # event id, "dead-letter:<id>" or "ghost:<event id>"
    event_id: str | None
    label: str
    detail: str
    depth: int
    start_s: float | None  # seconds from the chain's start: where the bar begins
    end_s: float | None  # ... and where it ends (the event's own time)
    latency_ms: float | None
    slowest: bool = False
    stalled: bool = False
    note: str = ""
    tooltip: str = ""
    replay: bool = False  # the hop into this event spans a dead letter's fix and replay


def waterfall_rows(chain: Chain, health: ChainHealth | None = None) -> list[WaterfallRow]:
    """The rows of the waterfall, in causal order (see the module docstring)."""
    times = [e.time for e in chain.events if e.time is not None]
    start = min(times) if times else None
    by_id = {e.id: e for e in chain.events}
    parent = {edge.child_id: edge for edge in chain.edges}
    slowest = chain.slowest if len(chain.latency_edges) > 1 else None

    def offset(t: float | None) -> float | None:
        return t - start if t is not None and start is not None else None

    letters: dict[str, list[WaterfallRow]] = {}
    for letter in chain.dead_letters:
        failed_on = letter.event.id
        event = by_id.get(failed_on, letter.event)
        a, b = offset(event.time), offset(letter.created_at)
        ms = (b - a) * 1000 if a is not None and b is not None else None
        attempts = count(letter.attempts, "attempt")
        letters.setdefault(failed_on, []).append(
            WaterfallRow(
                "failed",
                f"dead-letter:{letter.id}",
                failed_on,
                "\u2716 dead letter",
                letter.handler or "",
                0,
                a,
                b,
                ms,
                note=f"{letter.reason}" if letter.reason else "failed",
                tooltip=(
                    f"<b>Dead letter</b> after {attempts}<br>handler: {letter.handler or '-'}"
                    f"<br>{letter.reason}<br>status: {letter.status}"
                ),
            )
        )
    ghosts: dict[str, WaterfallRow] = {}
    for awaited in health.awaited if health is not None else ():
        waiting = by_id.get(awaited.event_id)
        if waiting is None:
            continue
        exp = awaited.expectation
        note = (
            f"not seen for {format_duration(awaited.waited_s)}"
            if awaited.stalled
            else f"due within {format_duration(exp.timeout_s)}"
        )
        ghosts[awaited.event_id] = WaterfallRow(
            "ghost",
            f"ghost:{awaited.event_id}",
            awaited.event_id,
            ("expected " if awaited.stalled else "next: ") + exp.next_text,
            "",
            chain.depth.get(awaited.event_id, 0) + 1,
            offset(waiting.time),
            None,
            None,
            stalled=awaited.stalled,
            note=note,
            tooltip=awaited.sentence,
        )

    rows: list[WaterfallRow] = []
    for e in chain.events:
        edge = parent.get(e.id)
        cause = by_id.get(edge.parent_id) if edge is not None else None
        end = offset(e.time)
        begin = offset(cause.time) if cause is not None else end
        latency = edge.latency_ms if edge is not None else None
        is_slowest = slowest is not None and edge == slowest
        replay = edge is not None and edge.replay
        hop = f"<br>hop: +{format_latency(latency)}" if latency is not None else ""
        if edge is None:
            note = "cause not seen" if e.id in chain.orphans else "start"
        elif replay:
            note = replay_wait_text(edge.replayed_after_ms)
            replayed = chain.replayed_event(edge)
            sentence = replayed_text(replayed.type if replayed else "", edge.replayed_after_ms)
            hop = f"<br>{sentence}: the time a dead letter waited, not a latency"
        else:
            note = f"+{format_latency(latency)}"
        if chain.duplicates.get(e.id):
            note += f"  \u00b7 delivered {chain.duplicates[e.id] + 1}\u00d7"
        rows.append(
            WaterfallRow(
                "event",
                e.id,
                e.id,
                e.type or "(no type)",
                service_name(e.source) if e.source else (e.topic or ""),
                chain.depth.get(e.id, 0),
                begin,
                end,
                latency,
                slowest=is_slowest,
                note=note,
                tooltip=(
                    f"<b>{e.type}</b> {short_id(e.id, 12)}<br>{format_time(e.time) or ''}"
                    + (
                        f"<br>at +{format_latency(end * 1000)} from the start"
                        if end is not None
                        else ""
                    )
                    + hop
                ),
                replay=replay,
            )
        )
        for row in letters.pop(e.id, []):
            rows.append(_with_depth(row, chain.depth.get(e.id, 0) + 1))
        if e.id in ghosts:
            rows.append(ghosts[e.id])
    for rest in letters.values():  # dead letters of events not in the chain
        rows.extend(rest)
    return rows


def _with_depth(row: WaterfallRow, depth: int) -> WaterfallRow:
    return WaterfallRow(
        row.kind,
        row.key,
        row.event_id,
        row.label,
        row.detail,
        depth,
        row.start_s,
        row.end_s,
        row.latency_ms,
        row.slowest,
        row.stalled,
        row.note,
        row.tooltip,
        row.replay,
    )


def nice_step(span_s: float, target: int = 6) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about ``target`` ticks."""
    if span_s <= 0:
        return 0.001
    raw = span_s / target
    power = 10.0 ** math.floor(math.log10(raw))
    for m in (1.0, 2.0, 5.0):
        if m * power >= raw:
            return m * power
    return 10.0 * power


def tick_text(seconds: float) -> str:
    """An axis label: ``5 ms``, ``250 ms``, ``1.5 s`` (no needless decimals)."""
    ms = seconds * 1000
    if ms < 1000:
        return f"{ms:.3g} ms"
    return f"{seconds:.3g} s"


class ChainWaterfall(QWidget):
    """Paints :func:`waterfall_rows`. Click a row: :attr:`event_clicked` (event id); a
    dead letter's row also :attr:`dead_letter_clicked` (the letter's id)."""

    event_clicked = Signal(str)
    dead_letter_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[WaterfallRow] = []
        self._selected: str | None = None
        self._span = 0.001
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Minimum)

    # -- what the view and the tests read ----------------------------------------------

    def bar_count(self) -> int:
        """One bar per event."""
        return sum(1 for r in self.rows if r.kind == "event")

    def slowest_row(self) -> WaterfallRow | None:
        return next((r for r in self.rows if r.slowest), None)

    def replay_rows(self) -> list[WaterfallRow]:
        return [r for r in self.rows if r.replay]

    def row_centre(self, key: str) -> QPointF:
        i = next(i for i, r in enumerate(self.rows) if r.key == key)
        return QPointF(self._label_w() / 2, HEADER_H + i * ROW_H + ROW_H / 2)

    # -- data --------------------------------------------------------------------------

    def show_chain(self, chain: Chain, health: ChainHealth | None) -> None:
        self.rows = waterfall_rows(chain, health)
        ends = [
            t for r in self.rows if r.kind != "ghost" for t in (r.start_s, r.end_s) if t is not None
        ]
        self._span = max([*ends, 0.001])
        if any(r.kind == "ghost" for r in self.rows):
            self._span *= 1.35  # room on the right for the wait of a missing successor
        self.updateGeometry()
        self.update()

    def clear_chain(self) -> None:
        self.rows = []
        self.updateGeometry()
        self.update()

    def select(self, event_id: str | None) -> None:
        if event_id != self._selected:
            self._selected = event_id
            self.update()

    def sizeHint(self) -> QSize:
        return QSize(900, HEADER_H + max(1, len(self.rows)) * ROW_H + PAD)

    def minimumSizeHint(self) -> QSize:
        width = MIN_LABEL_W + MIN_NOTE_W + MIN_BARS_W + 2 * PAD
        return QSize(width, HEADER_H + max(1, len(self.rows)) * ROW_H + PAD)

    # -- geometry ----------------------------------------------------------------------

    def _bar_area(self) -> tuple[float, float]:
        x0 = self._label_w() + PAD
        x1 = max(x0 + 60.0, self.width() - self._note_w() - PAD)
        return x0, x1

    def _label_w(self) -> float:
        return min(LABEL_W, max(MIN_LABEL_W, self.width() * 0.3))

    def _note_w(self) -> float:
        return min(NOTE_W, max(MIN_NOTE_W, self.width() * 0.24))

    def _x(self, t: float) -> float:
        x0, x1 = self._bar_area()
        return x0 + (x1 - x0) * (t / self._span)

    def _row_at(self, y: float) -> WaterfallRow | None:
        i = int((y - HEADER_H) // ROW_H)
        return self.rows[i] if 0 <= i < len(self.rows) and y >= HEADER_H else None

    # -- painting ----------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        c = chain_colours()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor(c.canvas))
        base = QFont(QApplication.font())
        bold = QFont(base)
        bold.setBold(True)
        small = QFont(base)
        small.setPointSizeF(max(7.5, base.pointSizeF() - 1.0))
        x0, x1 = self._bar_area()
        width = self.width()

        # time axis and grid: as many ticks as their labels have room for, up to six
        p.setFont(small)
        fm_small = QFontMetricsF(small)
        widest = max(tick_text(self._span), "8.88 ms", key=fm_small.horizontalAdvance)
        label_w = fm_small.horizontalAdvance(widest) + 16
        step = nice_step(self._span, target=max(1, min(6, int((x1 - x0) / label_w))))
        n_ticks = int(self._span / step + 1e-9)
        bottom = HEADER_H + len(self.rows) * ROW_H
        for i in range(n_ticks + 1):
            t = i * step
            x = self._x(t)
            p.setPen(QPen(QColor(c.grid), 1))
            p.drawLine(QPointF(x, HEADER_H - 4), QPointF(x, bottom))
            p.setPen(QColor(c.muted))
            text = "0" if i == 0 else tick_text(t)
            tw = fm_small.horizontalAdvance(text)
            # centred on its tick, but never past the bar area (the notes' header is there)
            p.drawText(QPointF(min(x - tw / 2, x1 - tw) if i else x, HEADER_H - 9), text)
        p.setPen(QColor(c.muted))
        p.drawText(QPointF(PAD, HEADER_H - 9), "event")
        p.drawText(QPointF(x1 + PAD + 4, HEADER_H - 9), "hop latency")
        p.setPen(QPen(QColor(c.border), 1))
        p.drawLine(QPointF(0, HEADER_H - 0.5), QPointF(width, HEADER_H - 0.5))

        fm_bold, fm_base = QFontMetricsF(bold), QFontMetricsF(base)
        for i, row in enumerate(self.rows):
            top = HEADER_H + i * ROW_H
            mid = top + ROW_H / 2
            selected = self._selected is not None and row.key == self._selected
            if selected:
                p.fillRect(QRectF(0, top, width, ROW_H), QColor(theme.SELECTION))
            elif row.slowest:
                p.fillRect(QRectF(0, top, width, ROW_H), QColor(c.slowest_soft))
            elif row.kind == "failed":
                p.fillRect(QRectF(0, top, width, ROW_H), QColor(c.failed_soft))
            elif row.kind == "ghost" and row.stalled:
                p.fillRect(QRectF(0, top, width, ROW_H), QColor(c.stalled_soft))
            colour = {
                "event": c.slowest if row.slowest else (c.replay if row.replay else c.flow),
                "failed": c.failed,
                "ghost": c.stalled if row.stalled else c.muted,
            }[row.kind]

            # label column: indented by causal depth
            indent = PAD + min(row.depth, 8) * 12.0
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(colour))
            p.drawEllipse(QPointF(indent + 4, mid), 3.5, 3.5)
            label_font = bold if row.kind == "event" else base
            p.setFont(label_font)
            p.setPen(QColor(c.text if row.kind == "event" else colour))
            room = self._label_w() - indent - 14
            fm = fm_bold if row.kind == "event" else fm_base
            label = fm.elidedText(row.label, Qt.TextElideMode.ElideRight, room)
            p.drawText(QRectF(indent + 14, top, room, ROW_H), Qt.AlignmentFlag.AlignVCenter, label)
            used = fm.horizontalAdvance(label) + 8
            if row.detail and used < room - 30:
                p.setFont(small)
                p.setPen(QColor(c.muted))
                detail = fm_small.elidedText(row.detail, Qt.TextElideMode.ElideRight, room - used)
                p.drawText(
                    QRectF(indent + 14 + used, top, room - used, ROW_H),
                    Qt.AlignmentFlag.AlignVCenter,
                    detail,
                )

            # the bar
            if row.kind == "ghost" and row.start_s is not None:
                a = self._x(row.start_s)
                pen = QPen(QColor(colour), 2, Qt.PenStyle.DashLine)
                p.setPen(pen)
                p.drawLine(QPointF(a, mid), QPointF(x1, mid))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(colour))
                p.drawPolygon(
                    QPolygonF([QPointF(x1 + 6, mid), QPointF(x1, mid - 5), QPointF(x1, mid + 5)])
                )
            elif row.replay and row.start_s is not None and row.end_s is not None:
                # Not a latency: a dashed line from the failed event to the next step.
                a, b = self._x(row.start_s), self._x(row.end_s)
                p.setPen(QPen(QColor(colour), 2, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(a, mid), QPointF(b, mid))
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(colour))
                p.drawEllipse(QPointF(b, mid), 3.5, 3.5)
            elif row.start_s is not None and row.end_s is not None:
                a, b = self._x(row.start_s), self._x(row.end_s)
                h = 12.0 if row.slowest else 9.0
                if b - a >= 1.0:
                    fill = QColor(colour)
                    if row.kind == "event" and not row.slowest:
                        fill = QColor(c.flow_soft)
                    p.setPen(QPen(QColor(colour), 1))
                    p.setBrush(fill)
                    p.drawRoundedRect(QRectF(a, mid - h / 2, b - a, h), 3, 3)
                p.setPen(Qt.PenStyle.NoPen)
                p.setBrush(QColor(colour))
                if row.kind == "failed":
                    p.setPen(QPen(QColor(colour), 2.2))
                    p.drawLine(QPointF(b - 4, mid - 4), QPointF(b + 4, mid + 4))
                    p.drawLine(QPointF(b - 4, mid + 4), QPointF(b + 4, mid - 4))
                elif row.latency_ms is None:  # a root: a diamond at its moment
                    p.drawPolygon(
                        QPolygonF(
                            [
                                QPointF(b, mid - 6),
                                QPointF(b + 6, mid),
                                QPointF(b, mid + 6),
                                QPointF(b - 6, mid),
                            ]
                        )
                    )
                else:
                    p.drawEllipse(QPointF(b, mid), 3.5, 3.5)

            # the note on the right
            note = row.note
            note_font = small
            if row.slowest:
                note = f"{row.note}  slowest hop"
                note_font = bold
            p.setFont(note_font)
            p.setPen(QColor(colour if row.kind != "event" or row.slowest or row.replay else c.text))
            if row.kind == "event" and row.latency_ms is None and not row.replay:
                p.setPen(QColor(c.muted))
            fmn = QFontMetricsF(note_font)
            room = width - x1 - 2 * PAD
            p.drawText(
                QRectF(x1 + PAD + 4, top, room, ROW_H),
                Qt.AlignmentFlag.AlignVCenter,
                fmn.elidedText(note, Qt.TextElideMode.ElideRight, room),
            )
            p.setPen(QPen(QColor(c.grid), 1))
            p.drawLine(QPointF(0, top + ROW_H - 0.5), QPointF(width, top + ROW_H - 0.5))
        p.end()

    # -- interaction -------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        row = self._row_at(event.position().y())
        if row is not None and row.event_id is not None and row.kind != "ghost":
            self.select(row.key)
            self.event_clicked.emit(row.event_id)
            if row.kind == "failed":
                self.dead_letter_clicked.emit(row.key.removeprefix("dead-letter:"))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        row = self._row_at(event.position().y())
        clickable = row is not None and row.kind != "ghost"
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        )
        super().mouseMoveEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            row = self._row_at(event.pos().y())
            if row is not None and row.tooltip:
                QToolTip.showText(event.globalPos(), row.tooltip, self)
            else:
                QToolTip.hideText()
            return True
        return super().event(event)
