"""The ways a user signs in to a cluster, what each needs, and the rules a profile obeys.

One catalogue (:data:`METHODS`) serves the Connections form (which fields to show), the
command line and the README. :func:`sign_in_problem` is called by
``ConnectionProfile.validate``; :func:`method_of` names the method of a profile saved
before profiles recorded it. Azure Event Hubs and Confluent Cloud are SASL PLAIN with
fixed settings: ``event_hubs_profile`` and ``confluent_cloud_profile`` in
:mod:`adapters.kafka.profiles` build them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


class SignInSettings(Protocol):
    """What the sign-in rules read of a profile (a ``ConnectionProfile`` is one); kept
    apart so that this module does not depend on the profiles that depend on it."""

    sign_in: str
    security_protocol: str
    sasl_mechanism: str | None
    ca_file: str | None
    cert_file: str | None
    key_file: str | None
    pkcs12_file: str | None
    oauth_token_endpoint: str | None
    oauth_client_id: str | None
    aws_region: str | None
    registry_url: str | None
    registry_ca_file: str | None
    registry_cert_file: str | None
    registry_key_file: str | None

    @property
    def uses_sasl(self) -> bool: ...

    @property
    def uses_tls(self) -> bool: ...


# The first four bytes of a Java KeyStore (JKS) file.
_JKS_MAGIC = b"\xfe\xed\xfe\xed"


@dataclass(frozen=True, slots=True)
class SignInMethod:
    """One way to sign in: its label, and the form fields it needs (in order)."""

    key: str
    label: str
    fields: tuple[str, ...]
    hint: str


METHODS: dict[str, SignInMethod] = {
    m.key: m
    for m in (
        SignInMethod("none", "No sign-in (plaintext)", (), "A local or test cluster."),
        SignInMethod("tls", "TLS", ("ca_file",), "Encrypted; the broker's certificate is checked."),
        SignInMethod(
            "mtls",
            "Mutual TLS (client certificate)",
            ("ca_file", "cert_file", "key_file", "pkcs12_file", "pkcs12_password"),
            "PEM certificate and key, or a PKCS#12 bundle (.p12) and its password.",
        ),
        SignInMethod(
            "password",
            "User and password (SASL PLAIN / SCRAM)",
            ("sasl_mechanism", "username", "password", "ca_file"),
            "SASL over TLS unless the protocol says otherwise.",
        ),
        SignInMethod(
            "oauth",
            "OAuth / OIDC client credentials",
            (
                "oauth_token_endpoint",
                "oauth_client_id",
                "password",
                "oauth_scope",
                "oauth_extensions",
                "ca_file",
            ),
            "A token is fetched before connecting and refreshed before it expires.",
        ),
        SignInMethod(
            "msk_iam",
            "Amazon MSK (IAM)",
            ("aws_region", "aws_profile"),
            "Signed with your AWS profile's credentials (or the environment's).",
        ),
        SignInMethod(
            "confluent_cloud",
            "Confluent Cloud (API key)",
            ("username", "password"),
            "The cluster's API key and secret; the schema registry's own key and secret.",
        ),
        SignInMethod(
            "event_hubs",
            "Azure Event Hubs (connection string)",
            ("connection_string",),
            "Paste the namespace's connection string; the bootstrap is derived from it.",
        ),
    )
}


def method_of(profile: SignInSettings) -> str:
    """The sign-in method of a profile: the one it records, else what its settings say."""
    if profile.sign_in:
        return profile.sign_in
    if profile.sasl_mechanism == "OAUTHBEARER" and profile.uses_sasl:
        return "oauth"
    if profile.sasl_mechanism == "AWS_MSK_IAM" and profile.uses_sasl:
        return "msk_iam"
    if profile.uses_sasl:
        return "password"
    if profile.uses_tls:
        return "mtls" if (profile.cert_file or profile.pkcs12_file) else "tls"
    return "none"


def keytool_command(path: str, *, truststore: bool) -> str:
    """The exact command that turns a Java KeyStore into a file this app reads."""
    if truststore:
        pem = str(Path(path).with_suffix(".pem"))
        # keytool prints every trusted certificate as PEM; the lines between them are
        # ignored when the CA file is read.
        return f"keytool -list -rfc -keystore {path} > {pem}"
    p12 = str(Path(path).with_suffix(".p12"))
    return (
        f"keytool -importkeystore -srckeystore {path} -srcstoretype JKS "
        f"-destkeystore {p12} -deststoretype PKCS12"
    )


def is_java_keystore(path: str) -> bool:
    """A .jks name, or a file that starts as a JKS does."""
    if path.lower().endswith(".jks"):
        return True
    try:
        with open(path, "rb") as f:
            return f.read(4) == _JKS_MAGIC
    except OSError:
        return False


def registry_jks_refusal(path: str) -> str:
    """The registry's client certificate is PEM only: a key store, converted twice."""
    p12 = str(Path(path).with_suffix(".p12"))
    pem = str(Path(path).with_suffix(".pem"))
    return (
        f"{path} is a Java KeyStore (JKS) key store, which Python's TLS cannot read. Convert "
        f"it with: {keytool_command(path, truststore=False)}, then openssl pkcs12 -in {p12} "
        f"-nodes -out {pem}, and use {pem} as the registry's client certificate and key."
    )


