"""The schema registry rows of the profile form: where the registry is, how to sign in to
it, and the TLS files it needs.

Any profile can have a registry, whatever its Kafka sign-in, so these rows are not part
of a sign-in method's fields. Only the URL row is shown until a URL is typed (a plain
profile's form stays short on a laptop); then the registry's sign-in (none, user and
password, or a bearer token) with its fields, and for an ``https`` URL the CA file and
the client certificate and key (not for Confluent Cloud, which takes neither). The
password or token is the profile's ``schema_registry`` secret: like a Kafka password it
goes to the OS keyring (or the environment variable the message names), never to the
profiles file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QLineEdit, QWidget

from adapters.kafka.profiles import ConnectionProfile

# The registry's sign-in, as the combo offers it: (key, label, tooltip).
AUTH_CHOICES = (
    ("none", "No sign-in", "The registry is open to anyone who can reach it"),
    ("basic", "User and password", "HTTP basic auth (Confluent Cloud: its API key and secret)"),
    ("bearer", "Bearer token", "Sent as Authorization: Bearer TOKEN"),
)
# The profile fields these rows own (the form keeps every other field apart).
PROFILE_FIELDS = (
    "registry_url",
    "registry_username",
    "registry_bearer",
    "registry_ca_file",
    "registry_cert_file",
    "registry_key_file",
)

_TIP = Qt.ItemDataRole.ToolTipRole
FileRow = Callable[[str, str], tuple[QLineEdit, QWidget]]


def auth_of(profile: ConnectionProfile) -> str:
    """How a saved profile signs in to its registry."""
    if profile.registry_bearer:
        return "bearer"
    return "basic" if profile.registry_username else "none"


class RegistryRows:
    """The registry's widgets, added to a form layout by :meth:`add_to`."""

    def __init__(self, file_row: FileRow, secret_edit: Callable[[], QLineEdit]) -> None:
        self.url_edit = QLineEdit()
        self.url_edit.setPlaceholderText("optional: https://registry.example.com:8081")
        self.url_edit.setToolTip(
            "A Confluent-compatible schema registry (Confluent, Karapace, Redpanda, "
            "Apicurio): Avro, Protobuf and JSON Schema records are decoded with it"
        )
        self.auth_combo = QComboBox()
        for key, text, tip in AUTH_CHOICES:
            self.auth_combo.addItem(text, key)
            self.auth_combo.setItemData(self.auth_combo.count() - 1, tip, _TIP)
        self.user_edit = QLineEdit()
        self.user_edit.setPlaceholderText("the registry user (or API key)")
        self.secret_edit = secret_edit()
        self.ca_edit, self._ca_row = file_row(
            "registry's CA certificate (PEM)", "PEM (*.pem *.crt)"
        )
        self.cert_edit, self._cert_row = file_row(
            "registry client certificate (PEM)", "PEM (*.pem *.crt)"
        )
        self.key_edit, self._key_row = file_row("registry client key (PEM)", "PEM (*.pem *.key)")
        self._form: QFormLayout | None = None
        # Confluent Cloud's registry takes its API key and secret, nothing else.
        self._confluent_cloud = False

    @property
    def edits(self) -> tuple[QLineEdit, ...]:
        """The line edits, for the form to hear every edit."""
        return (
            self.url_edit,
            self.user_edit,
            self.secret_edit,
            self.ca_edit,
            self.cert_edit,
            self.key_edit,
        )

    def add_to(self, form: QFormLayout) -> None:
        self._form = form
        form.addRow("Registry URL", self.url_edit)
        form.addRow("Registry sign-in", self.auth_combo)
        form.addRow("Registry user", self.user_edit)
        form.addRow("Registry password", self.secret_edit)
        form.addRow("Registry CA", self._ca_row)
        form.addRow("Registry cert", self._cert_row)
        form.addRow("Registry cert key", self._key_row)

    # -- what is shown ------------------------------------------------------------------

    @property
    def auth(self) -> str:
        """``none``, ``basic`` or ``bearer``: as chosen, or basic for Confluent Cloud."""
        return "basic" if self._confluent_cloud else str(self.auth_combo.currentData())

    @property
    def uses_tls(self) -> bool:
        return self.url_edit.text().strip().lower().startswith("https:")

    def apply(self, confluent_cloud: bool) -> None:
        """Show the rows the URL and the sign-in need, labelled in the method's words
        (Confluent Cloud calls the registry's user and password its key and secret)."""
        form = self._form
        assert form is not None, "add_to() first"
        self._confluent_cloud = confluent_cloud
        self.url_edit.setPlaceholderText(
            "optional: https://psrc-....confluent.cloud"
            if confluent_cloud
            else "optional: https://registry.example.com:8081"
        )
        has_url = bool(self.url_edit.text().strip())
        # Confluent Cloud's registry has a public certificate and takes no client one.
        tls = has_url and self.uses_tls and not confluent_cloud
        auth = self.auth
        shown: dict[QWidget, bool] = {
            self.auth_combo: has_url and not confluent_cloud,
            self.user_edit: has_url and auth == "basic",
            self.secret_edit: has_url and auth in ("basic", "bearer"),
            self._ca_row: tls,
            self._cert_row: tls,
            self._key_row: tls,
        }
        for widget, visible in shown.items():
            form.setRowVisible(widget, visible)
        user, secret = (
            ("Registry key", "Registry secret")
            if confluent_cloud
            else (
                "Registry user",
                "Registry password",
            )
        )
        if auth == "bearer":
            secret = "Registry token"
        for widget, text in ((self.user_edit, user), (self.secret_edit, secret)):
            row_label = form.labelForField(widget)
            if isinstance(row_label, QLabel):
                row_label.setText(text)

    # -- content ------------------------------------------------------------------------

    def load(self, profile: ConnectionProfile) -> None:
        """Show the registry of ``profile``; the secret field is cleared (it is kept in
        the keyring, never read back into the form)."""
        self.url_edit.setText(profile.registry_url or "")
        self.auth_combo.setCurrentIndex(max(0, self.auth_combo.findData(auth_of(profile))))
        self.user_edit.setText(profile.registry_username or "")
        self.secret_edit.clear()
        self.ca_edit.setText(profile.registry_ca_file or "")
        self.cert_edit.setText(profile.registry_cert_file or "")
        self.key_edit.setText(profile.registry_key_file or "")

    def fields(self) -> dict[str, Any]:
        """The profile fields the rows describe. What is hidden is not saved: without a
        URL there is no registry, and TLS files are only used for an https URL."""
        url = self.url_edit.text().strip() or None
        auth = self.auth if url else "none"
        tls = url is not None and self.uses_tls and not self._confluent_cloud

        def text(edit: QLineEdit, used: bool) -> str | None:
            return (edit.text().strip() or None) if used else None

        return {
            "registry_url": url,
            "registry_username": text(self.user_edit, auth == "basic"),
            "registry_bearer": auth == "bearer",
            "registry_ca_file": text(self.ca_edit, tls),
            "registry_cert_file": text(self.cert_edit, tls),
            "registry_key_file": text(self.key_edit, tls),
        }

    def secret(self) -> str:
        """The password or token as typed ("" when the registry takes none)."""
        if not self.url_edit.text().strip() or self.auth == "none":
            return ""
        return self.secret_edit.text()
