"""Where a profile's password comes from in the window, and where a typed one goes.

A typed password goes to the OS keyring (:class:`~adapters.kafka.profiles.SecretStore`).
When the machine has no keyring (a headless Linux box), it is kept in this object's
memory for the running session only and the user is told so plainly: it is never
written to a file. Looking a password up tries that memory, then the environment
variable the CLI also reads, then the keyring.

Besides the password (which is also an OIDC client secret, a Confluent Cloud API secret
or an Event Hubs connection string), a profile can have a PKCS#12 bundle password and a
schema registry secret: each method takes ``kind`` (one of ``SECRET_KINDS``).

The keyring can be slow (a desktop secret service may wake up or ask to unlock), so the
view calls these methods through ``asyncio.to_thread``.
"""

from __future__ import annotations

import threading

from adapters.kafka.profiles import (
    SECRET_KINDS,
    SecretStore,
    SecretStoreUnavailable,
    secret_env_var,
)

_WORDS = {"password": "password", "pkcs12": "bundle password", "schema_registry": "registry secret"}


class PasswordKeeper:
    def __init__(self, secrets: SecretStore | None = None) -> None:
        self.secrets = secrets if secrets is not None else SecretStore()
        self._memory: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    def store(self, profile_name: str, password: str, kind: str = "password") -> tuple[bool, str]:
        """Keep ``password``: ``(True, sentence)`` when it went to the keyring, ``(False,
        sentence)`` when it is only held in memory for this session."""
        words = _WORDS[kind]
        try:
            self.secrets.set_password(profile_name, password, kind)
        except SecretStoreUnavailable as exc:
            with self._lock:
                self._memory[(profile_name, kind)] = password
            reason = str(exc)
            if "no OS keyring" in reason:
                reason = "There is no OS keyring on this machine"
            return False, (
                f"{reason.rstrip('.')}: the {words} of {profile_name} is kept in memory for "
                "this session only and never written to a file. To skip typing it next time, "
                f"set {secret_env_var(profile_name, kind)} before starting the app."
            )
        with self._lock:
            self._memory.pop((profile_name, kind), None)
        return True, f"The {words} of {profile_name} is stored in the OS keyring."

    def lookup(self, profile_name: str, kind: str = "password") -> str | None:
        """The secret from this session's memory, the environment or the keyring."""
        with self._lock:
            remembered = self._memory.get((profile_name, kind))
        if remembered is not None:
            return remembered
        try:
            return self.secrets.get_password(profile_name, kind=kind)
        except SecretStoreUnavailable:
            return None

    def forget(self, profile_name: str) -> None:
        """Forget every secret of the profile."""
        with self._lock:
            for kind in SECRET_KINDS:
                self._memory.pop((profile_name, kind), None)
        self.secrets.delete_password(profile_name)

    def rename(self, old: str, new: str) -> None:
        """Move the secrets kept under ``old`` to ``new`` (a profile was renamed)."""
        if old == new:
            return
        for kind in SECRET_KINDS:
            secret = self.lookup(old, kind)
            if secret is not None:
                self.store(new, secret, kind)
        self.forget(old)

    def in_memory(self, profile_name: str, kind: str = "password") -> bool:
        with self._lock:
            return (profile_name, kind) in self._memory
