"""Kafka connection profiles: where a cluster is, how to reach it safely, and how careful
to be with it.

Profiles live in ``profiles.json`` in the user's config dir. Passwords never go there:
they go to the OS keyring. On a machine with no keyring backend (a headless Linux box),
storing a password fails with :class:`SecretStoreUnavailable`, whose message tells the user
to set the environment variable named by :func:`password_env_var` instead; there is no
silent plain-text fallback.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from adapters.kafka.sign_in import event_hubs_bootstrap, sign_in_problem
from monitor.core.paths import config_dir, make_parent, write_private_text

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER", "AWS_MSK_IAM")
# Mechanisms whose secret is a password typed for a user name (PLAIN, SCRAM).
PASSWORD_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
KEYRING_SERVICE = "eventflow-monitor"
# The secrets a profile can have besides its SASL password (or OIDC client secret, or
# Confluent API secret, or Event Hubs connection string, which are all "password").
SECRET_KINDS = ("password", "pkcs12", "schema_registry")


# The kinds of value a profile's settings take in the file, by their annotation.
_SETTING_KINDS: dict[str, tuple[type | tuple[type, ...], str]] = {
    "str": (str, "text"),
    "str | None": ((str, type(None)), "text or null"),
    "bool": (bool, "true or false"),
    "list[str]": (list, "a list"),
    "dict[str, str]": (dict, "an object"),
}


class ProfileError(Exception):
    """A profile is invalid, missing, or its file cannot be read; the message says which."""


class ProfileExists(ProfileError):
    """A profile of that name is saved already (and replacing it was not asked for)."""


class SecretStoreUnavailable(ProfileError):
    """There is no OS keyring to keep a password in."""


@dataclass(slots=True)
class ConnectionProfile:
    """How to reach one Kafka cluster.

    ``read_only`` refuses publish and replay; ``environment`` is a label such as
    ``production``, which makes publish and replay ask for confirmation.
    """

    name: str
    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    client_id: str = "eventflow-monitor"
    read_only: bool = False
    environment: str = "development"
    # Dead-letter topic name conventions on top of the built-in ones (regular expressions).
    dead_letter_patterns: list[str] = field(default_factory=list)
    # How the user signs in, as the Connections form offers it (see adapters.kafka.sign_in);
    # empty in profiles saved before there was a choice: derived from the settings then.
    sign_in: str = ""
    # OAUTHBEARER with OIDC client credentials; the client secret is the profile's password.
    oauth_token_endpoint: str | None = None
    oauth_client_id: str | None = None
    oauth_scope: str | None = None
    oauth_extensions: dict[str, str] = field(default_factory=dict)
    # AWS MSK IAM: tokens signed with the credentials of this AWS profile (or the
    # environment's when empty) for this region.
    aws_region: str | None = None
    aws_profile: str | None = None
    # Mutual TLS from a PKCS#12 bundle instead of PEM files; its password is a secret.
    pkcs12_file: str | None = None
    # Schema registry (Confluent Cloud and others): its key is a user name, its secret
    # is the "schema_registry" secret.
    registry_url: str | None = None
    registry_username: str | None = None
    # The "schema_registry" secret is a bearer token (sent as Authorization: Bearer)
    # rather than the password of registry_username.
    registry_bearer: bool = False
    # The registry's own TLS: a CA file, and a client certificate and key for mutual TLS.
    registry_ca_file: str | None = None
    registry_cert_file: str | None = None
    registry_key_file: str | None = None
    # Local schemas per topic pattern, "PATTERN=PATH" (see monitor.core.formats.schemas).
    schema_files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        if not self.name or not re.fullmatch(r"[\w.@-]{1,64}", self.name):
            raise ProfileError(
                f"profile name {self.name!r} is not valid: use letters, digits, '.', '_', '-'"
            )
        if not self.bootstrap_servers.strip():
            raise ProfileError(f"profile {self.name}: bootstrap servers are required (HOST:PORT)")
        for server in self.bootstrap_servers.split(","):
            if problem := _server_problem(server.strip()):
                raise ProfileError(f"profile {self.name}: {problem}")
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise ProfileError(
                f"profile {self.name}: security protocol must be one of "
                f"{', '.join(SECURITY_PROTOCOLS)}, not {self.security_protocol!r}"
            )
        if self.uses_sasl:
            if self.sasl_mechanism not in SASL_MECHANISMS:
                raise ProfileError(
                    f"profile {self.name}: {self.security_protocol} needs a SASL mechanism, "
                    f"one of {', '.join(SASL_MECHANISMS)}"
                )
            if self.sasl_mechanism in PASSWORD_MECHANISMS and not self.sasl_username:
                raise ProfileError(f"profile {self.name}: SASL needs a user name")
        if problem := sign_in_problem(self):
            raise ProfileError(f"profile {self.name}: {problem}")
        for pattern in self.dead_letter_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ProfileError(
                    f"profile {self.name}: dead-letter pattern {pattern!r} is invalid: {exc}"
                ) from exc

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL")

    @property
    def needs_password(self) -> bool:
        """Whether connecting needs the profile's secret (MSK IAM signs with AWS's)."""
        return self.uses_sasl and self.sasl_mechanism != "AWS_MSK_IAM"

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    @property
    def is_production(self) -> bool:
        return self.environment.strip().lower() in ("production", "prod")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ConnectionProfile:
        if "password" in d:
            raise ProfileError("passwords do not belong in the profile file")
        known = {f.name for f in fields(cls)}
        unknown = set(d) - known
        if unknown:
            raise ProfileError(f"unknown profile settings: {', '.join(sorted(unknown))}")
        if "name" not in d:
            raise ProfileError("a profile has no name")
        if "bootstrap_servers" not in d:
            raise ProfileError(f"profile {d['name']!r} has no bootstrap_servers")
        for f in fields(cls):  # a hand-edited value of the wrong kind (null for a text, say)
            kind = _SETTING_KINDS.get(str(f.type))
            if kind is not None and f.name in d and not isinstance(d[f.name], kind[0]):
                shown = "null" if d[f.name] is None else type(d[f.name]).__name__
                raise ProfileError(f"{f.name} must be {kind[1]}, not {shown}")
        return cls(**d)

    @classmethod
    def ad_hoc(cls, bootstrap: str) -> ConnectionProfile:
        """A plaintext profile for ``--bootstrap HOST:PORT`` without a saved profile."""
        for server in bootstrap.split(","):
            if problem := _server_problem(server.strip()):  # said of the option, not a profile
                raise ProfileError(f"--bootstrap {problem} (for example localhost:9092).")
        return cls(name="bootstrap", bootstrap_servers=bootstrap)


_HOST_PORT = re.compile(r"\[?[\w.:-]+\]?:(\d{1,5})")


def _server_problem(server: str) -> str | None:
    """What is wrong with one HOST:PORT of a bootstrap list, if anything."""
    match = _HOST_PORT.fullmatch(server)
    if match is None:
        return f"{server!r} is not HOST:PORT"
    if not 0 < int(match.group(1)) < 65536:
        return f"{server!r} has no valid port (1-65535)"
    return None


def password_env_var(profile_name: str) -> str:
    """The environment variable that supplies a profile's password without a keyring."""
    return "EVENTFLOW_PASSWORD_" + re.sub(r"\W", "_", profile_name).upper()


