"""ElidedLabel: user data shortened to its room, whole in the tooltip and in text()."""

from __future__ import annotations

from typing import Any

from monitor.ui.elided_label import ElidedLabel

LONG = "kafka:payments-production-eu-west-1-primary-cluster"


def test_a_narrow_label_elides_and_says_the_whole_text_in_its_tooltip(qtbot: Any) -> None:
    label = ElidedLabel(LONG)
    qtbot.addWidget(label)
    label.set_detail("where the letter was read")
    assert label.minimumSizeHint().width() < label.fontMetrics().horizontalAdvance(LONG) / 3
    label.resize(120, 20)
    label.show()
    qtbot.waitExposed(label)
    assert label.text() == LONG and label.full_text() == LONG
    assert label.is_elided() and label.shown_text().endswith("\u2026")
    assert label.toolTip() == f"{LONG}\nwhere the letter was read"

    label.resize(label.sizeHint().width() + 10, 20)
    qtbot.waitUntil(lambda: not label.is_elided())
    assert label.shown_text() == LONG
    assert label.toolTip() == "where the letter was read"  # no need to repeat the text
