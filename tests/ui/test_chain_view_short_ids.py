"""The chain id field takes the 8 characters the window shows of an id: the start of a
correlation id or of an event id, found in the event log (read off the UI thread), the
same way the command line finds them; a start that fits several chains names them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.live_feed import LiveFeed
from monitor.ui.views.chain_view import ChainView

T0 = 1_700_000_000.0
FIRST = "24cd9194-5be1-4c55-9d7e-0c1f6c3a1b01"
SECOND = "24cd9194-77aa-4f00-8e21-9a3c55d0e002"
OTHER = "87f7dc2b-0c4e-4a51-b7a1-5f1d3e9c6a03"


def chain(correlation_id: str, prefix: str) -> list[Envelope]:
    placed = Envelope(
        type="OrderPlaced",
        source="shop",
        id=f"{prefix}-placed-0001",
        time=T0,
        correlation_id=correlation_id,
    )
    paid = Envelope(
        type="PaymentAuthorized",
        source="payments",
        id=f"{prefix}-paid-00002",
        time=T0 + 0.01,
        correlation_id=correlation_id,
        causation_id=placed.id,
    )
    return [placed, paid]


@pytest.fixture
def view(tmp_path: Path, run: Any, qtbot: Any) -> Iterator[ChainView]:
    """A chain view on a log that holds three chains, with nothing in memory: every
    lookup goes to the log."""
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        log.append(chain(FIRST, "a1b2c3d4") + chain(SECOND, "e5f6a7b8") + chain(OTHER, "c9d0e1f2"))
    runtime = EmbeddedRuntime(db, demo_rate=None)  # not started: an empty chain index
    shown = ChainView(AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline)))
    qtbot.addWidget(shown)
    shown.resize(1024, 640)
    shown.show()
    qtbot.waitExposed(shown)
    yield shown
    run(runtime.stop())


def type_id(view: ChainView, qtbot: Any, text: str) -> None:
    view.id_field.clear()
    qtbot.keyClicks(view.id_field, text)
    qtbot.keyClick(view.id_field, Qt.Key.Key_Return)


def test_the_start_of_a_correlation_id_opens_its_chain_from_the_log(
    view: ChainView, qtbot: Any
) -> None:
    type_id(view, qtbot, OTHER[:8])
    assert view.busy.isVisible()  # loading: read in a worker thread
    qtbot.waitUntil(lambda: view.status == "shown", timeout=10_000)
    assert view.current_chain_id == OTHER
    assert view.source == "log"
    assert view.graph.node_count() == 2


def test_the_start_of_an_event_id_opens_its_chain_with_that_event_selected(
    view: ChainView, qtbot: Any
) -> None:
    type_id(view, qtbot, "e5f6a7b8-paid")
    qtbot.waitUntil(lambda: view.status == "shown", timeout=10_000)
    assert view.current_chain_id == SECOND
    assert "e5f6a7b8-paid-00002" in view.details.toPlainText()
    assert view.details.toPlainText().startswith("PaymentAuthorized")


def test_a_start_that_fits_two_chains_names_both_and_opens_neither(
    view: ChainView, qtbot: Any
) -> None:
    type_id(view, qtbot, FIRST[:8])
    qtbot.waitUntil(lambda: view.status == "not_found", timeout=10_000)
    message = view.message.text()
    assert FIRST in message and SECOND in message
    assert "could be any of 2 chains" in message
    assert view.headline.text() == "24cd9194 starts more than one chain"
    assert view.current_chain_id is None


def test_a_start_too_short_or_unknown_says_so(view: ChainView, qtbot: Any) -> None:
    type_id(view, qtbot, "24cd")
    qtbot.waitUntil(lambda: view.status == "not_found", timeout=10_000)
    assert "too short" in view.message.text()
    type_id(view, qtbot, "ffffffff")
    qtbot.waitUntil(lambda: view.status == "not_found", timeout=10_000)
    assert "ffffffff" in view.message.text()
    assert view.headline.text() == "No chain or event ffffffff"
