"""What a broker's TLS certificate says, and whether this profile's TLS settings accept it.

:func:`probe_tls` makes two handshakes with one server: one that accepts any certificate,
to read the certificate itself (subject, issuer, expiry, names) even when it is not
trusted, and one with the profile's own verifying context, whose verdict is what every
client of the app will meet. After the verifying handshake it sends one Kafka request
and reads the answer, because a broker that requires a client certificate says so only
then (TLS 1.3 sends the refusal after the handshake).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import struct
from dataclasses import dataclass


@dataclass(slots=True)
class CertificateFacts:
    subject: str = "?"
    issuer: str = "?"
    not_after: dt.datetime | None = None
    names: tuple[str, ...] = ()

    @property
    def expired(self) -> bool:
        return self.not_after is not None and self.not_after < dt.datetime.now(dt.UTC)

    def matches(self, host: str) -> bool:
        """Whether ``host`` is one of the certificate's names (a '*.' wildcard covers one label)."""
        host = host.lower().rstrip(".")
        for name in self.names:
            name = name.lower()
            if name == host:
                return True
            if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
                return True
        return False


@dataclass(slots=True)
class TlsVerdict:
    """The certificate (when one was read) and what went wrong, if anything."""

    facts: CertificateFacts | None
    trusted: bool
    host_matches: bool | None
    problem: str | None = None  # one of: untrusted, expired, host, client_cert, handshake
    error: str = ""


def certificate_facts(der: bytes) -> CertificateFacts:
    from cryptography import x509

    cert = x509.load_der_x509_certificate(der)
    names: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names += [str(n) for n in san.get_values_for_type(x509.DNSName)]
        names += [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    except x509.ExtensionNotFound:
        names += [
            str(a.value) for a in cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        ]
    return CertificateFacts(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_after=cert.not_valid_after_utc,
        names=tuple(names),
    )


def _canonical_host(host: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host


# An ApiVersions v0 request: size, api key 18, version 0, correlation id 1, client id "doctor".
_API_VERSIONS = struct.pack(">ihhih", 16, 18, 0, 1, 6) + b"doctor"


async def probe_tls(host: str, port: int, context: ssl.SSLContext, wait: float) -> TlsVerdict:
    """Read the certificate at host:port and judge it with ``context`` (the profile's)."""
    facts: CertificateFacts | None = None
    lenient = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    lenient.check_hostname = False
    lenient.verify_mode = ssl.CERT_NONE
    try:
        _r, w = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=lenient, server_hostname=host), wait
        )
        ssl_object = w.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
        w.close()
        if der:
            facts = certificate_facts(der)
    except (ssl.SSLError, OSError, TimeoutError) as exc:
        return TlsVerdict(None, False, None, "handshake", str(exc) or type(exc).__name__)
    host_matches = facts.matches(_canonical_host(host)) if facts else None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, ssl=context, server_hostname=host), wait
        )
    except ssl.SSLCertVerificationError as exc:
        code = exc.verify_code
        # OpenSSL's codes: 10 certificate expired, 62 host name and 64 IP address mismatch.
        problem = "expired" if code == 10 else "host" if code in (62, 64) else "untrusted"
        if facts is not None and facts.expired:
            problem = "expired"
        return TlsVerdict(facts, problem != "untrusted", host_matches, problem, exc.verify_message)
    except (ssl.SSLError, OSError, TimeoutError) as exc:
        return TlsVerdict(facts, False, host_matches, "handshake", str(exc) or type(exc).__name__)
    try:
        writer.write(_API_VERSIONS)
        await writer.drain()
        await asyncio.wait_for(reader.readexactly(4), wait)
    except ssl.SSLError as exc:
        text = str(exc)
        problem = "client_cert" if "CERTIFICATE_REQUIRED" in text.upper() else "handshake"
        return TlsVerdict(facts, True, host_matches, problem, text)
    except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
        # The server hung up right after the handshake: what brokers do to a client that
        # brought no certificate when one is required (on TLS 1.2 as well).
        return TlsVerdict(facts, True, host_matches, "client_cert", str(exc) or "closed")
    finally:
        writer.close()
    return TlsVerdict(facts, True, host_matches)
