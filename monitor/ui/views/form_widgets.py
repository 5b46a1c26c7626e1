"""Widget builders the Publish and Connections views share: cards, named labels, a field
with a button beside it, and the re-polish a style property change needs.

Cards and labels are styled by object name, so the look lives in the stylesheet:
:func:`card_style` is the part of it a view needs for :func:`card`, and
:func:`primary_button_style` the part for a ``primary`` push button (functions: they read
the current theme's colours).
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from monitor.ui import theme


def card_style() -> str:
    return f"""
QFrame#card {{ background: {theme.SURFACE}; border: 1px solid {theme.BORDER}; border-radius: 6px; }}
QLabel#cardTitle {{ color: {theme.TEXT}; font-weight: 600; }}
QLabel#muted {{ color: {theme.MUTED_TEXT}; }}
"""


def primary_button_style() -> str:
    return f"""QPushButton#primary {{
    background: {theme.ACCENT}; color: white; border: 1px solid {theme.ACCENT};
    border-radius: 4px; padding: 5px 16px; font-weight: 600;
}}
QPushButton#primary:disabled {{
    background: {theme.ACCENT_MUTED}; border-color: {theme.ACCENT_MUTED};
}}
QPushButton#primary:focus {{ border: 2px solid {theme.TEXT}; padding: 4px 15px; }}
"""


def card() -> tuple[QFrame, QVBoxLayout]:
    """A framed panel and the layout to fill it with."""
    frame = QFrame()
    frame.setObjectName("card")
    layout = QVBoxLayout(frame)
    layout.setContentsMargins(12, 10, 12, 10)
    layout.setSpacing(8)
    return frame, layout


def label(text: str, name: str) -> QLabel:
    """A label the stylesheet finds by ``name`` (``cardTitle``, ``muted``, ...)."""
    widget = QLabel(text)
    widget.setObjectName(name)
    return widget


def restyle(widget: QWidget, **props: object) -> None:
    """Set dynamic properties the stylesheet selects on; Qt only applies such a change
    after the widget is polished again."""
    for name, value in props.items():
        widget.setProperty(name, value)
    widget.style().unpolish(widget)
    widget.style().polish(widget)


def with_button(edit: QLineEdit, button: QPushButton) -> QWidget:
    """``edit`` taking the row's width, with ``button`` at its right."""
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(6)
    row.addWidget(edit, 1)
    row.addWidget(button)
    return box
