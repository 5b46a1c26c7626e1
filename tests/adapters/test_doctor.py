"""The connection doctor against the real broker: TLS cases through a TLS proxy, and
brokers that advertise addresses this machine cannot reach."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import ssl
import subprocess
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from adapters.kafka.doctor import Diagnosis, diagnose_profile
from adapters.kafka.profiles import ConnectionProfile, ProfileStore, SecretStore
from tests.adapters.broker import TansuBroker, free_port, wait_for_port
from tests.adapters.cert_factory import CertificateAuthority
from tests.adapters.tls_proxy import TlsProxy
from tests.cli.entry_point import eventflow
from tests.memory_keyring import MemoryKeyring


class AdvertisingBroker(TansuBroker):
    """The test broker, advertising a host and port of the test's choosing."""

    def __init__(self, advertised: str) -> None:
        super().__init__()
        self.advertised = advertised

    def start(self) -> AdvertisingBroker:
        self.process = subprocess.Popen(
            [
                self.binary, "broker",
                "--listener-url", f"tcp://127.0.0.1:{self.port}",
                "--advertised-listener-url", f"tcp://{self.advertised}",
                "--storage-engine", "memory://tansu/",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        wait_for_port(self.port)
        return self


@asynccontextmanager
async def tls_cluster(cert: Path, key: Path, client_ca: Path | None = None) -> AsyncIterator[str]:
    """A broker behind a TLS proxy (requiring a client certificate signed by ``client_ca``
    when given); yields the bootstrap address."""
    port = free_port()
    broker = TansuBroker(advertised_port=port).start()
    proxy = TlsProxy(port, broker.port, cert, key)
    if client_ca is not None:
        proxy.context.verify_mode = ssl.CERT_REQUIRED
        proxy.context.load_verify_locations(client_ca)
    try:
        async with proxy:
            yield f"127.0.0.1:{port}"
    finally:
        broker.stop()


def tls_profile(bootstrap: str, ca: Path, **extra: str) -> ConnectionProfile:
    return ConnectionProfile(
        name="tls", bootstrap_servers=bootstrap, security_protocol="SSL", ca_file=str(ca), **extra
    )


def steps(d: Diagnosis) -> list[tuple[str, bool]]:
    return [(s.step, s.ok) for s in d.steps]


def test_a_trusted_certificate_passes_every_step_and_is_described(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    cert, key = ca.issue("127.0.0.1")

    async def run() -> Diagnosis:
        async with tls_cluster(cert, key) as bootstrap:
            return await diagnose_profile(tls_profile(bootstrap, ca.pem))

    d = asyncio.run(run())
    assert steps(d) == [(s, True) for s in ("dns", "tcp", "tls", "auth", "metadata", "brokers")]
    tls = d.steps[2].detail
    assert "subject CN=127.0.0.1" in tls and "issuer CN=Test CA" in tls
    assert "valid until" in tls and "host name matches" in tls and "trusted" in tls
    assert d.ok and d.first_failure is None
    assert "1 broker: " in d.steps[4].detail


def test_a_certificate_from_another_ca_is_named_with_its_issuer(tmp_path: Path) -> None:
    ca, other = CertificateAuthority(tmp_path), CertificateAuthority(tmp_path, "Other CA")
    cert, key = ca.issue("127.0.0.1")

    async def run() -> Diagnosis:
        async with tls_cluster(cert, key) as bootstrap:
            return await diagnose_profile(tls_profile(bootstrap, other.pem))

    d = asyncio.run(run())
    assert steps(d) == [("dns", True), ("tcp", True), ("tls", False)]
    failed = d.first_failure
    assert failed is not None and "not trusted" in failed.detail
    assert failed.fix is not None and "signed by CN=Test CA" in failed.fix
    assert "set the CA file" in failed.fix


def test_an_expired_certificate_is_named_as_expired(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    cert, key = ca.issue("127.0.0.1", expired=True)

    async def run() -> Diagnosis:
        async with tls_cluster(cert, key) as bootstrap:
            return await diagnose_profile(tls_profile(bootstrap, ca.pem))

    d = asyncio.run(run())
    failed = d.first_failure
    assert failed is not None and failed.step == "tls"
    assert "expired 20" in failed.detail
    assert failed.fix is not None and "expired on" in failed.fix and "renew" in failed.fix


def test_a_host_name_mismatch_names_the_names_the_certificate_has(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    cert, key = ca.issue("kafka.example.com", ips=(), dns=("kafka.example.com",))

    async def run() -> Diagnosis:
        async with tls_cluster(cert, key) as bootstrap:
            return await diagnose_profile(tls_profile(bootstrap, ca.pem))

    d = asyncio.run(run())
    failed = d.first_failure
    assert failed is not None and failed.step == "tls"
    assert "host name not in kafka.example.com" in failed.detail
    assert failed.fix is not None and "not issued for that name" in failed.fix
    assert "kafka.example.com" in failed.fix


def test_a_client_certificate_required_and_missing_then_given(tmp_path: Path) -> None:
    ca = CertificateAuthority(tmp_path)
    cert, key = ca.issue("127.0.0.1")
    client_cert, client_key = ca.issue("monitor-client", client=True)

    async def run() -> tuple[Diagnosis, Diagnosis]:
        async with tls_cluster(cert, key, client_ca=ca.pem) as bootstrap:
            without = await diagnose_profile(tls_profile(bootstrap, ca.pem))
            with_cert = await diagnose_profile(
                tls_profile(bootstrap, ca.pem, cert_file=str(client_cert), key_file=str(client_key))
            )
            return without, with_cert

    without, with_cert = asyncio.run(run())
    failed = without.first_failure
    assert failed is not None and failed.step == "tls"
    assert failed.fix is not None and "requires a client certificate" in failed.fix
    assert with_cert.ok, with_cert.to_dict()
    assert with_cert.steps[3].detail == "client certificate accepted"


def test_an_advertised_port_that_is_closed_is_named(tmp_path: Path) -> None:
    closed = free_port()
    broker = AdvertisingBroker(f"127.0.0.1:{closed}").start()
    profile = ConnectionProfile(name="adv", bootstrap_servers=broker.bootstrap)
    try:
        d = asyncio.run(diagnose_profile(profile))
    finally:
        broker.stop()
    assert steps(d)[-1] == ("brokers", False)
    failed = d.first_failure
    assert failed is not None
    assert f"127.0.0.1:{closed}" in failed.detail and "connection refused" in failed.detail
    assert failed.fix is not None
    assert "advertised by the cluster but cannot be reached" in failed.fix


def test_an_unresolvable_advertised_name_is_named_on_the_command_line(tmp_path: Path) -> None:
    broker = AdvertisingBroker("kafka-1.invalid:9092").start()
    env = {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}
    ProfileStore(tmp_path / "config" / "profiles.json").add(
        ConnectionProfile(name="adv", bootstrap_servers=broker.bootstrap)
    )
    try:
        as_json = eventflow(env, "profiles", "test", "adv", "--json", check=False)
        as_text = eventflow(env, "profiles", "test", "adv", check=False)
    finally:
        broker.stop()
    assert as_json.returncode == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False
    assert [(s["step"], s["ok"]) for s in report["steps"]] == [
        ("dns", True), ("tcp", True), ("auth", True), ("metadata", True), ("brokers", False),
    ]  # fmt: skip
    assert "kafka-1.invalid:9092" in report["steps"][3]["detail"]
    assert report["steps"][-1]["fix"] == (
        "the broker at kafka-1.invalid:9092 is advertised by the cluster but cannot be "
        "resolved from this machine: the cluster's advertised.listeners must name an "
        "address clients can reach (or add the name to this machine's DNS or hosts file)"
    )
    assert as_text.returncode == 1
    assert "FAIL brokers" in as_text.stdout
    assert "The brokers step failed: the broker at kafka-1.invalid:9092" in as_text.stdout


def test_a_pkcs12_client_certificate_typed_or_from_the_keyring_is_accepted(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    ca = CertificateAuthority(tmp_path)
    cert, key = ca.issue("127.0.0.1")
    client_cert, client_key = ca.issue("monitor-client", client=True)
    bundle = tmp_path / "client.p12"
    subprocess.run(
        [
            "openssl", "pkcs12", "-export", "-in", str(client_cert), "-inkey", str(client_key),
            "-out", str(bundle), "-passout", "pass:bundle-pass",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip

    async def run() -> tuple[Diagnosis, Diagnosis]:
        async with tls_cluster(cert, key, client_ca=ca.pem) as bootstrap:
            profile = tls_profile(bootstrap, ca.pem, pkcs12_file=str(bundle))
            # Typed in the form, not stored yet; then stored, and found in the keyring.
            typed = await diagnose_profile(profile, pkcs12_password="bundle-pass")
            SecretStore(environ={}).set_password("tls", "bundle-pass", kind="pkcs12")
            return typed, await diagnose_profile(profile)

    for d in asyncio.run(run()):
        assert d.ok, d.to_dict()
        assert d.steps[3].detail == "client certificate accepted"


class Registry:
    """A schema registry's GET /subjects, behind basic auth (key SRKEY, secret sr-secret)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                expected = "Basic " + base64.b64encode(b"SRKEY:sr-secret").decode()
                if self.headers.get("Authorization") != expected:
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps(["orders-value", "payments-value"]).encode()
                self.send_response(200 if self.path == "/subjects" else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_schema_registry_step_checks_its_key_and_secret(broker: TansuBroker) -> None:
    registry = Registry()
    profile = ConnectionProfile(
        name="sr",
        bootstrap_servers=broker.bootstrap,
        registry_url=registry.url,
        registry_username="SRKEY",
    )
    try:
        good = asyncio.run(diagnose_profile(profile, registry_secret="sr-secret"))
        bad = asyncio.run(diagnose_profile(profile, registry_secret="wrong"))
    finally:
        registry.close()
    assert good.ok and good.steps[-1].step == "schema_registry"
    assert good.steps[-1].detail == f"{registry.url} answers: 2 subjects"
    failed = bad.first_failure
    assert failed is not None and failed.step == "schema_registry"
    assert "the registry refused the credentials (HTTP 401)" in failed.detail
    assert failed.fix == "check the schema registry user and password (or token)"
