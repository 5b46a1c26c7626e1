"""The connection doctor: check, step by step, what it takes to use a cluster from here.

Steps, in order: ``dns``, ``tcp``, ``tls`` (TLS profiles), ``auth``, ``metadata``,
``brokers`` (every address the cluster advertises, reached from this machine), then
``schema_registry`` when the profile has one. Each is a :class:`Step` with its outcome and
a detail; the first failing one also carries the likely cause and the fix. The Kafka
steps stop at the first failure (each needs the one before); the registry is checked
either way. Used by ``eventflow profiles test`` and the Connections view's Test button.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from adapters.kafka.connection import (
    CONNECT_TIMEOUT,
    KafkaUnavailable,
    client_options,
    explain,
    ssl_context,
)
from adapters.kafka.profiles import ConnectionProfile
from adapters.kafka.tls_probe import TlsVerdict, probe_tls

STEP_TIMEOUT = 8.0


@dataclass(slots=True)
class Step:
    step: str
    ok: bool
    detail: str
    fix: str | None = None  # the likely cause and what to do, on a failing step

    @property
    def label(self) -> str:
        """The step's name for people ("schema registry"; ``step`` is the JSON key's)."""
        return self.step.replace("_", " ")

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"step": self.step, "ok": self.ok, "detail": self.detail}
        if self.fix:
            out["fix"] = self.fix
        return out


@dataclass(slots=True)
class Diagnosis:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)

    @property
    def first_failure(self) -> Step | None:
        return next((s for s in self.steps if not s.ok), None)

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "steps": [s.to_dict() for s in self.steps]}


class _Stop(Exception):
    """A Kafka step failed; the later ones cannot run."""


def _servers(profile: ConnectionProfile) -> list[tuple[str, int]]:
    out = []
    for server in profile.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        out.append((host.strip("[]"), int(port)))
    return out


async def diagnose_profile(
    profile: ConnectionProfile,
    secret: str | None = None,
    *,
    registry_secret: str | None = None,
    pkcs12_password: str | None = None,
    on_step: Callable[[Step], None] | None = None,
) -> Diagnosis:
    """Run every step for ``profile`` (``secret``: its password, client secret or the like;
    ``pkcs12_password``: a bundle password typed but not stored yet, else the stored one).
    File and keyring reads happen in a worker thread, so a window calling this stays live."""
    result = Diagnosis()

    def record(step: Step) -> Step:
        result.steps.append(step)
        if on_step is not None:
            on_step(step)
        return step

    with contextlib.suppress(_Stop):  # a Kafka step failed: the registry is checked still
        await _kafka_steps(profile, secret, pkcs12_password, record)
    if profile.registry_url:
        record(await asyncio.to_thread(_registry_step, profile, registry_secret))
    return result


async def _kafka_steps(
    profile: ConnectionProfile,
    secret: str | None,
    pkcs12_password: str | None,
    record: Callable[[Step], Step],
) -> None:
    def fail(step: str, detail: str, fix: str) -> NoReturn:
        record(Step(step, False, detail, fix))
        raise _Stop

    servers = _servers(profile)
    loop = asyncio.get_running_loop()
    # dns
    resolved: list[str] = []
    for host, port in servers:
        try:
            infos = await asyncio.wait_for(
                loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), STEP_TIMEOUT
            )
        except (socket.gaierror, TimeoutError) as exc:
            fail(
                "dns",
                f"{host} cannot be resolved ({exc})",
                f"the bootstrap host {host} is unknown to this machine's DNS: check the "
                "spelling, or connect the VPN the cluster is behind",
            )
        resolved.append(f"{host} -> {infos[0][4][0]}")
    record(Step("dns", True, "; ".join(resolved)))
    # tcp
    host, port = servers[0]
    for h, p in servers:
        problem = await _tcp_problem(h, p)
        if problem is None:
            host, port = h, p
            break
        if (h, p) == servers[-1]:
            fail(
                "tcp",
                f"{h}:{p}: {problem}",
                f"Nothing accepts connections at {h}:{p}: is the broker running on that port?"
                if problem == "connection refused"
                else f"{h}:{p} does not answer: the host may be down, or a firewall or VPN "
                "is in the way",
            )
    record(Step("tcp", True, f"{host}:{port} accepts connections"))
    # tls
    context = None
    if profile.uses_tls:
        try:
            context = await asyncio.to_thread(ssl_context, profile, pkcs12_password)
        except KafkaUnavailable as exc:
            fail("tls", str(exc), "fix the TLS file settings of the profile")
        verdict = await probe_tls(host, port, context, STEP_TIMEOUT)
        detail = _tls_detail(verdict)
        if verdict.problem:
            fail("tls", detail, _tls_fix(verdict, f"{host}:{port}", profile))
        record(Step("tls", True, detail))
    # auth
    provider_note = ""
    options = client_options(replace(profile, pkcs12_file=None), secret)
    if context is not None:  # made above, with the bundle's password
        options["ssl_context"] = context
    provider = options.get("sasl_oauth_token_provider")
    if provider is not None:
        try:
            await asyncio.wait_for(provider.token(), CONNECT_TIMEOUT)
        except Exception as exc:  # the provider's own error says where and why
            fail("auth", f"no token: {exc}", _token_fix(profile))
        lasts = getattr(provider, "expires_in", None)
        provider_note = "token fetched" + (f", valid {lasts:.0f} s" if lasts else "") + "; "
    from aiokafka.conn import create_conn

    conn_options = {
        k: v
        for k, v in options.items()
        if k not in ("bootstrap_servers", "retry_backoff_ms", "client_id")
    }
    try:
        conn = await asyncio.wait_for(
            create_conn(host, port, client_id=profile.client_id, **conn_options),
            CONNECT_TIMEOUT,
        )
    except Exception as exc:
        fail("auth", explain(exc, profile), _auth_fix(profile))
    record(Step("auth", True, provider_note + _auth_detail(profile)))
    # metadata
    from aiokafka.cluster import ClusterMetadata
    from aiokafka.protocol.metadata import MetadataRequest

    try:
        response = await asyncio.wait_for(conn.send(MetadataRequest([])), CONNECT_TIMEOUT)
    except Exception as exc:
        conn.close()
        fail(
            "metadata",
            explain(exc, profile),
            "the broker accepted the connection but did not describe the cluster: "
            "the user may lack Describe rights on the cluster",
        )
    conn.close()
    cluster = ClusterMetadata()
    cluster.update_metadata(response)
    brokers = sorted(cluster.brokers(), key=lambda b: b.nodeId)
    advertised = [f"{b.nodeId}={b.host}:{b.port}" for b in brokers]
    record(
        Step(
            "metadata",
            True,
            f"{len(brokers)} broker{'' if len(brokers) == 1 else 's'}: {', '.join(advertised)}",
        )
    )
    # brokers
    reached = []
    for b in brokers:
        found = await _advertised_problem(b.host, b.port, profile, context)
        if found:
            fail("brokers", f"{b.host}:{b.port} (broker {b.nodeId}): {found[0]}", found[1])
        reached.append(f"{b.host}:{b.port}")
    record(Step("brokers", True, f"every advertised address answers: {', '.join(reached)}"))


async def _tcp_problem(host: str, port: int) -> str | None:
    try:
        _r, writer = await asyncio.wait_for(asyncio.open_connection(host, port), STEP_TIMEOUT)
    except ConnectionRefusedError:
        return "connection refused"
    except socket.gaierror as exc:
        return f"cannot be resolved ({exc})"
    except TimeoutError:
        return f"no answer in {STEP_TIMEOUT:.0f} s"
    except OSError as exc:
        return exc.strerror or str(exc)
    writer.close()
    return None


async def _advertised_problem(
    host: str, port: int, profile: ConnectionProfile, context: ssl.SSLContext | None
) -> tuple[str, str] | None:
    where = f"{host}:{port}"
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.getaddrinfo(host, port), STEP_TIMEOUT)
    except (socket.gaierror, TimeoutError):
        return (
            "cannot be resolved from this machine",
            f"the broker at {where} is advertised by the cluster but cannot be resolved from "
            "this machine: the cluster's advertised.listeners must name an address clients "
            "can reach (or add the name to this machine's DNS or hosts file)",
        )
    problem = await _tcp_problem(host, port)
    if problem:
        return (
            problem,
            f"the broker at {where} is advertised by the cluster but cannot be reached from "
            f"this machine ({problem}): the cluster's advertised.listeners must name an "
            "address and port clients can reach, or a firewall is in the way",
        )
    if context is not None:
        verdict = await probe_tls(host, port, context, STEP_TIMEOUT)
        if verdict.problem:
            return (_tls_detail(verdict), _tls_fix(verdict, where, profile))
    return None


def _when(moment: dt.datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "?"


def _tls_detail(v: TlsVerdict) -> str:
    if v.facts is None:
        return f"no TLS handshake: {v.error}"
    f = v.facts
    expiry = ("expired " if f.expired else "valid until ") + _when(f.not_after)
    parts = [
        f"subject {f.subject}",
        f"issuer {f.issuer}",
        expiry,
        "host name matches" if v.host_matches else f"host name not in {', '.join(f.names)}",
        "trusted" if v.trusted else f"not trusted ({v.error})",
    ]
    if v.problem == "client_cert":
        parts.append(f"the broker closed the connection after the handshake ({v.error})")
    return "; ".join(parts)


def _tls_fix(v: TlsVerdict, where: str, profile: ConnectionProfile) -> str:
    if v.problem == "expired":
        return (
            f"the certificate of {where} expired on {_when(v.facts.not_after if v.facts else None)}"
            ": the cluster's operators must renew it (no setting here can fix that)"
        )
    if v.problem == "host":
        return (
            f"the certificate of {where} is not issued for that name: connect with one of "
            f"the names it has ({', '.join(v.facts.names) if v.facts else '?'}), or have it "
            "reissued with this one"
        )
    if v.problem == "untrusted":
        issuer = v.facts.issuer if v.facts else "its issuer"
        return (
            f"the certificate of {where} was signed by {issuer}, which this profile does not "
            "trust: set the CA file to that certificate authority's certificate (PEM)"
        )
    if v.problem == "client_cert":
        if profile.cert_file or profile.pkcs12_file:
            return (
                f"{where} refused this profile's client certificate: it must be signed by a "
                "CA the broker trusts"
            )
        return (
            f"{where} requires a client certificate (mutual TLS): choose 'Mutual TLS' and "
            "give the certificate and key, or a PKCS#12 bundle"
        )
    return (
        f"no TLS conversation with {where}: check that the broker listens for TLS on that "
        "port (or choose a plaintext protocol if it does not)"
    )


def _auth_detail(profile: ConnectionProfile) -> str:
    if profile.uses_sasl:
        who = f" as {profile.sasl_username}" if profile.sasl_username else ""
        return f"signed in with {profile.sasl_mechanism}{who}"
    if profile.cert_file or profile.pkcs12_file:
        return "client certificate accepted"
    return "no sign-in needed; the broker answered"


def _auth_fix(profile: ConnectionProfile) -> str:
    if profile.sasl_mechanism in ("OAUTHBEARER", "AWS_MSK_IAM") and profile.uses_sasl:
        return (
            "the broker did not accept the token: check that the cluster's listener takes "
            "OAUTHBEARER and that this identity is allowed on it"
        )
    if profile.uses_sasl:
        return (
            "the broker did not accept the sign-in: check the user name, the password (or API "
            "key and secret) and the SASL mechanism, and that the listener speaks SASL"
        )
    return (
        "the broker did not answer as Kafka does: check the security protocol (a SASL or "
        "TLS listener refuses plaintext clients)"
    )


def _token_fix(profile: ConnectionProfile) -> str:
    if profile.sasl_mechanism == "AWS_MSK_IAM":
        return "sign in to AWS (`aws sso login --profile NAME`) or check the region and profile"
    return "check the token endpoint URL, the client id and the client secret"


def _registry_step(profile: ConnectionProfile, secret: str | None) -> Step:
    """GET /subjects through the app's own registry client: the same sign-in (key and
    secret, or a bearer token) and TLS settings the decoders will use."""
    from adapters.schema_registry.client import RegistryClient, RegistryError
    from adapters.schema_registry.sources import settings_with_secret
    from monitor.core.wording import count

    settings = settings_with_secret(profile, secret, timeout=STEP_TIMEOUT)
    try:
        client = RegistryClient(settings)
    except (OSError, ssl.SSLError) as exc:
        return Step(
            "schema_registry",
            False,
            f"TLS set-up for the registry failed: {exc}",
            "check the registry's CA, certificate and key files in the profile",
        )
    try:
        subjects = client.subjects()
    except RegistryError as exc:
        if exc.status in (401, 403):
            fix = "check the schema registry user and password (or token)"
        elif exc.tls:
            fix = (
                "check the registry's CA file (it must have signed the registry's "
                "certificate) and, if it asks for one, the client certificate and key"
            )
        elif exc.status is not None:
            fix = "check the schema registry URL"
        else:
            fix = "the schema registry cannot be reached: check its URL (and the VPN)"
        return Step("schema_registry", False, str(exc), fix)
    finally:
        client.close()
    return Step(
        "schema_registry",
        True,
        f"{profile.registry_url} answers: {count(len(subjects), 'subject')}",
    )
