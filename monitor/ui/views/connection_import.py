"""Import a client configuration into a profile from the Connections view.

Runs in a worker thread (file, keyring): reads the file with
:func:`adapters.kafka.client_config_import.import_client_config`, saves the profile under
a name not taken yet, hands the secrets to the :class:`PasswordKeeper`, and returns the
sentence for the view with the full list of what was and was not taken for its tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from adapters.kafka.client_config_import import import_client_config
from adapters.kafka.profiles import ProfileStore
from monitor.ui.views.connection_passwords import PasswordKeeper


@dataclass(slots=True)
class Imported:
    name: str
    sentence: str
    details: str
    all_kept: bool  # every secret reached the keyring


def import_profile(store: ProfileStore, passwords: PasswordKeeper, path: Path) -> Imported:
    """Import ``path``; raises ``ProfileError`` saying why it cannot be a profile."""
    result = import_client_config(path)
    taken_names = set(store.load()) | {b.name for b in store.broken}
    name, n = result.profile.name, 2
    while name in taken_names:  # never overwrite: the user renames it in the form
        name, n = f"{result.profile.name}-{n}", n + 1
    profile = replace(result.profile, name=name)
    store.add(profile)
    kept_words = []
    all_kept = True
    for kind, secret in result.secrets.items():
        in_keyring, sentence = passwords.store(name, secret, kind)
        all_kept &= in_keyring
        if not in_keyring:
            kept_words.append(sentence)
    skipped = [key for key, _ in result.not_taken]
    sentence = (
        f"Imported {name} from {path.name} ({result.format}): {len(result.taken)} settings "
        f"taken, {len(result.secrets)} secret{'' if len(result.secrets) == 1 else 's'} "
        f"{'in the OS keyring' if all_kept else 'kept'}"
        + (f"; not taken: {', '.join(skipped)}" if skipped else "")
        + ". Press Test to check it."
    )
    details = "\n".join(
        ["Taken:"]
        + [f"  {key}: {what}" for key, what in result.taken]
        + (["Not taken:"] + [f"  {key}: {why}" for key, why in result.not_taken] if skipped else [])
        + kept_words
    )
    return Imported(name, sentence, details, all_kept)
