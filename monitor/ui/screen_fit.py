"""Keeping the window on a laptop's screen: views that scroll rather than widen the window,
and a geometry that is brought back onto the screen it is shown on.

A dock's minimum size is its view's, and a main window's minimum is what its docks need:
one view that grows (a long chain summary, a wide form) used to widen the whole window
past the screen, and the next start restored that width. Each view therefore sits in a
:func:`scrolling` area, so the window's minimum no longer depends on any view's; a view
fitted to 1024x700 shows no scroll bar there, and one that is not still works, scrolled.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


class _MinimumHolder(QWidget):
    """Holds one widget at its own full size and tells the scroll area only the widget's
    minimum size. A scroll area asks a widget whose layout wraps text (a word-wrapped
    label) for its *preferred* height at the width given and scrolls below that; the
    holder has no layout, so the area scrolls only below the true minimum."""

    def __init__(self, view: QWidget) -> None:
        super().__init__()
        self._view = view
        view.setParent(self)
        view.installEventFilter(self)
        self.setFocusProxy(view)

    def sizeHint(self) -> QSize:
        # A layout that wraps text can prefer less height than its minimum (its preferred
        # size is taken at a wider width): never ask for less than the minimum.
        return self._view.sizeHint().expandedTo(self.minimumSizeHint())

    def minimumSizeHint(self) -> QSize:
        return self._view.minimumSizeHint().expandedTo(self._view.minimumSize())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._view.setGeometry(self.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._view and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the view's minimum may have changed
            area = self.parentWidget()
            while area is not None and not isinstance(area, _ViewScroller):
                area = area.parentWidget()
            if area is not None:
                area.updateGeometry()  # and with it what the area asks of its layout
        return False


class _ViewScroller(QScrollArea):
    """A scroll area whose size hint follows its widget's. QScrollArea keeps the first
    size hint its widget gave, so a form that grew (a row shown) got the old height and
    scrolled in a card that had room."""

    def sizeHint(self) -> QSize:
        widget = self.widget()
        if widget is None:
            return super().sizeHint()
        frame = 2 * self.frameWidth()
        line = self.fontMetrics().height()
        wanted = widget.sizeHint() + QSize(frame, frame)
        return wanted.boundedTo(QSize(36 * line, 24 * line))  # as QScrollArea bounds it


def scrolling(view: QWidget) -> QScrollArea:
    """``view`` in a frameless scroll area that gives it all its room and scrolls only when
    the room is smaller than the view's minimum size. ``area.widget()`` is a holder of the
    view, not the view itself."""
    area = _ViewScroller()
    area.setObjectName("viewScroller")
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
    holder = _MinimumHolder(view)
    area.setWidget(holder)
    # setWidget() makes the widget fill its background; the views and cards paint their
    # own, and the area's would show as a grey or white box inside a card.
    holder.setAutoFillBackground(False)
    area.viewport().setAutoFillBackground(False)
    area.setStyleSheet("QScrollArea#viewScroller { background: transparent; }")
    area.setFocusProxy(holder)  # focusing the dock's widget focuses the view
    return area


def available_rect(window: QWidget) -> QRect:
    """The available geometry (without panels and docks of the desktop) of the screen the
    window's centre is on, else of the primary screen."""
    centre = window.geometry().center()
    screen = QGuiApplication.screenAt(centre) or window.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def fitted(geometry: QRect, minimum_width: int, minimum_height: int, screen: QRect) -> QRect:
    """``geometry`` made no larger than ``screen`` (but not below the minimum) and moved so
    that it lies on it (as much as a window larger than the screen can)."""
    width = max(min(geometry.width(), screen.width()), minimum_width)
    height = max(min(geometry.height(), screen.height()), minimum_height)
    x = min(max(geometry.x(), screen.left()), screen.right() + 1 - width)
    y = min(max(geometry.y(), screen.top()), screen.bottom() + 1 - height)
    x, y = max(x, screen.left()), max(y, screen.top())  # a window wider than the screen
    return QRect(x, y, width, height)


def fit_on_screen(window: QWidget) -> None:
    """Shrink and move ``window`` (its client geometry; the frame is the desktop's) onto the
    available area of its screen."""
    screen = available_rect(window)
    minimum = window.minimumSizeHint().expandedTo(window.minimumSize())
    target = fitted(window.geometry(), minimum.width(), minimum.height(), screen)
    if target != window.geometry():
        window.setGeometry(target)
