"""The Connections view's sign-in methods, Import... and the doctor behind Test, driven as a
user drives them; the doctor against the real test broker, in the real window at 1024x700
for the screenshot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from adapters.kafka.profiles import ProfileStore
from monitor.ui.main_window import MainWindow
from monitor.ui.views.connection_form import ProfileForm
from tests.adapters.broker import TansuBroker, free_port
from tests.adapters.cert_factory import CertificateAuthority
from tests.adapters.tls_proxy import TlsProxy
from tests.memory_keyring import MemoryKeyring
from tests.ui.helpers import type_into
from tests.ui.test_window_fits import LAPTOP_H, LAPTOP_W, save_shot, settled, wholly_visible

LEFT = Qt.MouseButton.LeftButton
EXAMPLES = Path(__file__).resolve().parents[1] / "adapters" / "client_configs"
HUB = (
    "Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKeyName=Root;"
    "SharedAccessKey=hub-key="
)


def choose(form: ProfileForm, method: str) -> None:
    form.method_combo.setCurrentIndex(form.method_combo.findData(method))


def shown(form: ProfileForm) -> set[str]:
    """The names of the method-dependent rows the form shows."""
    return {name for name, widget in form._rows.items() if widget.isVisibleTo(form)}


def row_label(form: ProfileForm, widget: Any) -> str:
    return str(form._form.labelForField(widget).text())


def test_each_method_shows_the_fields_it_needs_in_its_own_words(qtbot: Any) -> None:
    form = ProfileForm()
    qtbot.addWidget(form)
    form.show()
    choose(form, "none")
    assert shown(form) == set()
    choose(form, "msk_iam")
    assert shown(form) == {"aws_region", "aws_profile"}
    choose(form, "oauth")
    assert shown(form) == {
        "oauth_token_endpoint", "oauth_client_id", "password", "oauth_scope",
        "oauth_extensions", "ca_file",
    }  # fmt: skip
    assert row_label(form, form.password_edit) == "Client secret"
    choose(form, "confluent_cloud")
    assert shown(form) == {"username", "password"}  # the registry's rows are every method's
    assert (row_label(form, form.user_edit), row_label(form, form.password_edit)) == (
        "API key",
        "API secret",
    )
    choose(form, "mtls")
    assert {"pkcs12_file", "pkcs12_password", "cert_file", "key_file"} <= shown(form)
    choose(form, "event_hubs")
    assert shown(form) == {"connection_string"}
    assert form.bootstrap_edit.isReadOnly()


def test_event_hubs_and_confluent_cloud_profiles_keep_their_secrets_in_the_keyring(
    config_dir: Path, memory_keyring: MemoryKeyring, window: MainWindow, qtbot: Any
) -> None:
    view = window.connections
    window.show_view("connections")
    qtbot.mouseClick(view.new_button, LEFT)
    type_into(qtbot, view.form.name_edit, "hub")
    choose(view.form, "event_hubs")
    type_into(qtbot, view.form.connection_string_edit, HUB)
    assert view.form.bootstrap_edit.text() == "orders-ns.servicebus.windows.net:9093"
    qtbot.mouseClick(view.save_button, LEFT)
    qtbot.waitUntil(lambda: "OS keyring" in view.form_message.text(), timeout=10_000)
    hub = ProfileStore(config_dir / "profiles.json").get("hub")
    assert (hub.sign_in, hub.sasl_username, hub.security_protocol) == (
        "event_hubs",
        "$ConnectionString",
        "SASL_SSL",
    )
    assert memory_keyring.secrets[("eventflow-monitor", "hub")] == HUB

    qtbot.mouseClick(view.new_button, LEFT)
    type_into(qtbot, view.form.name_edit, "cc")
    choose(view.form, "confluent_cloud")
    type_into(qtbot, view.form.bootstrap_edit, "pkc-1.eu-west-1.aws.confluent.cloud:9092")
    type_into(qtbot, view.form.user_edit, "APIKEY")
    type_into(qtbot, view.form.password_edit, "api-secret")
    type_into(qtbot, view.form.registry_url_edit, "https://psrc-1.aws.confluent.cloud")
    type_into(qtbot, view.form.registry_key_edit, "SRKEY")
    type_into(qtbot, view.form.registry_secret_edit, "sr-secret")
    qtbot.mouseClick(view.save_button, LEFT)
    qtbot.waitUntil(
        lambda: (
            ("eventflow-monitor", "cc/schema_registry") in memory_keyring.secrets
            and ("eventflow-monitor", "cc") in memory_keyring.secrets
        ),
        timeout=10_000,
    )
    assert memory_keyring.secrets[("eventflow-monitor", "cc")] == "api-secret"
    assert memory_keyring.secrets[("eventflow-monitor", "cc/schema_registry")] == "sr-secret"
    text = (config_dir / "profiles.json").read_text()
    assert "api-secret" not in text and "sr-secret" not in text and "hub-key" not in text
    # Selected again, the form shows the method and its fields, the secrets left empty.
    view.reload_profiles(select="cc")
    assert view.form.method == "confluent_cloud"
    assert view.form.registry_key_edit.text() == "SRKEY" and view.form.password() == ""


def test_import_makes_a_profile_and_says_what_it_did_not_take(
    config_dir: Path, memory_keyring: MemoryKeyring, window: MainWindow, qtbot: Any
) -> None:
    view = window.connections
    window.show_view("connections")
    view.import_file(EXAMPLES / "confluent_cloud.properties")
    qtbot.waitUntil(lambda: "Imported" in view.form_message.text(), timeout=10_000)
    message = view.form_message.text()
    assert message.startswith("Imported confluent_cloud from confluent_cloud.properties")
    assert "not taken: " in message and "interceptor.classes" in message
    assert "  basic.auth.user.info: schema registry key" in view.form_message.toolTip()
    assert view.selected_name() == "confluent_cloud"
    assert view.form.method == "confluent_cloud"
    assert view.form.user_edit.text() == "CCLOUDKEY123"
    assert memory_keyring.secrets[("eventflow-monitor", "confluent_cloud/schema_registry")] == (
        "sr-secret"
    )
    view.import_file(EXAMPLES / "confluent_cloud.properties")  # again: a new name
    qtbot.waitUntil(lambda: view.selected_name() == "confluent_cloud-2", timeout=10_000)
    bad = config_dir / "empty.properties"
    bad.write_text("acks=all\n")
    view.import_file(bad)
    qtbot.waitUntil(lambda: "Not imported" in view.form_message.text(), timeout=10_000)
    assert "no bootstrap.servers" in view.form_message.text()


def test_test_shows_the_doctor_steps_at_1024x700(
    broker: TansuBroker, config_dir: Path, window: MainWindow, qtbot: Any
) -> None:
    view = window.connections
    window.resize(LAPTOP_W, LAPTOP_H)
    window.show_view("connections")
    assert not view.doctor_card.isVisible()
    qtbot.mouseClick(view.new_button, LEFT)
    type_into(qtbot, view.form.name_edit, "local-test-broker")
    type_into(qtbot, view.form.bootstrap_edit, broker.bootstrap)
    qtbot.mouseClick(view.test_button, LEFT)
    qtbot.waitUntil(lambda: "passed" in view.form_message.text(), timeout=20_000)
    assert view.doctor_steps.steps() == [
        ("dns", True), ("tcp", True), ("auth", True), ("metadata", True), ("brokers", True),
    ]  # fmt: skip
    assert view.form_message.text() == f"Connected to {broker.bootstrap}: all 5 steps passed."
    qtbot.waitUntil(lambda: settled(window, "connections"), timeout=5_000)
    # Once laid out at its last row's height (each step grows it), every row shows.
    qtbot.waitUntil(lambda: wholly_visible(view.doctor_steps), timeout=5_000)
    assert wholly_visible(view.import_button)
    save_shot(window, "connections_doctor_1024x700.png")
    # OAuth's rows are more than a laptop's pane holds: the form scrolls inside its card,
    # each row at its full height.
    choose(view.form, "oauth")
    form = view.form
    qtbot.waitUntil(lambda: form.height() >= form.minimumSizeHint().height(), timeout=5_000)
    assert form.token_endpoint_edit.height() >= form.token_endpoint_edit.minimumSizeHint().height()
    assert wholly_visible(view.test_button) and wholly_visible(view.save_button)
    save_shot(window, "connections_oauth_form_1024x700.png")


def test_a_failing_test_names_the_step_its_cause_and_the_fix(
    config_dir: Path, window: MainWindow, run: Any, qtbot: Any, tmp_path: Path
) -> None:
    ca, other = CertificateAuthority(tmp_path), CertificateAuthority(tmp_path, "Other CA")
    cert, key = ca.issue("127.0.0.1")
    port = free_port()
    broker = TansuBroker(advertised_port=port).start()
    proxy = TlsProxy(port, broker.port, cert, key)
    run(proxy.__aenter__())
    try:
        view = window.connections
        window.resize(LAPTOP_W, LAPTOP_H)
        window.show_view("connections")
        qtbot.mouseClick(view.new_button, LEFT)
        type_into(qtbot, view.form.name_edit, "corp-tls")
        choose(view.form, "tls")
        type_into(qtbot, view.form.bootstrap_edit, f"127.0.0.1:{port}")
        type_into(qtbot, view.form.ca_edit, str(other.pem))
        qtbot.mouseClick(view.test_button, LEFT)
        qtbot.waitUntil(lambda: "step failed" in view.form_message.text(), timeout=20_000)
        assert view.doctor_steps.steps() == [("dns", True), ("tcp", True), ("tls", False)]
        assert view.form_message.text().startswith(
            f"The tls step failed: the certificate of 127.0.0.1:{port} was signed by "
            "CN=Test CA, which this profile does not trust"
        )
        assert view.form_message.property("tone") == "error"
        tls_row = view.doctor_steps.item(2)
        assert "issuer CN=Test CA" in tls_row.text()
        assert "Likely cause and fix: the certificate of" in tls_row.toolTip()
        qtbot.waitUntil(lambda: wholly_visible(view.doctor_steps), timeout=5_000)
        save_shot(window, "connections_doctor_failure_1024x700.png")
    finally:
        run(proxy.__aexit__(None, None, None))
        broker.stop()
