"""The correlation chain view: one chain as a causal graph and a waterfall, live.

Open a chain by typing or pasting an id (a correlation id, or the id of any event in the
chain) and pressing Enter, by picking one of the recent chains on the left, or from
another view through :meth:`ChainView.show_chain`.

Where a chain comes from: the in-memory :class:`~monitor.core.chains.ChainIndex` first
(a correlation id directly, an event id by a bounded scan of the recent chains); if it
is not there, the event log, read in a worker thread while the view says it is loading.

Live: a timer (3 Hz, only while the view is visible) asks the index whether the chain
changed (:meth:`~monitor.core.chains.ChainIndex.revision`, no chain is built for that)
and re-judges it with the :class:`~monitor.core.chain_expectations.ExpectationModel`;
the graph and the waterfall are redrawn only when the chain or the verdict changed.
The model learns from the chains in memory every few seconds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import textwrap
import time
from typing import Any, Literal

import shiboken6
from PySide6.QtCore import QByteArray, QEvent, Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from monitor.core.chain_expectations import (
    ChainHealth,
    ChainState,
    ExpectationModel,
    format_latency,
)
from monitor.core.chains import Chain, ChainIndex, ChainNotFound, build_chain, find_chain
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope, format_time
from monitor.core.wording import count, short_id
from monitor.ui import theme
from monitor.ui.background import BackgroundTasks
from monitor.ui.context import AppContext
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.event_table_model import format_local_time
from monitor.ui.views.chain_graph import ChainGraph
from monitor.ui.views.chain_recent import (
    RecentChainsList,
    StalledScanner,
    chains_for_filter,
    held_chains,
)
from monitor.ui.views.chain_style import (
    STATE_TITLES,
    chain_colours,
    replayed_text,
    state_colour,
)
from monitor.ui.views.chain_waterfall import ChainWaterfall

log = logging.getLogger(__name__)

REFRESH_MS = 333  # the chain on screen: about 3 Hz
LIST_EVERY = 3  # ticks between refreshes of the recent list (about 1 s)
LEARN_EVERY = 15  # ticks between lessons for the expectation model (about 5 s)
LEARN_SAMPLE = 100  # chains per lesson, from each end of the index
LEARN_EVENT_BUDGET = 2_000  # ... and no more events than this per lesson

Status = Literal["empty", "loading", "not_found", "error", "shown"]


def _health_key(health: ChainHealth) -> tuple[Any, ...]:
    """What of a verdict is drawn: a stall's wait only by the second."""
    return (
        health.state,
        tuple((a.event_id, a.stalled, int(a.waited_s) if a.stalled else 0) for a in health.awaited),
        health.failed_event_ids,
    )


def merge_chains(logged: Chain, live: Chain | None) -> Chain:
    """The chain as logged plus whatever arrived in memory since (events, replays and dead
    letters not in the log copy)."""
    if live is None:
        return logged
    ids = {e.id for e in logged.events}
    events = logged.events + logged.replay_copies
    events += [e for e in live.events if e.id not in ids] + live.replay_copies
    letter_ids = {d.id for d in logged.dead_letters}
    letters = logged.dead_letters + [d for d in live.dead_letters if d.id not in letter_ids]
    chain = build_chain(logged.correlation_id, events, letters)
    for key, n in (*logged.duplicates.items(), *live.duplicates.items()):
        chain.duplicates[key] = max(chain.duplicates.get(key, 0), n)
    return chain


