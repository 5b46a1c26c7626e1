"""Connections, as issue 18 found them: Connect saves the profile (listed, usable with
``--profile`` on the command line, there after a restart), and Tail from takes an offset,
a time or a time ago as the command line does, refusing a bad entry with the reason."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from adapters.kafka.profiles import ProfileStore
from monitor.core.envelope import Envelope
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.kafka_service import KafkaService
from monitor.ui.live_feed import LiveFeed
from monitor.ui.views.connections import ConnectionsView
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic, produce
from tests.memory_keyring import MemoryKeyring
from tests.ui.helpers import kafka_service, show_view, type_into

REPO = Path(__file__).resolve().parents[2]
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


def type_new_profile(qtbot: Any, view: ConnectionsView, name: str, bootstrap: str) -> None:
    """What a user does who never presses Save: New, name, address."""
    qtbot.mouseClick(view.new_button, LEFT)
    type_into(qtbot, view.form.name_edit, name)
    type_into(qtbot, view.form.bootstrap_edit, bootstrap)


def listed(view: ConnectionsView) -> list[str]:
    items = (view.profile_list.item(i) for i in range(view.profile_list.count()))
    return [
        str(i.data(Qt.ItemDataRole.UserRole)) for i in items if i.data(Qt.ItemDataRole.UserRole)
    ]


def test_connect_saves_the_profile_for_the_list_the_command_line_and_a_restart(
    view: ConnectionsView,
    service: KafkaService,
    context: AppContext,
    broker: TansuBroker,
    config_dir: Path,
    run: Any,
    qtbot: Any,
) -> None:
    run(create_topic(broker.bootstrap, "saved-by-connect"))
    type_new_profile(qtbot, view, "typed-then-connected", broker.bootstrap)
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: service.state == "connected", timeout=20_000)
    assert listed(view) == ["typed-then-connected"]
    assert view.selected_name() == "typed-then-connected"
    assert "Saved profile typed-then-connected" in view.form_message.text()
    # Another process (the command line) finds it by name...
    saved = ProfileStore(config_dir / "profiles.json").get("typed-then-connected")
    assert saved.bootstrap_servers == broker.bootstrap
    result = subprocess.run(
        [sys.executable, "-m", "monitor", "kafka", "topics", "--profile", saved.name, "--json"],
        env={**_env(), "EVENTFLOW_CONFIG_DIR": str(config_dir)},
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "saved-by-connect" in result.stdout
    # ...and so does the window after a restart (a new view on the same config dir).
    again = show_view(qtbot, ConnectionsView(context, service))
    assert listed(again) == ["typed-then-connected"]


def test_connect_with_the_name_of_another_saved_profile_is_refused_and_overwrites_nothing(
    view: ConnectionsView, service: KafkaService, config_dir: Path, qtbot: Any
) -> None:
    type_new_profile(qtbot, view, "prod", "10.0.0.1:9092")
    qtbot.mouseClick(view.save_button, LEFT)
    type_new_profile(qtbot, view, "prod", "127.0.0.1:1")  # a new one, same name
    qtbot.mouseClick(view.connect_button, LEFT)
    text = view.form_message.text()
    assert text.startswith("Not connected:") and "exists already" in text
    assert view.form_message.property("tone") == "error"
    assert service.state == "disconnected"
    assert ProfileStore(config_dir / "profiles.json").get("prod").bootstrap_servers == (
        "10.0.0.1:9092"
    )


def test_connect_of_a_saved_profile_unchanged_does_not_rewrite_the_file(
    view: ConnectionsView, service: KafkaService, broker: TansuBroker, config_dir: Path, qtbot: Any
) -> None:
    type_new_profile(qtbot, view, "as-saved", broker.bootstrap)
    qtbot.mouseClick(view.save_button, LEFT)
    path = config_dir / "profiles.json"
    before = path.stat().st_mtime_ns
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: service.state == "connected", timeout=20_000)
    assert path.stat().st_mtime_ns == before
    assert "Saved profile" not in view.form_message.text()


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.mark.parametrize(
    ("kind", "typed", "reason"),
    [
        ("offset", "", "Type an offset"),
        ("offset", "-15m", "is not an offset: use a whole number"),
        ("offset", "12ab", "is not an offset"),
        ("time", "yesterday", "is not a time: use a date and time"),
        ("time", "1200", "is not a time"),
        ("ago", "15 minutes", "is not a time ago: use a number and a unit"),
        ("ago", "2026-11-26T10:00:00Z", "is not a time ago"),
    ],
)
def test_a_bad_start_is_refused_with_the_reason_and_nothing_is_tailed(
    view: ConnectionsView,
    service: KafkaService,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
    kind: str,
    typed: str,
    reason: str,
) -> None:
    run(create_topic(broker.bootstrap, "tail-from-refused"))
    type_new_profile(qtbot, view, "local", broker.bootstrap)
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: "tail-from-refused" in _topics(view), timeout=20_000)
    view.select_topics(["tail-from-refused"])
    view.tail_from.set_kind(kind)
    type_into(qtbot, view.tail_from.value_edit, typed)
    qtbot.mouseClick(view.tail_button, LEFT)
    assert view.tail_status.text().startswith("Not tailed: "), view.tail_status.text()
    assert reason in view.tail_status.text()
    assert view.tail_status.property("tone") == "error"
    assert not service.tailing and view.tail_button.isEnabled()


def _topics(view: ConnectionsView) -> list[str]:
    m = view.topics_model
    return [m.topic(r).name for r in range(m.rowCount())]


def _tailed(runtime: EmbeddedRuntime, topic: str) -> list[Envelope]:
    live = runtime.pipeline.live
    return [e for e in live.latest(live.capacity) if e.topic == topic]


def _tail(qtbot: Any, view: ConnectionsView, service: KafkaService, kind: str, value: str) -> None:
    view.tail_from.set_kind(kind)
    type_into(qtbot, view.tail_from.value_edit, value)
    qtbot.mouseClick(view.tail_button, LEFT)
    qtbot.waitUntil(lambda: service.tail_state == "tailing", timeout=20_000)


@pytest.mark.parametrize(
    ("kind", "value", "logged", "read"),
    [
        ("offset", "4", 0, [4, 5]),
        # An earlier run logged offsets 0..2: only what the log does not have is read.
        ("logged", "", 3, [3, 4, 5]),
    ],
)
def test_tail_from_an_offset_or_where_the_log_left_off_reads_from_there(
    view: ConnectionsView,
    service: KafkaService,
    quiet_runtime: EmbeddedRuntime,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
    kind: str,
    value: str,
    logged: int,
    read: list[int],
) -> None:
    topic = f"tail-from-{kind}"
    run(create_topic(broker.bootstrap, topic))
    for n in range(6):  # one record per request: offsets 0..5 exactly
        run(produce(broker.bootstrap, topic, [json.dumps({"n": n}).encode()]))
    assert quiet_runtime.log is not None
    quiet_runtime.log.append(
        [Envelope(type="T", source="s", topic=topic, partition=0, offset=i) for i in range(logged)]
    )
    type_new_profile(qtbot, view, "local", broker.bootstrap)
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: topic in _topics(view), timeout=20_000)
    view.select_topics([topic])
    _tail(qtbot, view, service, kind, value)
    assert view.tail_from.value_edit.isVisible() == (kind == "offset")
    qtbot.waitUntil(lambda: len(_tailed(quiet_runtime, topic)) == len(read), timeout=20_000)
    assert sorted(e.data["n"] for e in _tailed(quiet_runtime, topic)) == read


def test_tail_from_a_time_and_a_time_ago_read_the_records_after_it(
    view: ConnectionsView,
    service: KafkaService,
    quiet_runtime: EmbeddedRuntime,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
) -> None:
    topic = "tail-from-time"
    run(create_topic(broker.bootstrap, topic))
    run(produce(broker.bootstrap, topic, [b'{"n": 0}']))
    # The next whole second (the time field takes seconds), then a record after it.
    boundary = int(time.time()) + 1
    qtbot.waitUntil(lambda: time.time() >= boundary, timeout=3_000)
    run(produce(broker.bootstrap, topic, [b'{"n": 1}']))
    type_new_profile(qtbot, view, "local", broker.bootstrap)
    qtbot.mouseClick(view.connect_button, LEFT)
    qtbot.waitUntil(lambda: topic in _topics(view), timeout=20_000)
    view.select_topics([topic])
    at = datetime.fromtimestamp(boundary, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    _tail(qtbot, view, service, "time", at)
    # Only the record after the time (the one before it would have come first).
    qtbot.waitUntil(lambda: len(_tailed(quiet_runtime, topic)) == 1, timeout=20_000)
    assert [e.data for e in _tailed(quiet_runtime, topic)] == [{"n": 1}]
    # An hour ago, typed as the command line's -1h without its minus: both records.
    _tail(qtbot, view, service, "ago", "1h")
    qtbot.waitUntil(lambda: len(_tailed(quiet_runtime, topic)) == 3, timeout=20_000)
    assert sorted(e.data["n"] for e in _tailed(quiet_runtime, topic)) == [0, 1, 1]
    # Read and shown again, but the log holds each record once.
    writer, log = quiet_runtime.writer, quiet_runtime.log
    assert writer is not None and log is not None and writer.flush(timeout=10)
    assert sorted(e.offset for e in log.events(topic=topic)) == [0, 1]
