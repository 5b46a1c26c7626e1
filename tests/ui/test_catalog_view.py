"""The Catalog view in the real window, on the messy demo: types with their badges, a
type's page (flow, schema, drift), the findings with their evidence opened where it
lives, the Demo menu's careless producer, and screenshots at 1024x700."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QScrollArea

from monitor.core.demo_messy import SCHEMA_CHANGE_AFTER
from monitor.core.design_review.review import RULE_NAMES
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.main_window import MainWindow, stop_runtime
from monitor.ui.views.catalog import FINDINGS_TAB, TYPES_TAB
from monitor.ui.views.catalog_models import TypeTableModel
from tests.ui.test_window_fits import LAPTOP_H, LAPTOP_W, save_shot


@pytest.fixture
def messy_window(tmp_path: Path, run: Any, qtbot: Any) -> Iterator[MainWindow]:
    runtime = EmbeddedRuntime(tmp_path / "log.db", demo_rate=30, seed=2, messy=True)
    runtime.careless.interval = 0.02
    run(runtime.start())
    win = MainWindow(runtime)
    win.resize(LAPTOP_W, LAPTOP_H)
    win.show()
    qtbot.waitExposed(win)
    yield win
    if not win.is_closed():
        with qtbot.waitSignal(win.closed, timeout=20_000):
            win.close()
    win.deleteLater()
    run(stop_runtime(runtime))


def no_scrolling(win: MainWindow) -> bool:
    dock = win.docks["catalog"]
    areas = [dock.widget(), *dock.findChildren(QScrollArea)]
    return not dock.visibleRegion().isEmpty() and not any(
        a.horizontalScrollBar().isVisible() or a.verticalScrollBar().isVisible() for a in areas
    )


def reviewed_everything(win: MainWindow) -> bool:
    return win.runtime.careless.rounds > SCHEMA_CHANGE_AFTER + 5 and {
        f.rule for f in win.catalog.findings
    } == set(RULE_NAMES)


def test_the_catalog_view_shows_the_messy_demos_types_pages_and_findings(
    messy_window: MainWindow, qtbot: Any
) -> None:
    win = messy_window
    view = win.catalog
    win.show_view("catalog")
    qtbot.waitUntil(lambda: reviewed_everything(win), timeout=60_000)

    # The types, each with its badge.
    rows = {r.type: r for r in view.type_model.rows}
    assert {"OrderPlaced", "SendEmail", "InvoiceIssued", "CustomerSnapshot"} <= set(rows)
    assert rows["SendEmail"].warnings >= 1
    assert rows["OrderPlaced"].badge == "-"  # the shop's own events are well made
    row = view.type_model.row_of("SendEmail")
    assert row is not None
    badge = view.type_model.index(row, TypeTableModel.FINDINGS).data()
    assert "warning" in badge
    assert not view.type_table.horizontalScrollBar().isVisible()  # the topics give way

    # A type's page: the flow, the schema and the drift that broke accounting.
    assert view.select_type("InvoiceIssued")
    assert view.flow.columns == (["careless-app"], ["billing.invoices"], ["accounting"])
    schema = {
        view.schema_table.item(r, 0).text(): view.schema_table.item(r, 1).text()
        for r in range(view.schema_table.rowCount())
    }
    assert schema == {"invoiceId": "string", "total": "number or string"}
    drift = [
        (view.drift_table.item(r, 1).text(), view.drift_table.item(r, 2).text())
        for r in range(view.drift_table.rowCount())
    ]
    assert ("changed number -> string", "total") in drift
    view.page_tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: no_scrolling(win), timeout=5_000)
    assert view.type_title.text() == "InvoiceIssued"
    save_shot(win, "catalog_type_page_1024x700.png")

    # The findings list: every rule, the evidence shown, and opened in the chain view.
    view.tabs.setCurrentIndex(FINDINGS_TAB)
    assert view.tabs.tabText(FINDINGS_TAB).startswith("Findings (")
    rules = [view.finding_model.finding(r).rule for r in range(view.finding_model.rowCount())]
    assert set(rules) == set(RULE_NAMES)
    assert view.finding_model.finding(0).severity == "error"  # worst first
    command = rules.index("command-named")
    view.finding_table.selectRow(command)
    assert "SendEmail is named as a command" in view.evidence.toPlainText()
    assert view.open_chain_button.isEnabled()
    qtbot.waitUntil(lambda: no_scrolling(win), timeout=5_000)
    save_shot(win, "catalog_findings_1024x700.png")
    view.open_chain_button.click()
    qtbot.waitUntil(lambda: win.chains.chain is not None, timeout=10_000)
    assert not win.docks["chains"].visibleRegion().isEmpty()

    # A dead letter's evidence opens the Dead letters view with the letter selected.
    win.show_view("catalog")
    view.tabs.setCurrentIndex(FINDINGS_TAB)
    view.finding_table.selectRow(rules.index("ignored-dlq"))
    assert view.open_letter_button.isEnabled() and not view.open_chain_button.isEnabled()
    view.open_letter_button.click()
    qtbot.waitUntil(lambda: not win.docks["dead_letters"].visibleRegion().isEmpty())
    view.tabs.setCurrentIndex(TYPES_TAB)


def test_the_demo_menu_starts_and_stops_the_careless_producer(
    window: MainWindow, runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    assert not window.careless_action.isChecked() and not runtime.careless.running
    window.careless_action.trigger()
    assert runtime.careless.running
    qtbot.waitUntil(lambda: runtime.careless.rounds >= 2, timeout=10_000)
    window.careless_action.trigger()
    qtbot.waitUntil(lambda: not runtime.careless.running, timeout=10_000)
    # Its subscriptions go once its stop has run to the end (it awaits its task first).
    qtbot.waitUntil(
        lambda: all(
            s.name not in ("stock", "loyalty", "accounting") for s in runtime.bus.subscriptions
        ),
        timeout=10_000,
    )