class ChainView(QWidget):
    """Correlation chain view. Public API:

    * :meth:`show_chain` (``chain_or_event_id``): open a chain;
    * :attr:`current_chain_id`: the correlation id shown, or ``None``;
    * :attr:`event_selected` (event id): the user clicked an event (graph or waterfall);
    * :attr:`dead_letter_selected` (dead letter id): the user clicked a failed node (in
      the graph or the timeline): the window shows that letter in the Dead letters view;
    * :attr:`chain_shown` (correlation id): a chain was opened;
    * :meth:`focus_id_field`, :meth:`save_state` / :meth:`restore_state` (settings).
    """

    event_selected = Signal(str)
    dead_letter_selected = Signal(str)
    chain_shown = Signal(str)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.expectations = ExpectationModel()
        self.status: Status = "empty"
        self.chain: Chain | None = None
        self.health: ChainHealth | None = None
        self.source: Literal["memory", "log"] | None = None
        self._cid: str | None = None
        self._logged: Chain | None = None  # the copy read from the log, if any
        self._revision: tuple[int, int, int] | None = None
        self._render_key: tuple[Any, ...] | None = None
        self._selected: str | None = None
        self._details_of: tuple[str, str] | None = None  # ("event" | "letter", id)
        self._generation = 0  # a newer request makes an older load's answer stale
        self.tasks = BackgroundTasks(self)
        self._ticks = 0
        self._scanner = StalledScanner()
        self._build()
        self._timer = context.feed.every(REFRESH_MS, self._tick, self)

    # -- public ------------------------------------------------------------------------

    @property
    def current_chain_id(self) -> str | None:
        """The correlation id of the chain on screen (``None`` while none is)."""
        return self._cid

    @property
    def index(self) -> ChainIndex:
        return self.context.runtime.pipeline.chains

    def focus_id_field(self) -> None:
        self.id_field.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.id_field.selectAll()

    def show_chain(self, chain_or_event_id: str) -> None:
        """Open the chain of a correlation id, or the chain an event id belongs to; the
        start of either (8 characters, as the tables show them) will do.

        Memory first (correlation id, a bounded scan for the event id, the start of a
        correlation id); otherwise the event log in a worker thread (the view shows
        "loading" meanwhile), which also knows the start of an event id; otherwise the
        view says that nothing was found, or that the start given fits several chains
        (naming them). An empty id does nothing.
        """
        wanted = chain_or_event_id.strip().strip("\"'").strip()  # a pasted id keeps no quotes
        if not wanted:
            return
        if self.id_field.text().strip() != wanted:
            self.id_field.setText(wanted)
        self._generation += 1
        index = self.index
        if index.revision(wanted) is not None:
            self._open(wanted, None, select=None)
            return
        found = index.find_event(wanted)
        if found is not None:
            self._open(found, None, select=wanted)
            return
        # The start of an id, as the stream's Correlation column shows it (8 characters).
        found = index.find_prefix(wanted)
        if found is not None:
            self._open(found, None, select=None)
            return
        runtime_log = self.context.runtime.log
        if runtime_log is None:
            self._say(
                "not_found",
                f"No chain or event {wanted} among the {len(index):,} chains in memory "
                "(the event log is off).",
            )
            return
        self._load(wanted, runtime_log)

    def save_state(self, settings: Any) -> None:
        settings.setValue("chain_view/splitter", self.splitter.saveState())
        settings.setValue("chain_view/body", self.body.saveState())
        settings.setValue("chain_view/bottom", self.bottom.saveState())
        settings.setValue("chain_view/filter", self.recent.mode)

    def restore_state(self, settings: Any) -> None:
        for key, splitter in (
            ("chain_view/splitter", self.splitter),
            ("chain_view/body", self.body),
            ("chain_view/bottom", self.bottom),
        ):
            state = settings.value(key)
            if isinstance(state, QByteArray):
                splitter.restoreState(state)
        mode = settings.value("chain_view/filter")
        i = self.recent.filter.findData(mode)
        if i >= 0:
            self.recent.filter.setCurrentIndex(i)

    # -- building ----------------------------------------------------------------------

    def _build(self) -> None:
        self.id_field = QLineEdit()
        self.id_field.setObjectName("chainIdField")
        self.id_field.setPlaceholderText(
            "Correlation id or event id (or its first 8 characters), then press Enter"
        )
        self.id_field.setClearButtonEnabled(True)
        self.id_field.setFont(theme.monospace_font())
        self.id_field.returnPressed.connect(lambda: self.show_chain(self.id_field.text()))
        self.open_button = QPushButton("Open chain")
        self.open_button.clicked.connect(lambda: self.show_chain(self.id_field.text()))

        self.state_badge = QLabel("")
        self.state_badge.setObjectName("chainStateBadge")
        self.state_badge.hide()
        self.headline = ElidedLabel()
        self.headline.setObjectName("chainHeadline")
        # Elided: a chain with duplicates, dead letters and a replay makes a long line,
        # and a label's whole width would be the window's minimum.
        self.summary = ElidedLabel()
        self.summary.setObjectName("sectionHint")

        self.graph = ChainGraph()
        self.graph.event_clicked.connect(self._clicked)
        self.graph.dead_letter_clicked.connect(self._dead_letter_clicked)
        self.waterfall = ChainWaterfall()
        self.waterfall.event_clicked.connect(self._clicked)
        self.waterfall.dead_letter_clicked.connect(self._dead_letter_clicked)
        self.waterfall_scroll = waterfall_scroll = QScrollArea()
        waterfall_scroll.setWidget(self.waterfall)
        waterfall_scroll.setWidgetResizable(True)
        waterfall_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.details = QPlainTextEdit()
        self.details.setObjectName("chainDetails")
        self.details.setReadOnly(True)
        self.details.setFont(theme.monospace_font())
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.details.setPlaceholderText("Click an event to see it here.")

        self.bottom = QSplitter(Qt.Orientation.Horizontal)
        self.bottom.addWidget(self._titled("Timeline", waterfall_scroll))
        self.bottom.addWidget(self._titled("Selected", self.details))
        self.bottom.setStretchFactor(0, 3)
        self.bottom.setStretchFactor(1, 1)
        self.bottom.setSizes([700, 330])
        self.body = QSplitter(Qt.Orientation.Vertical)
        self.body.addWidget(self._titled("Causal graph", self.graph))
        self.body.addWidget(self.bottom)
        self.body.setStretchFactor(0, 3)
        self.body.setStretchFactor(1, 2)
        self.body.setSizes([330, 350])

        self.message = QLabel(
            "Type or paste a correlation id or an event id above and press Enter, "
            "or pick a chain from the list on the left."
        )
        self.message.setObjectName("chainMessage")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate
        self.busy.setMaximumWidth(240)
        self.busy.setTextVisible(False)
        self.busy.hide()
        message_page = QWidget()
        mp = QVBoxLayout(message_page)
        mp.addStretch(1)
        mp.addWidget(self.message)
        mp.addWidget(self.busy, 0, Qt.AlignmentFlag.AlignHCenter)
        mp.addStretch(2)
        self.pages = QStackedWidget()
        self.pages.addWidget(message_page)
        self.pages.addWidget(self.body)

        self.recent = RecentChainsList()
        self.recent.chain_picked.connect(self.show_chain)
        self.recent.filter.currentIndexChanged.connect(lambda _i: self._refresh_list(True))

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.id_field, 1)
        top.addWidget(self.open_button)
        status = QHBoxLayout()
        status.setContentsMargins(0, 0, 0, 0)
        status.addWidget(self.state_badge)
        status.addWidget(self.headline, 1)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.setSpacing(6)
        rl.addLayout(top)
        rl.addLayout(status)
        rl.addWidget(self.summary)
        rl.addWidget(self.pages, 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.recent)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        # Room for "OrderPlaced → PaymentAuthorized", and for the chain in a 1024 px window.
        self.splitter.setSizes([270, 1000])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.addWidget(self.splitter)
        self._style_header()

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        label = QLabel(title)
        label.setObjectName("sectionTitle")
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 4, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(label)
        lay.addWidget(widget, 1)
        return box

    def _style_header(self) -> None:
        c = chain_colours()
        self.headline.setStyleSheet(f"color: {c.text}; font-weight: 600;")
        self.message.setStyleSheet(f"color: {c.muted}; font-size: 11pt; padding: 24px;")

    def _set_badge(self, text: str, colour: str) -> None:
        self.state_badge.setText(text)
        self.state_badge.setStyleSheet(
            f"QLabel {{ background: {colour}; color: white; border-radius: 10px;"
            " padding: 2px 12px; font-weight: 700; }"
        )
        self.state_badge.show()

    # -- opening -----------------------------------------------------------------------

    def _say(
        self, status: Status, text: str, *, busy: bool = False, gist: str | None = None
    ) -> None:
        """Show a message instead of a chain (empty, loading, not found, error); ``gist``
        is the headline's (by default the message up to its first colon)."""
        self.status = status
        # No chain is on screen any more: the timer must not bring the last one back.
        self._cid, self._logged, self.chain, self.health, self.source = None, None, None, None, None
        self._render_key = None
        self.graph.clear_chain()
        self.waterfall.clear_chain()
        self.message.setText(text)
        self.busy.setVisible(busy)
        self.pages.setCurrentIndex(0)
        self.summary.setText("")
        # The whole message is in the middle of the pane: the headline keeps its gist
        # ("No chain or event X"), not a second copy.
        if gist is None:
            gist = text.split(": ", 1)[0] if status in ("not_found", "error") else ""
        self.headline.setText(gist)
        c = chain_colours()
        titles = {"loading": ("Loading", c.accent), "not_found": ("Not found", c.muted)}
        title, colour = titles.get(status, ("Error", c.failed))
        if status == "empty":
            self.state_badge.hide()
        else:
            self._set_badge(title, colour)

    def _open(self, correlation_id: str, logged: Chain | None, *, select: str | None) -> None:
        self._cid = correlation_id
        self._logged = logged
        self.source = "log" if logged is not None else "memory"
        self._revision = None
        self._render_key = None
        self.chain = None
        self._selected = None
        self._details_of = None
        self._refresh_chain()
        if self.chain is None:  # evicted between the lookup and now
            self._say("not_found", f"The chain {correlation_id} is no longer in memory.")
            return
        if select is not None and self.chain.event(select) is not None:
            self._select(select, emit=False)
        else:
            self._focus_on_what_matters()
        self._refresh_list(force=True)
        self.recent.set_current(correlation_id)
        self.chain_shown.emit(correlation_id)

    def _load(self, wanted: str, source: Any) -> None:
        generation = self._generation
        self._say("loading", f"Loading the chain {wanted} from the event log\u2026", busy=True)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no event loop runs (a script): read it here
            try:
                chain = find_chain(source, wanted)
            except Exception as exc:
                self._loaded(generation, wanted, None, exc)
            else:
                self._loaded(generation, wanted, chain, None)
            return
        self.tasks.spawn(self._load_in_thread(generation, wanted, source))

    async def _load_in_thread(self, generation: int, wanted: str, source: Any) -> None:
        try:
            chain = await asyncio.to_thread(find_chain, source, wanted)
        except Exception as exc:  # none, several, or a closed or broken log: say so
            self._loaded(generation, wanted, None, exc)
        else:
            self._loaded(generation, wanted, chain, None)

    def _loaded(
        self, generation: int, wanted: str, chain: Chain | None, error: Exception | None
    ) -> None:
        if not shiboken6.isValid(self) or generation != self._generation:
            return  # the view is gone, or the user asked for another chain meanwhile
        if isinstance(error, ChainNotFound):  # none, or several (the log names them)
            self._say(
                "not_found",
                f"{error} Not among the {len(self.index):,} chains in memory either.",
                gist=f"No chain or event {wanted}"
                if not _is_ambiguous(error)
                else f"{wanted} starts more than one chain",
            )
        elif error is not None or chain is None:
            log.warning("could not read chain %s from the log: %s", wanted, error)
            self._say("error", f"Could not read the event log: {error}")
        else:  # found by one of its events' ids (or the start of one): select that event
            self._open(chain.correlation_id, chain, select=_event_meant(chain, wanted))

    # -- live --------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._resume()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._timer.stop()

    def set_on_screen(self, on_screen: bool) -> None:
        """Whether the view can be seen: a dock tabbed behind another stays "visible" to
        Qt, so the main window says when its tab is current. The live refresh (3 Hz,
        scanning chains) runs only then."""
        if not on_screen:
            self._timer.stop()
        elif self.isVisible() and not self._timer.isActive():
            self._resume()

    def _resume(self) -> None:
        self._timer.start()
        self._learn()
        self._refresh_list(force=True)
        self._refresh_chain()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # the theme was switched
            self._style_header()
            self._render_key = None
            self.recent.list.viewport().update()
            self._refresh_chain()

    def _tick(self) -> None:
        self._ticks += 1
        if self._ticks % LEARN_EVERY == 0:
            self._learn()
        if self._ticks % LIST_EVERY == 0:
            self._refresh_list()
        self._refresh_chain()

    def _learn(self) -> None:
        index = self.index
        ids = list(dict.fromkeys(index.oldest_ids(LEARN_SAMPLE) + index.recent_ids(LEARN_SAMPLE)))
        self.expectations.observe(held_chains(index, ids, LEARN_EVENT_BUDGET))

    def _refresh_list(self, force: bool = False) -> None:
        if not force and self.recent.holds_still():
            return
        chains = chains_for_filter(self.index, self.expectations, self.recent.mode, self._scanner)
        self.recent.update_chains(chains, time.time())

    def _compose(self) -> Chain | None:
        assert self._cid is not None
        live = self.index.chain(self._cid)
        if self._logged is not None:
            return merge_chains(self._logged, live)
        return live

    def _refresh_chain(self) -> None:
        """Rebuild the chain if it changed, re-judge it, redraw if either changed."""
        if self._cid is None:
            return
        revision = self.index.revision(self._cid)
        if self.chain is None or revision != self._revision:
            self._revision = revision
            chain = self._compose()
            if chain is not None:  # evicted from memory: keep showing what we had
                self.chain = chain
        if self.chain is None:
            return
        self.health = self.expectations.assess(self.chain)
        key = (revision, _health_key(self.health))
        if key != self._render_key:
            self._render_key = key
            self._render(self.chain, self.health)

    def _render(self, chain: Chain, health: ChainHealth) -> None:
        self.status = "shown"
        self.busy.hide()
        self.pages.setCurrentIndex(1)
        self.graph.show_chain(chain, health)
        self.waterfall.show_chain(chain, health)
        self.graph.select(self._selected)
        self.waterfall.select(self._selected)
        self._set_badge("\u25cf " + STATE_TITLES[health.state].upper(), state_colour(health.state))
        self.headline.setText(self._headline(chain, health))
        self.summary.setText(self._summary(chain))
        self._refresh_details()

    @staticmethod
    def _headline(chain: Chain, health: ChainHealth) -> str:
        """One sentence that says what is wrong (or that nothing is)."""
        if health.state is ChainState.COMPLETE:
            last = max(chain.events, key=lambda e: e.time or 0.0) if chain.events else None
            return f"Complete: ended with {last.type}" if last else "Complete"
        if health.state is ChainState.FAILED:
            pending = [d for d in chain.dead_letters if d.status == "pending"]
            letter = pending[0]
            text = (
                f"{letter.event.type or 'An event'} failed in {letter.handler or 'a handler'}"
                f" after {count(letter.attempts, 'attempt')}:"
                f" {letter.reason}"
            )
            if len(pending) > 1:
                text += f" (and {len(pending) - 1} more dead letters)"
            if health.stalls:
                text += f"; also {health.stalls[0].sentence}"
            return text
        sentence = health.sentence
        return sentence[0].upper() + sentence[1:]

    def _summary(self, chain: Chain) -> str:
        # The id as the tables show it: the whole one is in the field above.
        parts = [f"Chain {short_id(chain.correlation_id)}"]
        n = len(chain.events)
        parts.append(count(n, "event"))
        duration = chain.duration_ms
        if duration is not None and n > 1:
            parts.append(f"{format_latency(duration)} end to end")
        # Apart from the latencies: the time someone took to fix a dead letter is not one.
        parts += [replayed_text(event.type, wait) for event, wait in chain.replayed_steps()]
        slowest = chain.slowest
        if slowest is not None and len(chain.latency_edges) > 1:
            a, b = chain.event(slowest.parent_id), chain.event(slowest.child_id)
            if a is not None and b is not None:
                parts.append(
                    f"slowest hop {a.type} \u2192 {b.type} {format_latency(slowest.latency_ms)}"
                )
        dups = sum(chain.duplicates.values())
        if dups:
            parts.append(count(dups, "duplicate delivery", "duplicate deliveries"))
        if chain.orphans:
            parts.append(f"{len(chain.orphans)} with a cause not seen")
        letters = len(chain.dead_letters)
        if letters:
            parts.append(count(letters, "dead letter"))
        if self.source == "log":
            parts.append("loaded from the event log")
        return "  \u00b7  ".join(parts)

    # -- selection ---------------------------------------------------------------------

    def _clicked(self, event_id: str) -> None:
        self._select(event_id, emit=True)

    def _select(self, event_id: str, *, emit: bool) -> None:
        self._selected = event_id
        self._details_of = ("event", event_id)
        self.graph.select(event_id)
        self.waterfall.select(event_id)
        self._refresh_details()
        if emit:
            self.event_selected.emit(event_id)

    def _focus_on_what_matters(self) -> None:
        """Fill the details pane at once with what the user most likely wants to read:
        the dead letter (reason and traceback) of a failed chain, the event a stalled
        chain is stuck after, or else the chain's latest event."""
        chain, health = self.chain, self.health
        if chain is None or health is None:
            return
        pending = [d for d in chain.dead_letters if d.status == "pending"]
        # A chain whose events are gone (retention keeps dead letters) is its letters.
        letters = pending or (chain.dead_letters if not chain.events else [])
        if letters:
            if chain.event(letters[0].event.id) is not None:
                self._select(letters[0].event.id, emit=False)
            self._details_of = ("letter", letters[0].id)
            self._refresh_details()
        elif not chain.events:
            return
        elif health.stalls:
            self._select(health.stalls[0].event_id, emit=False)
        else:
            last = max(chain.events, key=lambda e: e.time if e.time is not None else 0.0)
            self._select(last.id, emit=False)

    def _dead_letter_clicked(self, letter_id: str) -> None:
        self._details_of = ("letter", letter_id)
        self._refresh_details()
        self.dead_letter_selected.emit(letter_id)

    def _refresh_details(self) -> None:
        """Show the selected event (or dead letter) in the details pane."""
        text = ""
        kind, key = self._details_of or ("", "")
        if self.chain is not None and kind == "event":
            event = self.chain.event(key)
            replays = self.chain.replays.get(key, [])
            text = _event_text(event, replays) if event is not None else ""
        elif self.chain is not None and kind == "letter":
            letter = next((d for d in self.chain.dead_letters if d.id == key), None)
            text = _letter_text(letter) if letter is not None else ""
        if self.details.toPlainText() != text:
            self.details.setPlainText(text)


