"""Connection profiles: the config file, the keyring, and the no-keyring case."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

from adapters.kafka.connection import client_options
from adapters.kafka.profiles import (
    ConnectionProfile,
    ProfileError,
    ProfileExists,
    ProfileStore,
    SecretStore,
    SecretStoreUnavailable,
    password_env_var,
)
from tests.memory_keyring import MemoryKeyring


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(FailKeyring())
    yield
    keyring.set_keyring(previous)


def sasl_profile(**kw: object) -> ConnectionProfile:
    base: dict[str, object] = {
        "name": "prod-eu",
        "bootstrap_servers": "kafka-1.example:9093,kafka-2.example:9093",
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": "support",
        "environment": "production",
        "read_only": True,
    }
    base.update(kw)
    return ConnectionProfile(**base)  # type: ignore[arg-type]


def test_profiles_round_trip_through_the_file_without_any_password(
    tmp_path: Path, memory_keyring: MemoryKeyring
) -> None:
    store = ProfileStore(tmp_path / "profiles.json")
    store.add(sasl_profile())
    SecretStore(environ={}).set_password("prod-eu", "s3cret!")
    assert store.get("prod-eu") == sasl_profile()
    text = (tmp_path / "profiles.json").read_text()
    assert "s3cret!" not in text and "password" not in text
    assert memory_keyring.secrets[("eventflow-monitor", "prod-eu")] == "s3cret!"
    assert SecretStore(environ={}).get_password("prod-eu") == "s3cret!"


def test_without_a_keyring_storing_a_password_fails_and_names_the_environment_variable(
    no_keyring: None,
) -> None:
    with pytest.raises(SecretStoreUnavailable) as err:
        SecretStore(environ={}).set_password("prod-eu", "s3cret!")
    assert "EVENTFLOW_PASSWORD_PROD_EU" in str(err.value)
    assert "never written to a file" in str(err.value)


def test_the_environment_supplies_a_password_when_there_is_no_keyring(no_keyring: None) -> None:
    env = {password_env_var("prod-eu"): "from-env"}
    assert SecretStore(environ=env).get_password("prod-eu") == "from-env"
    with pytest.raises(SecretStoreUnavailable, match="EVENTFLOW_PASSWORD_PROD_EU") as err:
        SecretStore(environ={}).get_password("prod-eu")
    assert "no OS keyring" in str(err.value)
    assert "--password-prompt" not in str(err.value)  # it would fail here too
    assert SecretStore(environ={}).get_password("prod-eu", prompt=lambda _: "typed") == "typed"


def test_a_corrupt_profiles_file_is_reported_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text('{"profiles": [ {"name": "x", ')
    with pytest.raises(ProfileError, match="cannot be read") as err:
        ProfileStore(path).load()
    assert "left as it is" in str(err.value)
    assert path.read_text() == '{"profiles": [ {"name": "x", '


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1, 2]", 'expected {"version": 1, "profiles"'),
        ('{"profiles": 7}', 'expected {"version": 1, "profiles"'),
        ('"profiles"', 'expected {"version": 1, "profiles"'),
        ("{oops", "not valid JSON"),
    ],
)
def test_a_profiles_file_of_the_wrong_shape_says_what_was_expected(
    tmp_path: Path, text: str, reason: str
) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(text)
    with pytest.raises(ProfileError) as err:
        ProfileStore(path).load()
    assert reason in str(err.value)
    assert "list indices" not in str(err.value) and "object is not" not in str(err.value)
    assert path.read_text() == text


def test_the_list_that_profiles_list_json_prints_loads_as_a_profiles_file(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    path.write_text(json.dumps([sasl_profile().to_dict()]))
    assert ProfileStore(path).load() == {"prod-eu": sasl_profile()}


def test_a_password_in_the_profiles_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "profiles.json"
    data = {"profiles": [{**sasl_profile().to_dict(), "password": "plain"}]}
    path.write_text(json.dumps(data))
    store = ProfileStore(path)
    assert store.load() == {}
    with pytest.raises(ProfileError, match="passwords do not belong"):
        store.get("prod-eu")


def test_a_newer_apps_profiles_file_is_read_never_rewritten_and_other_settings_are_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "profiles.json"
    good = ConnectionProfile(name="local", bootstrap_servers="localhost:9092")
    path.write_text(json.dumps({"version": 1, "theme": "dark", "profiles": [good.to_dict()]}))
    store = ProfileStore(path)
    store.add(ConnectionProfile(name="second", bootstrap_servers="localhost:9093"))
    saved = json.loads(path.read_text())
    assert saved["theme"] == "dark" and saved["version"] == 1 and len(saved["profiles"]) == 2

    newer = json.dumps({"version": 2, "profiles": [good.to_dict()], "global_setting": True})
    path.write_text(newer)
    assert store.load() == {"local": good}  # what it can read, it uses
    with pytest.raises(ProfileError, match="version 2, newer than this app writes"):
        store.add(ConnectionProfile(name="third", bootstrap_servers="localhost:9094"))
    assert path.read_text() == newer


def test_a_broken_profile_is_left_out_kept_in_the_file_and_named_with_its_reason(
    tmp_path: Path,
) -> None:
    # One entry with a setting this version does not know, one without a name, one not a
    # profile at all: the good one still loads and works.
    path = tmp_path / "profiles.json"
    good = ConnectionProfile(name="local", bootstrap_servers="localhost:9092")
    colour = {"name": "old", "bootstrap_servers": "h:1", "colour": "red"}
    nameless = {"bootstrap_servers": "h:2"}
    null = {"name": "local", "bootstrap_servers": None}  # a second "local", unusable
    entries = [good.to_dict(), colour, nameless, 7, null]
    path.write_text(json.dumps({"version": 1, "profiles": entries}))
    store = ProfileStore(path)
    assert store.load() == {"local": good}
    assert [(b.name, b.reason) for b in store.broken][:3] == [
        ("old", "unknown profile settings: colour"),
        ("entry 3", "a profile without a name"),
        ("entry 4", 'an entry is not a profile ({"name": ..., ...})'),
    ]
    assert (store.broken[3].name, store.broken[3].reason) == (
        "local",
        "bootstrap_servers must be text, not null",
    )
    assert store.get("local") == good
    with pytest.raises(ProfileError) as err:
        store.get("old")
    assert "'old'" in str(err.value) and "unknown profile settings: colour" in str(err.value)
    assert "kept as it is" in str(err.value)
    # Saving another profile writes the broken entries back unchanged.
    store.add(ConnectionProfile(name="second", bootstrap_servers="localhost:9093"))
    saved = json.loads(path.read_text())["profiles"]
    assert saved[0] == good.to_dict() and colour in saved and nameless in saved and 7 in saved
    assert null in saved  # kept, though a usable profile has its name
    # A new profile may not take a broken one's name...
    with pytest.raises(ProfileExists, match="cannot be used"):
        store.add(ConnectionProfile(name="old", bootstrap_servers="h:1"))
    # ...removing it is how it goes without editing the file; then the name is free.
    store.remove("old")
    assert colour not in json.loads(path.read_text())["profiles"]
    store.add(ConnectionProfile(name="old", bootstrap_servers="h:1"))
    assert ProfileStore(path).get("old").bootstrap_servers == "h:1"
    assert nameless in json.loads(path.read_text())["profiles"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"bootstrap_servers": "no-port"}, "is not HOST:PORT"),
        ({"bootstrap_servers": "localhost:99999"}, r"has no valid port \(1-65535\)"),
        ({"bootstrap_servers": "localhost:0"}, "has no valid port"),
        ({"security_protocol": "TLS"}, "security protocol must be one of"),
        ({"sasl_mechanism": None}, "needs a SASL mechanism"),
        ({"sasl_username": None}, "SASL needs a user name"),
        ({"name": "has space"}, "is not valid"),
        ({"dead_letter_patterns": ["(unclosed"]}, "dead-letter pattern"),
    ],
)
def test_invalid_profiles_say_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        sasl_profile(**changes)


def test_client_options_verify_tls_and_carry_sasl_credentials() -> None:
    import ssl

    options = client_options(sasl_profile(), "pw")
    assert options["bootstrap_servers"] == ["kafka-1.example:9093", "kafka-2.example:9093"]
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_username"] == "support"
    assert options["sasl_plain_password"] == "pw"
    context = options["ssl_context"]
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_store_add_remove_and_unknown_profile(tmp_path: Path) -> None:
    store = ProfileStore(tmp_path / "p.json")
    store.add(ConnectionProfile(name="local", bootstrap_servers="localhost:9092"))
    with pytest.raises(ProfileError, match="exists already"):
        store.add(ConnectionProfile(name="local", bootstrap_servers="localhost:9092"))
    with pytest.raises(ProfileError, match="there is no profile named 'other'"):
        store.get("other")
    store.remove("local")
    assert store.load() == {}


def test_a_bad_bootstrap_option_is_said_of_the_option_not_of_a_profile() -> None:
    with pytest.raises(ProfileError) as err:
        ConnectionProfile.ad_hoc("notahost")
    assert str(err.value) == "--bootstrap 'notahost' is not HOST:PORT (for example localhost:9092)."
    assert ConnectionProfile.ad_hoc("localhost:9092").bootstrap_servers == "localhost:9092"


def test_a_profiles_file_that_cannot_be_saved_or_lacks_a_setting_says_so(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be")
    store = ProfileStore(blocker / "profiles.json")
    with pytest.raises(ProfileError, match=f"{blocker} is a file, not a folder"):
        store.add(ConnectionProfile(name="local", bootstrap_servers="localhost:9092"))
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"version": 1, "profiles": [{"name": "half"}]}))
    with pytest.raises(ProfileError, match="profile 'half' has no bootstrap_servers"):
        ProfileStore(path).get("half")
