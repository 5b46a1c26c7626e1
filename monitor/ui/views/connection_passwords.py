"""Where a profile's password comes from in the window, and where a typed one goes.

A typed password goes to the OS keyring (:class:`~adapters.kafka.profiles.SecretStore`).
When the machine has no keyring (a headless Linux box), it is kept in this object's
memory for the running session only and the user is told so plainly: it is never
written to a file. Looking a password up tries that memory, then the environment
variable the CLI also reads, then the keyring.

The keyring can be slow (a desktop secret service may wake up or ask to unlock), so the
view calls these methods through ``asyncio.to_thread``.
"""

from __future__ import annotations

import threading

from adapters.kafka.profiles import SecretStore, SecretStoreUnavailable, password_env_var


class PasswordKeeper:
    def __init__(self, secrets: SecretStore | None = None) -> None:
        self.secrets = secrets if secrets is not None else SecretStore()
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()

    def store(self, profile_name: str, password: str) -> tuple[bool, str]:
        """Keep ``password``: ``(True, sentence)`` when it went to the keyring, ``(False,
        sentence)`` when it is only held in memory for this session."""
        try:
            self.secrets.set_password(profile_name, password)
        except SecretStoreUnavailable as exc:
            with self._lock:
                self._memory[profile_name] = password
            reason = str(exc)
            if "no OS keyring" in reason:
                reason = "There is no OS keyring on this machine"
            return False, (
                f"{reason.rstrip('.')}: the password of {profile_name} is kept in memory for "
                "this session only and never written to a file. To skip typing it next time, "
                f"set {password_env_var(profile_name)} before starting the app."
            )
        with self._lock:
            self._memory.pop(profile_name, None)
        return True, f"The password of {profile_name} is stored in the OS keyring."

    def lookup(self, profile_name: str) -> str | None:
        """The password from this session's memory, the environment or the keyring."""
        with self._lock:
            remembered = self._memory.get(profile_name)
        if remembered is not None:
            return remembered
        try:
            return self.secrets.get_password(profile_name)
        except SecretStoreUnavailable:
            return None

    def forget(self, profile_name: str) -> None:
        with self._lock:
            self._memory.pop(profile_name, None)
        self.secrets.delete_password(profile_name)

    def rename(self, old: str, new: str) -> None:
        """Move a password kept under ``old`` to ``new`` (a profile was renamed)."""
        password = self.lookup(old)
        if password is not None and old != new:
            self.store(new, password)
            self.forget(old)

    def in_memory(self, profile_name: str) -> bool:
        with self._lock:
            return profile_name in self._memory
