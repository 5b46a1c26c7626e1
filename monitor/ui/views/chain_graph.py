"""The causal graph of one chain: who caused whom, left to right.

:func:`layout_chain` places the nodes (plain Python, no Qt: tested on its own): one column
per causal depth, one row per leaf, a parent centred on its children. Besides the events
there are two kinds of node: a *failed* node (a dead letter) hanging off the event a
handler failed on, and a *ghost* node for the successor a chain is waiting for (amber
once it is overdue). :class:`ChainGraph` draws that layout on a ``QGraphicsScene``:
cards for the nodes, curved arrows for the edges labelled with the hop latency, the
slowest hop in violet, a hop across a dead letter's fix and replay in teal with the time
it took (not a latency), duplicates, replays and orphans marked on their cards.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QMenu,
    QStyleOptionGraphicsItem,
    QWidget,
)

from monitor.core.chain_expectations import ChainHealth, format_latency
from monitor.core.chains import Chain
from monitor.core.envelope import format_time
from monitor.core.wording import count, format_duration, short_id
from monitor.ui import theme
from monitor.ui.event_table_model import format_local_time
from monitor.ui.views.chain_style import (
    ChainColours,
    chain_colours,
    replay_wait_text,
    replayed_text,
    service_name,
)

NodeKind = Literal["event", "failed", "ghost"]
EdgeKind = Literal["flow", "failed", "ghost", "replay"]

NODE_W = 196.0
NODE_H = 78.0
COLUMN_GAP = 92.0  # room for the latency label on the edge
ROW_GAP = 22.0
MAX_ZOOM = 1.25  # a small chain is drawn a little larger, never huge


@dataclass(slots=True)
class GraphNode:
    key: str  # the event id, "dead-letter:<id>" or "ghost:<event id>"
    kind: NodeKind
    event_id: str | None  # the event itself, the failed event, the waiting event
    depth: int = 0
    row: float = 0.0
    title: str = ""
    lines: list[str] = field(default_factory=list)
    tooltip: str = ""
    duplicates: int = 0
    orphan: bool = False
    stalled: bool = False
    letter_id: str | None = None
    badge: str = ""  # a small tag on the card's top edge


@dataclass(frozen=True, slots=True)
class GraphEdge:
    parent: str  # node keys
    child: str
    kind: EdgeKind
    latency_ms: float | None
    slowest: bool = False
    label: str = ""
    stalled: bool = False  # a ghost edge to a successor that is overdue
    tooltip: str = ""

    @property
    def caption(self) -> str:
        """A word above the label, for the edges that are not ordinary hops."""
        return "SLOWEST" if self.slowest else ("REPLAYED" if self.kind == "replay" else "")


def layout_chain(
    chain: Chain, health: ChainHealth | None = None
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Nodes with their column (``depth``) and row, and the edges between them."""
    start = min((e.time for e in chain.events if e.time is not None), default=None)
    slowest = chain.slowest
    nodes: dict[str, GraphNode] = {}
    kids: dict[str, list[str]] = {}
    edges: list[GraphEdge] = []
    for e in chain.events:
        if e.time is None or start is None:
            offset = ""
        elif e.id in {x.child_id for x in chain.edges}:
            offset = f"+{format_latency((e.time - start) * 1000)}"
        else:  # a root: when it happened
            offset = format_local_time(e.time)
        where = service_name(e.source) if e.source else (e.topic or "")
        dup = chain.duplicates.get(e.id, 0)
        replays = chain.replays.get(e.id, [])
        orphan = e.id in chain.orphans
        tip = [
            f"<b>{e.type or '(no type)'}</b>",
            f"id: {e.id}",
            f"source: {e.source}",
            f"topic: {e.topic or '-'}",
            f"time: {format_time(e.time) or '-'}",
        ]
        if e.causation_id:
            tip.append(f"caused by: {e.causation_id}" + (" (never seen)" if orphan else ""))
        if dup:
            tip.append(f"delivered {dup + 1} times")
        tip += [f"replayed from dead letter {letter_id}" for letter_id in replays]
        nodes[e.id] = GraphNode(
            e.id,
            "event",
            e.id,
            title=e.type or "(no type)",
            lines=[where, f"{short_id(e.id)}  {offset}".rstrip()],
            tooltip="<br>".join(tip),
            duplicates=dup,
            orphan=orphan,
            badge=_event_badge(dup, bool(replays), orphan),
        )
    for edge in chain.edges:
        kids.setdefault(edge.parent_id, []).append(edge.child_id)
        if edge.replay:
            wait = edge.replayed_after_ms
            replayed = chain.replayed_event(edge)
            sentence = replayed_text(replayed.type if replayed else "", wait)
            edges.append(
                GraphEdge(
                    edge.parent_id,
                    edge.child_id,
                    "replay",
                    None,
                    label="\u21bb " + (format_duration(wait / 1000) if wait is not None else "?"),
                    tooltip=f"{replay_wait_text(wait)}: a dead letter fixed and replayed, "
                    f"not a latency ({sentence})",
                )
            )
            continue
        is_slowest = slowest is not None and edge == slowest and len(chain.latency_edges) > 1
        label = f"+{format_latency(edge.latency_ms)}"
        edges.append(
            GraphEdge(edge.parent_id, edge.child_id, "flow", edge.latency_ms, is_slowest, label)
        )
    roots = [e.id for e in chain.events if e.id not in {x.child_id for x in chain.edges}]
    for letter in chain.dead_letters:
        key = f"dead-letter:{letter.id}"
        failed_on = letter.event.id
        waited = None
        if letter.event.time is not None:
            waited = (letter.created_at - letter.event.time) * 1000.0
        attempts = count(letter.attempts, "attempt")
        status = "" if letter.status == "pending" else f" ({letter.status})"
        nodes[key] = GraphNode(
            key,
            "failed",
            failed_on,
            title="\u2716 Failed in " + (letter.handler or "a handler") + status,
            lines=[letter.reason or "(no reason)", f"dead letter after {attempts}"],
            tooltip="<br>".join(
                [
                    f"<b>Dead letter</b> {letter.id}",
                    f"handler: {letter.handler or '-'}",
                    f"reason: {letter.reason}",
                    f"attempts: {letter.attempts}",
                    f"topic: {letter.original_topic or '-'}",
                    f"status: {letter.status}",
                ]
            ),
            letter_id=letter.id,
            badge="dead letter",
        )
        if failed_on in nodes:
            kids.setdefault(failed_on, []).append(key)
            edges.append(
                GraphEdge(
                    failed_on, key, "failed", waited, label=f"\u2716 {format_latency(waited)}"
                )
            )
        else:  # the failed event itself is not in the chain (not logged, or evicted)
            roots.append(key)
    for awaited in health.awaited if health is not None else ():
        if awaited.event_id not in nodes:
            continue
        key = f"ghost:{awaited.event_id}"
        exp = awaited.expectation
        if awaited.stalled:
            first = f"not seen for {format_duration(awaited.waited_s)}"
        else:
            first = "not here yet"  # the wait is not redrawn until it is overdue
        if exp.typical_s is not None:
            usual = f"usually within {format_latency(exp.typical_s * 1000)}"
        else:
            usual = f"overdue after {format_duration(exp.timeout_s)}"
        nodes[key] = GraphNode(
            key,
            "ghost",
            awaited.event_id,
            title=exp.next_text,
            lines=[first, usual],
            tooltip=awaited.sentence,
            stalled=awaited.stalled,
            badge="expected, missing" if awaited.stalled else "expected next",
        )
        kids.setdefault(awaited.event_id, []).append(key)
        wait_text = format_duration(awaited.waited_s) if awaited.stalled else "\u2026"
        edges.append(
            GraphEdge(
                awaited.event_id, key, "ghost", None, label=wait_text, stalled=awaited.stalled
            )
        )

    # Rows: leaves in depth-first order; a parent sits in the middle of its children.
    order: list[str] = []
    seen: set[str] = set()
    stack = [(r, 0) for r in reversed(roots)]
    while stack:
        key, depth = stack.pop()
        if key in seen:
            continue
        seen.add(key)
        nodes[key].depth = depth
        order.append(key)
        stack.extend((k, depth + 1) for k in reversed(kids.get(key, [])))
    next_row = 0.0
    for key in order:
        if not kids.get(key):
            nodes[key].row = next_row
            next_row += 1.0
    for key in reversed(order):
        children = [k for k in kids.get(key, []) if k in seen]
        if children:
            nodes[key].row = (nodes[children[0]].row + nodes[children[-1]].row) / 2.0
    return [nodes[k] for k in order], edges


