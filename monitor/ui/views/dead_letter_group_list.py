"""The list of reason groups: what failed, how often, in two lines per group.

First line: the exception class (bold) and a count pill; second line: the rest of the
message shape and the handler, muted. "All reasons" sits on top with the total.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from monitor.core.dead_letter_groups import ReasonGroup
from monitor.ui import theme
from monitor.ui.views.dead_letter_model import CountRole, GroupRole, PendingRole

AnyIndex = QModelIndex | QPersistentModelIndex

_PAD = 8


def split_shape(group: ReasonGroup) -> tuple[str, str]:
    """(headline, detail) for a group: ``("UnknownProduct", "product … is not stocked")``."""
    if group.exception and group.key.startswith(group.exception):
        rest = group.key[len(group.exception) :].lstrip(": ").strip()
        return group.exception, rest or "(no message)"
    return group.key or "(no reason)", ""


class ReasonGroupDelegate(QStyledItemDelegate):
    """Paints a group as a two-line card with a count pill (red while any is pending)."""

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        metrics = QFontMetrics(option.font)
        return QSize(200, metrics.height() * 2 + 3 * _PAD // 2 + 4)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        painter.save()
        rect: QRect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        if selected:
            painter.fillRect(rect, QColor(theme.SELECTION))
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), QColor(theme.ACCENT))
        elif hovered:
            painter.fillRect(rect, QColor(theme.ALT_ROW))
        painter.setPen(QColor(theme.BORDER))
        painter.drawLine(rect.left() + _PAD, rect.bottom(), rect.right() - _PAD, rect.bottom())

        group = index.data(GroupRole)
        count = index.data(CountRole) or 0
        if isinstance(group, ReasonGroup):
            headline, detail = split_shape(group)
            if group.handlers:
                detail = f"{detail}  \u00b7  {group.handlers[0]}" if detail else group.handlers[0]
        else:
            headline, detail = "All reasons", "every dead letter shown"

        base: QFont = option.font
        bold = QFont(base)
        bold.setWeight(QFont.Weight.DemiBold)
        small = QFont(base)
        small.setPointSizeF(max(base.pointSizeF() - 1, 7.0))
        line = QFontMetrics(base).height()

        # the count pill, right-aligned on the first line
        pill_text = f"{count:,}"
        pill_font = QFont(small)
        pill_font.setWeight(QFont.Weight.DemiBold)
        pm = QFontMetrics(pill_font)
        pill_w = pm.horizontalAdvance(pill_text) + 14
        pill = QRect(rect.right() - _PAD - pill_w, rect.top() + _PAD, pill_w, line)
        path = QPainterPath()
        path.addRoundedRect(pill, line / 2, line / 2)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        danger = bool(index.data(PendingRole))
        painter.fillPath(path, QColor(theme.DANGER if danger else theme.MUTED_TEXT))
        painter.setFont(pill_font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, pill_text)

        text_left = rect.left() + _PAD + 4
        first = QRect(text_left, rect.top() + _PAD, pill.left() - text_left - 6, line)
        painter.setFont(bold)
        painter.setPen(QColor(theme.TEXT))
        painter.drawText(
            first,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(bold).elidedText(headline, Qt.TextElideMode.ElideRight, first.width()),
        )
        second = QRect(text_left, first.bottom() + 3, rect.right() - _PAD - text_left, line)
        painter.setFont(small)
        painter.setPen(QColor(theme.MUTED_TEXT))
        painter.drawText(
            second,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(small).elidedText(detail, Qt.TextElideMode.ElideRight, second.width()),
        )
        painter.restore()


class ReasonGroupList(QListView):
    """A single-selection list of reason groups, painted by :class:`ReasonGroupDelegate`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reasonGroups")
        self.delegate = ReasonGroupDelegate(self)
        self.setItemDelegate(self.delegate)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setUniformItemSizes(True)
        self.setMouseTracking(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
