"""The client's TLS path, through a TLS-terminating proxy in front of the real broker."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import keyring
import pytest

from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import ConnectionProfile, SecretStore
from adapters.kafka.publisher import KafkaPublisher
from adapters.kafka.tail import KafkaTail, StartPosition
from monitor.core.envelope import Envelope
from tests.adapters.broker import TansuBroker, free_port
from tests.adapters.test_sign_in import make_pkcs12
from tests.adapters.tls_proxy import TlsProxy, make_certificate
from tests.memory_keyring import MemoryKeyring


def test_tls_profile_publishes_and_tails_through_a_tls_proxy_and_rejects_an_untrusted_cert(
    tmp_path: Path,
) -> None:
    cert, key = make_certificate(tmp_path)
    proxy_port = free_port()
    broker = TansuBroker(advertised_port=proxy_port).start()
    trusted = ConnectionProfile(
        name="tls",
        bootstrap_servers=f"127.0.0.1:{proxy_port}",
        security_protocol="SSL",
        ca_file=str(cert),
    )
    untrusted = ConnectionProfile(
        name="tls-untrusted", bootstrap_servers=f"127.0.0.1:{proxy_port}", security_protocol="SSL"
    )

    async def run() -> None:
        async with TlsProxy(proxy_port, broker.port, cert, key):
            async with KafkaPublisher(trusted) as pub:
                event = Envelope(type="OrderPlaced", source="tls-test", data={"n": 1})
                sent = await pub.send(event, "secure-orders")
            assert sent.offset == 0
            events: list[Envelope] = []
            tail = KafkaTail(
                trusted, ["secure-orders"], sink=events.extend, start=StartPosition("beginning")
            )
            await tail.run(max_records=1, duration=20)
            assert [e.id for e in events] == [event.id]
            assert events[0].data == {"n": 1}

            with pytest.raises(KafkaUnavailable, match="certificate is not trusted"):
                async with KafkaCluster(untrusted):
                    pass

    try:
        asyncio.run(run())
    finally:
        broker.stop()


def test_a_missing_ca_file_is_reported_before_connecting(tmp_path: Path) -> None:
    profile = ConnectionProfile(
        name="tls",
        bootstrap_servers="127.0.0.1:9093",
        security_protocol="SSL",
        ca_file=str(tmp_path / "nope.pem"),
    )

    async def run() -> None:
        missing = tmp_path / "nope.pem"
        with pytest.raises(
            KafkaUnavailable,
            match=f"TLS set-up for profile tls failed: the CA file {missing} does not exist",
        ):
            async with KafkaCluster(profile):
                pass

    asyncio.run(run())


class _ThreadNotingKeyring(MemoryKeyring):
    """Notes the thread each secret is read on: a keyring read can wait on a desktop
    prompt, so it must never happen on the event loop's thread."""

    def __init__(self) -> None:
        super().__init__()
        self.read_on: list[int] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.read_on.append(threading.get_ident())
        return super().get_password(service, username)


def test_a_pkcs12_password_is_read_from_the_keyring_off_the_event_loop(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    bundle = make_pkcs12(tmp_path, "bundle-pass")
    proxy_port = free_port()
    broker = TansuBroker(advertised_port=proxy_port).start()
    profile = ConnectionProfile(
        name="mtls-loop",
        bootstrap_servers=f"127.0.0.1:{proxy_port}",
        security_protocol="SSL",
        ca_file=str(cert),
        pkcs12_file=str(bundle),
    )
    ring = _ThreadNotingKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(ring)
    SecretStore(environ={}).set_password("mtls-loop", "bundle-pass", kind="pkcs12")

    async def run() -> None:
        loop_thread = threading.get_ident()
        async with TlsProxy(proxy_port, broker.port, cert, key):
            async with KafkaPublisher(profile) as pub:
                sent = await pub.send(Envelope(type="OrderPlaced", source="t"), "p12-orders")
            assert sent.offset == 0
            async with KafkaCluster(profile) as cluster:
                assert "p12-orders" in {t.name for t in await cluster.topics()}
            events: list[Envelope] = []
            tail = KafkaTail(
                profile, ["p12-orders"], sink=events.extend, start=StartPosition("beginning")
            )
            await tail.run(max_records=1, duration=20)
            assert len(events) == 1
        assert len(ring.read_on) >= 3  # the publisher, the cluster and the tail each read it
        assert loop_thread not in ring.read_on

    try:
        asyncio.run(run())
    finally:
        keyring.set_keyring(previous)
        broker.stop()