_SECRET_ENV_PREFIX = {
    "password": "EVENTFLOW_PASSWORD_",
    "pkcs12": "EVENTFLOW_PKCS12_PASSWORD_",
    "schema_registry": "EVENTFLOW_REGISTRY_SECRET_",
}
_SECRET_WORDS = {
    "password": "password",
    "pkcs12": "PKCS#12 bundle password",
    "schema_registry": "schema registry secret",
}


def secret_env_var(profile_name: str, kind: str = "password") -> str:
    """The environment variable that supplies one of a profile's secrets without a keyring."""
    return _SECRET_ENV_PREFIX[kind] + re.sub(r"\W", "_", profile_name).upper()


def _keyring_user(profile_name: str, kind: str) -> str:
    # The password keeps the bare profile name it has always been stored under.
    return profile_name if kind == "password" else f"{profile_name}/{kind}"


@dataclass(frozen=True)
class BrokenProfile:
    """An entry of the profiles file that cannot be used, and why. It is written back as
    it was whenever the file is saved: nothing the user wrote is dropped."""

    name: str  # as written, else "entry N" (its place in the file)
    reason: str
    raw: Any  # the entry as it is in the file

    def sentence(self, path: Path) -> str:
        return (
            f"The profile {self.name!r} in {path} cannot be used ({self.reason}). Fix it by "
            "hand; it is kept as it is, and the other profiles work meanwhile."
        )


_FILE_VERSION = 1  # the profiles file's shape; a newer app's file is read, never rewritten


