"""Publishing from the window to a topic the cluster does not have is refused, saying so,
unless "Create the topic if it does not exist" is ticked: a broker creates any topic a
producer names, so a typo used to make a new topic silently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.profiles import ConnectionProfile
from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.kafka_service import KafkaService
from monitor.ui.live_feed import LiveFeed
from monitor.ui.main_window import stop_runtime
from monitor.ui.views.publish import PublishView
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import create_topic
from tests.ui.helpers import kafka_service, type_into

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def service(tmp_path: Path, run: Any) -> Iterator[KafkaService]:
    runtime = EmbeddedRuntime(tmp_path / "log.db", demo_rate=0, seed=3)
    run(runtime.start())
    context = AppContext(runtime=runtime, feed=LiveFeed(runtime.pipeline))
    # No refresh on its own during a test: the topic list is read at connect, and again
    # only when the composer asks.
    with kafka_service(context, run, sample_interval=600.0) as svc:
        yield svc
    run(stop_runtime(runtime))


@pytest.fixture
def view(service: KafkaService, config_dir: Path, qtbot: Any) -> PublishView:
    widget = PublishView(service.context, service)
    qtbot.addWidget(widget)
    widget.resize(1024, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def topic_exists(run: Any, broker: TansuBroker, topic: str) -> bool:
    async def ask() -> bool:
        async with KafkaCluster(ConnectionProfile.ad_hoc(broker.bootstrap)) as cluster:
            return await cluster.has_topic(topic)

    return bool(run(ask()))


def test_a_missing_topic_is_refused_until_creating_it_is_ticked(
    view: PublishView, service: KafkaService, broker: TansuBroker, run: Any, qtbot: Any
) -> None:
    assert run(service.connect_profile(ConnectionProfile("local", broker.bootstrap)))
    qtbot.waitUntil(view.kafka_radio.isEnabled)
    assert not view.create_topic_check.isVisible()  # the bus has no topics to create
    qtbot.mouseClick(view.kafka_radio, LEFT)
    assert view.create_topic_check.isVisible() and not view.create_topic_check.isChecked()
    typo = "publish-missing-ordres"
    type_into(qtbot, view.type_edit, "TypoProbe")
    type_into(qtbot, view.topic_combo.lineEdit(), typo)

    qtbot.mouseClick(view.send_button, LEFT)
    qtbot.waitUntil(lambda: view.status.text().startswith("Not sent"), timeout=10_000)
    assert view.status.text() == (
        f"Not sent: Topic {typo} does not exist on local ({broker.bootstrap}); create it,"
        ' or tick "Create the topic if it does not exist" and send again.'
    )
    assert not topic_exists(run, broker, typo)  # nothing was created by asking
    ARTIFACTS.mkdir(exist_ok=True)
    view.grab().save(str(ARTIFACTS / "publish_missing_topic.png"))

    view.create_topic_check.setChecked(True)
    qtbot.mouseClick(view.send_button, LEFT)
    qtbot.waitUntil(lambda: view.status.text().startswith("Published"), timeout=10_000)
    assert f"{typo}[" in view.status.text()
    assert topic_exists(run, broker, typo)


def test_an_existing_topic_made_after_the_last_refresh_is_not_refused(
    view: PublishView, service: KafkaService, broker: TansuBroker, run: Any, qtbot: Any
) -> None:
    assert run(service.connect_profile(ConnectionProfile("local", broker.bootstrap)))
    topic = "publish-made-just-now"
    run(create_topic(broker.bootstrap, topic))  # after the connect read the topic list
    assert topic not in {t.name for t in service.topics}
    qtbot.waitUntil(view.kafka_radio.isEnabled)
    qtbot.mouseClick(view.kafka_radio, LEFT)
    type_into(qtbot, view.type_edit, "FreshProbe")
    type_into(qtbot, view.topic_combo.lineEdit(), topic)
    qtbot.mouseClick(view.send_button, LEFT)
    qtbot.waitUntil(lambda: view.status.text().startswith("Published"), timeout=10_000)
