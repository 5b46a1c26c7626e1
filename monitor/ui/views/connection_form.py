"""The form that edits one Kafka connection profile.

Fields follow :class:`~adapters.kafka.profiles.ConnectionProfile`; the ones that do not
apply are disabled (SASL fields without a SASL protocol, certificate files without TLS),
so the form says what matters for the chosen protocol. The password field is never saved
with the profile: the view hands it to the keyring.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from adapters.kafka.profiles import SASL_MECHANISMS, SECURITY_PROTOCOLS, ConnectionProfile
from monitor.ui.views.form_widgets import with_button

ENVIRONMENTS = ("development", "staging", "production")


class ProfileForm(QWidget):
    changed = Signal()  # any field edited by the user

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loaded: ConnectionProfile | None = None
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("local, staging-eu, ...")
        self.bootstrap_edit = QLineEdit()
        self.bootstrap_edit.setPlaceholderText("host:9092, host2:9092")
        self.protocol_combo = QComboBox()
        self.protocol_combo.addItems(SECURITY_PROTOCOLS)
        self.mechanism_combo = QComboBox()
        self.mechanism_combo.addItems(SASL_MECHANISMS)
        self.user_edit = QLineEdit()
        self.user_edit.setPlaceholderText("SASL user name")
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setPlaceholderText("goes to the OS keyring, never to a file")
        self.ca_edit, ca_row = self._file_row("CA certificate (PEM)")
        self.cert_edit, cert_row = self._file_row("client certificate (PEM)")
        self.key_edit, key_row = self._file_row("client key (PEM)")
        self.read_only_check = QCheckBox("Read-only (no publish, no replay)")
        self.read_only_check.setToolTip(
            "Publishing and dead-letter replays to this cluster are refused"
        )
        self.environment_combo = QComboBox()
        self.environment_combo.setEditable(True)
        self.environment_combo.addItems(ENVIRONMENTS)
        self.environment_combo.setToolTip("production asks for confirmation before any write")
        self.dead_letter_edit = QLineEdit()
        self.dead_letter_edit.setPlaceholderText("extra dead-letter topic regexes, comma separated")

        self._form = form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        form.addRow("Name", self.name_edit)
        form.addRow("Bootstrap", self.bootstrap_edit)
        form.addRow("Protocol", self.protocol_combo)
        form.addRow("SASL mechanism", self.mechanism_combo)
        form.addRow("SASL user", self.user_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("CA file", ca_row)
        form.addRow("Certificate", cert_row)
        form.addRow("Key", key_row)
        form.addRow("Environment", self.environment_combo)
        form.addRow("", self.read_only_check)
        form.addRow("Dead letters", self.dead_letter_edit)

        for edit in (
            self.name_edit,
            self.bootstrap_edit,
            self.user_edit,
            self.password_edit,
            self.ca_edit,
            self.cert_edit,
            self.key_edit,
            self.dead_letter_edit,
        ):
            edit.textEdited.connect(self._edited)
        self.protocol_combo.currentIndexChanged.connect(self._edited)
        self.mechanism_combo.currentIndexChanged.connect(self._edited)
        self.environment_combo.currentTextChanged.connect(self._edited)
        self.read_only_check.toggled.connect(self._edited)
        self._apply_protocol()

    def _file_row(self, what: str) -> tuple[QLineEdit, QWidget]:
        edit = QLineEdit()
        edit.setPlaceholderText(f"path to the {what}")
        browse = QPushButton("Browse...")
        browse.setToolTip(f"Choose the {what} file")
        browse.clicked.connect(lambda: self._browse(edit, what))
        return edit, with_button(edit, browse)

    def _browse(self, edit: QLineEdit, what: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, f"Choose the {what}", edit.text(), "PEM files (*.pem *.crt *.key);;All files (*)"
        )
        if path:
            edit.setText(path)
            self._edited()

    def _edited(self, *_: object) -> None:
        self._apply_protocol()
        self.changed.emit()

    def _apply_protocol(self) -> None:
        """Show only the fields the chosen protocol uses."""
        protocol = self.protocol_combo.currentText()
        sasl, tls = protocol.startswith("SASL"), protocol in ("SSL", "SASL_SSL")
        for widget in (self.mechanism_combo, self.user_edit, self.password_edit):
            widget.setEnabled(sasl)
            self._form.setRowVisible(widget, sasl)
        for edit in (self.ca_edit, self.cert_edit, self.key_edit):
            edit.setEnabled(tls)
            row = edit.parentWidget()
            if row is not None:
                self._form.setRowVisible(row, tls)

    # -- content ------------------------------------------------------------------------

    def set_profile(self, profile: ConnectionProfile | None) -> None:
        """Show ``profile`` (``None``: an empty form for a new one). Clears the password."""
        self._loaded = profile
        p = profile or ConnectionProfile(name="new", bootstrap_servers="localhost:9092")
        self.name_edit.setText(profile.name if profile else "")
        self.bootstrap_edit.setText(profile.bootstrap_servers if profile else "")
        self.protocol_combo.setCurrentText(p.security_protocol)
        self.mechanism_combo.setCurrentText(p.sasl_mechanism or SASL_MECHANISMS[0])
        self.user_edit.setText(p.sasl_username or "")
        self.password_edit.clear()
        self.ca_edit.setText(p.ca_file or "")
        self.cert_edit.setText(p.cert_file or "")
        self.key_edit.setText(p.key_file or "")
        self.read_only_check.setChecked(p.read_only)
        self.environment_combo.setCurrentText(p.environment)
        self.dead_letter_edit.setText(", ".join(p.dead_letter_patterns))
        self._apply_protocol()

    @property
    def loaded(self) -> ConnectionProfile | None:
        """The saved profile the form was filled from, if any."""
        return self._loaded

    def profile(self) -> ConnectionProfile:
        """The profile the form describes. Raises ``ProfileError`` saying what is wrong."""
        protocol = self.protocol_combo.currentText()
        sasl, tls = protocol.startswith("SASL"), protocol in ("SSL", "SASL_SSL")
        patterns = [p.strip() for p in self.dead_letter_edit.text().split(",") if p.strip()]
        return ConnectionProfile(
            name=self.name_edit.text().strip(),
            bootstrap_servers=self.bootstrap_edit.text().strip(),
            security_protocol=protocol,
            sasl_mechanism=self.mechanism_combo.currentText() if sasl else None,
            sasl_username=(self.user_edit.text().strip() or None) if sasl else None,
            ca_file=(self.ca_edit.text().strip() or None) if tls else None,
            cert_file=(self.cert_edit.text().strip() or None) if tls else None,
            key_file=(self.key_edit.text().strip() or None) if tls else None,
            client_id=self._loaded.client_id if self._loaded else "eventflow-monitor",
            read_only=self.read_only_check.isChecked(),
            environment=self.environment_combo.currentText().strip() or "development",
            dead_letter_patterns=patterns,
        )

    def password(self) -> str:
        return self.password_edit.text()