class ProfileStore:
    """The profiles file: load, save, add, remove. A broken file is reported, not replaced;
    a broken entry is left out of :meth:`load` (see :attr:`broken`), not the whole file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "profiles.json"
        # The entries the last load could not use, with why: written back on save.
        self.broken: list[BrokenProfile] = []
        # The file's other top-level settings, written back on save as they were.
        self._others: dict[str, Any] = {}

    def load(self) -> dict[str, ConnectionProfile]:
        """The profiles that can be used. An entry that cannot (a setting it does not know,
        a value that does not fit) is left out and kept in :attr:`broken`: one bad entry
        does not take the others with it. A file that cannot be read at all raises
        :class:`ProfileError`, and is left as it is."""
        if not self.path.exists():
            self.broken = []
            self._others = {}
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            # The saved shape, or the bare list `eventflow profiles list --json` prints.
            items = raw.get("profiles") if isinstance(raw, dict) else raw
            others = (
                {k: v for k, v in raw.items() if k != "profiles"} if isinstance(raw, dict) else {}
            )
            # A list with no profile in it at all is a file of another kind, not profiles.
            if not isinstance(items, list) or (
                items and not any(isinstance(p, dict) for p in items)
            ):
                raise ProfileError(
                    'expected {"version": 1, "profiles": [{"name": ..., '
                    '"bootstrap_servers": ...}, ...]}'
                )
        except json.JSONDecodeError as exc:
            reason = f"not valid JSON: {exc}"
        except (OSError, ValueError, ProfileError) as exc:
            reason = str(exc)
        else:
            self._others = others
            return self._entries(items)
        raise ProfileError(
            f"The profiles file {self.path} cannot be read ({reason}). Fix it by hand, or "
            "move it aside to start with no profiles; it was left as it is."
        )

    def _entries(self, items: list[Any]) -> dict[str, ConnectionProfile]:
        profiles: dict[str, ConnectionProfile] = {}
        broken: list[BrokenProfile] = []
        for number, item in enumerate(items, 1):
            name = item.get("name") if isinstance(item, dict) else None
            label = name if isinstance(name, str) and name else f"entry {number}"
            try:
                if not isinstance(item, dict):
                    raise ProfileError('an entry is not a profile ({"name": ..., ...})')
                if not isinstance(name, str):
                    raise ProfileError("a profile without a name")
                profiles[name] = ConnectionProfile.from_dict(item)
            except (ValueError, ProfileError) as exc:
                broken.append(BrokenProfile(label, str(exc), item))
            except Exception as exc:  # a setting of the wrong kind, e.g. null for a text
                broken.append(BrokenProfile(label, f"a setting has the wrong type: {exc}", item))
        # Swapped in whole: a save on another thread sees the old list or the new one.
        self.broken = broken
        return profiles

    def save(self, profiles: dict[str, ConnectionProfile]) -> None:
        tmp = self.path.with_suffix(".json.tmp")
        # Every broken entry is written back: only remove() and add(replace=True) drop one.
        entries = [p.to_dict() for p in profiles.values()] + [b.raw for b in self.broken]
        version = self._others.get("version", _FILE_VERSION)
        if isinstance(version, int) and version > _FILE_VERSION:
            # A newer app's file: written in this app's shape, it would lose what the newer
            # one put in it.
            raise ProfileError(
                f"The profiles file {self.path} is version {version!r}, newer than this "
                f"app writes ({_FILE_VERSION}): it was left as it is. Change it with the "
                "newer Eventflow Monitor, or move it aside to start anew"
            )
        data = {**self._others, "version": _FILE_VERSION, "profiles": entries}
        try:
            make_parent(self.path)
            write_private_text(tmp, json.dumps(data, indent=2))  # 0600: it maps clusters
            os.replace(tmp, self.path)  # atomic: a crash never leaves half a file
        except OSError as exc:
            raise ProfileError(
                f"The profiles cannot be saved in {self.path}: {exc.strerror}. Set "
                "EVENTFLOW_CONFIG_DIR to a folder that may be written to"
            ) from exc

    def get(self, name: str) -> ConnectionProfile:
        profiles = self.load()
        if name not in profiles:
            for broken in self.broken:
                if broken.name == name:
                    raise ProfileError(broken.sentence(self.path))
            known = ", ".join(sorted(profiles)) or "none yet"
            raise ProfileError(
                f"there is no profile named {name!r} (profiles: {known}); "
                "add one with `eventflow profiles add`"
            )
        return profiles[name]

    def add(self, profile: ConnectionProfile, *, replace: bool = False) -> None:
        profiles = self.load()
        if profile.name in profiles and not replace:
            raise ProfileExists(f"a profile named {profile.name!r} exists already")
        if not replace and any(b.name == profile.name for b in self.broken):
            raise ProfileExists(
                f"a profile named {profile.name!r} exists already in {self.path}, one that "
                f"cannot be used: fix it there, or remove it (eventflow profiles remove "
                f"{profile.name})"
            )
        if replace:  # a broken entry of that name is what is replaced, if there is one
            self.broken = [b for b in self.broken if b.name != profile.name]
        profiles[profile.name] = profile
        self.save(profiles)

    def remove(self, name: str) -> None:
        profiles = self.load()
        if profiles.pop(name, None) is None:
            if not any(b.name == name for b in self.broken):
                raise ProfileError(f"there is no profile named {name!r}")
            # Removing a broken entry is how it is got rid of without editing the file.
            self.broken = [b for b in self.broken if b.name != name]
        self.save(profiles)


class SecretStore:
    """Passwords in the OS keyring, with the environment as the explicit alternative."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        self._environ = environ if environ is not None else os.environ

    def set_password(self, profile_name: str, password: str, kind: str = "password") -> None:
        """Keep one of a profile's secrets (``kind``: one of :data:`SECRET_KINDS`)."""
        import keyring
        from keyring.errors import KeyringError, NoKeyringError

        words = _SECRET_WORDS[kind]
        try:
            keyring.set_password(KEYRING_SERVICE, _keyring_user(profile_name, kind), password)
        except NoKeyringError as exc:
            raise SecretStoreUnavailable(
                f"there is no OS keyring on this machine to keep the {words} in, and it is "
                "never written to a file. Set the environment variable "
                f"{secret_env_var(profile_name, kind)} when you connect instead."
            ) from exc
        except KeyringError as exc:
            raise SecretStoreUnavailable(f"the OS keyring refused the {words}: {exc}") from exc

    def delete_password(self, profile_name: str, kind: str | None = None) -> None:
        """Forget one secret of a profile, or all of them when ``kind`` is None."""
        import keyring
        from keyring.errors import KeyringError

        for each in SECRET_KINDS if kind is None else (kind,):
            with contextlib.suppress(KeyringError):  # nothing stored, or no keyring
                keyring.delete_password(KEYRING_SERVICE, _keyring_user(profile_name, each))

    def get_password(
        self,
        profile_name: str,
        *,
        prompt: Callable[[str], str] | None = None,
        kind: str = "password",
    ) -> str:
        """The secret from the environment, else the keyring, else ``prompt``.

        Raises :class:`SecretStoreUnavailable` when none of them has it, saying how to
        provide it.
        """
        words = _SECRET_WORDS[kind]
        env_name = secret_env_var(profile_name, kind)
        if self._environ.get(env_name):
            return self._environ[env_name]
        import keyring
        from keyring.errors import KeyringError, NoKeyringError

        no_keyring = False
        try:
            stored = keyring.get_password(KEYRING_SERVICE, _keyring_user(profile_name, kind))
        except NoKeyringError:
            stored, no_keyring = None, True
        except KeyringError:
            stored = None
        if stored:
            return stored
        if prompt is not None:
            return prompt(f"{words.capitalize()} for Kafka profile {profile_name}: ")
        if no_keyring:  # storing it there would fail too: only the variable is left
            raise SecretStoreUnavailable(
                f"no {words} is known for profile {profile_name}, and there is no OS "
                f"keyring on this machine to keep one: set {env_name}"
            )
        raise SecretStoreUnavailable(
            f"no {words} is known for profile {profile_name}: store it in the OS keyring "
            f"(`eventflow profiles add ... --password-prompt`) or set {env_name}"
        )

    def find(self, profile_name: str, kind: str) -> str | None:
        """The secret if the environment or the keyring has it, else None (never asks)."""
        try:
            return self.get_password(profile_name, kind=kind)
        except SecretStoreUnavailable:
            return None


def event_hubs_profile(name: str, connection_string: str, **extra: object) -> ConnectionProfile:
    """A profile for Event Hubs' Kafka endpoint; the connection string is its password."""
    return ConnectionProfile(
        name=name,
        bootstrap_servers=event_hubs_bootstrap(connection_string),
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username="$ConnectionString",  # Event Hubs' fixed user name for this
        sign_in="event_hubs",
        **extra,  # type: ignore[arg-type]
    )


def confluent_cloud_profile(
    name: str,
    bootstrap: str,
    api_key: str,
    *,
    registry_url: str | None = None,
    registry_key: str | None = None,
    **extra: object,
) -> ConnectionProfile:
    """A Confluent Cloud profile: SASL_SSL PLAIN with the API key; the secret is the password."""
    return ConnectionProfile(
        name=name,
        bootstrap_servers=bootstrap,
        security_protocol="SASL_SSL",
        sasl_mechanism="PLAIN",
        sasl_username=api_key,
        registry_url=registry_url or None,
        registry_username=registry_key or None,
        sign_in="confluent_cloud",
        **extra,  # type: ignore[arg-type]
    )
