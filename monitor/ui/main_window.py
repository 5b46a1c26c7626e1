"""The main window: the views as docks the user can rearrange, menus, shortcuts, status.

The window owns no business logic: it builds the :class:`AppContext`, hands it to each
view, wires the views' signals to each other (a double-click in the stream opens the
chain), and keeps the layout, theme and other preferences between runs.

Closing the window stops the runtime first (the log writer flushes, tasks end), and only
then lets the window close and emits :attr:`MainWindow.closed`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QByteArray, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QTabWidget,
    QWidget,
)

from monitor import __version__
from monitor.core.event_filter import EventFilter
from monitor.core.runtime import EmbeddedRuntime
from monitor.core.stats import StatsSnapshot
from monitor.ui import theme
from monitor.ui.context import AppContext
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.history_service import HistoryService
from monitor.ui.kafka_service import KafkaService
from monitor.ui.live_feed import LiveFeed
from monitor.ui.notifications import TrayNotifier
from monitor.ui.screen_fit import fit_on_screen, scrolling
from monitor.ui.shortcuts import ShortcutsDialog
from monitor.ui.views.alerts import AlertsView
from monitor.ui.views.catalog import CatalogView
from monitor.ui.views.chain_view import ChainView
from monitor.ui.views.connections import ConnectionsView
from monitor.ui.views.dead_letters import DeadLettersView
from monitor.ui.views.event_stream import LIVE_TAB, EventStreamView
from monitor.ui.views.overview import OverviewView, events_per_second
from monitor.ui.views.publish import PublishView

log = logging.getLogger(__name__)

WINDOW_TITLE = "Eventflow Monitor"
SETTLE_SECONDS = 3.0  # how long closing waits for demo orders already placed
LAYOUT_VERSION = 5  # bump when the set of docks changes: an old saved layout is ignored


def status_text(runtime: EmbeddedRuntime) -> str:
    demo = runtime.demo
    if demo is None:
        return "Embedded bus"
    if demo.state == "stopped":
        return "Embedded bus - demo stopped (Demo > Resume starts it again)"
    if demo.state == "paused":
        return f"Embedded bus - demo paused after {demo.orders_placed:,} orders"
    if demo.rate > 0:
        asked = f"{demo.rate:,.0f}" if demo.rate >= 1 else f"{demo.rate:g}"
        reached = demo.reached_rate()
        if reached is not None and reached < 0.75 * demo.rate:
            # Asked for more than this machine can do beside the window: say what it does.
            return (
                f"Embedded bus - demo asked for {asked} orders/s, "
                f"reaching {reached:,.0f} (as fast as this machine goes)"
            )
        return f"Embedded bus - demo running at {asked} orders/s"
    return "Embedded bus - demo services only, no orders placed"


async def stop_runtime(runtime: EmbeddedRuntime) -> None:
    """Stop placing demo orders, let the orders in flight finish, then stop everything
    (their chains stay whole in the log)."""
    demo = runtime.demo
    if demo is not None and runtime.started:
        await demo.stop_placing()
        try:
            await asyncio.wait_for(demo.settle(), SETTLE_SECONDS)
        except TimeoutError:
            log.warning("demo orders still in flight after %ss; stopping anyway", SETTLE_SECONDS)
    await runtime.stop()


class MainWindow(QMainWindow):
    """The window over one :class:`EmbeddedRuntime` (already started or not).

    ``settings`` is anything with QSettings' ``value``/``setValue`` (the app passes an
    :class:`~monitor.ui.settings.AppSettings`); ``None`` keeps nothing between runs.
    ``notice``: a sentence shown once the window is up (the app says so when it set a
    damaged event log aside).
    """

    # Emitted once the runtime has stopped and the window has really closed.
    closed = Signal()

    def __init__(
        self,
        runtime: EmbeddedRuntime,
        *,
        settings: Any = None,
        notice: str | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self.runtime = runtime
        self._settings = settings
        self._shutdown_task: asyncio.Future[None] | None = None
        self._runtime_stopped = False
        self._closed = False
        self._closing: asyncio.Future[None] | None = None
        self._demo_task: asyncio.Future[None] | None = None
        self.setWindowTitle(WINDOW_TITLE)
        self.resize(1360, 860)
        self.setDockNestingEnabled(True)
        self.setDocumentMode(True)
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)

        # Five minutes: the overview's live range (measured: 0.3 ms a snapshot, not 0.1).
        self.feed = LiveFeed(runtime.pipeline, window_seconds=300, parent=self)
        self.context = AppContext(runtime=runtime, feed=self.feed, settings=settings)

        self.kafka = KafkaService(self.context)
        self.overview = OverviewView(self.context)
        self.overview.set_kafka_gauges(self.kafka.lag, self.kafka.dead_letter_depth)
        self.history = HistoryService(self.context, self.kafka, parent=self)
        self.overview.set_history(self.history)
        self.alerts = AlertsView(self.history)
        self.catalog = CatalogView(self.context)
        self.notifier = TrayNotifier(self)
        self.stream = EventStreamView(self.context)
        # One Ctrl+F for the whole window (below); the view's own would be ambiguous.
        self.stream.focus_filter_action.setShortcut(QKeySequence())
        self.chains = ChainView(self.context)
        self.dead_letters = DeadLettersView(self.context)
        self.publish = PublishView(self.context, self.kafka)
        if self.publish.template_combo.count():
            self.publish.template_bar.load_selected()  # a composer ready to send at once
        self.connections = ConnectionsView(self.context, self.kafka)
        self.docks: dict[str, QDockWidget] = {}
        self._add_dock("overview", "Overview", self.overview)
        self._add_dock("stream", "Event stream", self.stream)
        self._add_dock("chains", "Correlation chain", self.chains)
        self._add_dock("dead_letters", "Dead letters", self.dead_letters)
        # A dock tabbed behind another is still "visible" to Qt: the views that redraw or
        # reload on timers hear from their dock when their tab is current, and rest when not.
        for key, view in (
            ("overview", self.overview),
            ("chains", self.chains),
            ("dead_letters", self.dead_letters),
        ):
            self.docks[key].visibilityChanged.connect(view.set_on_screen)
        self._add_dock("publish", "Publish", self.publish)
        self._add_dock("connections", "Connections", self.connections)
        self._add_dock("alerts", "Alerts", self.alerts)
        self._add_dock("catalog", "Catalog", self.catalog)
        self.docks["catalog"].visibilityChanged.connect(self.catalog.set_on_screen)
        self.catalog.chain_requested.connect(self.open_chain)
        self.catalog.dead_letter_requested.connect(self.show_dead_letter)
        self.catalog.topic_requested.connect(self.show_topic)
        self._tabify_all()
        self._default_layout = self.saveState(LAYOUT_VERSION)  # for View > Reset layout
        self.publish.chain_requested.connect(self.open_chain)
        self.dead_letters.chain_requested.connect(self.open_chain)
        self.stream.chain_requested.connect(self.open_chain)
        self.chains.dead_letter_selected.connect(self.show_dead_letter)
        self.overview.dead_letters_requested.connect(lambda: self.show_view("dead_letters"))
        self.overview.topic_requested.connect(self.show_topic)
        self.alerts.open_requested.connect(self.open_alert_target)
        self.overview.dead_letters_at.connect(self.show_dead_letters_at)
        self.history.alert_raised.connect(self._notify_alert)
        self.alerts.waiting_changed.connect(self.notifier.set_count)
        self.notifier.activated.connect(lambda: self.show_view("alerts"))
        # Shortcuts that belong to one view; listed in the help dialog with the window's.
        # (action, the view it works in): the same keys can mean different things in two
        # views (Ctrl+Return sends in Publish, searches the log in the stream).
        self._view_actions = [
            (self.publish.send_action, "Publish"),
            (self.stream.pause_action, "Event stream"),
            (self.stream.export_action, "Event stream"),
            (self.stream.search_action, "Event stream"),
            (self.stream.clear_action, "Event stream"),
        ]

        # Elided, so a long log path or profile name never widens the window.
        self._status_source = ElidedLabel(status_text(runtime))
        self._status_rate = ElidedLabel("")
        self._status_kafka = ElidedLabel("")
        self._status_log = ElidedLabel(self._log_text(), mode=Qt.TextElideMode.ElideMiddle)
        self._status_missed = ElidedLabel("")
        # A long log path or profile name is cut (whole in the tooltip) before the
        # sentence about the source is: that one says what is running.
        self._status_log.setMaximumWidth(300)
        self._status_kafka.setMaximumWidth(220)
        self.statusBar().addWidget(self._status_source)
        self.statusBar().addWidget(self._status_rate)
        self.statusBar().addPermanentWidget(self._status_missed)
        self.statusBar().addPermanentWidget(self._status_kafka)
        self.statusBar().addPermanentWidget(self._status_log)
        self.statusBar().setSizeGripEnabled(False)

        self._build_menus()
        self.feed.stats_updated.connect(self._on_stats)
        self.feed.events_arrived.connect(self._on_events)
        self.context.kafka.changed.connect(self._show_kafka_state)
        self._show_kafka_state()
        self._restore_state()
        fit_on_screen(self)  # a saved (or the default) size larger than this screen
        self.feed.start()
        problem = getattr(settings, "problem", None)
        if problem:
            QTimer.singleShot(0, lambda: self._tell("Settings reset", problem))
        if notice:
            QTimer.singleShot(0, lambda: self._tell("A new event log", notice))

    # -- the pieces the tests and the smoke test look at ----------------------------------

    @property
    def table_model(self) -> Any:
        return self.stream.live_model

    @property
    def table_view(self) -> Any:
        return self.stream.live_table

    @property
    def rate_chart(self) -> Any:
        return self.overview.rate_chart

    @property
    def total_card(self) -> Any:
        return self.overview.total_card

    @property
    def rate_card(self) -> Any:
        return self.overview.rate_card

    @property
    def dead_letters_card(self) -> Any:
        return self.overview.dead_letters_card

    @property
    def malformed_card(self) -> Any:
        return self.overview.malformed_card

    # -- docks and menus ----------------------------------------------------------------

    def _add_dock(self, key: str, title: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{key}")  # saveState() finds docks by object name
        # In a scroll area: a view that needs more room than the window has scrolls
        # instead of widening the window past the screen.
        dock.setWidget(scrolling(widget))
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(Qt.DockWidgetArea.TopDockWidgetArea, dock)
        self.docks[key] = dock
        return dock

    def _tabify_all(self) -> None:
        docks = list(self.docks.values())
        for dock in docks[1:]:
            self.tabifyDockWidget(docks[0], dock)
        docks[0].raise_()

    def open_chain(self, chain_id: str) -> None:
        """Show the chain of ``chain_id`` (a correlation id or an event id)."""
        self.show_view("chains")
        self.chains.show_chain(chain_id)

    def show_dead_letter(self, letter_id: str) -> None:
        """Show the Dead letters view with the letter ``letter_id`` selected (a chain's
        failed node was clicked); say so when the log does not have it (yet)."""
        self.show_view("dead_letters")
        if not self.dead_letters.show_letter(letter_id):
            self.statusBar().showMessage(
                f"Dead letter {letter_id} is not in the event log (yet).", 8000
            )

    def show_topic(self, topic: str) -> None:
        """The live stream, filtered to exactly ``topic`` (nothing else filtered)."""
        self.show_view("stream")
        self.stream.tabs.setCurrentIndex(LIVE_TAB)
        self.stream.apply_filter(EventFilter(topic=topic))

    def open_alert_target(self, kind: str, name: str) -> None:
        """Show what an alert is about: the dead letters, the topic's events, the groups."""
        if kind == "topic" and name:
            self.show_topic(name)
        else:
            self.show_view(
                {"dead_letters": "dead_letters", "group": "connections"}.get(kind, "stream")
            )

    def show_dead_letters_at(self, at: float, within: float) -> None:
        """The Dead letters view, on the letter of a moment of the dead-letter history
        (read from the log in a worker thread); the view alone when there is none."""

        def found(letter_id: str | None) -> None:
            if letter_id is None:
                self.show_view("dead_letters")
            else:
                self.show_dead_letter(letter_id)

        self.history.tasks.spawn(self.history.dead_letter_near(at, within), done=found)

    def _notify_alert(self, alert: Any) -> None:
        self.notifier.notify(f"Eventflow Monitor: {alert.rule}", alert.message)

    def show_view(self, key: str) -> None:
        dock = self.docks[key]
        dock.show()
        dock.raise_()
        dock.widget().setFocus()

    def _go_to_view(self, key: str) -> None:
        """A view chosen from the menu or with Ctrl+N: ready to type where typing starts."""
        if key == "chains":  # the chain view starts from an id
            self._show_ready_to_type("chains", self.chains.id_field)
        else:
            self.show_view(key)

    def _show_ready_to_type(self, key: str, field: QLineEdit) -> None:
        self.show_view(key)
        field.setFocus()  # ready to type over
        field.selectAll()

    def _action(
        self, text: str, shortcut: str | QKeySequence.StandardKey | None, slot: Callable[[], Any]
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        # triggered() passes its checked flag: a slot with a default argument (the view
        # actions' key) would take it for that argument.
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)  # shortcuts work whichever dock has the focus
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self._action("&Quit", QKeySequence.StandardKey.Quit, self.close))

        view_menu = bar.addMenu("&View")
        for number, (key, dock) in enumerate(self.docks.items(), start=1):
            view_menu.addAction(
                self._action(
                    f"{dock.windowTitle()}", f"Ctrl+{number}", partial(self._go_to_view, key)
                )
            )
        view_menu.addSeparator()
        themes = view_menu.addMenu("&Theme")
        group = QActionGroup(self)
        self.theme_actions: dict[str, QAction] = {}
        for name in theme.THEMES:
            action = QAction(name.title(), self, checkable=True)
            action.setChecked(name == theme.current)
            action.triggered.connect(lambda _checked=False, n=name: self.set_theme(n))
            group.addAction(action)
            themes.addAction(action)
            self.theme_actions[name] = action
        view_menu.addAction(self._action("&Reset layout", None, self.reset_layout))

        actions = bar.addMenu("&Actions")
        self.pause_action = self._action(
            "&Pause or resume the stream", "Ctrl+P", self.stream.pause_action.toggle
        )
        self.focus_filter_action = self._action("&Find in the stream", "Ctrl+F", self._focus_filter)
        self.replay_action = self._action(
            "&Replay selected dead letters", "Ctrl+R", self._replay_selected
        )
        self.publish_action = self._action(
            "Compose and &publish an event", "Ctrl+Shift+P", self._compose
        )
        for action in (
            self.pause_action,
            self.focus_filter_action,
            self.replay_action,
            self.publish_action,
        ):
            actions.addAction(action)
        actions.addAction(self.overview.pause_action)

        self._build_demo_menu()

        help_menu = bar.addMenu("&Help")
        self.help_action = self._action("&Keyboard shortcuts", "F1", self.show_shortcuts)
        help_menu.addAction(self.help_action)
        help_menu.addAction(self._action("&About Eventflow Monitor", None, self._about))

    def _build_demo_menu(self) -> None:
        """Demo > Pause, Resume, Stop: the demo's orders (and, stopped, its services) off
        the bus while the bus, the log and Kafka tails go on."""
        menu = self.menuBar().addMenu("&Demo")
        self.demo_menu = menu
        self.demo_pause_action = self._action(
            "&Pause the demo (no new orders)", None, self.pause_demo
        )
        self.demo_resume_action = self._action("&Resume the demo", None, self.resume_demo)
        self.demo_stop_action = self._action(
            "&Stop the demo (its services leave the bus)", None, self.stop_demo
        )
        for action in (self.demo_pause_action, self.demo_resume_action, self.demo_stop_action):
            menu.addAction(action)
        menu.addSeparator()
        # The messy scenario: a careless producer beside the shop, for the Catalog's review.
        self.careless_action = QAction("Run the &careless producer (messy scenario)", self)
        self.careless_action.setCheckable(True)
        self.careless_action.setChecked(self.runtime.careless.running)
        self.careless_action.toggled.connect(self.set_careless_producer)
        menu.addAction(self.careless_action)
        self._update_demo_actions()

    def set_careless_producer(self, on: bool) -> None:
        """Start or stop the messy scenario's careless producer on the bus."""
        careless = self.runtime.careless
        if on and not careless.running and self.runtime.started:
            careless.start()
        elif not on and careless.running:
            self._run_demo_step(careless.stop())

    def pause_demo(self) -> None:
        self._run_demo_step(self.runtime.pause_demo())

    def resume_demo(self) -> None:
        self.runtime.resume_demo()
        self._update_demo_actions()

    def stop_demo(self) -> None:
        self._run_demo_step(self.runtime.stop_demo())

    def _run_demo_step(self, step: Coroutine[Any, Any, None]) -> None:
        if self._demo_task is not None and not self._demo_task.done():
            step.close()  # one change at a time; the menu is disabled meanwhile anyway
            return
        self._demo_task = asyncio.ensure_future(step)
        self._update_demo_actions()
        self._demo_task.add_done_callback(self._demo_step_done)

    def _demo_step_done(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the demo did not change state", exc_info=task.exception())
        if shiboken6.isValid(self):
            self._update_demo_actions()

    def _update_demo_actions(self) -> None:
        demo = self.runtime.demo
        busy = self._demo_task is not None and not self._demo_task.done()
        state = demo.state if demo is not None else "none"
        self.demo_menu.setEnabled(demo is not None)
        self.demo_pause_action.setEnabled(not busy and state == "running")
        self.demo_resume_action.setEnabled(not busy and state in ("paused", "stopped"))
        self.demo_stop_action.setEnabled(not busy and state in ("running", "paused", "services"))
        self._status_source.setText(status_text(self.runtime))

    def shortcut_list(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every action with a shortcut, for the help dialog."""
        seen = []
        for action, view in [*((a, "") for a in self.actions()), *self._view_actions]:
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys:
                text = action.text().replace("&", "")
                seen.append((keys, f"{text} (in {view})" if view else text))
        return seen

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.shortcut_list(), self).open()

    def _replay_selected(self) -> None:
        self.show_view("dead_letters")
        if self.dead_letters.replay_action.isEnabled():
            self.dead_letters.replay_action.trigger()

    def _focus_filter(self) -> None:
        self.show_view("stream")
        self.stream.filter_bar.focus_text()

    def _compose(self) -> None:
        self._show_ready_to_type("publish", self.publish.type_edit)  # its first field

    def _about(self) -> None:
        self._tell(
            "About Eventflow Monitor",
            f"Eventflow Monitor {__version__}\n\n"
            "Eventflow Monitor makes event-driven systems visible: live rates, correlation "
            "chains, dead letters you can replay, on the embedded bus or on Kafka.",
        )

    def _tell(self, title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, text, parent=self)
        box.setObjectName("notice")
        box.open()  # not exec(): a notice never blocks the event loop

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, name)
        if name in self.theme_actions:
            self.theme_actions[name].setChecked(True)
        if self._settings is not None:
            self._settings.setValue("theme", theme.current)

    def reset_layout(self) -> None:
        # The layout the window was built with, restored in one step. (Adding the docks
        # again one beside the other, then tabbing them, widened the window to fit them
        # side by side: to 5,000 px and more.)
        self.restoreState(self._default_layout, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.show()
        next(iter(self.docks.values())).raise_()

    # -- feeding ------------------------------------------------------------------------

    def _on_stats(self, snapshot: StatsSnapshot) -> None:
        self._status_source.setText(status_text(self.runtime))
        self._status_rate.setText(
            f"{events_per_second(snapshot):,.0f} events/s \u00b7 {snapshot.total:,} events"
        )

    def _on_events(self, _events: list[Any], _missed: int) -> None:
        if self.feed.missed:
            self._status_missed.setText(
                f"{self.feed.missed:,} events went by too fast for the table"
            )

    def _show_kafka_state(self) -> None:
        kafka = self.context.kafka
        self._status_kafka.setText(
            "Kafka: " + (f"{kafka.profile.name} {kafka.state}" if kafka.profile else kafka.state)
        )
        self._status_kafka.setToolTip(kafka.sentence)

    def _log_text(self) -> str:
        if self.runtime.db_path is None:
            return "Event log: off (live view only)"
        return f"Event log: {self.runtime.db_path}"

    # -- closing ------------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Stop polling and stop the runtime (safe to await more than once)."""
        self.feed.stop()
        if self._shutdown_task is None:
            self._shutdown_task = asyncio.ensure_future(self._stop_everything())
        await asyncio.shield(self._shutdown_task)
        self._runtime_stopped = True

    async def _stop_everything(self) -> None:
        if self._demo_task is not None:  # a pause or stop of the demo under way ends first
            await asyncio.gather(self._demo_task, return_exceptions=True)
        # Sources first (sends in progress, the Kafka tail feeding the pipeline), then the
        # runtime, so nothing publishes into a closed bus or an unflushed log.
        for stop in (
            self._stop_search,
            self.dead_letters.aclose,
            self.publish.shutdown,
            self.kafka.shutdown,
        ):
            try:
                await stop()
            except Exception:
                log.exception("a view did not stop cleanly")
        await stop_runtime(self.runtime)

    async def _stop_search(self) -> None:
        self.stream.cancel_search()
        await self.stream.wait_search()

    def is_closed(self) -> bool:
        """True once the runtime has stopped and the window has closed."""
        return self._closed

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab skip the widgets of the views tabbed behind the current one.
        Qt keeps those docks "visible" under the current tab, so its focus chain walks
        into them and the cursor vanishes from the screen."""
        for _ in range(500):  # bounded: a window with nothing on screen to focus
            if not super().focusNextPrevChild(next):
                return False
            focused = QApplication.focusWidget()
            if focused is None or not focused.visibleRegion().isEmpty():
                return True
        return True

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._runtime_stopped:
            event.accept()
            if not self._closed:
                self._closed = True
                self._save_state()
                self.closed.emit()
            return
        # The runtime stops asynchronously; the window closes for real once it has.
        event.ignore()
        if self._closing is not None:
            return  # already stopping (a second click on the close button)
        try:
            self._closing = asyncio.ensure_future(self.shutdown())
        except RuntimeError:  # no asyncio loop at all: nothing async can be running
            log.warning("closing without an event loop; the runtime was not stopped")
            self._runtime_stopped = True
            self.close()
            return
        self.statusBar().showMessage("Stopping: writing the event log out...")
        self.setEnabled(False)
        self._closing.add_done_callback(self._after_shutdown)

    def _after_shutdown(self, task: asyncio.Future[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("the runtime did not stop cleanly", exc_info=task.exception())
        self._runtime_stopped = True
        if shiboken6.isValid(self):  # the Qt object is gone if someone deleted it meanwhile
            self.close()

    # -- window state -------------------------------------------------------------------

    def _restore_state(self) -> None:
        if self._settings is None:
            return
        name = self._settings.value("theme", theme.current)
        if isinstance(name, str) and name in theme.THEMES and name != theme.current:
            self.set_theme(name)
        geometry = self._settings.value("main_window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self._settings.value("main_window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)
        self.chains.restore_state(self._settings)
        self.overview.restore_state(self._settings)

    def _save_state(self) -> None:
        if self._settings is None:
            return
        fit_on_screen(self)  # never remember a size the screen cannot show
        self._settings.setValue("main_window/geometry", self.saveGeometry())
        self._settings.setValue("main_window/state", self.saveState(LAYOUT_VERSION))
        self.stream.save_state()
        self.chains.save_state(self._settings)
        self.overview.save_state(self._settings)
        sync = getattr(self._settings, "sync", None)
        if callable(sync):
            sync()