def _event_badge(duplicates: int, replayed: bool, orphan: bool) -> str:
    if duplicates:
        return f"delivered {duplicates + 1}\u00d7"
    if replayed:
        return "replayed"
    return "cause not seen" if orphan else ""


# -- drawing ------------------------------------------------------------------------------


def _fonts() -> tuple[QFont, QFont, QFont]:
    base = QFont(QApplication.font())
    title = QFont(base)
    title.setBold(True)
    small = QFont(base)
    small.setPointSizeF(max(7.5, base.pointSizeF() - 1.0))
    return title, small, theme.monospace_font()


class _Card(QGraphicsItem):
    """One node: a rounded card with a coloured stripe, a title and two lines."""

    def __init__(self, node: GraphNode, colours: ChainColours) -> None:
        super().__init__()
        self.node = node
        self.colours = colours
        self.selected = False
        self.setToolTip(node.tooltip)
        if node.kind != "ghost":
            self.setCursor(Qt.CursorShape.PointingHandCursor)

    def boundingRect(self) -> QRectF:
        return QRectF(-34, -12, NODE_W + 40, NODE_H + 16)

    def _scheme(self) -> tuple[str, str, str, Qt.PenStyle]:
        """(stripe and border colour, fill, title colour, border style)."""
        c, kind = self.colours, self.node.kind
        if kind == "failed":
            return c.failed, c.failed_soft, c.failed, Qt.PenStyle.SolidLine
        if kind == "ghost":
            if self.node.stalled:
                return c.stalled, c.stalled_soft, c.stalled, Qt.PenStyle.DashLine
            return c.muted, c.canvas, c.muted, Qt.PenStyle.DashLine
        return c.flow, c.surface, c.text, Qt.PenStyle.SolidLine

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        c, node = self.colours, self.node
        stripe, fill, title_colour, style = self._scheme()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(0, 0, NODE_W, NODE_H)
        if self.selected:
            painter.setPen(QPen(QColor(c.accent), 2.6))
        else:
            painter.setPen(QPen(QColor(stripe if node.kind != "event" else c.border), 1.2, style))
        painter.setBrush(QColor(fill))
        painter.drawRoundedRect(rect, 7, 7)
        if node.kind != "ghost":  # the coloured edge on the left says what it is
            path = QPainterPath()
            path.addRoundedRect(QRectF(0.6, 0.6, 6, NODE_H - 1.2), 3, 3)
            painter.fillPath(path, QColor(stripe))
        if node.orphan:  # a dangling link: its cause was never seen
            painter.setPen(QPen(QColor(c.stalled), 1.6, Qt.PenStyle.DashLine))
            painter.drawLine(QPointF(-30, NODE_H / 2), QPointF(-2, NODE_H / 2))
            painter.drawText(
                QRectF(-34, NODE_H / 2 - 20, 20, 16), Qt.AlignmentFlag.AlignCenter, "?"
            )
        title_font, small_font, mono = _fonts()
        if node.badge:
            self._badge(painter, small_font)
        left, width = 14.0, NODE_W - 22.0
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        fm = QFontMetricsF(title_font)
        y = 9.0
        painter.setFont(title_font)
        painter.setPen(QColor(title_colour))
        title = node.title if node.kind != "ghost" else "? " + node.title
        painter.drawText(
            QRectF(left, y, width, fm.height()),
            align,
            fm.elidedText(title, Qt.TextElideMode.ElideRight, width),
        )
        y += fm.height() + 3
        small = QFontMetricsF(small_font)
        if node.kind == "failed":  # the reason gets two lines: it is what people read
            painter.setFont(small_font)
            painter.setPen(QColor(c.failed))
            box = QRectF(left, y, width, small.height() * 2)
            flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop) | int(
                Qt.TextFlag.TextWordWrap
            )
            reason = node.lines[0]
            if small.boundingRect(box, flags, reason).height() > box.height():
                reason = small.elidedText(reason, Qt.TextElideMode.ElideRight, width * 1.85)
            painter.drawText(box, flags, reason)
            y += small.height() * 2 + 2
            painter.setPen(QColor(c.muted))
            painter.drawText(QRectF(left, y, width, small.height()), align, node.lines[1])
            return
        for i, line in enumerate(node.lines[:2]):
            font = small_font
            if node.kind == "event" and i == 1:  # the id and time, compared by eye
                font = QFont(mono)
                font.setPointSizeF(max(7.5, mono.pointSizeF() - 1))
            painter.setFont(font)
            colour = c.muted
            if node.kind == "ghost" and i == 0:
                colour = title_colour
            painter.setPen(QColor(colour))
            fm = QFontMetricsF(font)
            painter.drawText(
                QRectF(left, y, width, fm.height()),
                align,
                fm.elidedText(line, Qt.TextElideMode.ElideRight, width),
            )
            y += fm.height() + 3

    def _badge(self, painter: QPainter, font: QFont) -> None:
        c, node = self.colours, self.node
        fm = QFontMetricsF(font)
        text = node.badge
        w, h = fm.horizontalAdvance(text) + 14, fm.height() + 2
        box = QRectF(NODE_W - w - 8, -h / 2, w, h)
        if node.kind == "failed":
            colour, fill, ink = c.failed, c.failed, "#ffffff"
        elif node.kind == "ghost":
            colour = c.stalled if node.stalled else c.muted
            fill, ink = (c.stalled, "#ffffff") if node.stalled else (c.canvas, c.muted)
        elif node.duplicates:
            colour, fill, ink = c.duplicate, c.surface, c.duplicate
        elif node.badge == "replayed":
            colour, fill, ink = c.replay, c.surface, c.replay
        else:
            colour, fill, ink = c.stalled, c.surface, c.stalled
        painter.setPen(QPen(QColor(colour), 1))
        painter.setBrush(QColor(fill))
        painter.drawRoundedRect(box, h / 2, h / 2)
        painter.setFont(font)
        painter.setPen(QColor(ink))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class _Edge(QGraphicsItem):
    """A curved arrow from the right side of one card to the left of the next, with its
    latency in a pill half-way (and "slowest hop" above it on the slowest)."""

    def __init__(
        self, edge: GraphEdge, start: QPointF, end: QPointF, colours: ChainColours
    ) -> None:
        super().__init__()
        self.edge = edge
        self.colours = colours
        self.setZValue(-1)
        self.start, self.end = start, end
        mid = (end.x() - start.x()) / 2
        path = QPainterPath(start)
        path.cubicTo(start + QPointF(mid, 0), end - QPointF(mid, 0), end - QPointF(7, 0))
        self.path = path
        _, small, _ = _fonts()
        self.font = QFont(small)
        self.caption_font = QFont(small)
        self.caption_font.setPointSizeF(max(7.0, small.pointSizeF() - 0.5))
        self.caption_font.setBold(True)
        if edge.slowest:
            self.font.setBold(True)
        fm = QFontMetricsF(self.font)
        w, h = fm.horizontalAdvance(edge.label) + 12, fm.height() + 4
        centre = path.pointAtPercent(0.5)
        self.label_rect = QRectF(centre.x() - w / 2, centre.y() - h / 2, w, h)
        cfm = QFontMetricsF(self.caption_font)
        cw = cfm.horizontalAdvance(edge.caption or "SLOWEST") + 4
        self.caption_rect = QRectF(
            centre.x() - cw / 2, self.label_rect.top() - cfm.height() - 2, cw, cfm.height()
        )
        if edge.tooltip:
            self.setToolTip(edge.tooltip)
        elif edge.latency_ms is not None:
            tips = {"flow": "hop latency", "failed": "from the event to its dead letter"}
            extra = " (the slowest hop of this chain)" if edge.slowest else ""
            self.setToolTip(f"{tips.get(edge.kind, '')}: {format_latency(edge.latency_ms)}{extra}")

    def _colour(self) -> tuple[str, float, Qt.PenStyle]:
        c, e = self.colours, self.edge
        if e.kind == "failed":
            return c.failed, 1.6, Qt.PenStyle.DashLine
        if e.kind == "ghost":
            return (c.stalled if e.stalled else c.muted), 1.6, Qt.PenStyle.DashLine
        if e.kind == "replay":
            return c.replay, 2.2, Qt.PenStyle.DashDotLine
        if e.slowest:
            return c.slowest, 3.2, Qt.PenStyle.SolidLine
        return c.flow, 1.6, Qt.PenStyle.SolidLine

    def boundingRect(self) -> QRectF:
        box = self.path.boundingRect().adjusted(-10, -10, 10, 10).united(self.label_rect)
        return box.united(self.caption_rect)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionGraphicsItem,
        widget: QWidget | None = None,
    ) -> None:
        c, edge = self.colours, self.edge
        colour, width, style = self._colour()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(colour), width, style, Qt.PenCapStyle.RoundCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path)
        tip = self.end
        head = QPolygonF([tip, tip - QPointF(10, 5), tip - QPointF(10, -5)])
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(colour))
        painter.drawPolygon(head)
        fill, ink = c.canvas, c.text
        if edge.slowest:
            fill, ink = c.slowest, "#ffffff"
        elif edge.kind == "failed":
            fill, ink = c.failed_soft, c.failed
        elif edge.kind == "replay":
            fill, ink = c.replay_soft, c.replay
        elif edge.kind == "ghost":
            fill, ink = (c.stalled_soft, c.stalled) if edge.stalled else (c.canvas, c.muted)
        painter.setBrush(QColor(fill))
        painter.setPen(QPen(QColor(colour), 1.0))
        r = self.label_rect.height() / 2
        painter.drawRoundedRect(self.label_rect, r, r)
        painter.setFont(self.font)
        painter.setPen(QColor(ink))
        painter.drawText(self.label_rect, Qt.AlignmentFlag.AlignCenter, edge.label)
        if edge.caption:
            painter.setFont(self.caption_font)
            painter.setPen(QColor(c.slowest if edge.slowest else c.replay))
            painter.drawText(self.caption_rect, Qt.AlignmentFlag.AlignCenter, edge.caption)