def jks_refusal(path: str, *, truststore: bool) -> str:
    what = "trust store" if truststore else "key store"
    use = "as the CA file" if truststore else "as the PKCS#12 bundle"
    return (
        f"{path} is a Java KeyStore (JKS) {what}, which Python's TLS cannot read. Convert "
        f"it with: {keytool_command(path, truststore=truststore)} and use the result {use}."
    )


def sign_in_problem(profile: SignInSettings) -> str | None:
    """What stops this profile's sign-in settings from working, or None."""
    if profile.sign_in and profile.sign_in not in METHODS:
        return f"sign-in method must be one of {', '.join(METHODS)}, not {profile.sign_in!r}"
    if profile.ca_file and is_java_keystore(profile.ca_file):
        return jks_refusal(profile.ca_file, truststore=True)
    for path in (profile.cert_file, profile.key_file, profile.pkcs12_file):
        if path and is_java_keystore(path):
            return jks_refusal(path, truststore=False)
    if profile.registry_ca_file and is_java_keystore(profile.registry_ca_file):
        return jks_refusal(profile.registry_ca_file, truststore=True).replace(
            "as the CA file", "as the registry's CA file"
        )
    for path in (profile.registry_cert_file, profile.registry_key_file):
        if path and is_java_keystore(path):
            return registry_jks_refusal(path)
    if profile.pkcs12_file and (profile.cert_file or profile.key_file):
        return "give a PKCS#12 bundle or PEM certificate and key files, not both"
    if profile.uses_sasl and profile.sasl_mechanism == "OAUTHBEARER":
        if not profile.oauth_token_endpoint:
            return "OAUTHBEARER needs the token endpoint of the identity provider"
        if not re.match(r"https?://", profile.oauth_token_endpoint):
            return f"the token endpoint {profile.oauth_token_endpoint!r} is not an http(s) URL"
        if not profile.oauth_client_id:
            return "OAUTHBEARER needs a client id"
    if profile.uses_sasl and profile.sasl_mechanism == "AWS_MSK_IAM":
        if not profile.aws_region:
            return "Amazon MSK IAM needs the cluster's AWS region (for example eu-west-1)"
        if profile.security_protocol != "SASL_SSL":
            return "Amazon MSK IAM works over TLS only: the protocol must be SASL_SSL"
    if profile.registry_url and not re.match(r"https?://", profile.registry_url):
        return f"the schema registry URL {profile.registry_url!r} is not an http(s) URL"
    return None


class ConnectionStringError(ValueError):
    """An Event Hubs connection string that cannot be used; the message says why."""


def event_hubs_bootstrap(connection_string: str) -> str:
    """The Kafka bootstrap (namespace host, port 9093) of an Event Hubs connection string."""
    parts: dict[str, str] = {}
    for piece in connection_string.strip().split(";"):
        key, sep, value = piece.partition("=")
        if sep:
            parts[key.strip().lower()] = value.strip()
    endpoint = parts.get("endpoint")
    if not endpoint or "sharedaccesskey" not in parts:
        raise ConnectionStringError(
            "that is not an Event Hubs connection string: it should look like "
            "Endpoint=sb://NAMESPACE.servicebus.windows.net/;SharedAccessKeyName=...;"
            "SharedAccessKey=... (Azure portal: the namespace's Shared access policies)"
        )
    match = re.fullmatch(r"sb://([\w.-]+)/?", endpoint)
    if match is None:
        raise ConnectionStringError(
            f"the connection string's Endpoint {endpoint!r} is not sb://NAMESPACE-HOST/"
        )
    return f"{match.group(1)}:9093"
