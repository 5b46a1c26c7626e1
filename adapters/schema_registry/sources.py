"""The schema source a profile (and the command line) asks for: local schema files first,
then the registry; ``None`` when neither is set, so plain JSON tails pay nothing."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.kafka.profiles import ConnectionProfile, SecretStore
from adapters.schema_registry.client import DEFAULT_TIMEOUT, RegistryClient, RegistrySettings
from monitor.core.formats.schemas import LocalSchemas, SchemaFile, SchemaSource, SchemaSources


def registry_settings(
    profile: ConnectionProfile,
    url: str | None = None,
    secrets: SecretStore | None = None,
    secret: str | None = None,
) -> RegistrySettings | None:
    """The registry of ``profile`` (or ``url``, which wins), with its secret: ``secret``
    as the caller has it (the window keeps one typed on a machine with no keyring in
    memory), else from the keyring or the environment variable named for the profile;
    ``None`` without a URL."""
    url = url or profile.registry_url
    if not url:
        return None
    if secret is None and (profile.registry_username or profile.registry_bearer):
        secret = (secrets or SecretStore()).find(profile.name, "schema_registry")
    return settings_with_secret(profile, secret, url)


def settings_with_secret(
    profile: ConnectionProfile,
    secret: str | None,
    url: str | None = None,
    *,
    timeout: float = DEFAULT_TIMEOUT,
) -> RegistrySettings:
    """The registry settings of ``profile`` with ``secret`` as given (typed in a form, or
    found already): the one place that says whether the secret is the password of the
    registry user or a bearer token, so the decoders and the doctor sign in alike."""
    bearer = profile.registry_bearer
    return RegistrySettings(
        url or profile.registry_url or "",
        username=None if bearer else profile.registry_username,
        password=None if bearer else secret,
        bearer_token=secret if bearer else None,
        ca_file=profile.registry_ca_file,
        cert_file=profile.registry_cert_file,
        key_file=profile.registry_key_file,
        timeout=timeout,
    )


def schema_source(
    profile: ConnectionProfile,
    *,
    registry_url: str | None = None,
    schema_files: Sequence[str] = (),
    secrets: SecretStore | None = None,
    registry_secret: str | None = None,
) -> SchemaSource | None:
    """Local files (the profile's, then ``schema_files``) and the registry, asked in that
    order. ``registry_secret``: the registry's password or token as the caller has it (the
    window keeps one typed on a machine with no keyring in memory), else it is looked up
    in the environment and the keyring. Raises ``ValueError`` (a SchemaFileError) for a
    file that cannot be used."""
    files = [SchemaFile.parse(text) for text in (*profile.schema_files, *schema_files)]
    sources: list[SchemaSource] = []
    if files:
        sources.append(LocalSchemas(files))
    settings = registry_settings(profile, registry_url, secrets, registry_secret)
    if settings is not None:
        sources.append(RegistryClient(settings))
    if not sources:
        return None
    return sources[0] if len(sources) == 1 else SchemaSources(sources)
