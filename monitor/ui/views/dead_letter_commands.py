"""What the dead-letter view can do to letters: replay, discard, edit -- and when it may.

:class:`DeadLetterCommands` owns the view's actions (the ``QAction`` objects the window
binds shortcuts to), keeps them enabled only when they make sense (with a tooltip that
says why not), and carries each one out: confirmations first (discards always; replays
into a production Kafka profile), then one operation at a time on the
:class:`~monitor.ui.operations.OperationRunner`. It reports every letter that stops being
pending to the pipeline (``dead_letters_resolved``) so the overview's count stays right.

It reads what is selected from the view and asks the view to refresh afterwards; it
never lays out a widget.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QMessageBox, QSpinBox, QWidget

from monitor.core.dead_letter_groups import (
    ReasonGroup,
    current_letters,
    original_event,
    pending_in_group,
)
from monitor.core.dead_letter_service import DeadLetterService, Destination
from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.raw_record import EditRefused, SchemaNotGiven
from monitor.core.replay import ReplayOutcome, ReplayRun
from monitor.core.runtime import EmbeddedRuntime
from monitor.core.wording import count
from monitor.ui.context import AppContext
from monitor.ui.operations import OperationRunner, OperationState
from monitor.ui.views.dead_letter_editor import DeadLetterEditDialog, SaveEdit
from monitor.ui.views.dead_letter_late_decode import LetterDecoding
from monitor.ui.views.dead_letter_replay import (
    ReplayTarget,
    needs_confirmation,
    replay,
    write_refusal,
)


class LetterView(Protocol):
    """What the commands need of the view that shows the letters (the dead-letter view
    is one); a protocol, so that the view may import the commands and not the reverse."""

    context: AppContext
    runtime: EmbeddedRuntime
    rate_spin: QSpinBox
    letter_decoding: LetterDecoding

    def selected_letters(self) -> list[DeadLetter]: ...

    def selected_group_info(self) -> ReasonGroup | None: ...

    def alive(self) -> bool: ...

    def say(self, text: str) -> None: ...

    def refresh(self) -> None: ...

    def after_action(self) -> None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Future[Any]: ...


GROUP_LIMIT = 20_000  # letters one group replay or discard takes on at most
DISCARD_CHUNK = 100  # letters discarded per worker-thread call (a stop lands between)


def _pending_of(group: ReasonGroup) -> str:
    return f"{count(group.pending, 'pending letter')} of {group.exception or 'this reason'}"


class DeadLetterCommands(QObject):
    """The actions of one :class:`LetterView`, parented to ``parent`` (the view's widget:
    its actions, questions and dialogs belong there); see the module docstring."""

    # The note about the Kafka target (read-only, production); "" hides it.
    # Arguments: text, level ("warning" | "info").
    kafka_note_changed = Signal(str, str)

    def __init__(self, view: LetterView, parent: QWidget) -> None:
        super().__init__(parent)
        self.view = view
        self.widget = parent
        self.runtime = view.runtime
        self.log = view.runtime.log
        self.kafka = view.context.kafka
        self.runner = OperationRunner(self)
        self.service = (
            DeadLetterService(self.log, self.runtime.pipeline) if self.log is not None else None
        )
        self.edit_dialog: DeadLetterEditDialog | None = None
        # Letters this view replayed, to say so when one of them fails again.
        self._replayed: set[str] = set()
        self._failed_again: dict[str, str] = {}
        self.runtime.pipeline.dead_letter_listeners.append(self._on_dead_letter)
        self._make_actions()
        self.runner.busy_changed.connect(self.update)
        self.kafka.changed.connect(self.follow_kafka)

    def _make_actions(self) -> None:
        view = self.widget

        def action(text: str, tip: str, slot: Callable[[], None]) -> QAction:
            a = QAction(text, view)
            a.setToolTip(tip)
            a.setStatusTip(tip)
            a.triggered.connect(slot)
            view.addAction(a)
            return a

        self.replay_action = action(
            "Replay", "Replay the selected pending dead letters", self.replay_selected
        )
        self.replay_group_action = action(
            "Replay group",
            "Replay every pending dead letter of the selected reason group",
            self.replay_group,
        )
        self.edit_action = action(
            "Edit\u2026",
            "Edit the payload or headers of the selected dead letter before replaying it",
            self.edit_selected,
        )
        self.discard_action = action(
            "Discard", "Discard the selected pending dead letters", self.discard_selected
        )
        self.discard_group_action = action(
            "Discard group",
            "Discard every pending dead letter of the selected reason group",
            self.discard_group,
        )
        self.replay_to_origin_action = QAction("Origin", view)
        self.replay_to_origin_action.setCheckable(True)
        self.replay_to_origin_action.setChecked(True)
        self.replay_to_origin_action.setToolTip(
            "Each letter goes back where it came from: a letter from the embedded bus to the "
            "bus, a letter from Kafka to its original topic on its cluster"
        )
        self.replay_to_bus_action = QAction("Embedded bus", view)
        self.replay_to_bus_action.setCheckable(True)
        self.replay_to_bus_action.setToolTip(
            "Every replay goes to the embedded bus, on each letter's original topic (asks first)"
        )
        self.replay_to_kafka_action = QAction("Kafka", view)
        self.replay_to_kafka_action.setCheckable(True)
        self.target_group = QActionGroup(view)
        self.target_group.setExclusive(True)
        self.target_group.addAction(self.replay_to_origin_action)
        self.target_group.addAction(self.replay_to_bus_action)
        self.target_group.addAction(self.replay_to_kafka_action)
        self.target_group.triggered.connect(lambda _a: self.update())

    # -- where replays go ---------------------------------------------------------------

    def replay_target(self) -> ReplayTarget:
        """Where a replay goes now: where each letter came from (the default), or all to
        the bus, or all to the connected Kafka cluster when chosen and connected."""
        kafka = self.kafka
        profile = kafka.profile if kafka.connected else None
        password = kafka.password if profile is not None else None
        producer = kafka.producer if profile is not None else None
        if self.replay_to_kafka_action.isChecked() and profile is not None:
            return ReplayTarget("kafka", profile, password, producer)
        if self.replay_to_bus_action.isChecked():
            return ReplayTarget("bus", profile, password, producer)
        return ReplayTarget("origin", profile, password, producer)

    def target_refusal(self, letters: list[DeadLetter] | None = None) -> str | None:
        """Why the chosen target refuses these replays (a read-only profile for letters
        that would go to Kafka), or None. Without ``letters``: for any letter."""
        target = self.replay_target()
        if target.profile is None or target.kind == "bus":
            return None
        if target.kind == "origin" and letters is not None:
            if not target.writes_to_kafka(letters):
                return None
        elif target.kind == "origin":
            return None
        return write_refusal(target.profile)

    def follow_kafka(self) -> None:
        """Match the Kafka target to the connection: enabled only when connected with a
        profile that allows writes; the note says why not, or that it will ask first."""
        profile = self.kafka.profile if self.kafka.connected else None
        action = self.replay_to_kafka_action
        note, level = "", "info"
        if profile is None:
            action.setText("Kafka")
            action.setEnabled(False)
            action.setToolTip(
                "Not connected to Kafka: connect a profile in Connections to replay there"
            )
        else:
            action.setText(f"Kafka \u00b7 {profile.name}")
            refusal = write_refusal(profile)
            if refusal:
                action.setEnabled(False)
                action.setToolTip(refusal)
                note, level = (
                    f"\u26d4  Kafka profile \u201c{profile.name}\u201d is read-only: replay to "
                    "Kafka is disabled. Replays can still go to the embedded bus; to replay "
                    "into this cluster, connect with a profile that is not read-only.",
                    "warning",
                )
            elif needs_confirmation(profile):
                action.setEnabled(True)
                action.setToolTip(
                    f"Replays go to the Kafka cluster of profile {profile.name} "
                    f"({profile.environment}); each one asks for confirmation"
                )
                note, level = (
                    f"\u26a0  Kafka profile \u201c{profile.name}\u201d is "
                    f"{profile.environment}: every replay to it asks for confirmation.",
                    "warning",
                )
            else:
                action.setEnabled(True)
                action.setToolTip(
                    f"Replays go to the Kafka cluster of profile {profile.name}, "
                    "on each letter's original topic"
                )
        if not action.isEnabled() and action.isChecked():
            self.replay_to_origin_action.setChecked(True)
        self.kafka_note_changed.emit(note, level)
        self.update()

    # -- enabling -----------------------------------------------------------------------

    def update(self, *_args: Any) -> None:
        """Enable each action when it applies to the selection, with a tooltip saying
        what it will do, or why it cannot."""
        view = self.view
        if not view.alive():
            return
        ready = self.log is not None and not self.runner.busy
        selected = view.selected_letters() if ready else []
        pending = [d for d in selected if d.status == "pending"]
        group = view.selected_group_info()
        group_pending = group.pending if group is not None else 0
        where = self.replay_target().label
        refusal = self.target_refusal(pending if pending else None)

        def set_(action: QAction, enabled: bool, tip: str) -> None:
            action.setEnabled(enabled)
            action.setToolTip(tip)

        if refusal:
            replay_tip = refusal
        elif self.runner.busy:
            replay_tip = "Wait for the running operation to finish (or cancel it)"
        elif selected and not pending:
            replay_tip = "The selected letters are not pending: they were replayed or discarded"
        elif pending:
            replay_tip = f"Replay {count(len(pending), 'selected letter')} to {where}"
        else:
            replay_tip = "Select pending dead letters to replay them"
        set_(self.replay_action, ready and bool(pending) and not refusal, replay_tip)
        self.replay_action.setText(f"Replay {len(pending):,}" if len(pending) > 1 else "Replay")

        if refusal:
            group_tip = refusal
        elif group is None:
            group_tip = "Choose a failure reason on the left to act on its whole group"
        elif not group_pending:
            group_tip = "No pending letters in this group"
        else:
            group_tip = f"Replay the group's {count(group_pending, 'pending letter')} to {where}"
        set_(self.replay_group_action, ready and group_pending > 0 and not refusal, group_tip)

        set_(
            self.discard_action,
            ready and bool(pending),
            f"Discard {count(len(pending), 'selected letter')}"
            if pending
            else "Select pending dead letters to discard them",
        )
        set_(
            self.discard_group_action,
            ready and group_pending > 0,
            f"Discard the group's {count(group_pending, 'pending letter')}"
            if group_pending
            else "Choose a failure reason with pending letters on the left",
        )
        single = len(selected) == 1 and selected[0].status == "pending"
        set_(
            self.edit_action,
            ready and single,
            "Edit the payload or headers of the selected letter before replaying it"
            if single
            else "Select one pending dead letter to edit it",
        )

    # -- replay -------------------------------------------------------------------------

    def replay_selected(self) -> None:
        """Replay the selected pending letters (oldest first) to the chosen target."""
        pending = [d for d in self.view.selected_letters() if d.status == "pending"]
        if not pending or self.runner.busy or self.log is None:
            return
        ids, log = [d.id for d in pending], self.log

        async def load() -> list[DeadLetter]:
            # As stored now: a letter replayed meanwhile (elsewhere) is skipped, not resent.
            return await asyncio.to_thread(current_letters, log, ids)

        self._start_replay(len(ids), load, what=count(len(ids), "dead letter"), letters=pending)

    def _pending_group(self) -> tuple[ReasonGroup, EventLog] | None:
        """The selected reason group and the log, when the group has pending letters and
        no other action runs."""
        group = self.view.selected_group_info()
        if group is None or not group.pending or self.runner.busy or self.log is None:
            return None
        return group, self.log

    def replay_group(self) -> None:
        """Replay every pending letter of the selected reason group (oldest first)."""
        chosen = self._pending_group()
        if chosen is None:
            return
        group, log = chosen
        key = group.key

        async def load() -> list[DeadLetter]:
            return await asyncio.to_thread(pending_in_group, log, key, limit=GROUP_LIMIT)

        what = _pending_of(group)
        self._start_replay(group.pending, load, what=what)

    def _confirm(
        self, target: ReplayTarget, total: int, letters: list[DeadLetter] | None
    ) -> bool | None:
        """Ask before a replay that goes elsewhere than where the letters came from, or
        into a production cluster. True: the user confirmed; False: no need to ask; None:
        the user declined. ``letters``: the selection (None for a group, not read yet)."""
        questions = []
        if target.kind != "origin":
            moved = target.redirected(letters) if letters is not None else None
            if moved is None or moved:
                n = len(moved) if moved is not None else total
                origins = sorted({d.origin_label for d in moved or ()})
                who = "It" if n == 1 else "They"
                came = f" {who} came from {', '.join(origins)}." if origins else ""
                questions.append(
                    f"Replay {count(n, 'dead letter')} to {target.label} instead of where "
                    f"{'it' if n == 1 else 'they'} came from?{came}"
                )
        profile = target.profile
        to_kafka = letters is None or target.writes_to_kafka(letters)
        production = (
            profile is not None
            and target.kind != "bus"
            and to_kafka
            and needs_confirmation(profile)
        )
        if production:
            assert profile is not None
            questions.append(
                f"Replay {count(total, 'dead letter')} into the Kafka cluster of profile "
                f"\u201c{profile.name}\u201d ({profile.environment}, "
                f"{profile.bootstrap_servers})? Each event is sent again to its original "
                "topic, and the consumers there will process it again."
            )
        if not questions:
            return False
        answer = QMessageBox.question(
            self.widget,
            "Replay into production?" if production else "Replay elsewhere?",
            "\n\n".join(questions),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return True if answer == QMessageBox.StandardButton.Yes else None

    def _start_replay(
        self,
        total: int,
        load: Callable[[], Coroutine[Any, Any, list[DeadLetter]]],
        *,
        what: str,
        letters: list[DeadLetter] | None = None,
    ) -> None:
        target = self.replay_target()
        refusal = self.target_refusal(letters)
        if refusal:
            self.view.say(refusal)
            return
        confirmed = self._confirm(target, total, letters)
        if confirmed is None:
            self.view.say(f"Replay to {target.label} cancelled: nothing was sent.")
            return
        rate = float(self.view.rate_spin.value())
        runtime = self.runtime

        async def work(state: OperationState) -> ReplayRun:
            state.interruptible = True  # reading the letters, connecting: nothing sent yet
            letters = await load()
            state.check_cancelled()
            state.progress(0, len(letters), f"Replaying {what} to {target.label}")

            def ready() -> None:
                state.interruptible = False  # from here on, stop between windows only

            return await replay(
                target,
                runtime,
                letters,
                rate=rate,
                confirmed=bool(confirmed),
                should_stop=lambda: state.cancel_requested,
                on_progress=state.progress,
                on_window=self._after_replay_window,
                on_ready=ready,
            )

        self.view.say("")  # an earlier message ("Nothing was sent...") no longer holds
        self.runner.start(
            f"Replaying {what} to {target.label}",
            work,
            on_success=lambda _run: self.view.after_action(),
            on_failure=lambda _exc: self.view.after_action(),
            on_cancelled=self.view.after_action,
            summary=lambda run: f"Replay to {target.label}: {run.summary()}",
        )

    def _after_replay_window(self, outcomes: list[ReplayOutcome]) -> None:
        # The service has told the pipeline; the view shows the letters as stored now.
        self._replayed.update(o.dead_letter_id for o in outcomes if o.status == "replayed")
        if self.view.alive():
            self.view.refresh()

    def _on_dead_letter(self, letter: DeadLetter) -> None:
        """A new dead letter reached the pipeline: when it is a replay of ours that
        failed again, say so, with both ids (the history of the old one links them)."""
        if not shiboken6.isValid(self) or not self.view.alive():
            with contextlib.suppress(ValueError):
                self.runtime.pipeline.dead_letter_listeners.remove(self._on_dead_letter)
            return
        old = letter.replayed_from
        if not old or old not in self._replayed:
            return
        self._failed_again[old] = letter.id
        n = len(self._failed_again)
        self.view.say(
            f"{count(n, 'replayed letter')} failed again and became "
            f"{'a new dead letter' if n == 1 else 'new dead letters'}: latest {letter.id} "
            f"(replayed from {old}). See its history."
        )
        self.view.after_action()

    def failed_again(self) -> dict[str, str]:
        """``{replayed letter id: new letter id}`` for the replays of this view that
        failed again so far."""
        return dict(self._failed_again)

    # -- discard ------------------------------------------------------------------------

    def discard_selected(self) -> None:
        """Discard the selected pending letters, after a confirmation."""
        pending = [d for d in self.view.selected_letters() if d.status == "pending"]
        if not pending or self.runner.busy or self.log is None:
            return
        ids = [d.id for d in pending]

        async def load() -> list[str]:
            return ids

        self._start_discard(load, what=count(len(ids), "dead letter"))

    def discard_group(self) -> None:
        """Discard every pending letter of the selected reason group, after a confirmation."""
        chosen = self._pending_group()
        if chosen is None:
            return
        group, log = chosen
        key = group.key

        async def load() -> list[str]:
            letters = await asyncio.to_thread(pending_in_group, log, key, limit=GROUP_LIMIT)
            return [d.id for d in letters]

        what = _pending_of(group)
        self._start_discard(load, what=what)

    def _start_discard(
        self, load: Callable[[], Coroutine[Any, Any, list[str]]], *, what: str
    ) -> None:
        answer = QMessageBox.question(
            self.widget,
            "Discard dead letters?",
            f"Discard {what}?\n\nThey will not be replayed. Each discard is kept in the "
            "letter's history.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        service = self.service
        assert service is not None

        async def work(state: OperationState) -> int:
            ids = await load()
            done = 0
            state.progress(0, len(ids), f"Discarding {what}")
            for start in range(0, len(ids), DISCARD_CHUNK):
                if state.cancel_requested:
                    break
                chunk = ids[start : start + DISCARD_CHUNK]
                done += len(await service.discard(chunk))
                state.progress(start + len(chunk), len(ids))
            return done

        self.view.say("")
        self.runner.start(
            f"Discarding {what}",
            work,
            on_success=lambda _n: self.view.after_action(),
            on_failure=lambda _exc: self.view.after_action(),
            on_cancelled=self.view.after_action,
            summary=lambda n: f"Discarded {count(n, 'dead letter')}",
        )

    # -- edit ---------------------------------------------------------------------------

    def edit_selected(self) -> None:
        """Open the editor on the selected pending letter, as stored now, diffed against
        the event as it failed (from the log, when it still has it). An undecoded letter
        is decoded first, in the background, when the connection has its schema: the
        editor then edits its decoded payload."""
        selected = self.view.selected_letters()
        if len(selected) != 1 or self.runner.busy or self.log is None:
            return
        if self.edit_dialog is not None and shiboken6.isValid(self.edit_dialog):
            self.edit_dialog.raise_()
            return
        letter_id, log, view = selected[0].id, self.log, self.view

        async def open_editor() -> None:
            def read() -> tuple[DeadLetter, Envelope | None]:
                letter = log.dead_letter(letter_id)
                return letter, original_event(log, letter)

            try:
                letter, original = await asyncio.to_thread(read)
                decoding = view.letter_decoding
                if decoding.can_decode(letter):
                    view.say("Decoding the payload with the connected schema registry\u2026")
                    ready = await decoding.for_edit(letter, original)
                    letter, original = ready.letter, ready.original
                    view.say("")
            except Exception as exc:
                if view.alive():
                    view.say(f"Could not read the dead letter: {exc}")
                return
            if not view.alive():
                return
            dialog = DeadLetterEditDialog(
                letter, original=original, parent=self.widget, save=self._saver(letter.id)
            )
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dialog.accepted.connect(self._edit_saved)
            dialog.finished.connect(lambda _r: setattr(self, "edit_dialog", None))
            self.edit_dialog = dialog
            dialog.open()  # window-modal, without a nested event loop

        with contextlib.suppress(RuntimeError):  # no event loop
            view.spawn(open_editor())

    def _saver(self, letter_id: str) -> SaveEdit | None:
        """What the editor calls to store its edit: ``None`` when saved, else why not."""
        service, kafka = self.service, self.kafka
        if service is None:
            return None

        async def save(event: Envelope) -> str | None:
            try:
                # A schema-encoded payload is encoded again with its schema, which the
                # connected profile's registry (or schema files) has; none: refused.
                find, profile = kafka.schemas, kafka.profile
                schemas = await find() if find is not None else None
                cluster = Destination("kafka", profile.bootstrap_servers) if profile else None
                await service.edit(letter_id, event, schemas, cluster)
            except SchemaNotGiven as exc:
                return (
                    f"The edit was not saved: {exc} Connect to the letter's cluster with a "
                    "profile that has its schema registry (or a schema file for its topic) "
                    "and save again."
                )
            except EditRefused as exc:
                return f"The edit was not saved: {exc}"
            return None

        return save

    def _edit_saved(self) -> None:
        if self.view.alive():
            self.view.say("Edit saved. Nothing was sent: replay the letter to send the new event.")
            self.view.after_action()

    def close_editor(self) -> None:
        if self.edit_dialog is not None and shiboken6.isValid(self.edit_dialog):
            self.edit_dialog.reject()
