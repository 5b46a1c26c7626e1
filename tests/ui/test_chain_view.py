"""The correlation chain view, driven as a user would: type or paste an id, press Enter,
click a recent chain, click nodes; on the running demo, on chains pushed through the
pipeline, and on a chain that is only in the event log."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from monitor.core.chain_expectations import ChainState
from monitor.core.chains import Chain
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui import theme
from monitor.ui.context import AppContext
from monitor.ui.live_feed import LiveFeed
from monitor.ui.main_window import stop_runtime
from monitor.ui.views.chain_view import ChainView

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
DEMO_FLOW = ["OrderPlaced", "PaymentAuthorized", "InventoryReserved", "OrderShipped"]

ViewFactory = Callable[[EmbeddedRuntime], ChainView]


@pytest.fixture
def make_view(qtbot: Any) -> ViewFactory:
    """A shown ChainView on a runtime (as the main window would build it)."""

    def make(runtime: EmbeddedRuntime) -> ChainView:
        context = AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline))
        view = ChainView(context)
        qtbot.addWidget(view)
        view.resize(1320, 780)
        view.show()
        qtbot.waitExposed(view)
        return view

    return make


@pytest.fixture
def view(runtime: EmbeddedRuntime, make_view: ViewFactory) -> Iterator[ChainView]:
    yield make_view(runtime)


def wait_for_chain(
    runtime: EmbeddedRuntime, qtbot: Any, wanted: Callable[[Chain], bool], timeout: int = 10_000
) -> Chain:
    found: list[Chain] = []

    def look() -> bool:
        index = runtime.pipeline.chains
        for cid in index.recent_ids(400):
            chain = index.chain(cid)
            if chain is not None and wanted(chain):
                found.append(chain)
                return True
        return False

    qtbot.waitUntil(look, timeout=timeout)
    return found[0]


def shipped(chain: Chain) -> bool:
    return [e.type for e in chain.events] == DEMO_FLOW


def open_by_typing(view: ChainView, qtbot: Any, text: str) -> None:
    view.id_field.clear()
    qtbot.keyClicks(view.id_field, text)
    qtbot.keyClick(view.id_field, Qt.Key.Key_Return)


def save(view: ChainView, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    assert view.grab().save(str(ARTIFACTS / name))


def test_typing_a_correlation_id_shows_the_graph_and_the_waterfall(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any
) -> None:
    chain = wait_for_chain(runtime, qtbot, shipped)
    with qtbot.waitSignal(view.chain_shown) as shown:
        open_by_typing(view, qtbot, chain.correlation_id)
    assert shown.args == [chain.correlation_id]
    assert view.current_chain_id == chain.correlation_id
    assert view.status == "shown" and view.source == "memory"

    graph = view.graph
    assert graph.node_count() == 4
    edges = graph.flow_edges()
    assert len(edges) == 3
    assert all(e.latency_ms is not None and e.latency_ms > 0 for e in edges)
    slowest = max(edges, key=lambda e: e.latency_ms or 0.0)
    assert graph.slowest_edge() == slowest
    assert graph.failed_nodes() == [] and graph.ghost_nodes() == []

    waterfall = view.waterfall
    assert waterfall.bar_count() == 4
    marked = waterfall.slowest_row()
    assert marked is not None and marked.event_id == slowest.child
    assert marked.latency_ms == slowest.latency_ms
    assert [r.label for r in waterfall.rows] == DEMO_FLOW

    assert view.health is not None and view.health.state is ChainState.COMPLETE
    assert view.state_badge.text().endswith("COMPLETE")
    assert "slowest hop" in view.summary.text()
    save(view, "chain_view.png")


def test_the_start_of_a_correlation_id_as_the_table_shows_it_opens_its_chain(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any
) -> None:
    chain = wait_for_chain(runtime, qtbot, shipped)
    shown = chain.correlation_id[:8]  # the stream's Correlation column
    with qtbot.waitSignal(view.chain_shown) as opened:
        open_by_typing(view, qtbot, shown)
    assert opened.args == [chain.correlation_id]
    # Too short to say which chain: not guessed.
    index = runtime.pipeline.chains
    assert index.find_prefix(chain.correlation_id[:3]) is None


def test_an_event_id_opens_the_chain_it_belongs_to_with_that_event_selected(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any
) -> None:
    chain = wait_for_chain(runtime, qtbot, shipped)
    payment = chain.events[1]
    open_by_typing(view, qtbot, payment.id)
    assert view.current_chain_id == chain.correlation_id
    assert view.graph.node_count() == 4
    assert payment.id in view.details.toPlainText()


def test_clicking_a_recent_chain_opens_it(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any
) -> None:
    qtbot.waitUntil(lambda: len(view.recent.ids()) >= 3, timeout=10_000)
    cid = view.recent.ids()[2]
    x, y = view.recent.item_rect_centre(cid)
    with qtbot.waitSignal(view.chain_shown):
        qtbot.mouseClick(view.recent.list.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert view.current_chain_id == cid
    assert view.id_field.text() == cid
    assert view.graph.node_count() >= 1


def test_a_dead_letter_shows_as_a_red_failed_node_on_the_event_that_failed(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any
) -> None:
    stats = runtime.pipeline.stats
    qtbot.waitUntil(lambda: stats.dead_letters_total > 0, timeout=15_000)
    qtbot.waitUntil(lambda: bool(runtime.pipeline.chains.failed_ids()), timeout=5_000)
    cid = runtime.pipeline.chains.failed_ids()[0]
    view.recent.filter.setCurrentIndex(view.recent.filter.findData("failed"))
    assert cid in view.recent.ids()
    open_by_typing(view, qtbot, cid)

    failed = view.graph.failed_nodes()
    assert len(failed) >= 1
    chain = view.chain
    assert chain is not None
    letter = chain.dead_letters[0]
    assert failed[0].event_id == letter.event.id
    assert failed[0].event_id in {e.id for e in chain.events}
    assert view.health is not None and view.health.state is ChainState.FAILED
    assert "FAILED" in view.state_badge.text()
    assert any(r.kind == "failed" for r in view.waterfall.rows)
    save(view, "chain_view_failed.png")

    with qtbot.waitSignal(view.dead_letter_selected) as clicked:
        pos = view.graph.card_centre(failed[0].key).toPoint()
        qtbot.mouseClick(view.graph.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert clicked.args == [letter.id]
    assert letter.reason in view.details.toPlainText()

    # Replayed (the dead-letter view tells the pipeline so): the open chain stops
    # showing it as pending, at its next redraw.
    runtime.pipeline.dead_letters_resolved({d.id: "replayed" for d in chain.dead_letters})
    qtbot.waitUntil(lambda: "FAILED" not in view.state_badge.text(), timeout=5_000)
    assert view.chain is not None
    assert {d.status for d in view.chain.dead_letters} == {"replayed"}
    assert "(replayed)" in view.graph.failed_nodes()[0].title


def test_clicking_an_event_emits_event_selected_and_shows_its_details(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any
) -> None:
    chain = wait_for_chain(runtime, qtbot, shipped)
    view.show_chain(chain.correlation_id)
    reserved = chain.events[2]
    with qtbot.waitSignal(view.event_selected) as clicked:
        pos = view.graph.card_centre(reserved.id).toPoint()
        qtbot.mouseClick(view.graph.viewport(), Qt.MouseButton.LeftButton, pos=pos)
    assert clicked.args == [reserved.id]
    assert reserved.id in view.details.toPlainText()
    shipped_event = chain.events[3]
    with qtbot.waitSignal(view.event_selected) as clicked:
        pos = view.waterfall.row_centre(shipped_event.id).toPoint()
        qtbot.mouseClick(view.waterfall, Qt.MouseButton.LeftButton, pos=pos)
    assert clicked.args == [shipped_event.id]


def test_the_chain_grows_live_and_is_not_redrawn_while_nothing_changes(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any
) -> None:
    chain = wait_for_chain(runtime, qtbot, shipped)
    view.show_chain(chain.correlation_id)
    renders = view.graph.renders
    for _ in range(5):  # what the timer does: nothing changed, nothing is redrawn
        view._refresh_chain()
    assert view.graph.renders == renders

    last = chain.events[-1]
    follow_up = Envelope(
        type="ReviewRequested",
        source="demo-shop/reviews",
        correlation_id=chain.correlation_id,
        causation_id=last.id,
    )
    runtime.pipeline.accept(follow_up)
    qtbot.waitUntil(lambda: view.graph.node_count() == 5, timeout=5_000)
    assert view.waterfall.bar_count() == 5
    assert (last.id, follow_up.id) in {(e.parent, e.child) for e in view.graph.flow_edges()}
    assert view.graph.renders > renders


def test_a_chain_whose_expected_next_event_never_came_is_shown_stalled(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any
) -> None:
    # Straight into the pipeline, past the bus: no service handles it, so nothing follows.
    t0 = time.time() - 7.0
    placed = Envelope(type="OrderPlaced", source="demo-shop/storefront", time=t0)
    placed.correlation_id = placed.id
    paid = Envelope(
        type="PaymentAuthorized",
        source="demo-shop/payments",
        time=t0 + 0.012,
        correlation_id=placed.id,
        causation_id=placed.id,
    )
    runtime.pipeline.accept_many([placed, paid])
    qtbot.waitUntil(lambda: runtime.pipeline.chains.revision(placed.id) is not None)
    open_by_typing(view, qtbot, placed.id)

    assert view.health is not None and view.health.state is ChainState.STALLED
    (ghost,) = view.graph.ghost_nodes()
    assert ghost.event_id == paid.id and ghost.stalled
    assert ghost.title == "InventoryReserved"
    assert view.headline.text().startswith(
        "Expected InventoryReserved after PaymentAuthorized, not seen for"
    )
    assert "STALLED" in view.state_badge.text()
    assert any(r.kind == "ghost" and r.stalled for r in view.waterfall.rows)
    save(view, "chain_view_stalled.png")

    view.recent.filter.setCurrentIndex(view.recent.filter.findData("stalled"))
    qtbot.waitUntil(lambda: placed.id in view.recent.ids(), timeout=5_000)


def test_a_chain_only_in_the_log_is_loaded_in_a_worker_thread(
    tmp_path: Path, run: Any, qtbot: Any, make_view: ViewFactory
) -> None:
    db = tmp_path / "log.db"
    first = EmbeddedRuntime(db, demo_rate=100, seed=7)
    run(first.start())
    try:
        chain = wait_for_chain(first, qtbot, shipped)
    finally:
        run(stop_runtime(first))  # orders in flight finish, the log is written and closed

    fresh = EmbeddedRuntime(db, demo_rate=None)  # not started: an empty chain index
    try:
        view = make_view(fresh)
        assert len(fresh.pipeline.chains) == 0
        open_by_typing(view, qtbot, chain.correlation_id)
        assert view.status == "loading"
        assert view.busy.isVisible()
        qtbot.waitUntil(lambda: view.status == "shown", timeout=10_000)
        assert view.source == "log"
        assert view.current_chain_id == chain.correlation_id
        assert view.graph.node_count() == 4 and len(view.graph.flow_edges()) == 3
        assert view.waterfall.bar_count() == 4
        assert "loaded from the event log" in view.summary.text()

        # The id of an event in the middle of the chain, which is only in the log.
        payment = chain.events[2]
        open_by_typing(view, qtbot, payment.id)
        qtbot.waitUntil(lambda: view.status == "shown", timeout=10_000)
        assert view.current_chain_id == chain.correlation_id
        assert view.graph.node_count() == 4
        assert payment.id in view.details.toPlainText()  # that event is the one selected

        # An id nobody knows: loading, then a clear "not found".
        open_by_typing(view, qtbot, "no-such-id")
        qtbot.waitUntil(lambda: view.status == "not_found", timeout=10_000)
        assert "no-such-id" in view.message.text()
        assert view.headline.text() == "No chain or event no-such-id"  # not twice
        assert view.current_chain_id is None
        view._refresh_chain()  # the timer's tick does not bring the last chain back
        assert view.status == "not_found" and view.pages.currentIndex() == 0

        # A newer request wins over a load still running.
        view.show_chain(chain.correlation_id)
        view.show_chain("no-such-id-either")
        qtbot.waitUntil(lambda: view.status == "not_found", timeout=10_000)
        assert "no-such-id-either" in view.message.text()
    finally:
        run(fresh.stop())


def test_a_chain_left_with_only_its_dead_letter_opens_as_the_failed_node(
    tmp_path: Path, run: Any, qtbot: Any, make_view: ViewFactory
) -> None:
    # Retention removed the chain's events but kept its pending dead letter: the chain
    # still opens, showing what failed and why.
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        failed = Envelope(
            type="PaymentAuthorized",
            source="payments",
            id="pay-77",
            correlation_id="corr-77",
            causation_id="order-77",
        )
        log.add_dead_letters(
            [DeadLetter(event=failed, reason="CardDeclined: limit", original_topic="payments")]
        )
    fresh = EmbeddedRuntime(db, demo_rate=None)
    try:
        view = make_view(fresh)
        open_by_typing(view, qtbot, "corr-77")
        qtbot.waitUntil(lambda: view.status == "shown", timeout=10_000)
        assert view.current_chain_id == "corr-77"
        nodes = view.graph.failed_nodes()
        assert [n.event_id for n in nodes] == ["pay-77"]
        assert view.health is not None and view.health.state is ChainState.FAILED
        assert "CardDeclined" in view.details.toPlainText()
        save(view, "chain_view_dead_letter_only.png")
    finally:
        run(fresh.stop())


def test_a_log_that_cannot_be_read_is_reported_not_raised(
    tmp_path: Path, run: Any, qtbot: Any, make_view: ViewFactory
) -> None:
    rt = EmbeddedRuntime(tmp_path / "log.db", demo_rate=None)
    view = make_view(rt)
    run(rt.stop())  # closes the log under the view
    open_by_typing(view, qtbot, "anything")
    qtbot.waitUntil(lambda: view.status == "error", timeout=10_000)
    assert "Could not read the event log" in view.message.text()


def test_splitters_and_filter_are_saved_and_restored(
    tmp_path: Path, runtime: EmbeddedRuntime, make_view: ViewFactory
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = make_view(runtime)
    first.recent.filter.setCurrentIndex(first.recent.filter.findData("failed"))
    first.splitter.setSizes([400, 900])
    first.save_state(settings)
    second = make_view(runtime)
    second.restore_state(settings)
    assert second.recent.mode == "failed"
    assert abs(second.splitter.sizes()[0] - first.splitter.sizes()[0]) <= 2


def test_switching_the_theme_redraws_the_chain_in_the_new_colours(
    runtime: EmbeddedRuntime, view: ChainView, qtbot: Any, qapp: Any
) -> None:
    chain = wait_for_chain(runtime, qtbot, shipped)
    view.show_chain(chain.correlation_id)
    renders = view.graph.renders
    light = view.graph.backgroundBrush().color().name()
    try:
        theme.apply_theme(qapp, "dark")
        qtbot.waitUntil(lambda: view.graph.renders > renders, timeout=5_000)
        assert view.graph.backgroundBrush().color().name() != light
    finally:
        theme.apply_theme(qapp, "light")
