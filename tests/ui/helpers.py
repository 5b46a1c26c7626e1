"""Helpers the Qt view tests share: showing a view as a user sees it, typing into a field,
and a Kafka service that must leave no task behind."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from PySide6.QtWidgets import QWidget

from monitor.core.runtime import EmbeddedRuntime
from monitor.ui.context import AppContext
from monitor.ui.kafka_service import KafkaService
from monitor.ui.live_feed import LiveFeed
from monitor.ui.views.dead_letters import DeadLettersView
from monitor.ui.views.event_stream import EventStreamView

W = TypeVar("W", bound=QWidget)


def show_view(qtbot: Any, view: W) -> W:
    """Show ``view`` at a typical docked size and wait until it is on screen; pytest-qt
    closes it after the test."""
    qtbot.addWidget(view)
    view.resize(1280, 820)
    view.show()
    qtbot.waitExposed(view)
    return view


def type_into(qtbot: Any, widget: Any, text: str) -> None:
    """Replace the field's text by typing, as a user would (so edit signals fire)."""
    widget.clear()
    qtbot.keyClicks(widget, text)


@contextmanager
def kafka_service(
    context: AppContext, run: Any, *, sample_interval: float
) -> Iterator[KafkaService]:
    """A service for a fixture to yield; shut down afterwards, and then it must hold no
    pending task (a leaked task would run into the next test)."""
    service = KafkaService(context, sample_interval=sample_interval)
    yield service
    run(service.shutdown())
    assert service.pending_tasks() == []


def connect_kafka(request: Any, context: AppContext, run: Any, profile: Any) -> KafkaService:
    """Connect the window's Kafka service to ``profile`` (a real session on the test
    broker), as the Connect button does; shut down, leaving no task, after the test."""
    service = KafkaService(context, sample_interval=5.0)

    def shut_down() -> None:
        run(service.shutdown())
        assert service.pending_tasks() == []

    request.addfinalizer(shut_down)
    assert run(service.connect_profile(profile), timeout_ms=30_000), service.sentence
    return service


@contextmanager
def live_stream_view(
    runtime: EmbeddedRuntime, qtbot: Any, run: Any, *, height: int = 700
) -> Iterator[EventStreamView]:
    """The event stream on ``runtime`` with its live feed running, shown 1024 wide; its
    log search is stopped and the feed stopped afterwards."""
    feed = LiveFeed(runtime.pipeline)
    feed.start()
    widget = EventStreamView(AppContext(runtime=runtime, feed=feed))
    qtbot.addWidget(widget)
    widget.resize(1024, height)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget
    widget.cancel_search()
    run(widget.wait_search())
    feed.stop()


@contextmanager
def shown_dead_letters_view(
    context: AppContext, qtbot: Any, run: Any, *, size: tuple[int, int]
) -> Iterator[DeadLettersView]:
    """The dead-letter view, shown at ``size``, reloading every 200 ms (the default 2 s
    would only make tests slower). Not qtbot.addWidget: pytest-qt would delete it before
    this teardown, and the view is closed as the window closes it: aclose() first (its
    tasks end), then delete."""
    view = DeadLettersView(context)
    view.set_refresh_interval(200)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    yield view
    run(view.aclose())
    view.close()
    view.deleteLater()
