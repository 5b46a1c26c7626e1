"""The form that edits one Kafka connection profile.

A *Sign-in* combo names the method (plaintext, TLS, mutual TLS, user and password, OAuth,
Amazon MSK IAM, Confluent Cloud, Azure Event Hubs, from
:data:`adapters.kafka.sign_in.METHODS`); only the fields that method needs are shown, with
labels in its own words (an API key is not called a user name). Secrets typed here (the
password, client secret, API secret or connection string; a PKCS#12 bundle's password; a
schema registry's password or token) are never saved with the profile: the view hands
them to the keyring. For Event Hubs the bootstrap is derived from the pasted connection
string. The schema registry's rows (:mod:`.connection_registry`) are the same for every
sign-in method: any cluster may have a registry.
"""

from __future__ import annotations

import contextlib
from dataclasses import fields
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from adapters.kafka.profiles import PASSWORD_MECHANISMS, ConnectionProfile, ProfileError
from adapters.kafka.sign_in import (
    METHODS,
    ConnectionStringError,
    event_hubs_bootstrap,
    method_of,
)
from monitor.ui.views.connection_registry import PROFILE_FIELDS as REGISTRY_FIELDS
from monitor.ui.views.connection_registry import RegistryRows
from monitor.ui.views.form_widgets import with_button

ENVIRONMENTS = ("development", "staging", "production")
# The protocol each method uses; user-and-password and OAuth let the user pick plaintext
# SASL (a local cluster) or SASL over TLS.
_PROTOCOL = {
    "none": "PLAINTEXT",
    "tls": "SSL",
    "mtls": "SSL",
    "password": "SASL_SSL",
    "oauth": "SASL_SSL",
    "msk_iam": "SASL_SSL",
    "confluent_cloud": "SASL_SSL",
    "event_hubs": "SASL_SSL",
}
_SECRET_PLACEHOLDER = "goes to the OS keyring, never to a file"


def _secret_edit(placeholder: str = _SECRET_PLACEHOLDER) -> QLineEdit:
    edit = QLineEdit()
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setPlaceholderText(placeholder)
    return edit


def _edit(placeholder: str) -> QLineEdit:
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    return edit


def _side_by_side(wide: QWidget, narrow: QWidget) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(10)
    row.addWidget(wide, 1)
    row.addWidget(narrow)
    return box


