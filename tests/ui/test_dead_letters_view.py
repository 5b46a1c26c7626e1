"""The dead-letter view, driven as a user drives it: on the running demo (and, for Kafka,
against the real test broker) -- see the letters, group them, inspect, edit, replay,
discard, cancel -- plus Qt model tests and the screenshot."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QMessageBox

from adapters.kafka.profiles import ConnectionProfile
from monitor.core.dead_letter_groups import group_by_reason
from monitor.core.deadletters import REPLAY_HEADER, DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.display_format import format_age
from monitor.ui.live_feed import LiveFeed
from monitor.ui.operations import OperationRunner, OperationState
from monitor.ui.views.dead_letter_model import (
    Column,
    DeadLetterFilterProxy,
    DeadLetterTableModel,
    LetterRole,
    ReasonGroupModel,
)
from monitor.ui.views.dead_letters import DeadLettersView
from tests.adapters.conftest import create_topic, read_topic
from tests.ui.helpers import connect_kafka, shown_dead_letters_view

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
_topics = itertools.count()


# -- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture
def view(context: AppContext, qtbot: Any, run: Any) -> Iterator[DeadLettersView]:
    with shown_dead_letters_view(context, qtbot, run, size=(1500, 860)) as v:
        yield v


def slow_letters(n: int, topic: str, reason: str = "SlowConsumer") -> list[DeadLetter]:
    """Letters for a topic nobody handles on the bus: a replay of them stays replayed."""
    return [
        DeadLetter(
            event=Envelope(type="SlowThing", source="test", data={"n": i}, topic=topic),
            reason=f"{reason}: letter {i} timed out after 30 s",
            original_topic=topic,
            handler="slow-consumer",
            attempts=3,
        )
        for i in range(n)
    ]


def push(runtime: EmbeddedRuntime, letters: list[DeadLetter]) -> None:
    """Through the live path, as the bus hands over its dead letters."""
    for letter in letters:
        runtime.pipeline.accept_dead_letter(letter)


def shown_ids(view: DeadLettersView) -> set[str]:
    return {letter.id for letter in view.proxy.visible_letters()}


def wait_for_demo_letters(qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime) -> None:
    qtbot.waitUntil(lambda: runtime.pipeline.stats.dead_letters_total > 0, timeout=20_000)
    qtbot.waitUntil(lambda: view.proxy.rowCount() > 0, timeout=10_000)


def stored(runtime: EmbeddedRuntime, letter_id: str) -> DeadLetter:
    assert runtime.log is not None
    return runtime.log.dead_letter(letter_id)


def click_row(qtbot: Any, view: DeadLettersView, letter_id: str, modifier: Any = None) -> None:
    """Click the letter's row (found by id, scrolled into view), as a user would."""
    rows = [r for r in range(view.proxy.rowCount()) if view.proxy.letter_at(r).id == letter_id]
    assert rows, f"letter {letter_id} is not shown"
    index = view.proxy.index(rows[0], Column.EVENT_TYPE)
    view.table.scrollTo(index)
    qtbot.mouseClick(
        view.table.viewport(),
        Qt.MouseButton.LeftButton,
        modifier or Qt.KeyboardModifier.NoModifier,
        view.table.visualRect(index).center(),
    )


def focus_on(qtbot: Any, view: DeadLettersView, letter_id: str) -> None:
    """Type the letter's id into the filter and click its (now only) row: the demo keeps
    adding letters on top, and this keeps the row still."""
    view.search.clear()
    qtbot.keyClicks(view.search, letter_id)
    qtbot.waitUntil(lambda: shown_ids(view) == {letter_id}, timeout=10_000)
    click_row(qtbot, view, letter_id)
    assert [d.id for d in view.selected_letters()] == [letter_id]


