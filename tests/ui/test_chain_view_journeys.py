"""The chain view where journeys join: a long chain with duplicates, dead letters and a
replay in a 1024x700 window; a failed node that opens its letter in the Dead letters
view; a dead letter fixed and replayed on the bus, whose wait is not latency."""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QScrollArea

from monitor.core.chain_expectations import ChainState
from monitor.core.chains import build_chain
from monitor.core.deadletters import REPLAY_HEADER, DeadLetter
from monitor.core.demo import Scenario
from monitor.core.envelope import Envelope
from monitor.core.eventlog import LogError
from monitor.core.replay import replay_on_bus
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.main_window import MainWindow
from monitor.ui.views.chain_view import merge_chains

SHOTS = Path("/tmp/shots")
CHAIN_ID = "checkout-2026-12-06-eu-west-storefront-" + "7f3c9a2e" * 6
LONG_REASON = (
    "UnknownProduct: product SKU-999 is not stocked in any warehouse "
    "(eu-west, us-east, ap-south answered; the catalogue lists it as discontinued)"
)


@pytest.fixture
def small_window(quiet_runtime: EmbeddedRuntime, qtbot: Any) -> Iterator[MainWindow]:
    """The main window at 1024x700, as on a laptop."""
    win = MainWindow(quiet_runtime)
    win.resize(1024, 700)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if not win.is_closed():
        with qtbot.waitSignal(win.closed, timeout=20_000):
            win.close()
    win.deleteLater()


def step(id_: str, cause: str | None, t: float, type_: str, service: str) -> Envelope:
    return Envelope(
        type=type_,
        source=f"demo-shop/{service}",
        id=id_,
        time=t,
        topic=service,
        correlation_id=CHAIN_ID,
        causation_id=cause,
    )


def long_chain() -> tuple[list[Envelope], list[DeadLetter]]:
    """An order whose payment failed in the warehouse, was fixed and replayed 69.6 s
    later, was shipped (twice delivered), and whose invoice failed (still pending)."""
    t0 = time.time() - 90.0
    placed = step("placed-1", None, t0, "OrderPlaced", "storefront")
    pay = step("pay-1", "placed-1", t0 + 0.012, "PaymentAuthorized", "payments")
    email = step("email-1", "placed-1", t0 + 0.004, "ConfirmationEmailSent", "mailer")
    given_up = DeadLetter(
        event=pay,
        reason=LONG_REASON,
        original_topic="payments",
        handler="warehouse",
        attempts=3,
        created_at=t0 + 0.09,
        status="replayed",
    )
    replay = copy.deepcopy(pay)
    replay.headers = {REPLAY_HEADER: given_up.id}
    reserve = step("reserve-1", "pay-1", t0 + 69.612, "InventoryReserved", "warehouse")
    ship = step("ship-1", "reserve-1", t0 + 69.62, "OrderShipped", "shipping")
    invoice = DeadLetter(
        event=ship,
        reason="InvoiceRejected: the VAT number of customer c-1001 failed validation "
        "at the tax office (VIES answered MS_UNAVAILABLE three times)",
        original_topic="shipping",
        handler="invoicing",
        attempts=3,
        created_at=t0 + 69.7,
    )
    events = [placed, email, email, pay, replay, reserve, ship, ship, ship]
    return events, [given_up, invoice]


def send(runtime: EmbeddedRuntime, qtbot: Any) -> list[DeadLetter]:
    """The long chain through the pipeline (memory and log), as a source would."""
    events, letters = long_chain()
    runtime.pipeline.accept_many(events)
    for letter in letters:
        runtime.pipeline.accept_dead_letter(letter)
    qtbot.waitUntil(lambda: runtime.pipeline.chains.revision(CHAIN_ID) is not None)
    return letters


def in_log(runtime: EmbeddedRuntime, letter_id: str) -> bool:
    assert runtime.log is not None
    try:
        runtime.log.dead_letter(letter_id)
    except LogError:
        return False
    return True


