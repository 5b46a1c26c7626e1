"""Connections: Kafka profiles (add, edit, test, connect), and the connected cluster's
topics and consumer groups, from which a tail is started.

Left: the saved profiles (``profiles.json`` in the config dir, through
:class:`~adapters.kafka.profiles.ProfileStore`) and the form that edits one. Passwords go
to the OS keyring; without one the view says so and keeps the password in memory for this
session only (:mod:`monitor.ui.views.connection_passwords`).

Right: a banner with the connection state in one sentence (every failure is explained
there, in the view, not in a dialog), then the topics (name, partitions, messages,
dead-letter flag) and the consumer groups (state, members, lag) of the connected cluster,
refreshed by the service every few seconds. Select topics and press *Tail selected
topics* to read them into the stream from their end or their beginning.

All cluster work goes through :class:`~monitor.ui.kafka_service.KafkaService`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QItemSelectionModel, QSortFilterProxyModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from adapters.kafka.cluster import GroupInfo, TopicInfo
from adapters.kafka.profiles import ConnectionProfile, ProfileError, ProfileExists, ProfileStore
from monitor.ui import theme
from monitor.ui.context import AppContext
from monitor.ui.dots import dot_icon
from monitor.ui.elided_label import ElidedLabel
from monitor.ui.kafka_service import KafkaService
from monitor.ui.screen_fit import scrolling
from monitor.ui.table_setup import set_up_table
from monitor.ui.views.connection_doctor import DoctorSteps
from monitor.ui.views.connection_form import ProfileForm
from monitor.ui.views.connection_import import import_profile
from monitor.ui.views.connection_models import GroupsModel, SortRole, TopicsModel
from monitor.ui.views.connection_passwords import PasswordKeeper
from monitor.ui.views.connection_tail_from import TailFromPicker
from monitor.ui.views.form_widgets import card, card_style, label, primary_button_style, restyle

LAST_PROFILE_KEY = "connections/last_profile"


def _tone(state: str) -> tuple[str, str, str]:
    """(dot colour, background, border) of a connection state's chip, in this theme."""
    dark = theme.current == "dark"
    tones = {
        "connected": (theme.LIVE, *(("#1b3324", "#2c5a3a") if dark else ("#eaf6ec", "#b7dfc0"))),
        "connecting": (theme.ACCENT, *(("#1c2b45", "#2f4a78") if dark else ("#eaf1fe", "#bcd0f7"))),
        "reconnecting": (theme.WARNING, theme.WARNING_BG, "#6b4a1f" if dark else "#f0cf9f"),
        "failed": (theme.DANGER, theme.DANGER_BG, "#6b2f35" if dark else "#f1b8b8"),
    }
    tones["tailing"], tones["starting"] = tones["connected"], tones["connecting"]
    return tones.get(state, (theme.MUTED_TEXT, theme.SURFACE, theme.BORDER))


def _style() -> str:
    return (
        card_style()
        + f"""QLabel#formMessage[tone="ok"] {{ color: {theme.LIVE}; }}
QLabel#formMessage[tone="error"] {{ color: {theme.DANGER}; }}
QLabel#formMessage[tone="warn"] {{ color: {theme.WARNING}; }}
QLabel#formMessage[tone="muted"] {{ color: {theme.MUTED_TEXT}; }}
QLabel#emptyHint {{ color: {theme.MUTED_TEXT}; font-size: 11pt; }}
QListWidget#profiles {{
    background: {theme.SURFACE}; border: 1px solid {theme.BORDER}; border-radius: 4px;
}}
QListWidget#profiles:focus {{ border: 2px solid {theme.ACCENT}; }}
QListWidget#profiles::item {{ padding: 6px 4px; border-bottom: 1px solid {theme.ALT_ROW}; }}
QListWidget#profiles::item:selected {{ background: {theme.SELECTION}; color: {theme.TEXT}; }}
QPushButton:disabled, QComboBox:disabled, QLineEdit:disabled, QCheckBox:disabled {{
    color: {theme.MUTED_TEXT};
}}
"""
        + primary_button_style()
    )


