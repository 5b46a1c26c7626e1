"""The schema registry in the Connections view: the rows a URL and a sign-in need, a
profile's registry kept whole by an edit, the password or token kept in the keyring, and
Test checking the registry with the token, CA and client certificate typed, against a
registry over TLS and the real test broker."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import keyring
from confluent_kafka import Producer
from keyring.backends.fail import Keyring as FailKeyring
from PySide6.QtCore import Qt

from adapters.kafka.profiles import ConnectionProfile, ProfileStore
from adapters.kafka.tail import StartPosition
from monitor.core.envelope import Envelope
from monitor.core.formats.framing import frame_v0
from monitor.ui.main_window import MainWindow
from monitor.ui.views.connection_form import ProfileForm
from tests.adapters.broker import TansuBroker
from tests.adapters.cert_factory import CertificateAuthority
from tests.adapters.conftest import create_topic
from tests.adapters.secure_registry import SecureRegistry
from tests.core.test_formats import ORDER, ORDER_AVSC, avro_body
from tests.memory_keyring import MemoryKeyring
from tests.ui.helpers import type_into
from tests.ui.test_window_fits import LAPTOP_H, LAPTOP_W, save_shot, settled, wholly_visible

LEFT = Qt.MouseButton.LeftButton


def registry_rows(form: ProfileForm) -> dict[str, str]:
    """The registry rows the form shows: label -> field."""
    rows = form.registry
    widgets = {
        "url": rows.url_edit,
        "sign-in": rows.auth_combo,
        "user": rows.user_edit,
        "secret": rows.secret_edit,
        "ca": rows.ca_edit.parentWidget(),
        "cert": rows.cert_edit.parentWidget(),
        "key": rows.key_edit.parentWidget(),
    }
    out = {}
    for name, widget in widgets.items():
        assert widget is not None
        if widget.isVisibleTo(form):
            out[str(form._form.labelForField(widget).text())] = name
    return out


def choose_auth(form: ProfileForm, key: str) -> None:
    form.registry.auth_combo.setCurrentIndex(form.registry.auth_combo.findData(key))


def run_test(view: Any, qtbot: Any) -> str:
    """Press Test once the last test has ended, wait until this one ends: its sentence."""
    qtbot.waitUntil(view.test_button.isEnabled, timeout=30_000)
    qtbot.mouseClick(view.test_button, LEFT)
    assert not view.test_button.isEnabled()  # one test at a time
    qtbot.waitUntil(view.test_button.isEnabled, timeout=30_000)
    return str(view.form_message.text())


def test_the_registry_rows_follow_the_url_and_its_sign_in(qtbot: Any) -> None:
    form = ProfileForm()
    qtbot.addWidget(form)
    form.show()
    form.set_profile(None)
    assert registry_rows(form) == {"Registry URL": "url"}  # a plain profile stays short
    type_into(qtbot, form.registry_url_edit, "http://registry.local:8081")
    assert registry_rows(form) == {"Registry URL": "url", "Registry sign-in": "sign-in"}
    choose_auth(form, "basic")
    assert registry_rows(form) == {
        "Registry URL": "url", "Registry sign-in": "sign-in",
        "Registry user": "user", "Registry password": "secret",
    }  # fmt: skip
    choose_auth(form, "bearer")
    assert registry_rows(form) == {
        "Registry URL": "url", "Registry sign-in": "sign-in", "Registry token": "secret",
    }  # fmt: skip
    type_into(qtbot, form.registry_url_edit, "https://registry.corp")
    assert registry_rows(form) == {
        "Registry URL": "url", "Registry sign-in": "sign-in", "Registry token": "secret",
        "Registry CA": "ca", "Registry cert": "cert", "Registry cert key": "key",
    }  # fmt: skip
    # Confluent Cloud's registry signs in with its API key and secret, nothing else.
    form.method_combo.setCurrentIndex(form.method_combo.findData("confluent_cloud"))
    assert registry_rows(form) == {
        "Registry URL": "url", "Registry key": "user", "Registry secret": "secret",
    }  # fmt: skip


def test_an_edit_keeps_the_registry_of_any_profile_whole(qtbot: Any, tmp_path: Path) -> None:
    form = ProfileForm()
    qtbot.addWidget(form)
    saved = ConnectionProfile(
        name="corp",
        bootstrap_servers="kafka.corp:9093",
        security_protocol="SSL",
        registry_url="https://registry.corp",
        registry_bearer=True,
        registry_ca_file="/etc/corp/ca.pem",
        registry_cert_file="/etc/corp/monitor.crt",
        registry_key_file="/etc/corp/monitor.key",
        schema_files=["orders.*=/schemas/order.avsc"],
    )
    form.set_profile(saved)
    assert form.method == "tls" and form.registry.auth == "bearer"
    type_into(qtbot, form.bootstrap_edit, "kafka2.corp:9093")
    assert form.profile() == replace(saved, bootstrap_servers="kafka2.corp:9093", sign_in="tls")

    # Basic auth, then no registry at all: nothing of the old one is left behind.
    choose_auth(form, "basic")
    type_into(qtbot, form.registry_key_edit, "sr-user")
    basic = form.profile()
    assert (basic.registry_username, basic.registry_bearer) == ("sr-user", False)
    type_into(qtbot, form.registry_url_edit, "http://registry.corp")
    plain = form.profile()  # TLS files are for an https registry only
    assert (plain.registry_ca_file, plain.registry_cert_file, plain.registry_key_file) == (
        None,
        None,
        None,
    )
    form.registry_url_edit.clear()
    none = form.profile()
    assert (none.registry_url, none.registry_username, none.registry_bearer) == (
        None,
        None,
        False,
    )


def test_a_registry_token_goes_to_the_keyring_and_test_checks_it_with_the_tls_files(
    config_dir: Path,
    memory_keyring: MemoryKeyring,
    window: MainWindow,
    broker: TansuBroker,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    ca = CertificateAuthority(tmp_path)
    with SecureRegistry(ca, token="sr-token") as registry:
        registry.state.register("orders-value", {"schema": '"string"'})
        view = window.connections
        window.show_view("connections")
        qtbot.mouseClick(view.new_button, LEFT)
        form = view.form
        type_into(qtbot, form.name_edit, "secure")
        type_into(qtbot, form.bootstrap_edit, broker.bootstrap)
        type_into(qtbot, form.registry_url_edit, registry.url)
        choose_auth(form, "bearer")
        type_into(qtbot, form.registry_secret_edit, "sr-token")
        type_into(qtbot, form.registry.ca_edit, str(ca.pem))
        type_into(qtbot, form.registry.cert_edit, str(registry.client_cert))
        type_into(qtbot, form.registry.key_edit, str(registry.client_key))
        window.resize(LAPTOP_W, LAPTOP_H)
        qtbot.waitUntil(lambda: settled(window, "connections"), timeout=5_000)
        save_shot(window, "connections_registry_form_1024x700.png")

        # Test with what was typed, before anything is saved.
        assert run_test(view, qtbot) == f"Connected to {broker.bootstrap}: all 6 steps passed."
        assert ("schema registry", True) in view.doctor_steps.steps()
        qtbot.waitUntil(lambda: wholly_visible(view.doctor_steps), timeout=5_000)
        qtbot.waitUntil(lambda: settled(window, "connections"), timeout=5_000)
        save_shot(window, "connections_registry_test_1024x700.png")

        qtbot.mouseClick(view.save_button, LEFT)
        key = ("eventflow-monitor", "secure/schema_registry")
        qtbot.waitUntil(lambda: key in memory_keyring.secrets, timeout=10_000)
        assert memory_keyring.secrets[key] == "sr-token"
        saved = ProfileStore(config_dir / "profiles.json").get("secure")
        assert saved.registry_bearer and saved.registry_username is None
        assert (saved.registry_ca_file, saved.registry_key_file) == (
            str(ca.pem),
            str(registry.client_key),
        )
        assert "sr-token" not in (config_dir / "profiles.json").read_text()

        # Saved, the form is shown again without the token: Test finds it in the keyring.
        assert form.registry_secret_edit.text() == ""
        view.doctor_card.hide()
        assert "passed" in run_test(view, qtbot)
        assert view.doctor_card.isVisible()
        assert view.doctor_steps.steps()[-1] == ("schema registry", True)

        # A wrong token typed over it fails the registry step, saying what to check.
        type_into(qtbot, form.registry_secret_edit, "stolen")
        message = run_test(view, qtbot)
        assert "The schema registry step failed" in message
        assert view.doctor_steps.steps()[-1] == ("schema registry", False)
        assert "user and password (or token)" in message
        qtbot.waitUntil(lambda: wholly_visible(view.doctor_steps), timeout=5_000)


def test_without_a_keyring_the_typed_registry_token_decodes_the_tail_for_this_session(
    config_dir: Path,
    memory_keyring: MemoryKeyring,
    window: MainWindow,
    broker: TansuBroker,
    run: Any,
    qtbot: Any,
    tmp_path: Path,
) -> None:
    keyring.set_keyring(FailKeyring())  # the memory_keyring fixture restores the original
    ca = CertificateAuthority(tmp_path)
    topic = "registry-token-in-memory"
    with SecureRegistry(ca, token="ram-token") as registry:
        body = registry.state.register("orders-value", {"schema": json.dumps(ORDER_AVSC)})
        run(create_topic(broker.bootstrap, topic))
        producer = Producer({"bootstrap.servers": broker.bootstrap})
        producer.produce(topic, value=frame_v0(body["id"], avro_body(ORDER_AVSC, ORDER)))
        producer.flush(10)

        view = window.connections
        window.show_view("connections")
        qtbot.mouseClick(view.new_button, LEFT)
        form = view.form
        type_into(qtbot, form.name_edit, "headless")
        type_into(qtbot, form.bootstrap_edit, broker.bootstrap)
        type_into(qtbot, form.registry_url_edit, registry.url)
        choose_auth(form, "bearer")
        type_into(qtbot, form.registry_secret_edit, "ram-token")
        type_into(qtbot, form.registry.ca_edit, str(ca.pem))
        type_into(qtbot, form.registry.cert_edit, str(registry.client_cert))
        type_into(qtbot, form.registry.key_edit, str(registry.client_key))
        qtbot.mouseClick(view.connect_button, LEFT)
        qtbot.waitUntil(lambda: window.kafka.connected, timeout=30_000)
        qtbot.waitUntil(lambda: "EVENTFLOW_REGISTRY_SECRET_HEADLESS" in view.form_message.text())
        assert "registry secret of headless is kept in memory" in view.form_message.text()
        assert "ram-token" not in (config_dir / "profiles.json").read_text()

        run(window.kafka.start_tail([topic], StartPosition("beginning")), timeout_ms=30_000)
        model = window.stream.live_model

        def tailed() -> list[Envelope]:
            return [e for e in model.envelopes() if e.topic == topic]

        qtbot.waitUntil(lambda: bool(tailed()), timeout=30_000)
    (event,) = tailed()
    assert event.format == "avro", event.error  # the token typed, not a 401
    assert event.data["amount"] == "12.50"
