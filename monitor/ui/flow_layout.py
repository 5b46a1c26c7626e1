"""A layout that wraps: items left to right, and on the next line when the room runs out.

For tool rows that must fit a narrow window without clipping a button: the row is as
narrow as its widest item, and grows a line taller instead of wider. Items keep their
preferred width; an item whose horizontal size policy expands (a search field, a
spacer) starts from its minimum and shares what is left on its line, in proportion to
its horizontal stretch (0 counts as 1), up to its maximum width.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QSizePolicy, QWidget


@dataclass(slots=True)
class _Placed:
    item: QLayoutItem
    width: int
    grows: bool
    weight: int


class FlowLayout(QLayout):
    """See the module docstring. ``spacing`` is the gap between items on a line,
    ``line_spacing`` the gap between lines."""

    def __init__(
        self, parent: QWidget | None = None, *, spacing: int = 6, line_spacing: int = 6
    ) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self._line_gap = line_spacing
        self.setContentsMargins(QMargins(0, 0, 0, 0))

    # -- QLayout ----------------------------------------------------------------------------

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        """Everything on one line."""
        visible = self._visible()
        width = sum(i.sizeHint().width() for i in visible) + self._gap * max(0, len(visible) - 1)
        height = max((i.sizeHint().height() for i in visible), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """As narrow as the widest item, one line tall: the height a width needs is
        :meth:`heightForWidth`, which the layout above asks when it places this one (a
        minimum height for the narrowest case would make every window that tall)."""
        visible = self._visible()
        width = max((self._base_width(i) for i in visible), default=0)
        height = max((i.minimumSize().height() for i in visible), default=0)
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    # -- placing ----------------------------------------------------------------------------

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not i.isEmpty()]

    @staticmethod
    def _grows(item: QLayoutItem) -> bool:
        widget = item.widget()
        policy = widget.sizePolicy() if widget is not None else None
        if policy is None:
            return bool(item.expandingDirections() & Qt.Orientation.Horizontal)
        return bool(policy.horizontalPolicy().value & QSizePolicy.PolicyFlag.ExpandFlag.value)

    @staticmethod
    def _weight(item: QLayoutItem) -> int:
        widget = item.widget()
        stretch = widget.sizePolicy().horizontalStretch() if widget is not None else 0
        return max(1, stretch)

    def _base_width(self, item: QLayoutItem) -> int:
        if self._grows(item):
            return item.minimumSize().width()
        return max(item.sizeHint().width(), item.minimumSize().width())

    def _lines(self, width: int) -> list[list[_Placed]]:
        lines: list[list[_Placed]] = []
        line: list[_Placed] = []
        used = 0
        for item in self._visible():
            base = min(self._base_width(item), width)
            needed = base if not line else used + self._gap + base
            if line and needed > width:
                lines.append(line)
                line, needed = [], base
            line.append(_Placed(item, base, self._grows(item), self._weight(item)))
            used = needed
        if line:
            lines.append(line)
        for placed in lines:
            self._share_leftover(placed, width)
        return lines

    def _share_leftover(self, line: list[_Placed], width: int) -> None:
        leftover = width - sum(p.width for p in line) - self._gap * (len(line) - 1)
        growing = [p for p in line if p.grows]
        while leftover > 0 and growing:
            total = sum(p.weight for p in growing)
            given = 0
            still: list[_Placed] = []
            for p in growing:
                share = leftover * p.weight // total or 1
                room = p.item.maximumSize().width() - p.width
                step = max(0, min(share, room, leftover - given))
                p.width += step
                given += step
                if room > step:
                    still.append(p)
            if given == 0:
                break
            leftover -= given
            growing = still

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        y = area.y()
        lines = self._lines(max(1, area.width()))
        for n, line in enumerate(lines):
            height = max(p.item.sizeHint().height() for p in line)
            if n:
                y += self._line_gap
            x = area.x()
            for p in line:
                if apply:
                    item_height = min(height, p.item.maximumSize().height())
                    top = y + (height - item_height) // 2
                    p.item.setGeometry(QRect(QPoint(x, top), QSize(p.width, item_height)))
                x += p.width + self._gap
            y += height
        return y - area.y() + m.top() + m.bottom()


__all__ = ["FlowLayout"]