def _is_ambiguous(error: ChainNotFound) -> bool:
    """Whether the log found several chains rather than none (the sentence of
    :func:`monitor.core.short_ids.pick_one`, which lists them)."""
    return " could be any of " in str(error)


def _event_meant(chain: Chain, wanted: str) -> str | None:
    """The event to select in a chain found by ``wanted``: the event with that id, or the
    one event whose id starts with it; ``None`` for the chain's own id (or its start)."""
    if chain.correlation_id.startswith(wanted):
        return None
    if chain.event(wanted) is not None:
        return wanted
    starting = [e.id for e in chain.events if e.id.startswith(wanted)]
    return starting[0] if len(starting) == 1 else None


def _pairs(rows: list[tuple[str, str | None]]) -> list[str]:
    width = max((len(k) for k, v in rows if v), default=0)
    return [f"{k.ljust(width)}  {v}" for k, v in rows if v]


def _event_text(event: Envelope, replayed_from: list[str] | None = None) -> str:
    """An event for people: what and when on top, the long ids on their own lines (and
    the dead letters it was replayed from, when it was)."""
    lines = [event.type or "(no type)"]
    when = format_local_time(event.time)
    if when:
        lines.append(f"{when}   ({format_time(event.time)})")
    lines.append("")
    lines += ["event id", f"  {event.id}"]
    if event.causation_id:
        lines += ["caused by", f"  {event.causation_id}"]
    if event.correlation_id and event.correlation_id != event.id:
        lines += ["correlation id", f"  {event.correlation_id}"]
    if replayed_from:
        lines += ["replayed from dead letter"] + [f"  {letter}" for letter in replayed_from]
    lines.append("")
    origin = None
    if event.topic:
        origin = event.topic
        if event.partition is not None:
            origin += f" [{event.partition}] @ {event.offset}"
    lines += _pairs(
        [
            ("source", event.source),
            ("subject", event.subject),
            ("topic", origin),
            ("key", event.key),
        ]
    )
    if event.malformed:
        lines += ["", f"MALFORMED: {event.error}"]
    if event.headers:
        lines += ["", "headers"] + [f"  {k}: {v}" for k, v in event.headers.items()]
    if event.data is not None:
        lines += ["", "data", json.dumps(event.data, indent=2, ensure_ascii=False, default=str)]
    return "\n".join(lines)


def _letter_text(letter: DeadLetter) -> str:
    """A dead letter: why it failed first, then its facts, then the traceback."""
    lines = [
        f"DEAD LETTER ({letter.status})",
        f"{letter.event.type} failed in {letter.handler or 'a handler'}",
        "",
        "reason",
        textwrap.fill(letter.reason, 46, initial_indent="  ", subsequent_indent="  "),
        "",
    ]
    lines += _pairs(
        [
            ("attempts", str(letter.attempts)),
            ("topic", letter.original_topic),
            ("failed at", format_local_time(letter.created_at)),
            ("replays", str(letter.replay_count) if letter.replay_count else None),
        ]
    )
    lines += ["", "dead letter id", f"  {letter.id}", "event id", f"  {letter.event.id}"]
    if letter.traceback:
        lines += ["", letter.traceback.rstrip()]
    return "\n".join(lines)
