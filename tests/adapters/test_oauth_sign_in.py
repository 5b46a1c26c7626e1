"""OAUTHBEARER with OIDC client credentials: a token endpoint run by the test, and a gate
in front of the real broker that records what the client sends in SASL.

The gate accepts any token (the test broker cannot check one), so these tests prove the
token is fetched, sent and refreshed; not that a real cluster would accept it.
"""

from __future__ import annotations

import asyncio
import base64
import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from adapters.kafka.cluster import KafkaCluster
from adapters.kafka.connection import client_options
from adapters.kafka.doctor import Diagnosis, diagnose_profile
from adapters.kafka.oauth import OidcTokenProvider, TokenError
from adapters.kafka.profiles import ConnectionProfile, ProfileError
from tests.adapters.broker import TansuBroker, free_port
from tests.adapters.sasl_gate import SaslGate


class TokenEndpoint:
    """An OIDC token endpoint: counts requests, checks the client, issues short-lived tokens."""

    def __init__(self, lifetime: int = 60) -> None:
        self.lifetime = lifetime
        self.requests: list[dict[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
                basic = self.headers.get("Authorization", "").removeprefix("Basic ")
                form["client"] = base64.b64decode(basic).decode()
                endpoint.requests.append(form)
                if form["client"] != "monitor:s3cret":
                    self.send_response(401)
                    self.end_headers()
                    return
                body = json.dumps(
                    {
                        "access_token": f"token-{len(endpoint.requests)}",
                        "token_type": "Bearer",
                        "expires_in": endpoint.lifetime,
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/oauth2/token"

    def __enter__(self) -> TokenEndpoint:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[TokenEndpoint]:
    with TokenEndpoint() as e:
        yield e


def oauth_profile(bootstrap: str, token_url: str) -> ConnectionProfile:
    return ConnectionProfile(
        name="oidc",
        bootstrap_servers=bootstrap,
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="OAUTHBEARER",
        oauth_token_endpoint=token_url,
        oauth_client_id="monitor",
        oauth_scope="kafka.read",
        oauth_extensions={"logicalCluster": "lkc-123"},
    )


def test_the_token_is_fetched_before_connecting_and_sent_in_the_sasl_exchange(
    endpoint: TokenEndpoint,
) -> None:
    gate_port = free_port()
    broker = TansuBroker(advertised_port=gate_port).start()
    profile = oauth_profile(f"127.0.0.1:{gate_port}", endpoint.url)

    async def run() -> list[str]:
        async with SaslGate(gate_port, broker.port) as gate, KafkaCluster(profile, "s3cret") as c:
            names = await c.topic_names()
            assert gate.auth_payloads, "the client never authenticated"
            for payload in gate.auth_payloads:
                assert payload == b"n,,\x01auth=Bearer token-1\x01logicalCluster=lkc-123\x01\x01"
            return list(names)

    try:
        assert isinstance(asyncio.run(run()), list)
    finally:
        broker.stop()
    # One token for every connection the admin client and the consumer opened.
    assert len(endpoint.requests) == 1
    assert endpoint.requests[0] == {
        "grant_type": "client_credentials",
        "scope": "kafka.read",
        "client": "monitor:s3cret",
    }


def test_the_token_is_refreshed_before_it_expires_and_new_connections_carry_the_new_one(
    endpoint: TokenEndpoint,
) -> None:
    from aiokafka.admin import AIOKafkaAdminClient

    now = [1000.0]
    provider = OidcTokenProvider(
        endpoint.url, "monitor", "s3cret", clock=lambda: now[0], extensions={}
    )
    gate_port = free_port()
    broker = TansuBroker(advertised_port=gate_port).start()
    profile = oauth_profile(f"127.0.0.1:{gate_port}", endpoint.url)

    async def connect_once() -> None:
        options = client_options(profile, "s3cret")
        options["sasl_oauth_token_provider"] = provider
        options.pop("retry_backoff_ms")
        admin = AIOKafkaAdminClient(**options)
        await admin.start()
        try:
            await admin.list_topics()
        finally:
            await admin.close()

    async def run() -> None:
        async with SaslGate(gate_port, broker.port) as gate:
            await connect_once()
            assert endpoint.requests and len(endpoint.requests) == 1
            assert {p for p in gate.auth_payloads} == {b"n,,\x01auth=Bearer token-1\x01\x01"}
            # Half-way through its 60 s: still the same token, nothing fetched.
            now[0] += 25
            assert await provider.token() == "token-1"
            assert len(endpoint.requests) == 1
            # Within the last part of its life, yet before it expires: a new one is fetched.
            now[0] += 10
            assert provider.expires_in is not None and 0 < provider.expires_in < 30
            gate.auth_payloads.clear()
            await connect_once()
            assert len(endpoint.requests) == 2
            assert {p for p in gate.auth_payloads} == {b"n,,\x01auth=Bearer token-2\x01\x01"}
            assert provider.expires_in == 60

    try:
        asyncio.run(run())
    finally:
        broker.stop()


def test_a_wrong_client_secret_is_reported_as_the_token_endpoint_refusing_it(
    endpoint: TokenEndpoint,
) -> None:
    provider = OidcTokenProvider(endpoint.url, "monitor", "wrong")
    with pytest.raises(TokenError, match=r"refused the request \(HTTP 401\): check the client"):
        asyncio.run(provider.token())


def test_an_oauth_profile_needs_its_endpoint_and_client_id() -> None:
    with pytest.raises(ProfileError, match="token endpoint"):
        ConnectionProfile(
            name="o",
            bootstrap_servers="k:9093",
            security_protocol="SASL_SSL",
            sasl_mechanism="OAUTHBEARER",
            oauth_client_id="x",
        )
    with pytest.raises(ProfileError, match="client id"):
        ConnectionProfile(
            name="o",
            bootstrap_servers="k:9093",
            security_protocol="SASL_SSL",
            sasl_mechanism="OAUTHBEARER",
            oauth_token_endpoint="https://idp/token",
        )


def test_the_doctor_fetches_a_token_and_signs_in_with_it(endpoint: TokenEndpoint) -> None:
    gate_port = free_port()
    broker = TansuBroker(advertised_port=gate_port).start()
    profile = oauth_profile(f"127.0.0.1:{gate_port}", endpoint.url)

    async def run() -> tuple[Diagnosis, list[bytes]]:
        async with SaslGate(gate_port, broker.port) as gate:
            return await diagnose_profile(profile, "s3cret"), gate.auth_payloads

    try:
        diagnosis, sent = asyncio.run(run())
    finally:
        broker.stop()
    assert diagnosis.ok, diagnosis.to_dict()
    auth = diagnosis.steps[2]
    assert auth.step == "auth"
    assert auth.detail == "token fetched, valid 60 s; signed in with OAUTHBEARER"
    assert sent == [b"n,,\x01auth=Bearer token-1\x01logicalCluster=lkc-123\x01\x01"]


def test_the_doctor_names_a_token_endpoint_that_refuses_the_client(
    endpoint: TokenEndpoint, broker: TansuBroker
) -> None:
    profile = oauth_profile(broker.bootstrap, endpoint.url)
    diagnosis = asyncio.run(diagnose_profile(profile, "wrong"))
    failed = diagnosis.first_failure
    assert failed is not None and failed.step == "auth"
    assert "refused the request (HTTP 401)" in failed.detail
    assert failed.fix == "check the token endpoint URL, the client id and the client secret"


def test_a_refused_token_is_one_sentence_when_connecting(endpoint: TokenEndpoint) -> None:
    from adapters.kafka.connection import KafkaUnavailable

    gate_port = free_port()
    broker = TansuBroker(advertised_port=gate_port).start()
    profile = oauth_profile(f"127.0.0.1:{gate_port}", endpoint.url)

    async def run() -> None:
        async with SaslGate(gate_port, broker.port), KafkaCluster(profile, "wrong"):
            pass

    try:
        with pytest.raises(KafkaUnavailable) as refused:
            asyncio.run(run())
    finally:
        broker.stop()
    assert str(refused.value) == (
        f"Signing in to {profile.bootstrap_servers} failed: the token endpoint {endpoint.url} "
        "refused the request (HTTP 401): check the client id and secret."
    )