class ProfileForm(QWidget):
    changed = Signal()  # any field edited by the user

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loaded: ConnectionProfile | None = None
        self.name_edit = _edit("local, staging-eu, ...")
        self.bootstrap_edit = _edit("host:9092, host2:9092")
        self.method_combo = QComboBox()
        for method in METHODS.values():
            self.method_combo.addItem(method.label, method.key)
            self.method_combo.setItemData(
                self.method_combo.count() - 1, method.hint, Qt.ItemDataRole.ToolTipRole
            )
        # Long labels must not widen the form past a laptop's pane: the combo elides.
        self.method_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.method_combo.setMinimumContentsLength(12)
        self.protocol_combo = QComboBox()
        self.protocol_combo.addItems(("SASL_SSL", "SASL_PLAINTEXT"))
        self.protocol_combo.setToolTip("SASL_PLAINTEXT sends everything unencrypted")
        self.mechanism_combo = QComboBox()
        self.mechanism_combo.addItems(PASSWORD_MECHANISMS)
        self.user_edit = _edit("SASL user name")
        self.password_edit = _secret_edit()
        self.connection_string_edit = _secret_edit(
            "Endpoint=sb://NAMESPACE.servicebus.windows.net/;SharedAccessKeyName=...;..."
        )
        self.token_endpoint_edit = _edit("https://login.example.com/oauth2/token")
        self.client_id_edit = _edit("the OAuth client id")
        self.scope_edit = _edit("optional, e.g. kafka")
        self.extensions_edit = _edit("optional: logicalCluster=lkc-1, identityPoolId=pool-2")
        self.region_edit = _edit("e.g. eu-west-1")
        self.aws_profile_edit = _edit("empty: the environment's credentials")
        self.ca_edit, ca_row = self._file_row("CA certificate (PEM)", "PEM files (*.pem *.crt)")
        self.cert_edit, cert_row = self._file_row("client certificate (PEM)", "PEM (*.pem *.crt)")
        self.key_edit, key_row = self._file_row("client key (PEM)", "PEM files (*.pem *.key)")
        self.pkcs12_edit, pkcs12_row = self._file_row(
            "PKCS#12 bundle (instead of PEM files)", "PKCS#12 (*.p12 *.pfx)"
        )
        self.pkcs12_password_edit = _secret_edit()
        # The schema registry, whatever the Kafka sign-in (its own rows, shown as needed).
        self.registry = RegistryRows(self._file_row, _secret_edit)
        self.registry_url_edit = self.registry.url_edit
        self.registry_key_edit = self.registry.user_edit
        self.registry_secret_edit = self.registry.secret_edit
        self.read_only_check = QCheckBox("Read-only")
        self.read_only_check.setToolTip(
            "No publish, no replay: publishing and dead-letter replays to this cluster are refused"
        )
        self.environment_combo = QComboBox()
        self.environment_combo.setEditable(True)
        self.environment_combo.addItems(ENVIRONMENTS)
        self.environment_combo.setToolTip("production asks for confirmation before any write")
        self.dead_letter_edit = _edit("extra dead-letter topic regexes, comma separated")

        self._form = form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(6)
        form.addRow("Name", self.name_edit)
        form.addRow("Sign-in", self.method_combo)
        form.addRow("Connection string", self.connection_string_edit)
        form.addRow("Bootstrap", self.bootstrap_edit)
        form.addRow("Protocol", self.protocol_combo)
        form.addRow("SASL mechanism", self.mechanism_combo)
        form.addRow("Token endpoint", self.token_endpoint_edit)
        form.addRow("Client id", self.client_id_edit)
        form.addRow("SASL user", self.user_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("Scope", self.scope_edit)
        form.addRow("Extensions", self.extensions_edit)
        form.addRow("AWS region", self.region_edit)
        form.addRow("AWS profile", self.aws_profile_edit)
        form.addRow("CA file", ca_row)
        form.addRow("Certificate", cert_row)
        form.addRow("Key", key_row)
        form.addRow("PKCS#12", pkcs12_row)
        form.addRow("Bundle password", self.pkcs12_password_edit)
        self.registry.add_to(form)
        # One row for both: a profile with a registry over TLS then fits a laptop's pane.
        form.addRow("Environment", _side_by_side(self.environment_combo, self.read_only_check))
        form.addRow("Dead letters", self.dead_letter_edit)
        # The form field names of adapters.kafka.sign_in.METHODS -> the widgets of their rows.
        self._rows: dict[str, QWidget] = {
            "sasl_mechanism": self.mechanism_combo,
            "username": self.user_edit,
            "password": self.password_edit,
            "oauth_token_endpoint": self.token_endpoint_edit,
            "oauth_client_id": self.client_id_edit,
            "oauth_scope": self.scope_edit,
            "oauth_extensions": self.extensions_edit,
            "aws_region": self.region_edit,
            "aws_profile": self.aws_profile_edit,
            "ca_file": ca_row,
            "cert_file": cert_row,
            "key_file": key_row,
            "pkcs12_file": pkcs12_row,
            "pkcs12_password": self.pkcs12_password_edit,
            "connection_string": self.connection_string_edit,
        }

        for edit in (
            self.name_edit, self.bootstrap_edit, self.user_edit, self.password_edit,
            self.token_endpoint_edit, self.client_id_edit, self.scope_edit,
            self.extensions_edit, self.region_edit, self.aws_profile_edit, self.ca_edit,
            self.cert_edit, self.key_edit, self.pkcs12_edit, self.pkcs12_password_edit,
            self.dead_letter_edit, *self.registry.edits,
        ):  # fmt: skip
            edit.textEdited.connect(self._edited)
        self.connection_string_edit.textEdited.connect(self._derive_bootstrap)
        for combo in (
            self.method_combo, self.protocol_combo, self.mechanism_combo, self.registry.auth_combo,
        ):  # fmt: skip
            combo.currentIndexChanged.connect(self._edited)
        self.environment_combo.currentTextChanged.connect(self._edited)
        self.read_only_check.toggled.connect(self._edited)
        self._apply_method()

    def _file_row(self, what: str, pattern: str) -> tuple[QLineEdit, QWidget]:
        edit = QLineEdit()
        edit.setPlaceholderText(f"path to the {what}")
        browse = QPushButton("Browse...")
        browse.setToolTip(f"Choose the {what} file")
        browse.clicked.connect(lambda: self._browse(edit, what, pattern))
        return edit, with_button(edit, browse)

    def _browse(self, edit: QLineEdit, what: str, pattern: str) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, f"Choose the {what}", edit.text(), f"{pattern};;All files (*)"
        )
        if path:
            edit.setText(path)
            self._edited()

    def _edited(self, *_: object) -> None:
        self._apply_method()
        self.changed.emit()

    def _derive_bootstrap(self, text: str) -> None:
        """Event Hubs: the bootstrap follows the pasted connection string."""
        with contextlib.suppress(ConnectionStringError):  # said when saved or tested
            self.bootstrap_edit.setText(event_hubs_bootstrap(text))
        self._edited()

    @property
    def method(self) -> str:
        return str(self.method_combo.currentData())

    def _apply_method(self) -> None:
        """Show only the fields the chosen sign-in method uses, labelled in its words."""
        method = METHODS[self.method]
        # The hint is the combo's tooltip: a row of its own would make the form scroll on a
        # laptop for every method.
        self.method_combo.setToolTip(f"{method.label}: {method.hint}")
        for name, widget in self._rows.items():
            shown = name in method.fields
            widget.setEnabled(shown)
            self._form.setRowVisible(widget, shown)
        self._form.setRowVisible(self.protocol_combo, method.key in ("password", "oauth"))
        self.bootstrap_edit.setReadOnly(method.key == "event_hubs")
        self.bootstrap_edit.setToolTip(
            "Derived from the connection string" if method.key == "event_hubs" else ""
        )
        user_label, secret_label = {
            "confluent_cloud": ("API key", "API secret"),
            "oauth": ("SASL user", "Client secret"),
        }.get(method.key, ("SASL user", "Password"))
        for widget, text in ((self.user_edit, user_label), (self.password_edit, secret_label)):
            row_label = self._form.labelForField(widget)
            if isinstance(row_label, QLabel):
                row_label.setText(text)
        self.registry.apply(confluent_cloud=method.key == "confluent_cloud")

    # -- content ------------------------------------------------------------------------

    def set_profile(self, profile: ConnectionProfile | None) -> None:
        """Show ``profile`` (``None``: an empty form for a new one). Clears the secrets."""
        self._loaded = profile
        p = profile or ConnectionProfile(name="new", bootstrap_servers="localhost:9092")
        method = method_of(p) if profile else "none"
        self.method_combo.setCurrentIndex(max(0, self.method_combo.findData(method)))
        self.name_edit.setText(profile.name if profile else "")
        self.bootstrap_edit.setText(profile.bootstrap_servers if profile else "")
        if p.security_protocol in ("SASL_SSL", "SASL_PLAINTEXT"):
            self.protocol_combo.setCurrentText(p.security_protocol)
        if p.sasl_mechanism in PASSWORD_MECHANISMS:
            self.mechanism_combo.setCurrentText(p.sasl_mechanism)
        self.user_edit.setText(p.sasl_username or "")
        for secret in (
            self.password_edit,
            self.connection_string_edit,
            self.pkcs12_password_edit,
        ):
            secret.clear()
        self.token_endpoint_edit.setText(p.oauth_token_endpoint or "")
        self.client_id_edit.setText(p.oauth_client_id or "")
        self.scope_edit.setText(p.oauth_scope or "")
        self.extensions_edit.setText(", ".join(f"{k}={v}" for k, v in p.oauth_extensions.items()))
        self.region_edit.setText(p.aws_region or "")
        self.aws_profile_edit.setText(p.aws_profile or "")
        self.ca_edit.setText(p.ca_file or "")
        self.cert_edit.setText(p.cert_file or "")
        self.key_edit.setText(p.key_file or "")
        self.pkcs12_edit.setText(p.pkcs12_file or "")
        self.registry.load(p)
        self.read_only_check.setChecked(p.read_only)
        self.environment_combo.setCurrentText(p.environment)
        self.dead_letter_edit.setText(", ".join(p.dead_letter_patterns))
        self._apply_method()

    @property
    def loaded(self) -> ConnectionProfile | None:
        """The saved profile the form was filled from, if any."""
        return self._loaded

    def _text(self, edit: QLineEdit, field: str) -> str | None:
        """The field's text when the method uses it, else None."""
        return (edit.text().strip() or None) if field in METHODS[self.method].fields else None

    def profile(self) -> ConnectionProfile:
        """The profile the form describes. Raises ``ProfileError`` saying what is wrong."""
        key = self.method
        patterns = [p.strip() for p in self.dead_letter_edit.text().split(",") if p.strip()]
        bootstrap = self.bootstrap_edit.text().strip()
        if key == "event_hubs" and self.connection_string_edit.text().strip():
            try:
                bootstrap = event_hubs_bootstrap(self.connection_string_edit.text())
            except ConnectionStringError as exc:
                raise ProfileError(str(exc)) from exc
        protocol = _PROTOCOL[key]
        if key in ("password", "oauth"):
            protocol = self.protocol_combo.currentText()
        mechanism = {
            "password": self.mechanism_combo.currentText(),
            "oauth": "OAUTHBEARER",
            "msk_iam": "AWS_MSK_IAM",
            "confluent_cloud": "PLAIN",
            "event_hubs": "PLAIN",
        }.get(key)
        username = self._text(self.user_edit, "username")
        if key == "event_hubs":
            username = "$ConnectionString"  # Event Hubs' fixed user name for this
        extensions = {}
        for item in (self._text(self.extensions_edit, "oauth_extensions") or "").split(","):
            name, sep, value = item.strip().partition("=")
            if sep:
                extensions[name.strip()] = value.strip()
            elif name:
                raise ProfileError(f"the extension {name!r} is not KEY=VALUE")
        return ConnectionProfile(
            name=self.name_edit.text().strip(),
            bootstrap_servers=bootstrap,
            security_protocol=protocol,
            sasl_mechanism=mechanism,
            sasl_username=username,
            ca_file=self._text(self.ca_edit, "ca_file"),
            cert_file=self._text(self.cert_edit, "cert_file"),
            key_file=self._text(self.key_edit, "key_file"),
            client_id=self._loaded.client_id if self._loaded else "eventflow-monitor",
            read_only=self.read_only_check.isChecked(),
            environment=self.environment_combo.currentText().strip() or "development",
            dead_letter_patterns=patterns,
            sign_in=key,
            oauth_token_endpoint=self._text(self.token_endpoint_edit, "oauth_token_endpoint"),
            oauth_client_id=self._text(self.client_id_edit, "oauth_client_id"),
            oauth_scope=self._text(self.scope_edit, "oauth_scope"),
            oauth_extensions=extensions,
            aws_region=self._text(self.region_edit, "aws_region"),
            aws_profile=self._text(self.aws_profile_edit, "aws_profile"),
            pkcs12_file=self._text(self.pkcs12_edit, "pkcs12_file"),
            **self.registry.fields(),
            **self._kept_fields(),
        )

    def _kept_fields(self) -> dict[str, Any]:
        """Settings the form does not show (local schema files), kept as the loaded
        profile had them so an edit here loses none."""
        shown = {
            "name", "bootstrap_servers", "security_protocol", "sasl_mechanism",
            "sasl_username", "ca_file", "cert_file", "key_file", "client_id", "read_only",
            "environment", "dead_letter_patterns", "sign_in", "oauth_token_endpoint",
            "oauth_client_id", "oauth_scope", "oauth_extensions", "aws_region",
            "aws_profile", "pkcs12_file", *REGISTRY_FIELDS,
        }  # fmt: skip
        if self._loaded is None:
            return {}
        return {
            f.name: getattr(self._loaded, f.name)
            for f in fields(ConnectionProfile)
            if f.name not in shown
        }

    def password(self) -> str:
        """The profile's main secret as typed: password, client secret, API secret, or the
        Event Hubs connection string."""
        if self.method == "event_hubs":
            return self.connection_string_edit.text().strip()
        if "password" not in METHODS[self.method].fields:
            return ""
        return self.password_edit.text()

    def secrets(self) -> dict[str, str]:
        """Every secret typed in the form, by kind (``SECRET_KINDS``); empty ones left out."""
        typed = {
            "password": self.password(),
            "pkcs12": self.pkcs12_password_edit.text() if self.method == "mtls" else "",
            "schema_registry": self.registry.secret(),
        }
        return {kind: value for kind, value in typed.items() if value}
