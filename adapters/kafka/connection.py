"""From a profile to aiokafka client options, and from Kafka errors to one clear sentence.

:func:`client_options` is the one place that turns a :class:`ConnectionProfile` into the
keyword arguments every aiokafka client (consumer, producer, admin) takes. TLS always
verifies the broker's certificate and host name. :func:`explain` maps the exceptions a
connection can raise to a sentence that says what is wrong and what to do, so no command
or view ever shows a traceback for a network problem.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from typing import Any

from adapters.kafka.profiles import ConnectionProfile, SecretStore

# How long to wait for a broker before saying it cannot be reached: long enough for a
# remote cluster over a VPN, short enough that a typo does not feel like a hang.
CONNECT_TIMEOUT = 15.0


class KafkaUnavailable(Exception):
    """A Kafka operation failed; ``str(exc)`` is the sentence to show the user."""


def ssl_context(profile: ConnectionProfile, pkcs12_password: str | None = None) -> ssl.SSLContext:
    """A verifying TLS context: the system's trust store plus the profile's CA file, and
    the client certificate (PEM files, or a PKCS#12 bundle whose password is given or is
    found in the environment or the keyring)."""
    from adapters.kafka.client_certificates import BundleError, load_pkcs12

    # ssl says "[Errno 2] No such file or directory" without naming the file: name it.
    for what, path in (
        ("CA file", profile.ca_file),
        ("certificate file", profile.cert_file),
        ("key file", profile.key_file),
        ("PKCS#12 bundle", profile.pkcs12_file),
    ):
        if path and not os.path.isfile(path):
            raise KafkaUnavailable(
                f"TLS set-up for profile {profile.name} failed: the {what} {path} does not "
                "exist. Check the path in the profile."
            )
    try:
        context = ssl.create_default_context(cafile=profile.ca_file or None)
        if profile.cert_file:
            context.load_cert_chain(profile.cert_file, profile.key_file or None)
        if profile.pkcs12_file:
            if pkcs12_password is None:
                pkcs12_password = SecretStore().find(profile.name, "pkcs12")
            load_pkcs12(context, profile.pkcs12_file, pkcs12_password)
    except BundleError as exc:
        raise KafkaUnavailable(f"TLS set-up for profile {profile.name} failed: {exc}.") from exc
    except (OSError, ssl.SSLError) as exc:
        raise KafkaUnavailable(
            f"TLS set-up for profile {profile.name} failed: {exc}. Check the CA, certificate "
            "and key file paths of the profile."
        ) from exc
    return context


def client_options(profile: ConnectionProfile, password: str | None = None) -> dict[str, Any]:
    """Keyword arguments for AIOKafkaConsumer/Producer/AdminClient."""
    options: dict[str, Any] = {
        "bootstrap_servers": [s.strip() for s in profile.bootstrap_servers.split(",")],
        "client_id": profile.client_id,
        "security_protocol": profile.security_protocol,
        "request_timeout_ms": int(CONNECT_TIMEOUT * 1000),
        "retry_backoff_ms": 200,
    }
    if profile.uses_tls:
        options["ssl_context"] = ssl_context(profile)
    if profile.uses_sasl and profile.sasl_mechanism in ("OAUTHBEARER", "AWS_MSK_IAM"):
        # MSK IAM rides on OAUTHBEARER: the token is AWS's signed request.
        options["sasl_mechanism"] = "OAUTHBEARER"
        options["sasl_oauth_token_provider"] = token_provider(profile, password)
    elif profile.uses_sasl:
        options["sasl_mechanism"] = profile.sasl_mechanism
        options["sasl_plain_username"] = profile.sasl_username
        options["sasl_plain_password"] = password or ""
    return options


async def client_options_off_loop(
    profile: ConnectionProfile, password: str | None = None
) -> dict[str, Any]:
    """:func:`client_options`, made in a worker thread: a TLS profile reads its CA,
    certificate and key files, and a PKCS#12 bundle's password from the OS keyring (which
    can wait on a desktop prompt), none of which may hold up the window's event loop."""
    return await asyncio.to_thread(client_options, profile, password)


def token_provider(profile: ConnectionProfile, client_secret: str | None = None) -> Any:
    """The aiokafka token provider of an OAUTHBEARER or MSK IAM profile (else None)."""
    if profile.sasl_mechanism == "AWS_MSK_IAM":
        from adapters.kafka.msk_iam import MskIamTokenProvider

        return MskIamTokenProvider(profile.aws_region or "", profile.aws_profile or None)
    if profile.sasl_mechanism == "OAUTHBEARER":
        from adapters.kafka.oauth import OidcTokenProvider

        return OidcTokenProvider(
            profile.oauth_token_endpoint or "",
            profile.oauth_client_id or "",
            client_secret or "",
            scope=profile.oauth_scope,
            extensions=profile.oauth_extensions,
        )
    return None


