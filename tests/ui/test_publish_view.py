"""The Publish view, driven as a user drives it: fill the composer, pick a target, send.

The embedded runtime here runs the demo's services but places no orders of its own
(``demo_rate=0``): what arrives in the pipeline is what the test published, plus what
the demo services do in reaction to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QMessageBox

from adapters.kafka.profiles import ConnectionProfile
from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.kafka_service import KafkaService
from monitor.ui.live_feed import LiveFeed
from monitor.ui.main_window import stop_runtime
from monitor.ui.views.publish import PublishView
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.ui.helpers import kafka_service, show_view, type_into

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def quiet_runtime(tmp_path: Path, run: Any) -> Iterator[EmbeddedRuntime]:
    rt = EmbeddedRuntime(tmp_path / "log.db", demo_rate=0, seed=3)
    run(rt.start())
    yield rt
    run(stop_runtime(rt))


@pytest.fixture
def context(quiet_runtime: EmbeddedRuntime) -> AppContext:
    return AppContext(runtime=quiet_runtime, feed=LiveFeed(quiet_runtime.pipeline))


@pytest.fixture
def service(context: AppContext, run: Any) -> Iterator[KafkaService]:
    with kafka_service(context, run, sample_interval=1.0) as svc:
        yield svc


@pytest.fixture
def view(context: AppContext, service: KafkaService, config_dir: Path, qtbot: Any) -> PublishView:
    return show_view(qtbot, PublishView(context, service))


def live(runtime: EmbeddedRuntime) -> list[Envelope]:
    pipeline = runtime.pipeline
    return pipeline.live.latest(pipeline.live.capacity)


def set_topic(qtbot: Any, view: PublishView, topic: str) -> None:
    type_into(qtbot, view.topic_combo.lineEdit(), topic)


def test_publish_to_the_bus_puts_the_event_in_the_pipeline(
    view: PublishView, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    type_into(qtbot, view.type_edit, "ComposerProbe")
    type_into(qtbot, view.source_edit, "tests/publish")
    type_into(qtbot, view.subject_edit, "ord-42")
    type_into(qtbot, view.key_edit, "ord-42")
    type_into(qtbot, view.payload, '{"orderId": "ord-42", "total": 12.5, "tags": ["a"]}')
    qtbot.mouseClick(view.new_correlation_button, LEFT)
    correlation = view.correlation_edit.text()
    assert len(correlation) == 36
    view.headers.add_row("tenant", "eu")
    set_topic(qtbot, view, "composer.tests")
    assert view.send_button.isEnabled(), view.send_hint.text()

    qtbot.mouseClick(view.send_button, LEFT)

    qtbot.waitUntil(lambda: any(e.type == "ComposerProbe" for e in live(quiet_runtime)))
    event = next(e for e in live(quiet_runtime) if e.type == "ComposerProbe")
    assert event.data == {"orderId": "ord-42", "total": 12.5, "tags": ["a"]}
    assert event.correlation_id == correlation
    assert (event.topic, event.source, event.subject, event.key) == (
        "composer.tests",
        "tests/publish",
        "ord-42",
        "ord-42",
    )
    assert event.headers == {"tenant": "eu"}
    qtbot.waitUntil(lambda: "Published ComposerProbe" in view.status.text())
    assert "embedded bus" in view.status.text()
    assert view.send_button.isEnabled()


def test_invalid_json_disables_send_and_says_where(view: PublishView, qtbot: Any) -> None:
    type_into(qtbot, view.type_edit, "Broken")
    type_into(qtbot, view.payload, '{"orderId": "ord-1",')
    assert not view.send_button.isEnabled()
    assert not view.burst_button.isEnabled()
    assert not view.send_action.isEnabled()
    assert view.payload.error_line == 1
    assert view.payload_status.text().startswith("\u2717 Line 1, column")
    assert "not valid JSON" in view.send_hint.text()
    qtbot.keyClicks(view.payload, ' "n": 1}')
    assert view.send_button.isEnabled()
    assert view.payload_status.text().startswith("\u2713 Valid JSON")
    assert view.payload.error_line is None


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        (['{"ratio":', "NaN}"], "NaN is not a JSON number"),
        (['{"big": 1e999}'], "beyond the range of JSON numbers"),
        (['{"text": "\\ud800"}'], "half of a surrogate pair"),
    ],
)
def test_json_that_strict_readers_refuse_is_not_called_valid(
    view: PublishView, qtbot: Any, lines: list[str], says: str
) -> None:
    # Python's json module reads these; the consumers of a published event would not.
    type_into(qtbot, view.type_edit, "Strict")
    type_into(qtbot, view.payload, lines[0])
    for line in lines[1:]:
        qtbot.keyClick(view.payload, Qt.Key.Key_Return)
        qtbot.keyClicks(view.payload, line)
    assert not view.send_button.isEnabled()
    assert says in view.payload_status.text()
    assert view.payload.error_line == len(lines)  # the line it is on is marked


def test_the_send_action_sends_like_the_button(
    view: PublishView, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    type_into(qtbot, view.type_edit, "ShortcutProbe")
    set_topic(qtbot, view, "composer.tests")
    view.send_action.trigger()
    qtbot.waitUntil(lambda: any(e.type == "ShortcutProbe" for e in live(quiet_runtime)))


def test_burst_of_50_at_500_per_second_reaches_100_percent(
    view: PublishView, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    type_into(qtbot, view.type_edit, "BurstProbe")
    type_into(qtbot, view.payload, '{"n": "{{seq}}"}')
    set_topic(qtbot, view, "composer.burst")
    view.burst_count.setValue(50)
    view.burst_rate.setValue(500)

    qtbot.mouseClick(view.burst_button, LEFT)
    assert view.sending and view.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not view.sending, timeout=10_000)

    assert (view.progress.value(), view.progress.maximum()) == (50, 50)
    qtbot.waitUntil(lambda: len([e for e in live(quiet_runtime) if e.type == "BurstProbe"]) == 50)
    events = [e for e in live(quiet_runtime) if e.type == "BurstProbe"]
    assert sorted(int(e.data["n"]) for e in events) == list(range(1, 51))
    assert len({e.correlation_id for e in events}) == 50  # each starts its own chain
    assert "Published 50 events" in view.status.text()


def test_a_burst_can_be_cancelled(
    view: PublishView, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    type_into(qtbot, view.type_edit, "SlowBurst")
    set_topic(qtbot, view, "composer.burst")
    view.burst_count.setValue(1000)
    view.burst_rate.setValue(100)
    qtbot.mouseClick(view.burst_button, LEFT)
    qtbot.waitUntil(lambda: view.progress.value() >= 5)
    qtbot.mouseClick(view.cancel_button, LEFT)
    qtbot.waitUntil(lambda: not view.sending)
    assert "Cancelled after" in view.status.text()
    done = view.progress.value()
    assert 5 <= done < 1000

    def sent() -> int:
        return sum(e.type == "SlowBurst" for e in live(quiet_runtime))

    qtbot.waitUntil(lambda: sent() >= done)  # the pipeline hands batches on every 50 ms
    assert sent() < 1000
    assert view.send_button.isEnabled()


def test_template_save_and_load_round_trip(
    view: PublishView, config_dir: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    type_into(qtbot, view.type_edit, "RefundIssued")
    type_into(qtbot, view.source_edit, "billing")
    type_into(qtbot, view.subject_edit, "ord-7")
    type_into(qtbot, view.payload, '{"orderId": "ord-7", "amount": 9.9}')
    view.headers.add_row("tenant", "eu")
    set_topic(qtbot, view, "billing.refunds")
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("My refund", True))

    qtbot.mouseClick(view.save_template_button, LEFT)

    saved = config_dir / "templates" / "My-refund.json"
    assert json.loads(saved.read_text())["type"] == "RefundIssued"
    assert "Saved template My refund" in view.status.text()
    assert view.template_combo.currentData() == "My refund"

    type_into(qtbot, view.type_edit, "SomethingElse")
    type_into(qtbot, view.payload, "[]")
    view.headers.set_headers({})
    view.template_combo.setCurrentIndex(view.template_combo.findData("OrderPlaced"))
    view.template_combo.setCurrentIndex(view.template_combo.findData("My refund"))
    qtbot.mouseClick(view.load_template_button, LEFT)

    assert view.type_edit.text() == "RefundIssued"
    assert view.source_edit.text() == "billing"
    assert view.subject_edit.text() == "ord-7"
    assert view.payload.value() == {"orderId": "ord-7", "amount": 9.9}
    assert view.headers.headers() == {"tenant": "eu"}
    assert view.topic_combo.currentText() == "billing.refunds"


def test_shipped_order_placed_template_starts_a_demo_chain(
    view: PublishView, quiet_runtime: EmbeddedRuntime, qtbot: Any
) -> None:
    names = [view.template_combo.itemData(i) for i in range(view.template_combo.count())]
    for expected in (
        "OrderPlaced",
        "PaymentAuthorized",
        "PaymentFailed",
        "InventoryReserved",
        "OrderShipped",
    ):
        assert expected in names
    view.template_combo.setCurrentIndex(names.index("OrderPlaced"))
    qtbot.mouseClick(view.load_template_button, LEFT)
    assert view.type_edit.text() == "OrderPlaced"
    assert view.topic_combo.currentText() == "orders.placed"
    assert view.payload.valid

    published: list[Envelope] = []
    view.published.connect(published.append)
    qtbot.mouseClick(view.send_button, LEFT)
    qtbot.waitUntil(lambda: bool(published))
    order = published[0]
    assert order.data["orderId"].startswith("ord-") and "{{" not in order.data["orderId"]
    chains = quiet_runtime.pipeline.chains
    # The demo's payment service reacts: the chain grows past the published event.
    qtbot.waitUntil(lambda: (c := chains.chain(order.chain_id)) is not None and len(c.events) >= 2)
    chain = chains.chain(order.chain_id)
    assert chain is not None and chain.events[0].id == order.id
    requested: list[str] = []
    view.chain_requested.connect(requested.append)
    view.status.linkActivated.emit(f"chain:{order.chain_id}")
    assert requested == [order.chain_id]


# -- Kafka ---------------------------------------------------------------------------


def test_kafka_target_needs_a_connection(view: PublishView) -> None:
    assert not view.kafka_radio.isEnabled()
    assert "connect a profile in Connections" in view.target_note.text()


def test_publish_to_kafka_and_read_it_back_through_the_tail(
    view: PublishView,
    service: KafkaService,
    quiet_runtime: EmbeddedRuntime,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
) -> None:
    topic = "publish-view-orders"
    run(create_topic(broker.bootstrap, topic))
    profile = ConnectionProfile(name="local", bootstrap_servers=broker.bootstrap)
    assert run(service.connect_profile(profile))
    assert run(service.start_tail([topic], "end"))
    qtbot.waitUntil(view.kafka_radio.isEnabled)

    qtbot.mouseClick(view.kafka_radio, LEFT)
    assert view.mode_combo.isEnabled()
    type_into(qtbot, view.type_edit, "KafkaProbe")
    type_into(qtbot, view.payload, '{"orderId": "ord-99"}')
    type_into(qtbot, view.correlation_edit, "corr-kafka-1")
    set_topic(qtbot, view, topic)
    view.mode_combo.setCurrentIndex(view.mode_combo.findData("structured"))
    qtbot.mouseClick(view.send_button, LEFT)

    qtbot.waitUntil(lambda: any(e.type == "KafkaProbe" for e in live(quiet_runtime)))
    back = next(e for e in live(quiet_runtime) if e.type == "KafkaProbe")
    assert (back.topic, back.correlation_id, back.data) == (
        topic,
        "corr-kafka-1",
        {"orderId": "ord-99"},
    )
    qtbot.waitUntil(lambda: f"{topic}[0]@" in view.status.text())
    assert "not tailed" not in view.status.text()


def test_read_only_profile_disables_kafka_publish_and_says_why(
    view: PublishView, service: KafkaService, broker: TansuBroker, run: Any, qtbot: Any
) -> None:
    profile = ConnectionProfile(name="audit", bootstrap_servers=broker.bootstrap, read_only=True)
    assert run(service.connect_profile(profile))
    qtbot.waitUntil(view.kafka_radio.isEnabled)
    qtbot.mouseClick(view.kafka_radio, LEFT)
    type_into(qtbot, view.type_edit, "Nope")
    set_topic(qtbot, view, "anything")
    assert not view.send_button.isEnabled()
    assert not view.burst_button.isEnabled()
    assert "read-only" in view.send_hint.text()
    assert "read-only" in view.target_note.text()
    qtbot.mouseClick(view.bus_radio, LEFT)
    assert view.send_button.isEnabled()  # the bus is never read-only


def test_production_profile_asks_before_publishing(
    view: PublishView,
    service: KafkaService,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    topic = "publish-view-prod"
    run(create_topic(broker.bootstrap, topic))
    profile = ConnectionProfile(name="prod", bootstrap_servers=broker.bootstrap)
    assert run(service.connect_profile(replace(profile, environment="production")))
    qtbot.waitUntil(view.kafka_radio.isEnabled)
    qtbot.mouseClick(view.kafka_radio, LEFT)
    assert "confirm" in view.target_note.text()
    type_into(qtbot, view.type_edit, "ProdProbe")
    set_topic(qtbot, view, topic)
    questions: list[str] = []

    def answer(reply: QMessageBox.StandardButton) -> Any:
        def ask(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
            questions.append(str(args[2]))
            return reply

        return ask

    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.No))
    qtbot.mouseClick(view.send_button, LEFT)
    assert "not confirmed" in view.status.text() and not view.sending
    monkeypatch.setattr(QMessageBox, "question", answer(QMessageBox.StandardButton.Yes))
    qtbot.mouseClick(view.send_button, LEFT)
    qtbot.waitUntil(lambda: f"{topic}[0]@0" in view.status.text())
    assert "not tailed" in view.status.text()
    assert len(questions) == 2 and "production" in questions[0]


def test_screenshot(view: PublishView, quiet_runtime: EmbeddedRuntime, qtbot: Any) -> None:
    index = view.template_combo.findData("OrderPlaced")
    view.template_combo.setCurrentIndex(index)
    qtbot.mouseClick(view.load_template_button, LEFT)
    view.headers.add_row("tenant", "eu-west")
    view.headers.add_row("x-request-source", "support-desk")
    qtbot.mouseClick(view.new_correlation_button, LEFT)
    qtbot.mouseClick(view.send_button, LEFT)
    qtbot.waitUntil(lambda: "Published OrderPlaced" in view.status.text())
    view.burst_count.setValue(50)
    view.burst_rate.setValue(500)
    qtbot.mouseClick(view.burst_button, LEFT)
    qtbot.waitUntil(lambda: not view.sending, timeout=10_000)
    # What the picture shows: the template's event with its two headers, and the burst's
    # outcome in the status line.
    assert view.headers.table.rowCount() >= 2
    assert "50" in view.status.text()
    ARTIFACTS.mkdir(exist_ok=True)
    assert view.grab().save(str(ARTIFACTS / "publish.png"))
