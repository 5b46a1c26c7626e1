"""Importing the client configurations users already have: one example file per format,
with every supported key and some the app does not know."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from adapters.kafka.client_config_import import (
    ConfigImportError,
    import_client_config,
    parse_jaas,
    parse_properties,
)
from tests.cli.entry_point import eventflow

EXAMPLES = Path(__file__).parent / "client_configs"


def not_taken(result: object) -> dict[str, str]:
    return dict(result.not_taken)  # type: ignore[attr-defined]


def test_confluent_cloud_client_properties() -> None:
    r = import_client_config(EXAMPLES / "confluent_cloud.properties")
    p = r.profile
    assert r.format == "Java client.properties"
    assert p.name == "confluent_cloud"
    assert p.bootstrap_servers == "pkc-4nym6.eu-west-1.aws.confluent.cloud:9092"
    assert (p.security_protocol, p.sasl_mechanism, p.sasl_username) == (
        "SASL_SSL",
        "PLAIN",
        "CCLOUDKEY123",
    )
    assert p.sign_in == "confluent_cloud" and p.client_id == "orders-dev"
    assert p.registry_url == "https://psrc-abc12.eu-central-1.aws.confluent.cloud"
    assert p.registry_username == "SRKEY456"
    assert r.secrets == {"password": "cc-secret/with+chars", "schema_registry": "sr-secret"}
    skipped = not_taken(r)
    assert skipped["interceptor.classes"] == "not understood by this app"
    assert skipped["acks"] == "client tuning, not needed to connect"
    assert "client.dns.lookup" in skipped and "session.timeout.ms" in skipped
    assert "names its host" in skipped["ssl.endpoint.identification.algorithm"]
    assert "basic.auth.credentials.source" in skipped
    # Every setting of the file is accounted for, taken or not.
    keys = {k for k, _ in r.taken} | set(skipped)
    text = (EXAMPLES / "confluent_cloud.properties").read_text()
    assert keys == set(parse_properties(text)) and len(keys) == 13


def test_scram_with_a_pem_trust_store_and_a_pkcs12_key_store() -> None:
    r = import_client_config(EXAMPLES / "scram_truststore.properties", name="corp")
    p = r.profile
    assert p.name == "corp" and p.sasl_mechanism == "SCRAM-SHA-512"
    assert p.sasl_username == "svc-monitor"
    assert p.bootstrap_servers == "kafka-1.corp.example:9094,kafka-2.corp.example:9094"
    assert p.ca_file == str(EXAMPLES / "corp-ca.pem")
    assert p.pkcs12_file == str(EXAMPLES / "client.p12")
    assert r.secrets == {"password": "scram-pass", "pkcs12": "p12-pass"}
    assert not_taken(r)["max.request.size"] == "not understood by this app"


def test_oauthbearer_from_the_jaas_config_and_a_jks_trust_store_refused_with_keytool() -> None:
    r = import_client_config(EXAMPLES / "oidc.properties")
    p = r.profile
    assert p.sasl_mechanism == "OAUTHBEARER" and p.sign_in == ""
    assert p.oauth_token_endpoint == "https://login.example.com/oauth2/token"
    assert (p.oauth_client_id, p.oauth_scope) == ("monitor-app", "kafka")
    assert p.oauth_extensions == {"logicalCluster": "lkc-1", "identityPoolId": "pool-2"}
    assert r.secrets == {"password": "oidc-secret"}
    assert p.ca_file is None
    skipped = not_taken(r)
    assert (
        "keytool -list -rfc -keystore /etc/kafka/truststore.jks > /etc/kafka/truststore.pem"
        in skipped["ssl.truststore.location"]
    )
    assert "ssl.truststore.password" in skipped
    assert "Java class" in skipped["sasl.login.callback.handler.class"]


def test_msk_iam_takes_the_aws_profile_and_the_region_from_the_broker_names() -> None:
    r = import_client_config(EXAMPLES / "msk_iam.properties")
    p = r.profile
    assert (p.sasl_mechanism, p.aws_region, p.aws_profile) == (
        "AWS_MSK_IAM",
        "eu-west-1",
        "prod-readonly",
    )
    assert r.secrets == {}
    assert "sasl.client.callback.handler.class" in not_taken(r)


def test_event_hubs_connection_string_is_the_secret() -> None:
    r = import_client_config(EXAMPLES / "event_hubs.properties")
    assert r.profile.sign_in == "event_hubs"
    assert r.profile.sasl_username == "$ConnectionString"
    assert r.secrets["password"].startswith("Endpoint=sb://orders-ns.servicebus.windows.net/")


def test_librdkafka_config() -> None:
    r = import_client_config(EXAMPLES / "librdkafka.conf")
    p = r.profile
    assert r.format == "librdkafka config"
    assert (p.bootstrap_servers, p.security_protocol) == ("kafka-1.corp.example:9093", "SASL_SSL")
    assert p.oauth_client_id == "rd-client" and p.oauth_scope == "kafka.read"
    assert p.oauth_token_endpoint == "https://idp.example/token"
    assert p.oauth_extensions == {"logicalCluster": "lkc-9", "poolId": "p-1"}
    assert (p.ca_file, p.cert_file, p.key_file) == (
        "/etc/ssl/corp-ca.pem",
        "/etc/ssl/client.crt",
        "/etc/ssl/client.key",
    )
    assert (p.client_id, p.registry_url, p.registry_username) == (
        "rd-monitor",
        "https://registry.corp.example",
        "rd-sr",
    )
    assert r.secrets == {"password": "rd-oidc-secret", "schema_registry": "rd-sr-secret"}
    assert not_taken(r)["statistics.interval.ms"] == "not understood by this app"
    assert "sasl.oauthbearer.method" in not_taken(r)


def test_kcat_config() -> None:
    r = import_client_config(EXAMPLES / "kcat.conf")
    assert r.format == "kcat config"
    assert (r.profile.sasl_mechanism, r.profile.sasl_username) == ("SCRAM-SHA-256", "kcat-user")
    assert r.secrets == {"password": "kcat-pass"}
    assert list(not_taken(r)) == ["queue.buffering.max.ms"]


def test_a_file_without_bootstrap_servers_or_with_a_bad_jaas_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "x.properties"
    empty.write_text("acks=all\n")
    with pytest.raises(ConfigImportError, match=r"no bootstrap\.servers"):
        import_client_config(empty)
    with pytest.raises(ConfigImportError, match="LoginModule required"):
        parse_jaas('username="a"')


def test_profiles_import_saves_the_profile_and_never_writes_a_secret_to_a_file(
    tmp_path: Path,
) -> None:
    env = {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}
    out = eventflow(env, "profiles", "import", str(EXAMPLES / "confluent_cloud.properties"),
                    "--name", "cc")  # fmt: skip
    assert "Read " in out.stdout and "as a Java client.properties" in out.stdout
    assert "  basic.auth.user.info: schema registry key" in out.stdout
    assert "  interceptor.classes: not understood by this app" in out.stdout
    # No keyring in the child process: it says which variable to set instead.
    assert "EVENTFLOW_PASSWORD_CC" in out.stderr and "EVENTFLOW_REGISTRY_SECRET_CC" in out.stderr
    for text in (out.stdout, out.stderr, (tmp_path / "config" / "profiles.json").read_text()):
        assert "cc-secret" not in text and "sr-secret" not in text
    saved = json.loads((tmp_path / "config" / "profiles.json").read_text())["profiles"][0]
    assert saved["name"] == "cc" and saved["sasl_username"] == "CCLOUDKEY123"
    again = eventflow(
        env, "profiles", "import", str(EXAMPLES / "kcat.conf"), "--name", "cc", check=False
    )
    assert again.returncode == 1 and "pass --replace" in again.stderr


def test_key_stores_by_dialect_pkcs12_in_librdkafka_pem_in_java_jks_refused(
    tmp_path: Path,
) -> None:
    rd = tmp_path / "client.conf"
    rd.write_text(
        "bootstrap.servers=k:9093\nsecurity.protocol=ssl\n"
        "ssl.keystore.location=client.keystore\nssl.keystore.password=rd-p12\n"
    )
    r = import_client_config(rd)
    assert r.profile.pkcs12_file == str(tmp_path / "client.keystore")
    assert r.secrets == {"pkcs12": "rd-p12"}
    java_pem = tmp_path / "pem.properties"
    java_pem.write_text(
        "bootstrap.servers=k:9093\nsecurity.protocol=SSL\nssl.keystore.type=PEM\n"
        "ssl.keystore.location=/etc/kafka/client.pem\n"
    )
    r = import_client_config(java_pem)
    assert r.profile.cert_file == "/etc/kafka/client.pem" and r.secrets == {}
    java_jks = tmp_path / "jks.properties"
    java_jks.write_text(
        "bootstrap.servers=k:9093\nsecurity.protocol=SSL\nsasl.jaas.config=x required;\n"
        "ssl.keystore.location=/etc/kafka/client.keystore.jks\nssl.keystore.password=pw\n"
    )
    r = import_client_config(java_jks)
    assert r.profile.pkcs12_file is None and r.secrets == {}
    assert (
        "keytool -importkeystore -srckeystore /etc/kafka/client.keystore.jks"
        in (not_taken(r)["ssl.keystore.location"])
    )
    assert not_taken(r)["sasl.jaas.config"] == "the protocol SSL uses no SASL"