def explain(exc: BaseException, profile: ConnectionProfile, *, topic: str | None = None) -> str:
    """One sentence saying what went wrong talking to the cluster, and what to do."""
    from aiokafka import errors

    from adapters.kafka.msk_iam import AwsSignInError
    from adapters.kafka.oauth import TokenError

    where = profile.bootstrap_servers
    text = f"{exc}"
    chain = _causes(exc)
    # No token, so no sign-in: the provider's sentence says where it failed and why.
    for cause in chain:
        if isinstance(cause, TokenError | AwsSignInError):
            return f"Signing in to {where} failed: {cause}."
    if any(isinstance(e, ssl.SSLCertVerificationError) for e in chain) or (
        "CERTIFICATE_VERIFY_FAILED" in text
    ):
        return (
            f"TLS failure talking to {where}: the broker's certificate is not trusted. "
            "Set the profile's CA file to the certificate authority that signed it."
        )
    if any(isinstance(e, ssl.SSLError) for e in chain) or "SSL" in type(exc).__name__:
        return (
            f"TLS failure talking to {where} ({text or type(exc).__name__}). Check that the "
            "broker listens for TLS on that port and that the profile's protocol is right."
        )
    if isinstance(exc, errors.SaslAuthenticationFailed | errors.AuthenticationFailedError):
        return (
            f"Authentication failed for user {profile.sasl_username or '?'} on {where}: "
            "check the user name, the password and the SASL mechanism."
        )
    if isinstance(exc, errors.UnsupportedSaslMechanismError):
        return f"{where} does not accept SASL mechanism {profile.sasl_mechanism}: pick another."
    if isinstance(exc, errors.UnknownTopicOrPartitionError) or "UnknownTopic" in text:
        return f"Topic {topic or '?'} does not exist on {where}."
    if isinstance(exc, errors.TopicAuthorizationFailedError):
        return f"The user is not allowed to use topic {topic or '?'} on {where}."
    if isinstance(exc, errors.GroupAuthorizationFailedError):
        return f"The user is not allowed to read consumer groups on {where}."
    # Before the OSError test: TimeoutError is an OSError.
    if isinstance(exc, TimeoutError | errors.KafkaTimeoutError | errors.RequestTimedOutError):
        return (
            f"The Kafka broker at {where} did not answer in time; "
            "it may be overloaded or unreachable."
        )
    if isinstance(exc, errors.KafkaConnectionError | OSError):
        return (
            f"Cannot reach the Kafka broker at {where}: is it running, and are the host and "
            "port right? (a firewall or VPN can also be in the way)"
        )
    if isinstance(exc, KafkaUnavailable):
        return str(exc)
    if isinstance(exc, errors.KafkaError):
        return f"Kafka error from {where}: {type(exc).__name__} {text}".strip()
    return f"Unexpected error talking to {where}: {type(exc).__name__}: {text}"


def _causes(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


async def diagnose(profile: ConnectionProfile) -> str | None:
    """Find out why the bootstrap servers cannot be used, by connecting to them directly.

    aiokafka reports a failed bootstrap as one generic error (the TLS or DNS detail goes
    only to its log); a plain TCP connection and TLS handshake give the real reason.
    Returns a sentence, or ``None`` when the servers answer fine.
    """
    context = ssl_context(profile) if profile.uses_tls else None
    for server in profile.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        host = host.strip("[]")
        try:
            _reader, writer = await asyncio.wait_for(
                asyncio.open_connection(
                    host, int(port), ssl=context, server_hostname=host if context else None
                ),
                5.0,
            )
        except ssl.SSLCertVerificationError as exc:
            return (
                f"TLS failure talking to {server}: the broker's certificate is not trusted "
                f"({exc.verify_message}). Set the profile's CA file to the certificate "
                "authority that signed it."
            )
        except ssl.SSLError as exc:
            return (
                f"TLS failure talking to {server} ({exc.reason or exc}). Check that the broker "
                "listens for TLS on that port and that the profile's protocol is right."
            )
        except socket.gaierror:
            return f"The host name in {server} is unknown: check the bootstrap address."
        except ConnectionRefusedError:
            return f"Nothing accepts connections at {server}: is the broker running on that port?"
        except (TimeoutError, OSError):
            return (
                f"{server} does not answer: the host may be down, or a firewall or VPN is in "
                "the way."
            )
        writer.close()
    return None


async def explain_async(
    exc: BaseException, profile: ConnectionProfile, *, topic: str | None = None
) -> str:
    """:func:`explain`, made precise by :func:`diagnose` for a failed connection."""
    from aiokafka import errors

    if isinstance(exc, errors.KafkaConnectionError | OSError) and not isinstance(exc, TimeoutError):
        try:
            found = await diagnose(profile)
        except KafkaUnavailable as setup:
            return str(setup)
        if found:
            return found
    return explain(exc, profile, topic=topic)