def test_a_long_chain_with_duplicates_dead_letters_and_a_replay_fits_1024x700(
    small_window: MainWindow, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    win = small_window
    letters = send(quiet_runtime, qtbot)
    view = win.chains
    with qtbot.waitSignal(view.chain_shown):
        win.open_chain(CHAIN_ID)
    qtbot.waitUntil(lambda: view.status == "shown")

    # Nothing in the view pushes the window wider, and it needs no more than it has:
    # no scrolling sideways, neither the view in its dock nor the timeline in the view.
    assert win.width() == 1024
    area = win.docks["chains"].widget()
    room = area.width()
    assert view.minimumSizeHint().width() <= room
    if isinstance(area, QScrollArea):  # the window puts each view in a scroll area
        qtbot.waitUntil(lambda: not area.horizontalScrollBar().isVisible())
    assert view.width() <= room
    timeline = view.waterfall_scroll
    assert view.waterfall.minimumSizeHint().width() <= timeline.viewport().width()
    assert not timeline.horizontalScrollBar().isVisible()

    summary = view.summary
    assert "3 duplicate deliveries" in summary.text()
    assert "2 dead letters" in summary.text()
    assert "PaymentAuthorized fixed and replayed after 1 min 9 s" in summary.text()
    assert summary.is_elided()
    assert summary.text() in summary.toolTip()
    assert summary.minimumSizeHint().width() < 200
    headline = view.headline
    assert headline.text().startswith("OrderShipped failed in invoicing after 3 attempts")
    assert headline.minimumSizeHint().width() < 200

    # The minute spent fixing the payment is not the slowest hop.
    slowest = view.graph.slowest_edge()
    assert slowest is not None and slowest.latency_ms is not None and slowest.latency_ms < 20
    (replayed,) = view.graph.replay_edges()
    assert (replayed.parent, replayed.child) == ("pay-1", "reserve-1")
    assert replayed.label.endswith("1 min 9 s") and replayed.latency_ms is None
    (row,) = view.waterfall.replay_rows()
    assert row.event_id == "reserve-1" and row.note == "fixed + replayed 1 min 9 s"
    with qtbot.waitSignal(view.event_selected):
        pos = view.graph.card_centre("pay-1").toPoint()
        qtbot.mouseClick(view.graph.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert f"replayed from dead letter\n  {letters[0].id}" in view.details.toPlainText()
    assert view.health is not None and view.health.state is ChainState.FAILED
    assert len(view.graph.failed_nodes()) == 2

    SHOTS.mkdir(exist_ok=True)
    assert win.grab().save(str(SHOTS / "chain_view_replay_1024x700.png"))
    view.graph.select("reserve-1")
    assert view.grab().save(str(SHOTS / "chain_view_replay_view.png"))


def test_the_failed_node_opens_the_dead_letters_view_with_its_letter_selected(
    small_window: MainWindow, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    win = small_window
    letters = send(quiet_runtime, qtbot)
    pending = letters[1]
    qtbot.waitUntil(lambda: in_log(quiet_runtime, pending.id), timeout=10_000)
    win.open_chain(CHAIN_ID)
    view = win.chains
    qtbot.waitUntil(lambda: view.status == "shown")

    key = f"dead-letter:{pending.id}"
    pos = view.graph.card_centre(key).toPoint()
    with qtbot.waitSignal(view.dead_letter_selected) as clicked:
        qtbot.mouseClick(view.graph.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert clicked.args == [pending.id]

    dead_letters = win.dead_letters
    qtbot.waitUntil(lambda: [d.id for d in dead_letters.selected_letters()] == [pending.id])
    assert not win.docks["dead_letters"].visibleRegion().isEmpty()  # its tab is in front
    assert win.docks["chains"].visibleRegion().isEmpty()
    SHOTS.mkdir(exist_ok=True)
    assert win.grab().save(str(SHOTS / "chain_failed_node_opens_dead_letter.png"))


def test_a_dead_letters_timeline_row_opens_it_too(
    small_window: MainWindow, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    win = small_window
    letters = send(quiet_runtime, qtbot)
    win.open_chain(CHAIN_ID)
    view = win.chains
    qtbot.waitUntil(lambda: view.status == "shown")
    pos = view.waterfall.row_centre(f"dead-letter:{letters[0].id}").toPoint()
    with qtbot.waitSignal(view.dead_letter_selected) as clicked:
        qtbot.mouseClick(view.waterfall, Qt.MouseButton.LeftButton, pos=pos)
    assert clicked.args == [letters[0].id]


def test_a_dead_letter_edited_and_replayed_on_the_bus_shows_its_wait_apart(
    tmp_path: Path, run: Any, qtbot: Any
) -> None:
    # The demo's services with every order carrying the product no warehouse stocks.
    scenario = Scenario(
        payment_decline_rate=0.0,
        warehouse_timeout_rate=0.0,
        poison_sku_rate=1.0,
        duplicate_delivery_rate=0.0,
        products=[
            {"sku": "SKU-999", "name": "Discontinued", "price": 1.0},
            {"sku": "SKU-100", "name": "Espresso beans", "price": 24.9},
        ],
    )
    rt = EmbeddedRuntime(tmp_path / "log.db", demo_rate=0, scenario=scenario, seed=5)
    run(rt.start())
    win = MainWindow(rt)
    try:
        win.resize(1024, 700)
        win.show()
        qtbot.waitExposed(win)
        assert rt.demo is not None and rt.log is not None
        order = run(rt.demo.place_order())
        index = rt.pipeline.chains
        qtbot.waitUntil(lambda: bool(index.failed_ids()), timeout=10_000)
        (letter,) = rt.pipeline.chains.chain(order.id).dead_letters  # type: ignore[union-attr]
        qtbot.waitUntil(lambda: in_log(rt, letter.id), timeout=10_000)

        # The user's fix: the product that exists, then a replay.
        fixed = copy.deepcopy(letter.event)
        fixed.data["items"][0]["sku"] = "SKU-100"
        edited = rt.log.update_dead_letter_event(letter.id, fixed)
        [outcome] = run(replay_on_bus(rt.bus, rt.log, [edited]))
        assert outcome.status == "replayed"
        rt.pipeline.dead_letters_resolved({letter.id: "replayed"})  # as the view does

        win.open_chain(order.id)
        view = win.chains
        qtbot.waitUntil(lambda: view.graph.node_count() == 4, timeout=10_000)
        chain = view.chain
        assert chain is not None
        assert [e.type for e in chain.events] == [
            "OrderPlaced",
            "PaymentAuthorized",
            "InventoryReserved",
            "OrderShipped",
        ]
        assert chain.duplicates == {}  # the replay is not a second delivery
        (hop,) = chain.replay_edges
        assert (chain.event(hop.parent_id), chain.event(hop.child_id)) == (
            chain.events[1],
            chain.events[2],
        )
        assert hop.latency_ms is None and hop.replayed_after_ms is not None
        assert chain.slowest is not None and not chain.slowest.replay
        assert "PaymentAuthorized fixed and replayed after" in view.summary.text()
        assert view.health is not None and view.health.state is ChainState.COMPLETE
        assert "replayed" in [n.badge for n in view.graph.nodes]
    finally:
        with qtbot.waitSignal(win.closed, timeout=20_000):
            win.close()
        win.deleteLater()


def test_a_chain_from_the_log_merged_with_memory_keeps_its_replay() -> None:
    events, letters = long_chain()
    logged = build_chain(CHAIN_ID, events[:5], letters[:1])  # up to the replay
    live = build_chain(CHAIN_ID, events[4:], letters)  # the replay again, and what came
    merged = merge_chains(logged, live)
    assert [(e.parent_id, e.child_id) for e in merged.replay_edges] == [("pay-1", "reserve-1")]
    assert merged.replays == {"pay-1": [letters[0].id]}
    assert "pay-1" not in merged.duplicates
    assert merged.duplicates == {"email-1": 1, "ship-1": 2}
