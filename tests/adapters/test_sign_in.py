"""Sign-in methods: what each profile becomes as aiokafka options, and what is refused."""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import subprocess
import urllib.parse
from pathlib import Path

import pytest

from adapters.kafka.connection import KafkaUnavailable, client_options, ssl_context
from adapters.kafka.msk_iam import MskIamTokenProvider, sign_token
from adapters.kafka.profiles import (
    ConnectionProfile,
    ProfileError,
    ProfileStore,
    SecretStore,
    confluent_cloud_profile,
    event_hubs_profile,
)
from adapters.kafka.sign_in import ConnectionStringError, method_of
from tests.adapters.tls_proxy import make_certificate
from tests.memory_keyring import MemoryKeyring

HUB = (
    "Endpoint=sb://orders-ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
    "SharedAccessKey=abc123=;EntityPath=orders"
)


def test_event_hubs_profile_is_derived_from_the_connection_string() -> None:
    profile = event_hubs_profile("hub", HUB)
    assert profile.bootstrap_servers == "orders-ns.servicebus.windows.net:9093"
    assert (profile.security_protocol, profile.sasl_mechanism) == ("SASL_SSL", "PLAIN")
    assert profile.sasl_username == "$ConnectionString"
    assert method_of(profile) == "event_hubs"
    options = client_options(profile, HUB)
    assert options["sasl_plain_username"] == "$ConnectionString"
    assert options["sasl_plain_password"] == HUB
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    with pytest.raises(ConnectionStringError, match="not an Event Hubs connection string"):
        event_hubs_profile("hub", "Server=sql;Password=x")