def focus_on_a_demo_letter(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> DeadLetter:
    """Wait for the demo's letters, then focus on the one in the first row."""
    wait_for_demo_letters(qtbot, view, runtime)
    letter = view.proxy.letter_at(0)
    assert letter is not None
    focus_on(qtbot, view, letter.id)
    return letter


def click_group(qtbot: Any, view: DeadLettersView, key: str | None) -> None:
    row = view.group_model.row_of(key)
    assert row is not None, f"no group {key!r}"
    index = view.group_model.index(row, 0)
    view.group_list.scrollTo(index)
    qtbot.mouseClick(
        view.group_list.viewport(),
        Qt.MouseButton.LeftButton,
        pos=view.group_list.visualRect(index).center(),
    )
    assert view.selected_group == key


def answer(monkeypatch: pytest.MonkeyPatch, button: QMessageBox.StandardButton) -> list[str]:
    """Answer every QMessageBox.question with ``button``; returns the texts asked."""
    asked: list[str] = []

    def question(_parent: Any, title: str, text: str, *_a: Any, **_k: Any) -> Any:
        asked.append(f"{title}\n{text}")
        return button

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    return asked


def wait_idle(qtbot: Any, view: DeadLettersView, timeout: int = 20_000) -> None:
    qtbot.waitUntil(lambda: not view.runner.busy, timeout=timeout)


# -- seeing and inspecting -----------------------------------------------------------------


def test_demo_dead_letters_show_up_pending_with_counted_reason_groups(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    wait_for_demo_letters(qtbot, view, runtime)
    assert view.status_filter == "pending"
    letters = view.proxy.visible_letters()
    assert {d.status for d in letters} == {"pending"}
    first = view.proxy.index(0, Column.STATUS)
    assert first.data() == "pending"
    assert view.proxy.index(0, Column.TOPIC).data() == "payments.authorized"
    assert view.proxy.index(0, Column.HANDLER).data() == "warehouse"
    assert view.proxy.index(0, Column.ATTEMPTS).data() == "3"
    assert view.proxy.index(0, Column.REPLAYS).data() == "0"
    age = view.proxy.index(0, Column.AGE).data()
    assert age == "just now" or age.endswith(" s")
    # the groups: "All reasons" with the total, then one row per failure shape
    model = view.group_model
    assert model.index(0, 0).data() == "All reasons"
    groups = model.groups()
    assert groups and sum(g.count for g in groups) == view.proxy.rowCount()
    assert {g.exception for g in groups} <= {"UnknownProduct", "WarehouseTimeout"}
    assert "Pending" in view.status_buttons["pending"].text()


def test_a_narrow_view_keeps_the_status_buttons_whole(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    wait_for_demo_letters(qtbot, view, runtime)
    view.resize(1040, 640)  # about the main window's minimum width
    qtbot.waitUntil(lambda: view.width() <= 1080, timeout=5_000)
    qtbot.wait(50)
    for button in view.status_buttons.values():
        assert button.width() >= button.sizeHint().width(), button.text()
    ARTIFACTS.mkdir(exist_ok=True)
    assert view.grab().save(str(ARTIFACTS / "dead_letters_narrow.png"))


def test_choosing_a_reason_group_shows_only_its_letters(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    push(runtime, slow_letters(3, "test.groups"))
    qtbot.waitUntil(
        lambda: any(g.exception == "SlowConsumer" for g in view.group_model.groups()),
        timeout=10_000,
    )
    [slow] = [g for g in view.group_model.groups() if g.exception == "SlowConsumer"]
    assert slow.count == 3 and slow.key == "SlowConsumer: letter … timed out after … s"
    click_group(qtbot, view, slow.key)
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 3)
    assert {d.reason_group for d in view.proxy.visible_letters()} == {slow.key}
    assert view.replay_group_action.isEnabled()
    click_group(qtbot, view, None)
    assert view.proxy.rowCount() >= 3


def test_inspector_shows_reason_traceback_payload_headers_and_history(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    letter = focus_on_a_demo_letter(qtbot, view, runtime)
    details = view.details
    assert details.letter is not None and details.letter.id == letter.id
    assert details.reason.text() == letter.reason
    assert details.fields["Handler"].text() == "warehouse"
    assert details.fields["Dead letter id"].text() == letter.id
    assert details.fields["Correlation id"].text() == letter.event.correlation_id
    assert '"orderId"' in details.payload.toPlainText()
    assert "Traceback" in details.traceback.toPlainText()
    assert letter.event.id in details.envelope.toPlainText()
    assert details.history_rows() == []


def test_double_click_asks_for_the_chain_of_the_letters_event(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    letter = focus_on_a_demo_letter(qtbot, view, runtime)
    index = view.proxy.index(0, Column.REASON)
    where = view.table.visualRect(index).center()
    with qtbot.waitSignal(view.chain_requested) as signal:
        # A real double-click: press/release, then the double-click press (QTest's
        # mouseDClick alone has no first press, which item views require).
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=where)
        qtbot.mouseDClick(
            view.table.viewport(),
            Qt.MouseButton.LeftButton,
            pos=where,
        )
    assert signal.args == [letter.event.chain_id]


# -- replay, discard, edit -----------------------------------------------------------------


def test_replay_one_to_the_bus_marks_it_replayed_and_the_event_comes_back(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    resolved: list[dict[str, str]] = []
    original = runtime.pipeline.dead_letters_resolved
    monkeypatch.setattr(
        runtime.pipeline,
        "dead_letters_resolved",
        lambda statuses: (resolved.append(dict(statuses)), original(statuses)),
    )
    letter = focus_on_a_demo_letter(qtbot, view, runtime)
    assert view.replay_action.isEnabled()
    qtbot.mouseClick(view.replay_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view)
    assert stored(runtime, letter.id).status == "replayed"
    # the overview's pending count goes down by one; the chain shows it replayed
    assert [r for r in resolved if r] == [{letter.id: "replayed"}]

    # the replayed event went through the pipeline, marked as a replay of this letter
    def replayed_events() -> list[Envelope]:
        return [
            e
            for e in runtime.pipeline.live.latest(runtime.pipeline.live.capacity)
            if e.headers.get(REPLAY_HEADER) == letter.id
        ]

    qtbot.waitUntil(lambda: bool(replayed_events()), timeout=5000)
    assert replayed_events()[0].id == letter.event.id

    # pending no more: it left the pending list; under "All" it reads replayed. (The
    # filter also matches the event id, so the replayed event's own new dead letter, if
    # the warehouse fails on it again, may show up too.)
    qtbot.waitUntil(lambda: letter.id not in shown_ids(view), timeout=5000)
    qtbot.mouseClick(view.status_buttons[None], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: letter.id in shown_ids(view))
    row = next(r for r in range(view.proxy.rowCount()) if view.proxy.letter_at(r).id == letter.id)
    assert view.proxy.index(row, Column.STATUS).data() == "replayed"
    assert view.proxy.index(row, Column.REPLAYS).data() == "1"
    click_row(qtbot, view, letter.id)
    qtbot.waitUntil(lambda: len(view.details.history_rows()) >= 1, timeout=5000)
    assert view.details.history_rows()[0] == ("replay", "bus:payments.authorized", "published")
    if letter.reason.startswith("UnknownProduct"):
        # The warehouse fails an unknown product again: the history says so, naming the
        # new letter (it shows up as it happens, without clicking again).
        qtbot.waitUntil(lambda: len(view.details.history_rows()) == 2, timeout=10_000)
        action, new_letter, result = view.details.history_rows()[1]
        assert action == "failed again" and "failed on the replay again" in result
        assert stored(runtime, new_letter).replayed_from == letter.id
    assert "1 replayed" in view.operation_bar.label.text()


def test_discard_asks_first_and_declining_changes_nothing(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    letter = focus_on_a_demo_letter(qtbot, view, runtime)

    asked = answer(monkeypatch, QMessageBox.StandardButton.No)
    qtbot.mouseClick(view.discard_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "Discard 1 dead letter?" in asked[0]
    assert not view.runner.busy
    assert stored(runtime, letter.id).status == "pending"

    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    view.discard_action.trigger()  # the shortcut's path
    wait_idle(qtbot, view)
    assert stored(runtime, letter.id).status == "discarded"
    qtbot.mouseClick(view.status_buttons["discarded"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: shown_ids(view) == {letter.id}, timeout=5000)
    assert view.proxy.index(0, Column.STATUS).data() == "discarded"
    click_row(qtbot, view, letter.id)
    qtbot.waitUntil(lambda: len(view.details.history_rows()) == 1, timeout=5000)
    assert view.details.history_rows()[0][0] == "discard"


def test_edit_payload_shows_the_diff_and_stores_the_edit_only(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    letter = focus_on_a_demo_letter(qtbot, view, runtime)
    view.edit_action.trigger()
    qtbot.waitUntil(lambda: view.edit_dialog is not None and view.edit_dialog.isVisible())
    dialog = view.edit_dialog
    assert dialog is not None
    assert dialog.original.data == letter.event.data  # the logged event as it failed
    assert not dialog.save_button.isEnabled()  # nothing changed yet

    sku = letter.event.data["items"][0]["sku"]  # SKU-999 (unknown) or any (a timeout)
    text = dialog.payload_edit.toPlainText()
    assert f'"{sku}"' in text
    dialog.payload_edit.setPlainText(text.replace(f'"{sku}"', '"SKU-100X"'))
    assert dialog.error() == ""
    diff = dialog.diff_text()
    assert f'-      "sku": "{sku}",' in diff
    assert '+      "sku": "SKU-100X",' in diff
    assert f'payload.items[0].sku: "{sku}" \u2192 "SKU-100X"' in dialog.changes_label.text()
    assert dialog.save_button.isEnabled()

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: stored(runtime, letter.id).event.data["items"][0]["sku"] == "SKU-100X",
        timeout=5000,
    )
    after = stored(runtime, letter.id)
    assert after.status == "pending" and after.event.id == letter.event.id
    # Nothing was sent; the edit is in the letter's history, with what it changed.
    assert runtime.log is not None
    assert [(a.action, a.result) for a in runtime.log.actions(letter.id)] == [
        ("edit", f'payload.items[0].sku: "{sku}" \u2192 "SKU-100X"')
    ]
    qtbot.waitUntil(lambda: view.details.history_rows() != [], timeout=5000)
    assert view.details.history_rows()[0][0] == "edit"
    # the inspector shows the stored (edited) payload after the refresh
    qtbot.waitUntil(lambda: "SKU-100X" in view.details.payload.toPlainText(), timeout=5000)


def test_invalid_json_is_refused_with_a_clear_message(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    letter = focus_on_a_demo_letter(qtbot, view, runtime)
    qtbot.mouseClick(view.edit_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.edit_dialog is not None and view.edit_dialog.isVisible())
    dialog = view.edit_dialog
    assert dialog is not None

    dialog.payload_edit.setPlainText('{"orderId": "ord-1",\n "qty": }')
    assert "The payload is not valid JSON" in dialog.error_label.text()
    assert "line 2, column" in dialog.error_label.text()
    assert dialog.error_label.isVisible()
    assert not dialog.save_button.isEnabled()
    dialog.accept()  # even forced, it refuses and stays open
    assert dialog.isVisible()

    dialog.revert()
    dialog.tabs.setCurrentWidget(dialog.headers_edit)
    dialog.headers_edit.setPlainText('{"x-retry": 3}')
    assert 'The header "x-retry" must be a string' in dialog.error_label.text()
    assert not dialog.save_button.isEnabled()

    dialog.reject()
    qtbot.waitUntil(lambda: view.edit_dialog is None)
    assert stored(runtime, letter.id).event.data == letter.event.data


def test_replay_a_whole_group_with_progress_reaching_100_percent(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    topic = f"test.group{next(_topics)}"
    letters = slow_letters(12, topic, reason="GroupFailure")
    push(runtime, letters)
    qtbot.waitUntil(
        lambda: any(g.exception == "GroupFailure" for g in view.group_model.groups()),
        timeout=10_000,
    )
    [group] = [g for g in view.group_model.groups() if g.exception == "GroupFailure"]
    click_group(qtbot, view, group.key)
    view.rate_spin.setValue(200)
    progress: list[tuple[int, int]] = []
    view.runner.progress_changed.connect(lambda d, t, _text: progress.append((d, t)))
    qtbot.mouseClick(view.replay_group_button, Qt.MouseButton.LeftButton)
    assert view.operation_bar.isVisible()
    assert not view.replay_action.isEnabled()  # one operation at a time
    wait_idle(qtbot, view)
    assert progress[-1] == (12, 12)
    bar = view.operation_bar.progress
    assert bar.maximum() == 12 and bar.value() == 12
    assert view.operation_bar.last_kind == "succeeded"
    assert "12 replayed" in view.operation_bar.label.text()
    assert {stored(runtime, d.id).status for d in letters} == {"replayed"}
    qtbot.waitUntil(lambda: view.selected_group is None, timeout=5000)  # none pending now


def test_cancel_a_long_replay_stops_after_the_window_and_leaves_the_rest_pending(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime
) -> None:
    topic = f"test.cancel{next(_topics)}"
    letters = slow_letters(40, topic, reason="CancelMe")
    push(runtime, letters)
    qtbot.waitUntil(
        lambda: any(g.exception == "CancelMe" and g.count == 40 for g in view.group_model.groups()),
        timeout=10_000,
    )
    [group] = [g for g in view.group_model.groups() if g.exception == "CancelMe"]
    click_group(qtbot, view, group.key)
    view.rate_spin.setValue(10)  # windows of 10 letters, about a second each
    qtbot.mouseClick(view.replay_group_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.operation_bar.progress.value() >= 1, timeout=10_000)
    qtbot.mouseClick(view.operation_bar.cancel_button, Qt.MouseButton.LeftButton)
    assert view.operation_bar.label.text() == "Stopping\u2026"
    wait_idle(qtbot, view)
    statuses = [stored(runtime, d.id).status for d in letters]
    replayed = statuses.count("replayed")
    assert 1 <= replayed < 40 and replayed % 10 == 0  # whole windows only
    assert statuses.count("pending") == 40 - replayed
    assert "stopped" in view.operation_bar.label.text()
    assert f"{40 - replayed} not sent (still pending)" in view.operation_bar.label.text()


# -- Kafka ---------------------------------------------------------------------------------


def test_replay_to_kafka_sends_to_the_original_topic(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    context: AppContext,
    broker: Any,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    topic = f"ui-dlq{next(_topics)}-orders"
    run(create_topic(broker.bootstrap, topic))
    profile = ConnectionProfile(name="local", bootstrap_servers=broker.bootstrap)
    assert not view.replay_to_kafka_action.isEnabled()  # not connected yet
    connect_kafka(request, context, run, profile)
    assert view.replay_to_kafka_action.isEnabled()
    assert view.replay_to_kafka_action.text() == "Kafka \u00b7 local"
    qtbot.mouseClick(view.kafka_target_button, Qt.MouseButton.LeftButton)
    assert view.replay_target().kind == "kafka"

    [letter] = slow_letters(1, topic, reason="KafkaBound")
    push(runtime, [letter])
    qtbot.waitUntil(lambda: letter.id in {d.id for d in view.model.letters()}, timeout=10_000)
    focus_on(qtbot, view, letter.id)
    # A letter from the bus sent to Kafka goes elsewhere than where it came from: asked.
    asked = answer(monkeypatch, QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(view.replay_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1 and "instead of where it came from" in asked[0]
    wait_idle(qtbot, view, timeout=30_000)
    assert view.operation_bar.last_kind == "succeeded", view.operation_bar.label.text()
    assert stored(runtime, letter.id).status == "replayed"
    assert runtime.log is not None
    [action] = runtime.log.actions(letter.id)
    assert action.target == f"kafka:local/{topic}"

    [record] = run(read_topic(profile, topic, 1), timeout_ms=30_000)
    assert record.headers[REPLAY_HEADER] == letter.id
    assert record.id == letter.event.id and record.data == {"n": 0}

    context.kafka.set("disconnected", "Not connected")
    assert not view.replay_to_kafka_action.isEnabled()
    assert view.replay_target().kind == "origin"  # the default: where each came from


def test_read_only_profile_disables_kafka_replay_and_says_why(
    view: DeadLettersView, context: AppContext
) -> None:
    profile = ConnectionProfile(name="audit", bootstrap_servers="127.0.0.1:9", read_only=True)
    context.kafka.set("connected", "Connected to audit", profile, None)
    assert not view.replay_to_kafka_action.isEnabled()
    assert "read-only" in view.replay_to_kafka_action.toolTip()
    assert view.kafka_note.isVisible()
    assert "read-only" in view.kafka_note.text() and "audit" in view.kafka_note.text()
    assert view.replay_target().kind == "origin"  # the default: where each came from


def test_production_profile_asks_naming_it_and_declining_sends_nothing(
    qtbot: Any,
    view: DeadLettersView,
    runtime: EmbeddedRuntime,
    context: AppContext,
    broker: Any,
    run: Any,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    topic = f"ui-dlq{next(_topics)}-prod"
    run(create_topic(broker.bootstrap, topic))
    profile = ConnectionProfile(
        name="live-eu", bootstrap_servers=broker.bootstrap, environment="production"
    )
    connect_kafka(request, context, run, profile)
    assert view.replay_to_kafka_action.isEnabled()
    assert view.kafka_note.isVisible() and "production" in view.kafka_note.text()
    view.replay_to_kafka_action.trigger()

    letters = slow_letters(2, topic, reason="ProdBound")
    push(runtime, letters)
    qtbot.waitUntil(
        lambda: {d.id for d in letters} <= {d.id for d in view.model.letters()}, timeout=10_000
    )
    view.search.setText("ProdBound")
    qtbot.waitUntil(lambda: view.proxy.rowCount() == 2)
    click_row(qtbot, view, letters[0].id)
    click_row(qtbot, view, letters[1].id, Qt.KeyboardModifier.ControlModifier)
    assert len(view.selected_letters()) == 2

    asked = answer(monkeypatch, QMessageBox.StandardButton.No)
    qtbot.mouseClick(view.replay_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 1
    assert "live-eu" in asked[0] and "2 dead letters" in asked[0] and "production" in asked[0]
    assert not view.runner.busy
    assert "nothing was sent" in view.message_label.text()
    assert runtime.log is not None
    assert {stored(runtime, d.id).status for d in letters} == {"pending"}
    assert all(runtime.log.actions(d.id) == [] for d in letters)

    answer(monkeypatch, QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(view.replay_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, view, timeout=30_000)
    assert {stored(runtime, d.id).status for d in letters} == {"replayed"}
    sent = run(read_topic(profile, topic, 2), timeout_ms=30_000)
    assert sorted(e.headers[REPLAY_HEADER] for e in sent) == sorted(d.id for d in letters)


def test_without_an_event_log_the_view_says_so_and_offers_nothing(
    qtbot: Any, run: Any, tmp_path: Path
) -> None:
    runtime = EmbeddedRuntime(None, demo_rate=None)
    view = DeadLettersView(AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline)))
    view.show()
    qtbot.waitExposed(view)
    assert "No event log" in view.message_label.text() and view.message_label.isVisible()
    assert view.proxy.rowCount() == 0
    for action in (view.replay_action, view.discard_action, view.edit_action):
        assert not action.isEnabled()
    run(view.aclose())
    view.deleteLater()


def test_layout_rate_and_status_filter_are_remembered(
    qtbot: Any, run: Any, runtime: EmbeddedRuntime, tmp_path: Path
) -> None:
    from PySide6.QtCore import QSettings

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    context = AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline), settings=settings)
    first = DeadLettersView(context)
    first.rate_spin.setValue(37)
    qtbot.mouseClick(first.status_buttons["replayed"], Qt.MouseButton.LeftButton)
    first.splitter.setSizes([200, 900])
    run(first.aclose())
    first.deleteLater()
    settings.sync()

    second = DeadLettersView(context)
    assert second.rate_spin.value() == 37
    assert second.status_filter == "replayed"
    assert second.status_buttons["replayed"].isChecked()
    run(second.aclose())
    second.deleteLater()

    settings.setValue("dead_letters/rate", "many")  # damaged: the default stays
    third = DeadLettersView(context)
    assert third.rate_spin.value() == 100
    run(third.aclose())
    third.deleteLater()


# -- models and the operation runner -------------------------------------------------------


def make_letter(i: int, *, status: str = "pending", reason: str = "E: x") -> DeadLetter:
    return DeadLetter(
        event=Envelope(type=f"T{i}", source="t", topic="t.x"),
        reason=reason,
        original_topic="t.x",
        handler="h",
        created_at=1_700_000_000.0 + i,
        id=f"dl-{i:03d}",
        status=status,  # type: ignore[arg-type]
    )


def newest_first(letters: list[DeadLetter]) -> list[DeadLetter]:
    return sorted(letters, key=lambda d: (d.created_at, d.id), reverse=True)


def test_table_model_passes_qt_model_tests_through_updates(qtmodeltester: Any) -> None:
    model = DeadLetterTableModel(clock=lambda: 1_700_000_100.0)
    model.set_letters(newest_first([make_letter(i) for i in range(6)]))
    qtmodeltester.check(model, force_py=True)
    # a refresh that drops two, adds three and changes one
    changed = make_letter(3, status="replayed")
    fresh = [make_letter(i) for i in (0, 2, 4, 5, 6, 7, 8)] + [changed]
    model.set_letters(newest_first(fresh))
    assert [model.letter(r).id for r in range(model.rowCount())] == [
        d.id for d in newest_first(fresh)
    ]
    qtmodeltester.check(model, force_py=True)
    proxy = DeadLetterFilterProxy()
    proxy.setSourceModel(model)
    qtmodeltester.check(proxy, force_py=True)
    assert {d.status for d in proxy.visible_letters()} == {"pending"}
    proxy.set_status(None)
    assert proxy.rowCount() == 8
    proxy.set_text("T3")
    assert [d.id for d in proxy.visible_letters()] == ["dl-003"]


def test_table_model_keeps_rows_still_and_selection_alive_across_a_refresh(
    qtbot: Any,
) -> None:
    model = DeadLetterTableModel()
    inserted: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, first, last: inserted.append((first, last)))
    model.set_letters(newest_first([make_letter(i) for i in range(3)]))
    persistent = model.index(2, 0)  # dl-000, the oldest
    from PySide6.QtCore import QPersistentModelIndex

    kept = QPersistentModelIndex(persistent)
    model.set_letters(newest_first([make_letter(i) for i in range(5)]))
    assert inserted[-1] == (0, 1)  # two new rows on top, nothing reset
    assert kept.isValid() and model.letter(kept.row()).id == "dl-000"
    cell = model.index(0, Column.STATUS)
    assert cell.data() == "pending"
    assert cell.data(LetterRole).id == "dl-004"
    assert model.data(QModelIndex()) is None


def test_reason_group_model_passes_qt_model_tests(qtmodeltester: Any) -> None:
    model = ReasonGroupModel()
    qtmodeltester.check(model, force_py=True)
    letters = [make_letter(i, reason=f"KeyError: {i}") for i in range(3)]
    letters += [make_letter(9, reason="ValueError: bad")]
    model.set_groups(group_by_reason(letters))
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 3
    assert model.index(0, 0).data() == "All reasons"
    assert model.index(1, 0).data() == "KeyError: …"
    model.set_groups(group_by_reason(letters[:2] + letters[3:]))  # same keys: rows update
    qtmodeltester.check(model, force_py=True)


def test_ages_read_short() -> None:
    assert format_age(-3) == "just now"
    assert format_age(42) == "42 s"
    assert format_age(180) == "3 min"
    assert format_age(3 * 3600 + 5) == "3 h"
    assert format_age(2 * 86400) == "2 d"


def test_runner_runs_one_operation_at_a_time_and_reports_how_it_ended(
    qtbot: Any, loop: Any
) -> None:
    runner = OperationRunner()
    gate = asyncio.Event()
    results: list[Any] = []

    async def slow(state: OperationState) -> int:
        state.progress(1, 2, "half way")
        await gate.wait()
        state.progress(2, 2)
        return 7

    async def broken(state: OperationState) -> None:
        raise ValueError("no such thing")

    async def stoppable(state: OperationState) -> None:
        while True:
            state.check_cancelled()
            await asyncio.sleep(0.01)

    with qtbot.waitSignal(runner.finished) as done:
        assert runner.start("Slow", slow, on_success=results.append, summary=str)
        assert runner.busy and not runner.start("Another", slow)  # refused while busy
        gate.set()
    assert done.args == ["succeeded", "7"] and results == [7] and not runner.busy

    with qtbot.waitSignal(runner.finished) as done:
        runner.start("Broken", broken, on_failure=results.append)
    assert done.args == ["failed", "Broken failed: no such thing"]
    assert isinstance(results[-1], ValueError)

    with qtbot.waitSignal(runner.finished) as done:
        runner.start("Stoppable", stoppable, on_cancelled=lambda: results.append("cancelled"))
        runner.cancel()
    assert done.args[0] == "cancelled" and results[-1] == "cancelled"

    async def connecting(state: OperationState) -> None:
        state.interruptible = True  # waiting on something safe to abandon
        await asyncio.Event().wait()  # never set: only a hard cancel ends this

    with qtbot.waitSignal(runner.finished, timeout=10_000) as done:
        runner.start("Connecting", connecting)
        qtbot.waitUntil(lambda: runner.busy)
        loop.call_soon(runner.cancel)
    assert done.args == ["cancelled", "Cancelled"] and not runner.busy


# -- the screenshot ------------------------------------------------------------------------


def test_screenshot(
    qtbot: Any, view: DeadLettersView, runtime: EmbeddedRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The view as a user meets it: letters in groups, one inspected after a replay."""
    push(runtime, slow_letters(4, "shipping.labels", reason="LabelServiceDown"))
    qtbot.waitUntil(lambda: runtime.pipeline.stats.dead_letters_total > 12, timeout=20_000)
    qtbot.waitUntil(lambda: len(view.group_model.groups()) >= 3, timeout=10_000)
    # replay one so the "All" view shows a mix and the inspector has history
    letter = next(d for d in view.proxy.visible_letters() if d.handler == "warehouse")
    focus_on(qtbot, view, letter.id)
    view.replay_action.trigger()
    wait_idle(qtbot, view)
    view.search.clear()
    qtbot.mouseClick(view.status_buttons[None], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: letter.id in shown_ids(view), timeout=5000)
    click_row(qtbot, view, letter.id)
    view.details.tabs.setCurrentIndex(0)
    qtbot.waitUntil(lambda: len(view.details.history_rows()) >= 1, timeout=5000)
    view.operation_bar.show()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert view.grab().save(str(ARTIFACTS / "dead_letters.png"))
    with EventLog(runtime.db_path or "") as log:  # a second reader sees the same store
        assert log.dead_letter(letter.id).status == "replayed"