class ChainGraph(QGraphicsView):
    """Draws one chain (see the module docstring). Clicking a card emits
    :attr:`event_clicked` with the event id (for a dead letter: the event it failed on)
    and, for a dead letter, :attr:`dead_letter_clicked` with the dead letter's id."""

    event_clicked = Signal(str)
    dead_letter_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.nodes: list[GraphNode] = []
        self.edges: list[GraphEdge] = []
        self._cards: dict[str, _Card] = {}
        self._selected: str | None = None
        self.renders = 0  # how many times a chain was drawn (tests check "no redraw")
        self._apply_background()

    # -- what the view and the tests read ----------------------------------------------

    def node_count(self) -> int:
        """Event nodes only (not dead letters or ghosts)."""
        return sum(1 for n in self.nodes if n.kind == "event")

    def failed_nodes(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "failed"]

    def ghost_nodes(self) -> list[GraphNode]:
        return [n for n in self.nodes if n.kind == "ghost"]

    def flow_edges(self) -> list[GraphEdge]:
        return [e for e in self.edges if e.kind == "flow"]

    def slowest_edge(self) -> GraphEdge | None:
        return next((e for e in self.edges if e.slowest), None)

    def replay_edges(self) -> list[GraphEdge]:
        return [e for e in self.edges if e.kind == "replay"]

    def card_centre(self, key: str) -> QPointF:
        """Where the card of ``key`` is on the viewport (for clicking it in a test)."""
        card = self._cards[key]
        return QPointF(self.mapFromScene(card.sceneBoundingRect().center()))

    # -- drawing -----------------------------------------------------------------------

    def _apply_background(self) -> None:
        self.setBackgroundBrush(QBrush(QColor(chain_colours().canvas)))

    def clear_chain(self) -> None:
        self.scene().clear()
        self._cards.clear()
        self.nodes, self.edges = [], []

    def show_chain(self, chain: Chain, health: ChainHealth | None) -> None:
        self._apply_background()
        colours = chain_colours()
        self.clear_chain()
        self.nodes, self.edges = layout_chain(chain, health)
        positions: dict[str, QPointF] = {}
        for node in self.nodes:
            pos = QPointF(node.depth * (NODE_W + COLUMN_GAP), node.row * (NODE_H + ROW_GAP))
            positions[node.key] = pos
            card = _Card(node, colours)
            card.setPos(pos)
            card.selected = node.key == self._selected
            self.scene().addItem(card)
            self._cards[node.key] = card
        for edge in self.edges:
            if edge.parent not in positions or edge.child not in positions:
                continue
            a, b = positions[edge.parent], positions[edge.child]
            start = a + QPointF(NODE_W, NODE_H / 2)
            end = b + QPointF(0, NODE_H / 2)
            self.scene().addItem(_Edge(edge, start, end, colours))
        self.renders += 1
        self._fit()

    def select(self, event_id: str | None) -> None:
        self._selected = event_id
        for key, card in self._cards.items():
            on = key == event_id
            if card.selected != on:
                card.selected = on
                card.update()

    def _fit(self) -> None:
        rect = self.scene().itemsBoundingRect().adjusted(-40, -24, 40, 24)
        self.setSceneRect(rect)
        self.resetTransform()
        view = self.viewport().rect()
        if rect.width() <= 0 or rect.height() <= 0 or view.width() <= 0:
            return
        scale = min(MAX_ZOOM, view.width() / rect.width(), view.height() / rect.height())
        scale = max(scale, 0.55)  # smaller is unreadable: scroll instead
        self.scale(scale, scale)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    # -- interaction -------------------------------------------------------------------

    def _card_at(self, pos: QPointF) -> _Card | None:
        for item in self.items(pos.toPoint()):
            if isinstance(item, _Card):
                return item
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        card = self._card_at(event.position())
        if card is not None and event.button() == Qt.MouseButton.LeftButton:
            node = card.node
            if node.event_id is not None and node.kind != "ghost":
                self.select(node.event_id if node.kind == "event" else node.key)
                self.event_clicked.emit(node.event_id)
            if node.letter_id is not None:
                self.dead_letter_clicked.emit(node.letter_id)
            event.accept()
            return
        super().mousePressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        card = self._card_at(QPointF(event.pos()))
        if card is None or card.node.event_id is None:
            return
        menu = QMenu(self)
        node = card.node
        clipboard = QApplication.clipboard()
        if node.kind == "event":
            menu.addAction("Copy event id", lambda: clipboard.setText(node.event_id or ""))
        if node.letter_id:
            menu.addAction("Copy dead letter id", lambda: clipboard.setText(node.letter_id or ""))
        menu.popup(event.globalPos())
