"""The Connections view, driven as a user drives it: fill a profile, save, test, connect,
browse topics and groups, tail, disconnect. Against the real test broker where Kafka is
involved; a free port for the wrong-address case."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from adapters.kafka.publisher import ConfirmationNeeded, WriteRefused
from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.kafka_service import KafkaService
from monitor.ui.live_feed import LiveFeed
from monitor.ui.views.connection_models import GroupsModel, TopicsModel
from monitor.ui.views.connections import ConnectionsView
from tests.adapters.broker import TansuBroker, free_port
from tests.adapters.conftest import commit_offsets, create_topic, produce
from tests.memory_keyring import MemoryKeyring
from tests.ui.helpers import kafka_service, show_view, type_into

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def context(quiet_runtime: EmbeddedRuntime) -> AppContext:
    return AppContext(runtime=quiet_runtime, feed=LiveFeed(quiet_runtime.pipeline))


@pytest.fixture
def service(context: AppContext, run: Any) -> Iterator[KafkaService]:
    with kafka_service(context, run, sample_interval=0.5) as svc:
        yield svc


@pytest.fixture
def view(
    context: AppContext,
    service: KafkaService,
    config_dir: Path,
    memory_keyring: MemoryKeyring,
    qtbot: Any,
) -> ConnectionsView:
    return show_view(qtbot, ConnectionsView(context, service))


def add_profile(qtbot: Any, view: ConnectionsView, name: str, bootstrap: str) -> None:
    qtbot.mouseClick(view.new_button, LEFT)
    type_into(qtbot, view.form.name_edit, name)
    type_into(qtbot, view.form.bootstrap_edit, bootstrap)
    qtbot.mouseClick(view.save_button, LEFT)
    assert view.selected_name() == name, view.form_message.text()


def click_topic(qtbot: Any, view: ConnectionsView, name: str, *, add: bool = False) -> None:
    proxy = view.topics_proxy
    row = next(r for r in range(proxy.rowCount()) if proxy.index(r, 0).data() == name)
    rect = view.topics_view.visualRect(proxy.index(row, 0))
    modifier = Qt.KeyboardModifier.ControlModifier if add else Qt.KeyboardModifier.NoModifier
    qtbot.mouseClick(view.topics_view.viewport(), LEFT, modifier, rect.center())


def topic_names(view: ConnectionsView) -> list[str]:
    m = view.topics_model
    return [m.topic(r).name for r in range(m.rowCount())]


def group_row(view: ConnectionsView, group: str) -> dict[str, str]:
    m = view.groups_model
    for r in range(m.rowCount()):
        if m.group(r).group_id == group:
            return {m.headers[c]: m.index(r, c).data() for c in range(m.columnCount())}
    raise AssertionError(f"{group} not in the groups table")


def test_wrong_address_shows_the_sentence_and_the_app_goes_on(
    view: ConnectionsView, service: KafkaService, context: AppContext, qtbot: Any
) -> None:
    port = free_port()
    add_profile(qtbot, view, "typo", f"127.0.0.1:{port}")
    assert view.stack.currentIndex() == 0

    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: service.state == "failed", timeout=20_000)

    sentence = f"Nothing accepts connections at 127.0.0.1:{port}"
    assert sentence in view.banner.text()
    assert "Traceback" not in view.banner.text()
    assert context.kafka.state == "failed" and not context.kafka.connected
    assert sentence in context.kafka.sentence
    assert view.connect_button.isEnabled() and not view.disconnect_button.isEnabled()
    assert service.pending_tasks() == []

    qtbot.mouseClick(view.test_button, LEFT)  # the view still works: test says the same
    qtbot.waitUntil(lambda: sentence in view.form_message.text(), timeout=20_000)
    assert view.form_message.property("tone") == "error"


def test_invalid_profile_is_refused_with_the_reason(
    view: ConnectionsView, config_dir: Path, qtbot: Any
) -> None:
    qtbot.mouseClick(view.new_button, LEFT)
    type_into(qtbot, view.form.name_edit, "bad name!")
    type_into(qtbot, view.form.bootstrap_edit, "localhost")
    qtbot.mouseClick(view.save_button, LEFT)
    assert "Not saved" in view.form_message.text() and "not valid" in view.form_message.text()
    assert not (config_dir / "profiles.json").exists()


def test_a_broken_profile_in_the_file_is_listed_greyed_with_why_and_the_others_work(
    view: ConnectionsView, config_dir: Path, qtbot: Any
) -> None:
    path = config_dir / "profiles.json"
    good = {"name": "local", "bootstrap_servers": "localhost:9092"}
    old = {"name": "old", "bootstrap_servers": "h:1", "colour": "red"}
    config_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": 1, "profiles": [good, old]}))
    view.reload_profiles()
    rows = [view.profile_list.item(i) for i in range(view.profile_list.count())]
    assert [r.text().split("\n")[0] for r in rows] == ["local", "old"]
    assert rows[1].flags() == Qt.ItemFlag.NoItemFlags
    assert "unknown profile settings: colour" in rows[1].toolTip()
    assert view.selected_name() == "local"
    message = view.form_message.text()
    assert "'old'" in message and "cannot be used" in message and "colour" in message
    # Saving the good one changes nothing of the broken one in the file.
    type_into(qtbot, view.form.bootstrap_edit, "localhost:9093")
    qtbot.mouseClick(view.save_button, LEFT)
    qtbot.waitUntil(lambda: "localhost:9093" in path.read_text())
    assert old in json.loads(path.read_text())["profiles"]


def test_connect_shows_topics_and_group_lag(
    view: ConnectionsView,
    service: KafkaService,
    context: AppContext,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
) -> None:
    topic, group = "conn-view-orders", "conn-view-billing"
    run(create_topic(broker.bootstrap, topic))
    run(create_topic(broker.bootstrap, topic + ".DLT"))
    run(produce(broker.bootstrap, topic, [b"{}"] * 5))
    run(commit_offsets(broker.bootstrap, group, {(topic, 0): 2}))
    add_profile(qtbot, view, "local", broker.bootstrap)

    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: service.state == "connected", timeout=20_000)

    assert context.kafka.connected and context.kafka.profile is not None
    assert context.kafka.profile.name == "local"
    assert "Connected to local" in view.banner.text()
    assert view.stack.currentIndex() == 1
    qtbot.waitUntil(lambda: topic in topic_names(view))
    m = view.topics_model
    row = topic_names(view).index(topic)
    assert m.index(row, TopicsModel.MESSAGES).data() == "5"
    dlt = topic_names(view).index(topic + ".DLT")
    assert m.index(dlt, TopicsModel.DEAD_LETTERS).data() == f"dead letters of {topic}"
    qtbot.waitUntil(lambda: any(g.group_id == group for g in service.groups))
    assert group_row(view, group)["Lag"] == "3"
    assert group_row(view, group)["Topics"] == topic

    # The sampler keeps going: a new commit shows in the table and in the lag history.
    run(commit_offsets(broker.bootstrap, group, {(topic, 0): 5}))
    qtbot.waitUntil(lambda: group_row(view, group)["Lag"] == "0", timeout=10_000)
    assert [v for _, v in service.lag.series(group)][-1] == 0.0
    assert view.groups_model.index(0, GroupsModel.GROUP).data()

    view.topic_filter.setText("DLT")
    assert view.topics_proxy.rowCount() >= 1
    assert all(
        "dlt" in view.topics_proxy.index(r, 0).data().lower()  # the broker is shared
        for r in range(view.topics_proxy.rowCount())
    )


def test_tail_selected_topics_feeds_the_stream_and_disconnect_cleans_up(
    view: ConnectionsView,
    service: KafkaService,
    quiet_runtime: EmbeddedRuntime,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
) -> None:
    topic, other = "conn-view-tail", "conn-view-tail-other"
    run(create_topic(broker.bootstrap, topic))
    run(create_topic(broker.bootstrap, other))
    run(produce(broker.bootstrap, topic, [json.dumps({"n": i}).encode() for i in range(4)]))
    add_profile(qtbot, view, "local", broker.bootstrap)
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: topic in topic_names(view), timeout=20_000)
    assert not view.tail_button.isEnabled()  # nothing selected yet

    click_topic(qtbot, view, topic)
    assert view.selected_topics() == [topic]
    view.tail_from_combo.setCurrentIndex(view.tail_from_combo.findData("beginning"))
    qtbot.mouseClick(view.tail_button, LEFT)
    qtbot.waitUntil(lambda: service.tail_state == "tailing", timeout=20_000)
    assert "Tailing 1 topic " in view.tail_status.text()

    def tailed() -> list[Envelope]:
        live = quiet_runtime.pipeline.live
        return [e for e in live.latest(live.capacity) if e.topic == topic]

    qtbot.waitUntil(lambda: len(tailed()) == 4)
    run(produce(broker.bootstrap, topic, [b'{"n": 4}']))
    qtbot.waitUntil(lambda: len(tailed()) == 5)
    assert sorted(e.data["n"] for e in tailed()) == [0, 1, 2, 3, 4]
    assert view.stop_tail_button.isEnabled()
    row = topic_names(view).index(topic)
    assert view.topics_model.index(row, 0).data(Qt.ItemDataRole.FontRole).bold()

    qtbot.mouseClick(view.disconnect_button, LEFT)
    qtbot.waitUntil(lambda: service.state == "disconnected", timeout=20_000)
    assert service.pending_tasks() == []
    leftover = [
        t
        for t in asyncio.all_tasks()
        if t.get_name().startswith("eventflow-kafka") and not t.done()
    ]
    assert leftover == []
    assert view.stack.currentIndex() == 0 and view.topics_model.rowCount() == 0
    assert not view.stop_tail_button.isEnabled()
    assert "Disconnected from local" in view.banner.text()


def saved_profiles(config_dir: Path) -> dict[str, str]:
    """Name -> bootstrap servers, as the profiles file holds them."""
    entries = json.loads((config_dir / "profiles.json").read_text())["profiles"]
    return {p["name"]: p["bootstrap_servers"] for p in entries}


def select_profile(qtbot: Any, view: ConnectionsView, name: str) -> None:
    items = [view.profile_list.item(i) for i in range(view.profile_list.count())]
    view.profile_list.setCurrentItem(
        next(i for i in items if i.data(Qt.ItemDataRole.UserRole) == name)
    )
    assert view.form.name_edit.text() == name


def test_a_rename_onto_another_profiles_name_is_refused_and_overwrites_nothing(
    view: ConnectionsView, config_dir: Path, qtbot: Any
) -> None:
    add_profile(qtbot, view, "alpha", "127.0.0.1:9092")
    add_profile(qtbot, view, "beta", "broker.example:9092")
    select_profile(qtbot, view, "alpha")
    type_into(qtbot, view.form.name_edit, "beta")
    qtbot.mouseClick(view.save_button, LEFT)
    assert "Not saved" in view.form_message.text()
    assert "exists already" in view.form_message.text()
    assert saved_profiles(config_dir) == {
        "alpha": "127.0.0.1:9092",
        "beta": "broker.example:9092",
    }
    # The refused edit stays in the form to be corrected: under its own name, or renamed
    # to a free one, it saves.
    assert view.selected_name() == "alpha"
    type_into(qtbot, view.form.name_edit, "alpha")
    type_into(qtbot, view.form.bootstrap_edit, "127.0.0.1:9093")
    qtbot.mouseClick(view.save_button, LEFT)
    type_into(qtbot, view.form.name_edit, "gamma")
    qtbot.mouseClick(view.save_button, LEFT)
    assert saved_profiles(config_dir) == {
        "beta": "broker.example:9092",
        "gamma": "127.0.0.1:9093",
    }


def test_password_goes_to_the_keyring(
    view: ConnectionsView, memory_keyring: MemoryKeyring, config_dir: Path, qtbot: Any
) -> None:
    qtbot.mouseClick(view.new_button, LEFT)
    type_into(qtbot, view.form.name_edit, "secure")
    type_into(qtbot, view.form.bootstrap_edit, "broker.example:9093")
    view.form.method_combo.setCurrentIndex(view.form.method_combo.findData("password"))
    view.form.protocol_combo.setCurrentText("SASL_SSL")
    assert view.form.password_edit.isEnabled() and view.form.ca_edit.isEnabled()
    type_into(qtbot, view.form.user_edit, "alice")
    type_into(qtbot, view.form.password_edit, "s3cret-pw")
    qtbot.mouseClick(view.save_button, LEFT)
    qtbot.waitUntil(lambda: "OS keyring" in view.form_message.text())
    assert memory_keyring.secrets == {("eventflow-monitor", "secure"): "s3cret-pw"}
    assert "s3cret-pw" not in (config_dir / "profiles.json").read_text()
    assert view.form.password() == ""


def test_without_a_keyring_the_password_stays_in_memory_only(
    view: ConnectionsView, config_dir: Path, qtbot: Any
) -> None:
    keyring.set_keyring(FailKeyring())  # the memory_keyring fixture restores the original
    qtbot.mouseClick(view.new_button, LEFT)
    type_into(qtbot, view.form.name_edit, "headless")
    type_into(qtbot, view.form.bootstrap_edit, "broker.example:9092")
    view.form.method_combo.setCurrentIndex(view.form.method_combo.findData("password"))
    view.form.protocol_combo.setCurrentText("SASL_PLAINTEXT")
    type_into(qtbot, view.form.user_edit, "bob")
    type_into(qtbot, view.form.password_edit, "only-in-ram")
    qtbot.mouseClick(view.save_button, LEFT)
    qtbot.waitUntil(lambda: "no OS keyring" in view.form_message.text())
    message = view.form_message.text()
    assert "kept in memory for this session only" in message
    assert "EVENTFLOW_PASSWORD_HEADLESS" in message
    assert view.form_message.property("tone") == "warn"
    assert "only-in-ram" not in (config_dir / "profiles.json").read_text()
    assert view.passwords.lookup("headless") == "only-in-ram"


def test_remove_profile_asks_first(
    view: ConnectionsView, config_dir: Path, qtbot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_profile(qtbot, view, "gone", "127.0.0.1:9092")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    qtbot.mouseClick(view.remove_button, LEFT)
    assert view.selected_name() == "gone"
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(view.remove_button, LEFT)
    assert view.selected_name() is None
    assert [view.profile_list.item(i).text() for i in range(view.profile_list.count())] == [
        "No profiles yet: press New to describe a cluster."
    ]
    assert json.loads((config_dir / "profiles.json").read_text())["profiles"] == []


@pytest.fixture
def own_broker() -> Iterator[TansuBroker]:
    """A broker of its own, so the screenshot shows only the topics made for it."""
    b = TansuBroker().start()
    yield b
    b.stop()


def test_screenshot(
    own_broker: TansuBroker,  # first: set up before the service, so stopped after it
    view: ConnectionsView,
    service: KafkaService,
    run: Any,
    qtbot: Any,
) -> None:
    bs = own_broker.bootstrap
    for name in ("shop.orders", "shop.payments", "shop.shipments", "shop.orders.DLT"):
        run(create_topic(bs, name, 3 if name == "shop.orders" else 1))
    run(produce(bs, "shop.orders", [b"{}"] * 12))
    run(produce(bs, "shop.payments", [b"{}"] * 9))
    run(produce(bs, "shop.orders.DLT", [b"{}"] * 2))
    run(commit_offsets(bs, "billing", {("shop.orders", 0): 7}))
    run(commit_offsets(bs, "warehouse", {("shop.payments", 0): 9}))
    add_profile(qtbot, view, "staging-eu", "10.20.0.5:9092")
    add_profile(qtbot, view, "local", bs)
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: "shop.orders" in topic_names(view), timeout=20_000)
    qtbot.waitUntil(lambda: any(g.group_id == "warehouse" for g in service.groups))
    click_topic(qtbot, view, "shop.orders")
    click_topic(qtbot, view, "shop.payments", add=True)
    qtbot.mouseClick(view.tail_button, LEFT)
    qtbot.waitUntil(lambda: service.tail_state == "tailing", timeout=20_000)
    qtbot.waitUntil(view.tail_button.isEnabled)
    # What the picture shows: the cluster's four topics (the dead-letter one among them),
    # both groups, and the tail running.
    assert {"shop.orders", "shop.payments", "shop.shipments", "shop.orders.DLT"} <= set(
        topic_names(view)
    )
    assert {"billing", "warehouse"} <= {g.group_id for g in service.groups}
    assert service.tail_state == "tailing"
    ARTIFACTS.mkdir(exist_ok=True)
    assert view.grab().save(str(ARTIFACTS / "connections.png"))


def test_marking_the_connected_profile_production_or_read_only_applies_at_once(
    view: ConnectionsView,
    service: KafkaService,
    context: AppContext,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
) -> None:
    # A support engineer who connected and then labels the profile production expects
    # the next replay or publish to ask, not to need a reconnect first.
    add_profile(qtbot, view, "live", broker.bootstrap)
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: service.state == "connected", timeout=20_000)
    event = Envelope(type="Probe", source="test")

    view.form.environment_combo.setCurrentText("production")
    qtbot.mouseClick(view.save_button, LEFT)
    assert context.kafka.profile is not None and context.kafka.profile.is_production
    assert "Connect again" not in view.form_message.text()  # nothing else changed
    with pytest.raises(ConfirmationNeeded):
        run(service.publish(event, "anything"))

    view.form.read_only_check.setChecked(True)
    type_into(qtbot, view.form.name_edit, "live-ro")  # a rename follows the connection too
    qtbot.mouseClick(view.save_button, LEFT)
    assert service.connected and service.profile is not None
    assert (service.profile.name, service.profile.read_only) == ("live-ro", True)
    assert context.kafka.profile == service.profile
    assert "live-ro" in view.banner.text()
    with pytest.raises(WriteRefused, match="read-only"):
        run(service.publish(event, "anything", confirmed=True))

    # An address is only used by a new connection: the form says so, and the live
    # connection keeps the address it has.
    type_into(qtbot, view.form.bootstrap_edit, "broker.example:9092")
    qtbot.mouseClick(view.save_button, LEFT)
    assert "Connect again to use its new connection settings" in view.form_message.text()
    assert service.profile.bootstrap_servers == broker.bootstrap


def test_the_banner_counts_a_topic_made_after_connecting(
    view: ConnectionsView, service: KafkaService, broker: TansuBroker, run: Any, qtbot: Any
) -> None:
    add_profile(qtbot, view, "counting", broker.bootstrap)
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: service.state == "connected", timeout=20_000)
    qtbot.waitUntil(lambda: len(service.topics) > 0, timeout=20_000)
    run(create_topic(broker.bootstrap, "conn-view-made-later"))
    qtbot.waitUntil(lambda: "conn-view-made-later" in topic_names(view), timeout=20_000)
    count = len(service.topics)
    qtbot.waitUntil(lambda: f": {count} topics," in view.banner.text(), timeout=5_000)