_LIST_DOT = 14  # the profile list's icons: a little more room than a table row's


def _table(model: Any) -> QTableView:
    view = QTableView()
    view.setModel(model)
    return set_up_table(view, sorting=True)


class ConnectionsView(QWidget):
    def __init__(
        self,
        context: AppContext,
        service: KafkaService,
        parent: QWidget | None = None,
        *,
        store: ProfileStore | None = None,
        passwords: PasswordKeeper | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.service = service
        self.store = store if store is not None else ProfileStore()
        self.passwords = passwords if passwords is not None else PasswordKeeper()
        self._profiles: dict[str, ConnectionProfile] = {}
        self._busy: set[str] = set()  # "test", "connect", "tail": one of each at a time
        theme.keep_styled(self, _style)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self._build_profiles_pane())
        splitter.addWidget(self._build_cluster_pane())
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([400, 800])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(splitter)

        service.state_changed.connect(self._state_changed)
        service.topics_updated.connect(self._topics_updated)
        service.groups_updated.connect(self._groups_updated)
        service.tail_state_changed.connect(self._tail_state_changed)

        last = None
        if context.settings is not None:
            value = context.settings.value(LAST_PROFILE_KEY)
            last = str(value) if value else None
        self.reload_profiles(select=last)
        self._state_changed(service.state, service.sentence)
        self._tail_state_changed(service.tail_state, service.tail_sentence)
        self._topics_updated(service.topics)
        self._groups_updated(service.groups)

    # -- layout -------------------------------------------------------------------------

    def _build_profiles_pane(self) -> QWidget:
        frame, outer = card()
        title = QHBoxLayout()
        title.addWidget(label("Kafka profiles", "cardTitle"))
        title.addStretch(1)
        self.new_button = QPushButton("New")
        self.new_button.setToolTip("Start a new profile in the form below")
        self.new_button.clicked.connect(self.new_profile)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Remove the selected profile and its stored password")
        self.remove_button.clicked.connect(self.remove_profile)
        self.import_button = QPushButton("Import...")
        self.import_button.setToolTip(
            "A profile from a Java client.properties, a librdkafka or a kcat config"
        )
        self.import_button.clicked.connect(self.choose_import)
        title.addWidget(self.new_button)
        title.addWidget(self.import_button)
        title.addWidget(self.remove_button)
        outer.addLayout(title)

        self.profile_list = QListWidget()
        self.profile_list.setObjectName("profiles")
        self.profile_list.setMinimumHeight(70)
        # The list takes the height the form leaves, not the other way round: on a short
        # screen it gives up its room before the form has to scroll.
        self.profile_list.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Ignored)
        self.profile_list.currentItemChanged.connect(self._profile_selected)
        self.profile_list.itemDoubleClicked.connect(lambda _item: self.connect_profile())
        outer.addWidget(self.profile_list, 1)

        outer.addSpacing(4)
        outer.addWidget(label("Profile", "cardTitle"))
        self.form = ProfileForm()
        # The form scrolls when a TLS and SASL profile's rows are more than a short
        # screen holds, rather than setting the view's minimum height.
        form_area = scrolling(self.form)
        form_area.setMinimumHeight(130)
        outer.addWidget(form_area)
        self.form_message = label("", "formMessage")
        self.form_message.setWordWrap(True)
        self.form_message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QHBoxLayout()
        self.save_button = QPushButton("Save")
        self.save_button.setToolTip("Save the profile (the password goes to the OS keyring)")
        self.save_button.clicked.connect(self.save_profile)
        self.test_button = QPushButton("Test")
        self.test_button.setToolTip(
            "Check each step: DNS, TCP, TLS, sign-in, metadata, every advertised broker, "
            "and the schema registry when there is one"
        )
        self.test_button.clicked.connect(self.test_profile)
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("primary")
        self.connect_button.setToolTip("Connect the window to this cluster")
        self.connect_button.clicked.connect(self.connect_profile)
        self.disconnect_button = QPushButton("Disconnect")
        self.disconnect_button.clicked.connect(self.disconnect_cluster)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.disconnect_button)
        buttons.addWidget(self.connect_button)
        outer.addLayout(buttons)
        outer.addWidget(self.form_message)
        # One line (whole in the tooltip), cut in the path's middle: wrapped, the path took
        # three lines of a 700 px screen from the profile form, and a second line for the
        # keyring made a form with a registry over TLS scroll.
        where = ElidedLabel(
            f"Profiles are saved in {self.store.path}; passwords go to the OS keyring, "
            "never to that file.",
            mode=Qt.TextElideMode.ElideMiddle,
        )
        where.setObjectName("muted")
        outer.addWidget(where)
        frame.setMinimumWidth(340)
        return frame

    def _build_cluster_pane(self) -> QWidget:
        pane = QWidget()
        layout = QVBoxLayout(pane)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        self.banner = QLabel()
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.banner)
        layout.addWidget(self._build_doctor_card())

        self.stack = QStackedWidget()
        empty = QLabel(
            "Connect a profile to browse its topics and consumer groups.\n"
            "From here you can tail topics into the event stream."
        )
        empty.setObjectName("emptyHint")
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty_frame, empty_layout = card()
        empty_layout.addWidget(empty, 1)
        self.stack.addWidget(empty_frame)

        browse = QSplitter(Qt.Orientation.Vertical)
        browse.setChildrenCollapsible(False)
        browse.addWidget(self._build_topics_card())
        browse.addWidget(self._build_groups_card())
        browse.setStretchFactor(0, 3)
        browse.setStretchFactor(1, 2)
        self.stack.addWidget(browse)
        layout.addWidget(self.stack, 1)
        return pane

    def _build_doctor_card(self) -> QWidget:
        """The connection doctor's steps, above the cluster: shown by Test, hidden by Hide."""
        self.doctor_card, outer = card()
        title = QHBoxLayout()
        title.addWidget(label("Connection test", "cardTitle"))
        self.doctor_title = ElidedLabel("")
        self.doctor_title.setObjectName("muted")
        title.addWidget(self.doctor_title, 1)
        hide = QPushButton("Hide")
        hide.setToolTip("Hide the test's steps")
        hide.clicked.connect(self.doctor_card.hide)
        title.addWidget(hide)
        outer.addLayout(title)
        self.doctor_steps = DoctorSteps()
        outer.addWidget(self.doctor_steps)
        self.doctor_card.hide()
        return self.doctor_card

    def _build_topics_card(self) -> QWidget:
        frame, outer = card()
        title = QHBoxLayout()
        title.addWidget(label("Topics", "cardTitle"))
        self.topics_count = ElidedLabel("")
        self.topics_count.setObjectName("muted")
        title.addWidget(self.topics_count, 1)
        self.topic_filter = QLineEdit()
        self.topic_filter.setPlaceholderText("Filter topics")
        self.topic_filter.setClearButtonEnabled(True)
        self.topic_filter.setMaximumWidth(240)
        title.addWidget(self.topic_filter)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Read topics and groups now (they refresh every few s)")
        self.refresh_button.clicked.connect(self.refresh)
        title.addWidget(self.refresh_button)
        outer.addLayout(title)

        self.topics_model = TopicsModel(self)
        self.topics_proxy = QSortFilterProxyModel(self)
        self.topics_proxy.setSourceModel(self.topics_model)
        self.topics_proxy.setSortRole(SortRole)
        self.topics_proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.topics_proxy.setFilterKeyColumn(TopicsModel.NAME)
        self.topic_filter.textChanged.connect(self.topics_proxy.setFilterFixedString)
        self.topics_view = _table(self.topics_proxy)
        self.topics_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.topics_view.sortByColumn(TopicsModel.NAME, Qt.SortOrder.AscendingOrder)
        self.topics_view.setColumnWidth(TopicsModel.NAME, 260)
        self.topics_view.setColumnWidth(TopicsModel.PARTITIONS, 90)
        self.topics_view.setColumnWidth(TopicsModel.MESSAGES, 110)
        self.topics_view.selectionModel().selectionChanged.connect(self._update_actions)
        outer.addWidget(self.topics_view, 1)

        # Two rows: where to start (the kind and, for an offset or a time, its value),
        # then the buttons and what the tail is doing, so the card fits a laptop's width.
        self.tail_from = TailFromPicker()
        self.tail_from_combo = self.tail_from.combo
        self.tail_from.changed.connect(self._tail_from_changed)
        outer.addWidget(self.tail_from)
        tail = QHBoxLayout()
        self.tail_button = QPushButton("Tail selected topics")
        self.tail_button.setObjectName("primary")
        self.tail_button.setToolTip(
            "Read the selected topics into the event stream, without joining any group"
        )
        self.tail_button.clicked.connect(self.tail_selected)
        self.stop_tail_button = QPushButton("Stop tail")
        self.stop_tail_button.clicked.connect(self.stop_tail)
        tail.addWidget(self.tail_button)
        tail.addWidget(self.stop_tail_button)
        self.tail_status = ElidedLabel("")  # the whole sentence in its tooltip when cut
        self.tail_status.setObjectName("formMessage")
        tail.addWidget(self.tail_status, 1)
        outer.addLayout(tail)
        return frame

    def _build_groups_card(self) -> QWidget:
        frame, outer = card()
        title = QHBoxLayout()
        title.addWidget(label("Consumer groups", "cardTitle"))
        self.groups_count = ElidedLabel("")
        self.groups_count.setObjectName("muted")
        title.addWidget(self.groups_count)
        lag_note = ElidedLabel("lag = end offset - committed offset, summed over partitions")
        lag_note.setObjectName("muted")
        lag_note.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        title.addWidget(lag_note, 1)
        outer.addLayout(title)
        self.groups_model = GroupsModel(self)
        self.groups_proxy = QSortFilterProxyModel(self)
        self.groups_proxy.setSourceModel(self.groups_model)
        self.groups_proxy.setSortRole(SortRole)
        self.groups_view = _table(self.groups_proxy)
        self.groups_view.sortByColumn(GroupsModel.GROUP, Qt.SortOrder.AscendingOrder)
        self.groups_view.setColumnWidth(GroupsModel.GROUP, 240)
        self.groups_view.setColumnWidth(GroupsModel.STATE, 100)
        self.groups_view.setColumnWidth(GroupsModel.MEMBERS, 80)
        self.groups_view.setColumnWidth(GroupsModel.LAG, 90)
        outer.addWidget(self.groups_view, 1)
        return frame

    # -- profiles -----------------------------------------------------------------------

    def reload_profiles(self, select: str | None = None) -> None:
        """Read the profiles file again; a broken file is reported and left untouched."""
        try:
            self._profiles = self.store.load()
        except ProfileError as exc:
            self._profiles = {}
            self._message(str(exc), "error")
        else:
            if self.store.broken:
                self._message(_broken_sentence(self.store), "warn")
        current = select or self.selected_name()
        self.profile_list.blockSignals(True)
        self.profile_list.clear()
        for name, p in sorted(self._profiles.items()):
            tags = [p.bootstrap_servers, p.environment]
            if p.read_only:
                tags.append("read-only")
            item = QListWidgetItem(name + "\n" + "  \u00b7  ".join(tags))
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.profile_list.addItem(item)
        for broken in self.store.broken:
            # Listed, greyed and not selectable: the file keeps it; the tooltip says why.
            item = QListWidgetItem(f"{broken.name}\ncannot be used: {broken.reason}")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            item.setForeground(QColor(theme.WARNING))
            item.setToolTip(broken.sentence(self.store.path))
            self.profile_list.addItem(item)
        if not self._profiles and not self.store.broken:
            hint = QListWidgetItem("No profiles yet: press New to describe a cluster.")
            hint.setFlags(Qt.ItemFlag.NoItemFlags)
            self.profile_list.addItem(hint)
        self._refresh_icons()
        self.profile_list.blockSignals(False)
        row = next(
            (
                i
                for i in range(self.profile_list.count())
                if current is not None and self._item_name(i) == current
            ),
            None,
        )
        if row is None and self._profiles:
            row = 0
        if row is not None:
            self.profile_list.setCurrentRow(row)
        else:
            self.form.set_profile(None)
        self._update_actions()

    def _refresh_icons(self) -> None:
        """A green dot on the connected profile, a red ring on production ones."""
        service = self.service
        connected = service.profile.name if service.connected and service.profile else None
        for row in range(self.profile_list.count()):
            item = self.profile_list.item(row)
            name = self._item_name(row)
            if name is None:  # the "no profiles yet" hint
                continue
            profile = self._profiles.get(name)
            if name == connected:
                item.setIcon(dot_icon(theme.LIVE, _LIST_DOT))
                item.setToolTip(f"Connected. {service.sentence}")
            elif profile is not None and profile.is_production:
                item.setIcon(dot_icon(theme.DANGER, _LIST_DOT, hollow=True))
                item.setToolTip("Production: publishing and replays ask for confirmation")
            else:
                item.setIcon(dot_icon(theme.MUTED_TEXT, _LIST_DOT, hollow=True))
                item.setToolTip("")

    def _item_name(self, row: int) -> str | None:
        item = self.profile_list.item(row)
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return str(value) if value is not None else None

    def selected_name(self) -> str | None:
        item = self.profile_list.currentItem()
        value = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return str(value) if value is not None else None

    def _profile_selected(self, *_: object) -> None:
        name = self.selected_name()
        self.form.set_profile(self._profiles.get(name) if name else None)
        self._update_actions()

    def new_profile(self) -> None:
        self.profile_list.setCurrentRow(-1)
        self.profile_list.clearSelection()
        self.form.set_profile(None)
        self.form.name_edit.setFocus()
        self._message("Fill in the new profile and press Save.", "muted")
        self._update_actions()

    def save_profile(self) -> None:
        try:
            profile = self.form.profile()
        except ProfileError as exc:
            self._message(f"Not saved: {str(exc).rstrip('.')}.", "error")
            return
        self._save(profile, self.form.password())

    def _save(self, profile: ConnectionProfile, password: str, *, connecting: bool = False) -> bool:
        """Save ``profile`` (the form's) and keep ``password``; say so, or say why not and
        return False (``connecting``: the save is Connect's, which then goes on)."""
        refused = "Not connected" if connecting else "Not saved"
        original = self.form.loaded.name if self.form.loaded is not None else None
        # Read now: saving reloads the form, which clears what was typed.
        extra = {k: v for k, v in self.form.secrets().items() if k != "password"}
        try:
            # Only the profile being edited may be overwritten: a new profile, or a rename,
            # onto another profile's name is refused by the store (ProfileExists).
            self.store.add(profile, replace=profile.name == original)
            if original is not None and original != profile.name:
                self.store.remove(original)
        except ProfileExists as exc:
            # A broken entry of that name cannot be selected here: only another name helps.
            listed = profile.name in self._profiles
            self._message(
                f"{refused}: {str(exc).rstrip('.')}. Choose another name"
                + (f", or select {profile.name} in the list." if listed else "."),
                "error",
            )
            return False
        except ProfileError as exc:
            self._message(f"{refused}: {str(exc).rstrip('.')}.", "error")
            return False
        connected = self.service.profile is not None and self.service.profile.name == original
        reconnect = self.service.profile_saved(original, profile) or (connected and password)
        self.reload_profiles(select=profile.name)
        # Read-only and environment apply to the connection at once; an address or a
        # credential is only used by a new connection.
        hint = " Connect again to use its new connection settings." if reconnect else ""
        if connecting:
            hint = ""  # it is being connected now
        self._message(f"Saved profile {profile.name} in {self.store.path}.{hint}", "ok")
        renamed = original is not None and original != profile.name
        if password or renamed or extra:
            self.service.spawn(
                self._store_password(profile, password, original if renamed else None, hint, extra),
                failed=lambda exc: self._message(f"The password was not stored: {exc}", "error"),
            )
        return True

    async def _store_password(
        self,
        profile: ConnectionProfile,
        password: str,
        renamed_from: str | None,
        hint: str,
        extra: dict[str, str] | None = None,
    ) -> None:
        if renamed_from is not None:
            await asyncio.to_thread(self.passwords.rename, renamed_from, profile.name)
        for kind, secret in (extra or {}).items():  # bundle password, registry secret
            in_keyring, sentence = await asyncio.to_thread(
                self.passwords.store, profile.name, secret, kind
            )
            if not in_keyring:
                self._message(f"Saved profile {profile.name}. {sentence}{hint}", "warn")
        if not password:
            return
        in_keyring, sentence = await asyncio.to_thread(self.passwords.store, profile.name, password)
        self._message(
            f"Saved profile {profile.name}. {sentence}{hint}", "ok" if in_keyring else "warn"
        )
        if not in_keyring:
            self.form.password_edit.setPlaceholderText(
                "kept in memory for this session (no keyring)"
            )

    def remove_profile(self) -> None:
        name = self.selected_name()
        if name is None:
            return
        answer = QMessageBox.question(
            self,
            "Remove profile?",
            f"Remove the Kafka profile {name}? Its stored password is removed too.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            self.store.remove(name)
        except ProfileError as exc:
            self._message(str(exc), "error")
            return
        self.service.spawn(asyncio.to_thread(self.passwords.forget, name))
        self.reload_profiles()
        self._message(f"Removed profile {name}.", "muted")

    # -- test, connect, disconnect ------------------------------------------------------

    def _form_profile(self) -> ConnectionProfile | None:
        try:
            return self.form.profile()
        except ProfileError as exc:
            self._message(f"{exc}.", "error")
            return None

    async def _password_for(self, profile: ConnectionProfile) -> tuple[bool, str | None]:
        """(found, password): what the form says, else the session memory, env or keyring."""
        typed = self.form.password()
        if typed or not profile.needs_password:  # MSK IAM signs with AWS credentials
            return True, typed or None
        found = await asyncio.to_thread(self.passwords.lookup, profile.name)
        if found is None:
            self._message(
                f"Profile {profile.name} needs a password: type it in the Password field "
                "(Save keeps it in the OS keyring).",
                "error",
            )
            return False, None
        return True, found

    def test_profile(self) -> None:
        profile = self._form_profile()
        if profile is None or "test" in self._busy:
            return
        self._busy.add("test")
        self._message(f"Testing {profile.bootstrap_servers}...", "muted")
        self._update_actions()
        task = self.service.spawn(self._test(profile))
        task.add_done_callback(lambda _t: self._done("test"))

    async def _test(self, profile: ConnectionProfile) -> None:
        """The connection doctor: each step is shown as it finishes; the first failing
        one's cause and fix go in the message line."""
        from adapters.kafka.doctor import diagnose_profile

        found, password = await self._password_for(profile)
        if not found:
            return
        registry_secret = await self._registry_secret_for(
            profile, self.form.secrets().get("schema_registry")
        )
        self.doctor_steps.start()
        self.doctor_title.setText(f"{profile.name} at {profile.bootstrap_servers}")
        self.doctor_card.show()
        diagnosis = await diagnose_profile(
            profile,
            password,
            registry_secret=registry_secret,
            pkcs12_password=self.form.secrets().get("pkcs12"),  # typed, not saved yet
            on_step=self.doctor_steps.add_step,
        )
        failed = diagnosis.first_failure
        if failed is not None:
            self._message(f"The {failed.label} step failed: {failed.fix or failed.detail}", "error")
        else:
            # The card lists the steps: one line here, so a long form does not scroll.
            self._message(
                f"Connected to {profile.bootstrap_servers}: all {len(diagnosis.steps)} steps "
                "passed.",
                "ok",
            )

    # -- import ---------------------------------------------------------------------------

    def choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import a client configuration",
            str(Path.home()),
            "Client configurations (*.properties *.conf *.config *.cfg);;All files (*)",
        )
        if path:
            self.import_file(Path(path))

    def import_file(self, path: Path) -> None:
        """Make a profile of a client configuration file (in a worker thread), select it,
        and say what was taken and what was not."""

        async def run() -> None:
            try:
                imported = await asyncio.to_thread(import_profile, self.store, self.passwords, path)
            except ProfileError as exc:
                self._message(f"Not imported: {str(exc).rstrip('.')}.", "error")
                return
            self.reload_profiles(select=imported.name)
            self._message(imported.sentence, "ok" if imported.all_kept else "warn")
            self.form_message.setToolTip(imported.details)

        self.service.spawn(run())

    def connect_profile(self) -> None:
        """Connect with the form's profile, saving it first when it is new or edited (so
        it is in the list, works with ``--profile NAME`` and is there after a restart)."""
        profile = self._form_profile()
        if profile is None or "connect" in self._busy:
            return
        typed = self.form.password()  # saving reloads the form, which clears the field
        registry_typed = self.form.secrets().get("schema_registry")
        changed = profile != self.form.loaded or bool(typed) or bool(registry_typed)
        if changed and not self._save(profile, typed, connecting=True):
            return
        self._busy.add("connect")
        if not changed:
            self._message("", "muted")  # nothing was saved: no sentence about it
        if self.context.settings is not None:
            self.context.settings.setValue(LAST_PROFILE_KEY, profile.name)
        self._update_actions()
        task = self.service.spawn(self._connect(profile, typed, registry_typed))
        task.add_done_callback(lambda _t: self._done("connect"))

    async def _connect(
        self, profile: ConnectionProfile, typed: str, registry_typed: str | None = None
    ) -> None:
        found, password = (True, typed) if typed else await self._password_for(profile)
        if found:
            registry_secret = await self._registry_secret_for(profile, registry_typed)
            await self.service.connect_profile(profile, password, registry_secret=registry_secret)

    async def _registry_secret_for(
        self, profile: ConnectionProfile, typed: str | None
    ) -> str | None:
        """The registry's password or token: as typed, else this session's memory (no
        keyring here), the environment or the keyring; None when it takes none."""
        if not profile.registry_url or not (profile.registry_username or profile.registry_bearer):
            return None
        if typed:
            return typed
        return await asyncio.to_thread(self.passwords.lookup, profile.name, "schema_registry")

    def disconnect_cluster(self) -> None:
        self.service.spawn(self.service.disconnect_cluster())

    def _done(self, what: str) -> None:
        self._busy.discard(what)
        self._update_actions()

    # -- the cluster --------------------------------------------------------------------

    def selected_topics(self) -> list[str]:
        rows = self.topics_view.selectionModel().selectedRows(TopicsModel.NAME)
        names = [self.topics_proxy.data(index) for index in rows]
        return sorted(str(n) for n in names if n)

    def select_topics(self, names: list[str]) -> None:
        """Select these topics in the table (what a user does with Ctrl+click)."""
        selection = self.topics_view.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(self.topics_proxy.rowCount()):
            index = self.topics_proxy.index(row, TopicsModel.NAME)
            if self.topics_proxy.data(index) in names:
                selection.select(index, flags)

    def tail_selected(self) -> None:
        names = self.selected_topics()
        if not names or "tail" in self._busy:
            return
        try:
            start = self.tail_from.position()
        except ValueError as exc:  # refused here, with the reason; nothing is started
            self.tail_status.setText(f"Not tailed: {exc}")
            restyle(self.tail_status, tone="error")
            self.tail_from.value_edit.setFocus()
            return
        self._busy.add("tail")
        self._update_actions()
        task = self.service.spawn(self.service.start_tail(names, start))
        task.add_done_callback(lambda _t: self._done("tail"))

    def _tail_from_changed(self) -> None:
        if self.tail_status.property("tone") == "error" and self.service.tail_state != "failed":
            self.tail_status.setText("")  # the refusal was about the entry being edited

    def stop_tail(self) -> None:
        task = self.service.spawn(self.service.stop_tail())
        task.add_done_callback(lambda _t: self._update_actions())

    def refresh(self) -> None:
        self.service.spawn(self.service.refresh())

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        # The app switched themes: the banner's colours are baked into its own stylesheet.
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "banner"):
            self._state_changed(self.service.state, self.service.sentence)

    # -- service signals ----------------------------------------------------------------

    def _state_changed(self, state: str, sentence: str) -> None:
        dot, background, border = _tone(state)
        self.banner.setText(
            f"<span style='color:{dot}; font-size:13pt'>\u25cf</span>&nbsp; "
            f"<span style='color:{theme.TEXT}'>{_escape(sentence)}</span>"
        )
        self.banner.setStyleSheet(
            f"QLabel#banner {{ background: {background}; border: 1px solid {border}; "
            "border-radius: 6px; padding: 8px 12px; }"
        )
        connected = state in ("connected", "reconnecting")
        self.stack.setCurrentIndex(1 if connected else 0)
        self._refresh_icons()
        self._update_actions()

    def _topics_updated(self, topics: list[TopicInfo]) -> None:
        selected = self.selected_topics()
        self.topics_model.set_topics(topics)
        self.select_topics(selected)
        dlt = sum(1 for t in topics if t.is_dead_letter_topic)
        extra = f", {dlt} holding dead letters" if dlt else ""
        self.topics_count.setText(f"{len(topics)} on the cluster{extra}" if topics else "")
        self._update_actions()

    def _groups_updated(self, groups: list[GroupInfo]) -> None:
        self.groups_model.set_groups(groups)
        lagging = sum(1 for g in groups if g.lag > 0)
        extra = f", {lagging} behind" if lagging else ""
        self.groups_count.setText(f"{len(groups)}{extra}" if groups else "")

    def _tail_state_changed(self, state: str, sentence: str) -> None:
        tone = {"tailing": "ok", "failed": "error", "reconnecting": "warn"}.get(state, "muted")
        self.tail_status.setText("" if state == "idle" else sentence)
        restyle(self.tail_status, tone=tone)
        self.topics_model.set_tailed(self.service.tail_patterns)
        self._update_actions()

    # -- helpers ------------------------------------------------------------------------

    def _message(self, text: str, tone: str) -> None:
        self.form_message.setText(text)
        self.form_message.setToolTip("")  # an import's list belongs to its sentence only
        restyle(self.form_message, tone=tone)

    def _update_actions(self, *_: object) -> None:
        state = self.service.state
        connected = self.service.connected
        self.remove_button.setEnabled(self.selected_name() is not None)
        self.test_button.setEnabled("test" not in self._busy)
        self.connect_button.setEnabled("connect" not in self._busy and state != "connecting")
        self.disconnect_button.setEnabled(state in ("connecting", "connected", "reconnecting"))
        self.refresh_button.setEnabled(connected)
        self.tail_button.setEnabled(
            connected and "tail" not in self._busy and bool(self.selected_topics())
        )
        self.stop_tail_button.setEnabled(self.service.tailing)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _broken_sentence(store: ProfileStore) -> str:
    """What the view says of the profiles in the file that cannot be used."""
    if len(store.broken) == 1:
        return store.broken[0].sentence(store.path)
    names = ", ".join(repr(b.name) for b in store.broken)
    reasons = "; ".join(f"{b.name}: {b.reason}" for b in store.broken)
    return (
        f"The profiles {names} in {store.path} cannot be used ({reasons}). Fix them by "
        "hand; they are kept as they are, and the other profiles work meanwhile."
    )
