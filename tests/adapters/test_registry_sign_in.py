"""A schema registry behind TLS, a client certificate and a bearer token (or a user and
password): the connection doctor checks each, and the schema source the tail decodes
with signs in the same way, with the secret from the environment variable the message
names. The Kafka steps run against the real test broker."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from adapters.kafka.doctor import diagnose_profile
from adapters.kafka.profiles import ConnectionProfile, SecretStore
from adapters.schema_registry.client import RegistryClient
from adapters.schema_registry.sources import schema_source
from monitor.core.formats.framing import SchemaRef
from monitor.core.formats.schemas import Schema
from tests.adapters.broker import TansuBroker
from tests.adapters.cert_factory import CertificateAuthority
from tests.adapters.secure_registry import SecureRegistry

ORDER = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'


def _profile(
    broker: TansuBroker, registry: SecureRegistry, ca: CertificateAuthority
) -> ConnectionProfile:
    return ConnectionProfile(
        name="secure",
        bootstrap_servers=broker.bootstrap,
        registry_url=registry.url,
        registry_bearer=True,
        registry_ca_file=str(ca.pem),
        registry_cert_file=str(registry.client_cert),
        registry_key_file=str(registry.client_key),
    )


def test_the_doctor_signs_in_to_the_registry_with_token_ca_and_client_certificate(
    broker: TansuBroker, tmp_path: Path
) -> None:
    ca = CertificateAuthority(tmp_path)
    with SecureRegistry(ca, token="sr-token") as registry:
        registry.state.register("orders-value", {"schema": ORDER})
        profile = _profile(broker, registry, ca)
        good = asyncio.run(diagnose_profile(profile, registry_secret="sr-token"))
        wrong_token = asyncio.run(diagnose_profile(profile, registry_secret="stolen"))
        no_ca = asyncio.run(
            diagnose_profile(replace(profile, registry_ca_file=None), registry_secret="sr-token")
        )
        no_client_cert = asyncio.run(
            diagnose_profile(
                replace(profile, registry_cert_file=None, registry_key_file=None),
                registry_secret="sr-token",
            )
        )
        missing_key = asyncio.run(
            diagnose_profile(
                replace(profile, registry_key_file=str(tmp_path / "gone.key")),
                registry_secret="sr-token",
            )
        )
    assert good.ok, good.to_dict()
    assert good.steps[-1].step == "schema_registry"
    assert good.steps[-1].detail == f"{registry.url} answers: 1 subject"

    step = wrong_token.steps[-1]
    assert (step.step, step.ok) == ("schema_registry", False)
    assert "refused the credentials (HTTP 401)" in step.detail
    assert step.fix == "check the schema registry user and password (or token)"

    step = no_ca.steps[-1]
    assert not step.ok and "TLS with the registry" in step.detail
    assert "CERTIFICATE_VERIFY_FAILED" in step.detail and "client certificate" not in step.detail
    assert step.fix is not None and "CA file" in step.fix

    step = no_client_cert.steps[-1]
    assert not step.ok and step.fix is not None, step
    assert "may want a client certificate, and none is set" in step.detail

    step = missing_key.steps[-1]
    assert not step.ok and "TLS set-up for the registry failed" in step.detail


def test_the_tail_s_schema_source_signs_in_with_the_secret_of_the_environment(
    broker: TansuBroker, tmp_path: Path
) -> None:
    ca = CertificateAuthority(tmp_path)
    with SecureRegistry(ca, user="sr-user", password="sr-pass") as registry:
        schema_id = registry.state.register("orders-value", {"schema": ORDER})["id"]
        profile = replace(
            _profile(broker, registry, ca), registry_bearer=False, registry_username="sr-user"
        )
        env = SecretStore(environ={"EVENTFLOW_REGISTRY_SECRET_SECURE": "sr-pass"})
        source = schema_source(profile, secrets=env)
        assert isinstance(source, RegistryClient)
        try:
            answer = source.fetch(SchemaRef(id=schema_id))
        finally:
            source.close()
        unsigned = schema_source(profile, secrets=SecretStore(environ={}))
        assert isinstance(unsigned, RegistryClient)
        try:
            refused = unsigned.fetch(SchemaRef(id=schema_id))
        finally:
            unsigned.close()
    assert isinstance(answer, Schema), answer
    assert (answer.subject, answer.version, answer.text) == ("orders-value", 1, ORDER)
    assert not isinstance(refused, Schema)
    assert "refused the credentials" in refused.reason


def test_a_java_keystore_for_the_registry_is_refused_with_the_commands_that_convert_it(
    tmp_path: Path,
) -> None:
    import pytest

    from adapters.kafka.profiles import ProfileError

    trust, keys = tmp_path / "truststore.jks", tmp_path / "client.jks"
    for path in (trust, keys):
        path.write_bytes(b"\xfe\xed\xfe\xed" + b"\x00" * 16)  # a JKS file's first bytes
    base = {"name": "jks", "bootstrap_servers": "127.0.0.1:9092", "registry_url": "https://r"}
    with pytest.raises(ProfileError) as ca:
        ConnectionProfile(**base, registry_ca_file=str(trust))  # type: ignore[arg-type]
    assert f"keytool -list -rfc -keystore {trust} > {tmp_path / 'truststore.pem'}" in str(ca.value)
    assert "as the registry's CA file" in str(ca.value)
    with pytest.raises(ProfileError) as cert:
        ConnectionProfile(**base, registry_cert_file=str(keys))  # type: ignore[arg-type]
    assert f"openssl pkcs12 -in {tmp_path / 'client.p12'} -nodes" in str(cert.value)
    assert "as the registry's client certificate and key" in str(cert.value)


def test_an_imported_client_config_brings_the_registry_token_and_tls_files(
    tmp_path: Path,
) -> None:
    from adapters.kafka.client_config_import import import_client_config

    config = tmp_path / "registry.properties"
    config.write_text(
        "bootstrap.servers=kafka.corp:9092\n"
        "schema.registry.url=https://registry.corp:8081\n"
        "bearer.auth.credentials.source=STATIC_TOKEN\n"
        "bearer.auth.token=sr-static-token\n"
        "schema.registry.ssl.ca.location=tls/ca.pem\n"
        "schema.registry.ssl.certificate.location=/etc/sr/client.crt\n"
        "schema.registry.ssl.key.location=/etc/sr/client.key\n"
        "schema.registry.ssl.truststore.location=/etc/sr/truststore.jks\n"
    )
    result = import_client_config(config)
    p = result.profile
    assert (p.registry_url, p.registry_bearer, p.registry_username) == (
        "https://registry.corp:8081",
        True,
        None,
    )
    assert (p.registry_ca_file, p.registry_cert_file, p.registry_key_file) == (
        str(tmp_path / "tls" / "ca.pem"),
        "/etc/sr/client.crt",
        "/etc/sr/client.key",
    )
    assert result.secrets == {"schema_registry": "sr-static-token"}
    refused = dict(result.not_taken)
    assert "convert them to PEM" in refused["schema.registry.ssl.truststore.location"]
    assert "only a static token" in refused["bearer.auth.credentials.source"]
    assert "sr-static-token" not in repr(p.to_dict())
