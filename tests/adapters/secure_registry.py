"""The tests' schema registry as a company runs one: over TLS with a certificate from the
tests' CA, asking for a client certificate, and signing in with a bearer token or a user
and password. Any request without them is answered 401, as real registries do."""

from __future__ import annotations

import base64
import ssl
from pathlib import Path

from tests.adapters.cert_factory import CertificateAuthority
from tests.adapters.schema_registry_server import SchemaRegistryServer, _Handler


class SecureRegistry(SchemaRegistryServer):
    """``with SecureRegistry(ca, token="t") as reg``: ``reg.url`` is ``https://...``;
    ``reg.client_cert`` and ``reg.client_key`` are a certificate it accepts."""

    def __init__(
        self,
        ca: CertificateAuthority,
        *,
        token: str | None = None,
        user: str | None = None,
        password: str | None = None,
        client_certificate: bool = True,
    ) -> None:
        super().__init__()
        expected = None
        if token is not None:
            expected = f"Bearer {token}"
        elif user is not None:
            expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

        class Handler(_Handler):
            def _signed_in(self) -> bool:
                if expected is None or self.headers.get("Authorization") == expected:
                    return True
                self._send(401, {"error_code": 40101, "message": "Unauthorized"})
                return False

            def do_GET(self) -> None:
                if self._signed_in():
                    super().do_GET()

            def do_POST(self) -> None:
                if self._signed_in():
                    super().do_POST()

        Handler.state = self.state
        self.httpd.RequestHandlerClass = Handler
        cert, key = ca.issue("registry")  # for 127.0.0.1
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        if client_certificate:
            context.verify_mode = ssl.CERT_REQUIRED
            context.load_verify_locations(ca.pem)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.url = self.url.replace("http://", "https://")
        self.client_cert: Path
        self.client_key: Path
        self.client_cert, self.client_key = ca.issue("registry-client", client=True)

    def __enter__(self) -> SecureRegistry:
        super().__enter__()
        return self
