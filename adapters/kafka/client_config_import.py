"""A profile from a client configuration the user already has.

Reads a Java ``client.properties`` (``sasl.jaas.config`` for PLAIN, SCRAM, OAUTHBEARER and
MSK IAM, ``ssl.truststore.*``, ``ssl.keystore.*``, ``schema.registry.url``,
``basic.auth.user.info``), a librdkafka configuration and a kcat configuration (which is
librdkafka's, in ``kcat.conf``). :func:`import_client_config` returns the profile, the
secrets it found (for the keyring, never the profile file), what it took from which
setting, and every setting it did not use with the reason: nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from adapters.kafka.profiles import ConnectionProfile, ProfileError
from adapters.kafka.sign_in import is_java_keystore, jks_refusal


class ConfigImportError(ProfileError):
    """The file cannot be turned into a profile; the message says why."""


@dataclass(slots=True)
class ImportResult:
    profile: ConnectionProfile
    format: str  # "Java client.properties", "librdkafka config" or "kcat config"
    secrets: dict[str, str] = field(default_factory=dict)  # kind -> secret (SECRET_KINDS)
    taken: list[tuple[str, str]] = field(default_factory=list)  # (setting, what it became)
    not_taken: list[tuple[str, str]] = field(default_factory=list)  # (setting, why not)


# Client tuning settings that say nothing about where or how to connect: named as not
# taken, with this reason, rather than as unknown.
_TUNING = re.compile(
    r"(acks|linger\.ms|batch\.size|compression\.type|retries|retry\.backoff\.ms|"
    r"request\.timeout\.ms|session\.timeout\.ms|auto\.offset\.reset|group\.id|"
    r"enable\.auto\.commit|key\.(de)?serializer|value\.(de)?serializer|"
    r"client\.dns\.lookup|max\.poll\.records|fetch\..*|socket\..*|debug|api\.version\..*)"
)


def parse_properties(text: str) -> dict[str, str]:
    """Java .properties / librdkafka lines: ``key=value`` or ``key: value``, ``#`` and
    ``!`` comments, a trailing backslash continues a line."""
    out: dict[str, str] = {}
    pending = ""
    for raw in text.splitlines():
        line = pending + raw.strip() if pending else raw.strip()
        pending = ""
        if not line or line[0] in "#!":
            continue
        if line.endswith("\\") and not line.endswith("\\\\"):
            pending = line[:-1]
            continue
        match = re.match(r"([^=:\s]+)\s*[=:]?\s*(.*)", line)
        if match:
            out[match.group(1)] = match.group(2).strip()
    if pending:
        match = re.match(r"([^=:\s]+)\s*[=:]?\s*(.*)", pending)
        if match:
            out[match.group(1)] = match.group(2).strip()
    return out


_JAAS_MODULE = re.compile(r"^\s*([\w.$]+)\s+(required|requisite|sufficient|optional)\s*(.*?);?\s*$")
_JAAS_OPTION = re.compile(r'([\w.]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|(\S+?))(?=\s|;|$)')


def parse_jaas(value: str) -> tuple[str, dict[str, str]]:
    """``sasl.jaas.config``: the login module and its options."""
    match = _JAAS_MODULE.match(value)
    if match is None:
        raise ConfigImportError("sasl.jaas.config is not 'LoginModule required key=\"value\" ...;'")
    options = {m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
               for m in _JAAS_OPTION.finditer(match.group(3))}  # fmt: skip
    return match.group(1), {k: v.replace('\\"', '"') for k, v in options.items()}


def _format_of(path: Path, settings: dict[str, str]) -> str:
    if path.name in ("kcat.conf", "kafkacat.conf") or ".kcat" in path.name:
        return "kcat config"
    java = ("sasl.jaas.config", "ssl.truststore.location", "ssl.keystore.type")
    if any(k in settings for k in java):
        return "Java client.properties"
    librdkafka = ("sasl.username", "sasl.mechanisms", "ssl.ca.location", "metadata.broker.list")
    if any(k in settings for k in librdkafka) or path.suffix == ".conf":
        return "librdkafka config"
    return "Java client.properties"


def import_client_config(path: Path, name: str | None = None) -> ImportResult:
    """Read ``path`` into a profile named ``name`` (default: the file's stem)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigImportError(f"{path} cannot be read: {exc}") from exc
    settings = parse_properties(text)
    if not settings:
        raise ConfigImportError(f"{path} holds no settings (key=value lines)")
    profile_name = name or re.sub(r"[^\w.@-]", "-", path.stem) or "imported"
    reader = _Reader(settings, _format_of(path, settings), base=path.parent)
    return reader.result(profile_name)


class _Reader:
    def __init__(self, settings: dict[str, str], fmt: str, base: Path) -> None:
        self.settings = settings
        self.format = fmt
        self.base = base
        self.used: set[str] = set()
        self.taken: list[tuple[str, str]] = []
        self.not_taken: list[tuple[str, str]] = []
        self.secrets: dict[str, str] = {}
        self.fields: dict[str, object] = {}

    def take(self, key: str, what: str) -> str | None:
        """The value of ``key`` if set, recorded as taken (as ``what``)."""
        if key not in self.settings:
            return None
        self.used.add(key)
        self.taken.append((key, what))
        return self.settings[key]

    def refuse(self, key: str, why: str) -> None:
        if key in self.settings:
            self.used.add(key)
            self.not_taken.append((key, why))

    def path(self, value: str) -> str:
        """A file path from the config, made absolute against the config's folder."""
        p = Path(value).expanduser()
        return str(p if p.is_absolute() else (self.base / p).resolve())

    def secret(self, key: str, kind: str) -> None:
        if (value := self.take(key, f"{kind} secret (to the keyring)")) is not None:
            self.secrets[kind] = value

    def result(self, name: str) -> ImportResult:
        f = self.fields
        servers = self.take("bootstrap.servers", "bootstrap servers") or self.take(
            "metadata.broker.list", "bootstrap servers"
        )
        if not servers:
            raise ConfigImportError("the file names no bootstrap.servers: it cannot be a profile")
        f["bootstrap_servers"] = ",".join(s.strip() for s in servers.split(",") if s.strip())
        protocol = (self.take("security.protocol", "security protocol") or "PLAINTEXT").upper()
        f["security_protocol"] = protocol
        if client_id := self.take("client.id", "client id"):
            f["client_id"] = client_id
        mechanism = self.take("sasl.mechanism", "SASL mechanism") or self.take(
            "sasl.mechanisms", "SASL mechanism"
        )
        if protocol.startswith("SASL"):
            f["sasl_mechanism"] = (mechanism or "GSSAPI").upper()
        else:
            self.refuse("sasl.jaas.config", f"the protocol {protocol} uses no SASL")
        self._sasl()
        self._tls()
        self._registry()
        self._platform()
        for key in self.settings:
            if key in self.used:
                continue
            if _TUNING.fullmatch(key):
                self.not_taken.append((key, "client tuning, not needed to connect"))
            else:
                self.not_taken.append((key, "not understood by this app"))
        try:
            profile = ConnectionProfile(name=name, **f)  # type: ignore[arg-type]
        except ProfileError as exc:
            raise ConfigImportError(f"the settings do not make a usable profile: {exc}") from exc
        return ImportResult(profile, self.format, self.secrets, self.taken, self.not_taken)

    def _sasl(self) -> None:
        f = self.fields
        mechanism = str(f.get("sasl_mechanism", ""))
        if not mechanism:
            return
        # librdkafka spelling
        if user := self.take("sasl.username", "SASL user name"):
            f["sasl_username"] = user
        self.secret("sasl.password", "password")
        if jaas := self.take("sasl.jaas.config", "sign-in (login module options)"):
            module, options = parse_jaas(jaas)
            if "username" in options:
                f["sasl_username"] = options["username"]
            if "password" in options:
                self.secrets["password"] = options["password"]
            if "clientId" in options:
                f["oauth_client_id"] = options["clientId"]
            if "clientSecret" in options:
                self.secrets["password"] = options["clientSecret"]
            if "scope" in options:
                f["oauth_scope"] = options["scope"]
            if "awsProfileName" in options:
                f["aws_profile"] = options["awsProfileName"]
            extensions = {k[len("extension_") :]: v for k, v in options.items()
                          if k.startswith("extension_")}  # fmt: skip
            if extensions:
                f["oauth_extensions"] = extensions
            if module.endswith("IAMLoginModule"):
                f["sasl_mechanism"] = "AWS_MSK_IAM"
        if mechanism == "OAUTHBEARER":
            endpoint = self.take(
                "sasl.oauthbearer.token.endpoint.url", "token endpoint"
            ) or self.take("sasl.login.token.endpoint.url", "token endpoint")
            if endpoint:
                f["oauth_token_endpoint"] = endpoint
            if client := self.take("sasl.oauthbearer.client.id", "OIDC client id"):
                f["oauth_client_id"] = client
            self.secret("sasl.oauthbearer.client.secret", "password")
            if scope := self.take("sasl.oauthbearer.scope", "OIDC scope"):
                f["oauth_scope"] = scope
            if ext := self.take("sasl.oauthbearer.extensions", "OAUTHBEARER extensions"):
                f["oauth_extensions"] = dict(p.split("=", 1) for p in ext.split(",") if "=" in p)
            self.refuse("sasl.oauthbearer.method", "implied: the app uses OIDC client credentials")
            self.refuse(
                "sasl.login.callback.handler.class",
                "Java class: the app fetches OIDC tokens itself",
            )
        if f.get("sasl_mechanism") == "AWS_MSK_IAM":
            self.refuse(
                "sasl.client.callback.handler.class", "Java class: the app signs MSK tokens itself"
            )
            servers = str(f["bootstrap_servers"])
            region = re.search(r"\.kafka(?:-serverless)?\.([a-z0-9-]+)\.amazonaws\.com", servers)
            if region:
                f["aws_region"] = region.group(1)
                self.taken.append(("bootstrap.servers", f"AWS region {region.group(1)}"))

    def _tls(self) -> None:
        f = self.fields
        # Java
        if trust := self.settings.get("ssl.truststore.location"):
            kind = self.settings.get("ssl.truststore.type", "JKS").upper()
            location = self.path(trust)
            if kind == "PEM" or (kind != "PKCS12" and not is_java_keystore(location)
                                 and location.endswith((".pem", ".crt"))):  # fmt: skip
                self.take("ssl.truststore.location", "CA file")
                self.take("ssl.truststore.type", "CA file format")
                f["ca_file"] = location
            else:
                self.refuse(
                    "ssl.truststore.location",
                    jks_refusal(location, truststore=True)
                    if kind == "JKS"
                    else f"a PKCS#12 trust store: convert it with `openssl pkcs12 -in {location}"
                    f" -nokeys -out {Path(location).with_suffix('.pem')}` and use it as the "
                    "CA file",
                )
                self.refuse("ssl.truststore.type", "goes with the trust store above")
            self.refuse("ssl.truststore.password", "a PEM CA file needs no password")
        if keystore := self.settings.get("ssl.keystore.location"):
            # Java defaults to JKS; librdkafka's (and kcat's) key store is always PKCS#12.
            default = "JKS" if self.format == "Java client.properties" else "PKCS12"
            kind = self.settings.get("ssl.keystore.type", default).upper()
            location = self.path(keystore)
            if kind == "PEM":  # Java's PEM key store: certificate and key in one file
                self.take("ssl.keystore.location", "client certificate and key (PEM)")
                self.take("ssl.keystore.type", "key store format")
                f["cert_file"] = location
                self.refuse("ssl.keystore.password", "a PEM key store needs no password")
                self.refuse(
                    "ssl.key.password",
                    "encrypted PEM keys are not supported: use an unencrypted key kept "
                    "private (0600) or a PKCS#12 bundle",
                )
            elif kind == "PKCS12" or location.lower().endswith((".p12", ".pfx")):
                self.take("ssl.keystore.location", "client certificate (PKCS#12 bundle)")
                self.take("ssl.keystore.type", "bundle format")
                f["pkcs12_file"] = location
                self.secret("ssl.keystore.password", "pkcs12")
                self.refuse("ssl.key.password", "the bundle's password opens its key")
            else:
                self.refuse("ssl.keystore.location", jks_refusal(location, truststore=False))
                self.refuse("ssl.keystore.type", "goes with the key store above")
                self.refuse("ssl.keystore.password", "goes with the key store above")
        # librdkafka
        if ca := self.take("ssl.ca.location", "CA file"):
            f["ca_file"] = self.path(ca)
        if cert := self.take("ssl.certificate.location", "client certificate (PEM)"):
            f["cert_file"] = self.path(cert)
        if key := self.take("ssl.key.location", "client key (PEM)"):
            f["key_file"] = self.path(key)
        if "ssl.key.password" in self.settings and "ssl.key.password" not in self.used:
            self.refuse(
                "ssl.key.password",
                "encrypted PEM keys are not supported: use an unencrypted key file kept "
                "private (0600) or a PKCS#12 bundle",
            )
        self.refuse(
            "ssl.endpoint.identification.algorithm",
            "the app always checks that the broker's certificate names its host",
        )

    def _registry(self) -> None:
        f = self.fields
        if url := self.take("schema.registry.url", "schema registry URL"):
            f["registry_url"] = url.split(",")[0].strip()
        self.refuse("basic.auth.credentials.source", "implied by basic.auth.user.info")
        for key in ("basic.auth.user.info", "schema.registry.basic.auth.user.info"):
            if info := self.take(key, "schema registry key and secret (secret to the keyring)"):
                user, _, secret = info.partition(":")
                f["registry_username"] = user
                self.secrets["schema_registry"] = secret
        # A static token (bearer.auth.credentials.source=STATIC_TOKEN); the registry's
        # OAuth client credentials are not something the app fetches tokens with.
        for key in ("bearer.auth.token", "schema.registry.bearer.auth.token"):
            if token := self.take(key, "schema registry bearer token (to the keyring)"):
                f["registry_bearer"] = True
                f.pop("registry_username", None)
                self.secrets["schema_registry"] = token
        self.refuse(
            "bearer.auth.credentials.source",
            "only a static token is used: bearer.auth.token, kept in the keyring",
        )
        # The registry's TLS files (PEM), as confluent-kafka's registry client names them.
        for key, name, what in (
            ("schema.registry.ssl.ca.location", "registry_ca_file", "schema registry CA file"),
            (
                "schema.registry.ssl.certificate.location",
                "registry_cert_file",
                "schema registry client certificate",
            ),
            ("schema.registry.ssl.key.location", "registry_key_file", "schema registry client key"),
        ):
            if value := self.take(key, what):
                f[name] = self.path(value)
        for key in (
            "schema.registry.ssl.truststore.location",
            "schema.registry.ssl.keystore.location",
        ):
            self.refuse(
                key,
                "Java stores are not read for the registry: convert them to PEM and set the "
                "registry's CA file, client certificate and key in the Connections view",
            )

    def _platform(self) -> None:
        """Name the sign-in method the Connections form will show for these settings."""
        f = self.fields
        servers = str(f["bootstrap_servers"])
        if f.get("sasl_username") == "$ConnectionString":
            f["sign_in"] = "event_hubs"
        elif f.get("sasl_mechanism") == "PLAIN" and ".confluent.cloud:" in servers:
            f["sign_in"] = "confluent_cloud"