def test_confluent_cloud_secrets_go_to_the_keyring_never_to_the_profiles_file(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    profile = confluent_cloud_profile(
        "cc",
        "pkc-1.eu-west-1.aws.confluent.cloud:9092",
        "APIKEY1",
        registry_url="https://psrc-1.eu-central-1.aws.confluent.cloud",
        registry_key="SRKEY",
    )
    store = ProfileStore(tmp_path / "profiles.json")
    store.add(profile)
    secrets = SecretStore(environ={})
    secrets.set_password("cc", "cluster-secret")
    secrets.set_password("cc", "registry-secret", kind="schema_registry")
    text = (tmp_path / "profiles.json").read_text()
    assert "cluster-secret" not in text and "registry-secret" not in text
    assert json.loads(text)["profiles"][0]["registry_username"] == "SRKEY"
    loaded = store.get("cc")
    assert loaded == profile and method_of(loaded) == "confluent_cloud"
    assert secrets.get_password("cc", kind="schema_registry") == "registry-secret"
    options = client_options(loaded, secrets.get_password("cc"))
    assert (options["sasl_mechanism"], options["sasl_plain_username"]) == ("PLAIN", "APIKEY1")
    secrets.delete_password("cc")
    assert memory_keyring.secrets == {}


def test_a_secret_can_come_from_its_named_environment_variable() -> None:
    secrets = SecretStore(environ={"EVENTFLOW_PKCS12_PASSWORD_MY_CLUSTER": "p12pass"})
    assert secrets.get_password("my-cluster", kind="pkcs12") == "p12pass"


def test_a_java_keystore_is_refused_with_the_keytool_command_that_converts_it(
    tmp_path: Path,
) -> None:
    store = tmp_path / "client.keystore"
    store.write_bytes(b"\xfe\xed\xfe\xed" + b"\0" * 60)  # what a JKS starts with
    with pytest.raises(ProfileError) as refused:
        ConnectionProfile(
            name="jks", bootstrap_servers="k:9093", security_protocol="SSL", pkcs12_file=str(store)
        )
    assert (
        f"keytool -importkeystore -srckeystore {store} -srcstoretype JKS "
        f"-destkeystore {tmp_path / 'client.p12'} -deststoretype PKCS12"
    ) in str(refused.value)
    with pytest.raises(ProfileError) as trust:
        ConnectionProfile(
            name="jks",
            bootstrap_servers="k:9093",
            security_protocol="SSL",
            ca_file=str(tmp_path / "truststore.jks"),
        )
    assert f"keytool -list -rfc -keystore {tmp_path / 'truststore.jks'} > " in str(trust.value)


def make_pkcs12(folder: Path, password: str) -> Path:
    cert, key = make_certificate(folder)
    bundle = folder / "client.p12"
    subprocess.run(
        [
            "openssl", "pkcs12", "-export", "-in", str(cert), "-inkey", str(key),
            "-out", str(bundle), "-passout", f"pass:{password}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return bundle


def test_a_pkcs12_bundle_is_loaded_with_its_password_from_the_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    bundle = make_pkcs12(tmp_path, "bundle-pass")
    profile = ConnectionProfile(
        name="mtls", bootstrap_servers="k:9093", security_protocol="SSL", pkcs12_file=str(bundle)
    )
    assert method_of(profile) == "mtls"
    with pytest.raises(KafkaUnavailable, match="it needs its password"):
        ssl_context(profile)
    SecretStore(environ={}).set_password("mtls", "bundle-pass", kind="pkcs12")
    assert isinstance(ssl_context(profile), ssl.SSLContext)
    with pytest.raises(KafkaUnavailable, match="its password is wrong"):
        ssl_context(profile, pkcs12_password="nope")


def test_msk_iam_token_is_signed_by_aws_signer_from_the_environment_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIATESTKEY123")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    token, lifetime = sign_token("eu-west-1")
    url = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query))
    assert parts.netloc == "kafka.eu-west-1.amazonaws.com"
    assert query["Action"] == "kafka-cluster:Connect"
    assert query["X-Amz-Credential"].startswith("AKIATESTKEY123/")
    assert "/eu-west-1/kafka-cluster/aws4_request" in query["X-Amz-Credential"]
    assert 0 < lifetime <= 900

    profile = ConnectionProfile(
        name="msk",
        bootstrap_servers="b-1.msk.eu-west-1.amazonaws.com:9098",
        security_protocol="SASL_SSL",
        sasl_mechanism="AWS_MSK_IAM",
        aws_region="eu-west-1",
    )
    assert not profile.needs_password and method_of(profile) == "msk_iam"
    options = client_options(profile)
    assert options["sasl_mechanism"] == "OAUTHBEARER"
    assert options["security_protocol"] == "SASL_SSL"
    provider = options["sasl_oauth_token_provider"]
    assert isinstance(provider, MskIamTokenProvider)
    made = asyncio.run(provider.token())
    assert "kafka-cluster%3AConnect" in base64.urlsafe_b64decode(made + "==").decode()


def test_msk_iam_tokens_are_signed_again_before_they_expire() -> None:
    now = [0.0]
    signed: list[str] = []

    def signer(region: str, profile: str | None) -> tuple[str, float]:
        signed.append(f"{region}/{profile}")
        return f"t{len(signed)}", 900.0

    provider = MskIamTokenProvider("us-east-1", "dev", signer=signer, clock=lambda: now[0])

    async def run() -> list[str]:
        got = [await provider.token(), await provider.token()]
        now[0] = 730  # past four fifths of its 900 s, before it expires
        got.append(await provider.token())
        return got

    assert asyncio.run(run()) == ["t1", "t1", "t2"]
    assert signed == ["us-east-1/dev", "us-east-1/dev"]


def test_msk_iam_needs_a_region_and_tls() -> None:
    with pytest.raises(ProfileError, match="AWS region"):
        ConnectionProfile(
            name="m", bootstrap_servers="b:9098", security_protocol="SASL_SSL",
            sasl_mechanism="AWS_MSK_IAM",
        )  # fmt: skip
    with pytest.raises(ProfileError, match="must be SASL_SSL"):
        ConnectionProfile(
            name="m", bootstrap_servers="b:9098", security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="AWS_MSK_IAM", aws_region="eu-west-1",
        )  # fmt: skip
