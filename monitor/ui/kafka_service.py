"""The Kafka side of the window, as one QObject: signals out, coroutines in.

:class:`KafkaService` owns the :class:`~adapters.kafka.session.KafkaSession` of the
cluster the user is connected to (at most one), keeps ``context.kafka`` up to date for
every view, and feeds tailed records into ``context.runtime.pipeline``: the path the demo's
events take, so the stream, the chains, the stats and the log see Kafka records the same
way.

Widgets never touch aiokafka: they await the coroutines here (or hand them to
:meth:`KafkaService.spawn`, which keeps the task, reports an unexpected error once and
lets :meth:`KafkaService.shutdown` cancel it) and listen to the signals.

States (``state_changed(state, sentence)``): ``disconnected``, ``connecting``,
``connected``, ``reconnecting`` (the cluster stopped answering; retried in the background)
and ``failed`` (a connection attempt did not succeed). They are kept in one place,
``context.kafka``; :attr:`KafkaService.state` reads them there. Tail states
(``tail_state_changed``): ``idle``, ``starting``, ``waiting`` (no topic matches its
pattern yet), ``tailing``, ``reconnecting``, ``stopped``, ``failed``.

No method raises for a cluster problem except :meth:`publish` and :meth:`burst`, whose
callers show the sentence next to the Send button.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from adapters.kafka.cluster import GroupInfo, TopicInfo
from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.publisher import Mode, Sent
from adapters.kafka.session import KafkaSession, check_connection
from adapters.kafka.tail import StartPosition
from adapters.schema_registry.client import RegistrySettings
from monitor.core.envelope import Envelope, format_time
from monitor.core.gauges import GaugeHistory
from monitor.core.raw_record import RawRecord
from monitor.core.wording import count
from monitor.ui.background import BackgroundTasks
from monitor.ui.context import AppContext

log = logging.getLogger(__name__)

NOT_CONNECTED = "Not connected to Kafka."
_TAIL_STATES = {"connected": "tailing", "reconnecting": "reconnecting", "stopped": "stopped"}


class KafkaService(QObject):
    state_changed = Signal(str, str)  # (state, sentence)
    topics_updated = Signal(list)  # list[TopicInfo], sorted by name
    groups_updated = Signal(list)  # list[GroupInfo], sorted by group id
    tail_state_changed = Signal(str, str)  # (tail state, sentence)

    def __init__(
        self, context: AppContext, *, sample_interval: float = 5.0, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.sample_interval = sample_interval
        # Kept across sessions: the overview charts hold on to these two.
        self.lag = GaugeHistory()
        self.dead_letter_depth = GaugeHistory()
        self.tail_state = "idle"
        self.tail_sentence = "Not tailing."
        self.topics: list[TopicInfo] = []
        self.groups: list[GroupInfo] = []
        self._session: KafkaSession | None = None
        self._connecting: asyncio.Task[Any] | None = None
        self.tasks = BackgroundTasks(self)
        self._groups_shown: list[dict[str, Any]] = []

    # -- what views read ----------------------------------------------------------------

    @property
    def state(self) -> str:
        """The connection's state, as ``context.kafka`` (the one place it is kept) says."""
        return self.context.kafka.state

    @property
    def sentence(self) -> str:
        return self.context.kafka.sentence

    @property
    def profile(self) -> ConnectionProfile | None:
        return self._session.profile if self._session is not None else None

    @property
    def connected(self) -> bool:
        return self._session is not None and self.state in ("connected", "reconnecting")

    @property
    def tailing(self) -> bool:
        return self._session is not None and self._session.tailing

    @property
    def tail_patterns(self) -> list[str]:
        session = self._session
        if session is None or session.tail is None or not session.tailing:
            return []
        return list(session.tail.patterns)

    def is_tailing(self, topic: str) -> bool:
        return self._session is not None and self._session.is_tailing(topic)

    # -- tasks on behalf of views -------------------------------------------------------

    def spawn(
        self,
        coro: Coroutine[Any, Any, Any],
        *,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> asyncio.Future[Any]:
        """Run ``coro`` as a task the service keeps (and cancels on :meth:`shutdown`);
        see :meth:`BackgroundTasks.spawn`."""
        return self.tasks.spawn(coro, done=done, failed=failed)

    def pending_tasks(self) -> list[asyncio.Future[Any]]:
        """Every task the service runs that has not finished (empty once disconnected)."""
        tasks: list[asyncio.Future[Any]] = self.tasks.pending()
        if self._session is not None:
            tasks.extend(self._session.running_tasks())
        return tasks

    # -- connecting ---------------------------------------------------------------------

    async def connect_profile(
        self,
        profile: ConnectionProfile,
        password: str | None = None,
        *,
        registry_secret: str | None = None,
    ) -> bool:
        """Connect to ``profile``'s cluster (dropping any current connection).
        ``registry_secret``: its schema registry's password or token, when the window
        has one (else the environment's or the keyring's is used).

        Returns whether it worked; on failure the state is ``failed`` and the sentence says
        why. Never raises for a cluster problem.
        """
        await self.disconnect_cluster(quiet=True)
        self._connecting = asyncio.current_task()
        session = KafkaSession(
            profile,
            password,
            pipeline=self.context.runtime.pipeline,
            lag=self.lag,
            dead_letter_depth=self.dead_letter_depth,
            interval=self.sample_interval,
            on_state=self._on_session_state,
            on_tail_state=self._on_tail_state,
            on_snapshot=self._on_snapshot,
            registry_secret=registry_secret,
        )
        self._session = session
        where = f"{profile.name} ({profile.bootstrap_servers})"
        self._set_state("connecting", f"Connecting to {where}...", profile, password)
        try:
            await session.open()
        except KafkaUnavailable as exc:
            await self._forget(session)
            self._set_state("failed", str(exc))
            return False
        except BaseException:
            await self._forget(session)
            self._set_state("disconnected", NOT_CONNECTED)
            raise
        finally:
            if self._connecting is asyncio.current_task():
                self._connecting = None
        if self._session is not session:  # disconnected while connecting
            await session.close()
            return False
        # session.profile: a save during the connect may have changed its safety settings
        self._set_state("connected", self._connected_sentence(session), session.profile, password)
        return True

    def disconnect(self, *, quiet: bool = False) -> Coroutine[Any, Any, None]:  # type: ignore[override]
        """:meth:`disconnect_cluster`, under the name the views' brief uses.

        It shadows ``QObject.disconnect`` on this class; disconnect signals through the
        signal (``service.state_changed.disconnect(slot)``), as PySide code does anyway.
        """
        return self.disconnect_cluster(quiet=quiet)

    async def disconnect_cluster(self, *, quiet: bool = False) -> None:
        """Stop the tail and the sampling, close the connection. Safe to call any time."""
        connecting = self._connecting
        if connecting is not None and connecting is not asyncio.current_task():
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)
        session, self._session = self._session, None
        if session is None:
            if not quiet and self.state != "disconnected":
                self._set_state("disconnected", NOT_CONNECTED)
            return
        await session.close()
        self._set_tail_state("idle", "Not tailing.")
        self._on_snapshot([], [])
        if not quiet:
            self._set_state("disconnected", f"Disconnected from {session.profile.name}.")

    def profile_saved(self, original_name: str | None, profile: ConnectionProfile) -> bool:
        """The profile named ``original_name`` was saved as ``profile``: if it is the one
        connected, its name and its safety settings (read-only, environment) apply to the
        connection at once, so a profile just marked production asks before the next
        replay. Returns whether other settings changed, which take a reconnect."""
        session = self._session
        if session is None or original_name is None or session.profile.name != original_name:
            return False
        live = session.profile
        session.profile = replace(
            live, name=profile.name, read_only=profile.read_only, environment=profile.environment
        )
        self._restate(session)
        return session.profile != profile

    async def _forget(self, session: KafkaSession) -> None:
        if self._session is session:
            self._session = None
        await session.close()

    async def test_profile(self, profile: ConnectionProfile, password: str | None = None) -> str:
        """Try ``profile`` without connecting the window to it; the sentence says how it went."""
        return (await self.check_profile(profile, password))[1]

    async def check_profile(
        self, profile: ConnectionProfile, password: str | None = None
    ) -> tuple[bool, str]:
        """:meth:`test_profile`, with whether it worked."""
        return await check_connection(profile, password)

    async def refresh(self) -> bool:
        """Read the topics and groups now (the session also does so every few seconds)."""
        session = self._session
        if session is None or self.state == "connecting":
            return False
        try:
            await session.refresh()
        except KafkaUnavailable as exc:
            if self._session is session:
                self._set_state("reconnecting", str(exc))
            return False
        if self._session is session and self.state == "reconnecting":
            self._set_state("connected", self._connected_sentence(session))
        return True

    # -- tailing ------------------------------------------------------------------------

    async def start_tail(self, patterns: Sequence[str], start: str | StartPosition = "end") -> bool:
        """Tail ``patterns`` (names or globs) into the pipeline from ``start`` (``end``,
        ``beginning``, an offset, a time...). Replaces a running tail. Returns whether it
        started; the tail state says why not."""
        session = self._session
        if session is None or not self.connected:
            self._set_tail_state("failed", "Connect to a Kafka cluster first.")
            return False
        try:
            position = start if isinstance(start, StartPosition) else StartPosition.parse(start)
        except ValueError as exc:
            self._set_tail_state("failed", str(exc))
            return False
        names = ", ".join(patterns)
        where = {
            "beginning": "the beginning",
            "end": "the end",
            "offset": f"offset {position.value}",
        }.get(position.kind) or f"{format_time(position.value / 1000)}"
        self._set_tail_state("starting", f"Starting to tail {names} from {where}...")
        try:
            await session.start_tail(list(patterns), position)
        except KafkaUnavailable as exc:
            if self._session is session:
                self._set_tail_state("failed", str(exc))
            return False
        return True

    async def stop_tail(self) -> None:
        session = self._session
        if session is None:
            self._set_tail_state("idle", "Not tailing.")
            return
        await session.stop_tail()  # the tail says "stopped after N records" itself
        if self.tail_state not in ("stopped", "idle"):
            self._set_tail_state("stopped", "Tail stopped.")

    # -- publishing ---------------------------------------------------------------------

    def _require_session(self) -> KafkaSession:
        if self._session is None or not self.connected:
            raise KafkaUnavailable(
                "Not connected to Kafka: connect a profile in Connections first."
            )
        return self._session

    async def publish(
        self, event: Envelope, topic: str, *, mode: Mode = "binary", confirmed: bool = False
    ) -> Sent:
        """Send one event to ``topic`` on the connected cluster.

        Raises ``KafkaUnavailable`` or ``WriteRefused`` (read-only profile; production
        profile without ``confirmed``), each with the sentence to show.
        """
        return await self._require_session().publish(event, topic, mode=mode, confirmed=confirmed)

    async def registry_settings(self) -> RegistrySettings | None:
        """The connected profile's schema registry, signed in as the session is (``None``
        when not connected or the profile has none)."""
        session = self._session
        return await session.registry_settings() if session is not None else None

    async def publish_record(
        self, record: RawRecord, topic: str, *, confirmed: bool = False
    ) -> Sent:
        """Send one record as it is (the composer's schema-encoded one); raises like
        :meth:`publish`."""
        return await self._require_session().publish_record(record, topic, confirmed=confirmed)

    async def burst(
        self,
        make_event: Callable[[int], Envelope],
        topic: str,
        *,
        count: int,
        rate: float | None,
        mode: Mode = "binary",
        confirmed: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Send ``count`` events at up to ``rate``/s; raises like :meth:`publish`."""
        return await self._require_session().burst(
            make_event,
            topic,
            count=count,
            rate=rate,
            mode=mode,
            confirmed=confirmed,
            on_progress=on_progress,
        )

    # -- shutting down ------------------------------------------------------------------

    async def shutdown(self) -> None:
        """Cancel every task (the views' too) and disconnect; the app can then exit."""
        await self.tasks.aclose()
        await self.disconnect_cluster(quiet=True)
        if self.state != "disconnected":
            self._set_state("disconnected", NOT_CONNECTED)

    # -- internals ----------------------------------------------------------------------

    @staticmethod
    def _connected_sentence(session: KafkaSession) -> str:
        p = session.profile
        topics, groups = len(session.topics), len(session.groups)
        return (
            f"Connected to {p.name} ({p.bootstrap_servers}): {count(topics, 'topic')}, "
            f"{count(groups, 'consumer group')}."
        )

    def _set_state(
        self,
        state: str,
        sentence: str,
        profile: ConnectionProfile | None = None,
        password: str | None = None,
    ) -> None:
        session = self._session
        kafka = self.context.kafka
        kafka.producer = session.producer if session is not None else None
        kafka.schemas = session.schema_source if session is not None else None
        kafka.set(state, sentence, profile, password)
        self.state_changed.emit(state, sentence)

    def _set_tail_state(self, state: str, sentence: str) -> None:
        if (state, sentence) == (self.tail_state, self.tail_sentence):
            return
        self.tail_state, self.tail_sentence = state, sentence
        self.tail_state_changed.emit(state, sentence)

    def _on_session_state(self, state: str, sentence: str) -> None:
        if self._session is None or self.state in ("connecting", "disconnected", "failed"):
            return
        if state == "connected":
            self._set_state("connected", self._connected_sentence(self._session))
        else:
            self._set_state("reconnecting", sentence)

    def _on_tail_state(self, state: str, sentence: str) -> None:
        self._set_tail_state(_TAIL_STATES.get(state, state), sentence)

    def _on_snapshot(self, topics: list[TopicInfo], groups: list[GroupInfo]) -> None:
        changed = False
        if topics != self.topics:
            self.topics = list(topics)
            self.topics_updated.emit(self.topics)
            changed = True
        shown = [g.to_dict() for g in groups]
        if shown != self._groups_shown:
            self._groups_shown = shown
            self.groups = list(groups)
            self.groups_updated.emit(self.groups)
            changed = True
        # The sentence counts topics and groups: a topic made since (by a replay, say)
        # must not leave it saying fewer than the table shows.
        session = self._session
        if (
            changed
            and session is not None
            and self.state == "connected"
            and self._connected_sentence(session) != self.sentence
        ):
            self._restate(session)

    def _restate(self, session: KafkaSession) -> None:
        """Say the state again, after the connection's profile or counts changed."""
        sentence = self._connected_sentence(session) if self.state == "connected" else self.sentence
        self._set_state(self.state, sentence, session.profile, session.password)
