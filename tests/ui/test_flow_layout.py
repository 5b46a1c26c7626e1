"""FlowLayout: a row that wraps instead of clipping, and gives its room to what grows."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLineEdit, QSizePolicy, QWidget

from monitor.ui.flow_layout import FlowLayout


def fixed(width: int) -> QWidget:
    widget = QWidget()
    widget.setFixedSize(width, 24)
    return widget


def test_items_wrap_to_a_new_line_when_the_row_is_too_narrow(qtbot: Any) -> None:
    row = QWidget()
    qtbot.addWidget(row)
    layout = FlowLayout(row, spacing=10, line_spacing=4)
    a, b, c = fixed(100), fixed(100), fixed(100)
    for widget in (a, b, c):
        layout.addWidget(widget)
    assert layout.minimumSize().width() == 100  # the widest item, not the whole row
    assert layout.sizeHint().width() == 320

    row.resize(400, layout.heightForWidth(400))
    row.show()
    qtbot.waitExposed(row)
    assert [w.y() for w in (a, b, c)] == [0, 0, 0]
    assert [w.x() for w in (a, b, c)] == [0, 110, 220]

    assert layout.heightForWidth(250) == 24 + 4 + 24
    row.resize(250, layout.heightForWidth(250))
    qtbot.waitUntil(lambda: c.y() == 28)
    assert (c.x(), b.y()) == (0, 0)


def test_a_growing_item_takes_what_is_left_on_its_line_up_to_its_maximum(qtbot: Any) -> None:
    row = QWidget()
    qtbot.addWidget(row)
    layout = FlowLayout(row, spacing=10)
    button = fixed(100)
    search = QLineEdit()
    search.setMinimumWidth(120)
    search.setMaximumWidth(300)
    search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    layout.addWidget(button)
    layout.addWidget(search)
    row.resize(360, 40)
    row.show()
    qtbot.waitExposed(row)
    qtbot.waitUntil(lambda: search.width() == 250)  # 360 - 100 - 10
    row.resize(800, 40)
    qtbot.waitUntil(lambda: search.width() == 300)  # no wider than its maximum
    row.resize(200, 80)
    qtbot.waitUntil(lambda: search.y() > 0)  # its minimum does not fit beside the button
    assert search.width() == 200
