"""`eventflow profiles add` with a schema registry's sign-in and TLS files, and `profiles
test` checking that registry with its token from the environment variable the message
names; through the real entry point, the real broker and a registry over TLS."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.adapters.broker import TansuBroker
from tests.adapters.cert_factory import CertificateAuthority
from tests.adapters.secure_registry import SecureRegistry
from tests.cli.entry_point import eventflow


def test_profiles_add_keeps_the_registry_sign_in_and_profiles_test_uses_it(
    broker: TansuBroker, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }
    ca = CertificateAuthority(tmp_path)
    with SecureRegistry(ca, token="sr-token") as registry:
        registry.state.register("orders-value", {"schema": '"string"'})
        added = eventflow(
            env, "profiles", "add", "sec", "--bootstrap", broker.bootstrap,
            "--schema-registry", registry.url, "--registry-bearer",
            "--registry-ca-file", str(ca.pem),
            "--registry-cert-file", str(registry.client_cert),
            "--registry-key-file", str(registry.client_key),
        )  # fmt: skip
        # No secret asked for: the message names the variable that gives it.
        assert "The registry needs its token" in added.stdout
        assert "EVENTFLOW_REGISTRY_SECRET_SEC" in added.stdout
        assert f"registry {registry.url}" in eventflow(env, "profiles", "list").stdout
        saved = json.loads(eventflow(env, "profiles", "list", "--json").stdout)[0]
        assert saved["registry_bearer"] is True and saved["registry_username"] is None
        assert (saved["registry_ca_file"], saved["registry_cert_file"]) == (
            str(ca.pem),
            str(registry.client_cert),
        )
        assert saved["registry_key_file"] == str(registry.client_key)

        # Asked for with no keyring here: refused, naming the variable; never written.
        prompted = eventflow(
            env, "profiles", "add", "sec", "--bootstrap", broker.bootstrap, "--replace",
            "--schema-registry", registry.url, "--registry-bearer", "--registry-secret-prompt",
            "--registry-ca-file", str(ca.pem), check=False, stdin="typed-token\n",
        )  # fmt: skip
        assert prompted.returncode == 1
        assert "schema registry token was not stored" in prompted.stderr
        assert "EVENTFLOW_REGISTRY_SECRET_SEC" in prompted.stderr
        assert "typed-token" not in (tmp_path / "config" / "profiles.json").read_text()

        eventflow(
            env, "profiles", "add", "sec", "--bootstrap", broker.bootstrap, "--replace",
            "--schema-registry", registry.url, "--registry-bearer",
            "--registry-ca-file", str(ca.pem),
            "--registry-cert-file", str(registry.client_cert),
            "--registry-key-file", str(registry.client_key),
        )  # fmt: skip
        with_token = {**env, "EVENTFLOW_REGISTRY_SECRET_SEC": "sr-token"}
        good = json.loads(eventflow(with_token, "profiles", "test", "sec", "--json").stdout)
        without = eventflow(env, "profiles", "test", "sec", "--json", check=False)
    assert good["ok"], good
    assert good["steps"][-1]["step"] == "schema_registry" and good["steps"][-1]["ok"]
    assert without.returncode == 1
    failed = json.loads(without.stdout)["steps"][-1]
    assert failed["step"] == "schema_registry" and "HTTP 401" in failed["detail"]


def test_profiles_add_refuses_a_registry_user_with_a_bearer_token(tmp_path: Path) -> None:
    env = {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}
    proc = eventflow(
        env, "profiles", "add", "both", "--bootstrap", "127.0.0.1:9092",
        "--schema-registry", "https://registry.corp", "--registry-bearer",
        "--registry-username", "sr", check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and "not both" in proc.stderr
    assert not (tmp_path / "config" / "profiles.json").exists()
