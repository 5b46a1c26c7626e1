"""``eventflow profiles test`` (the connection doctor) and ``eventflow profiles import``,
plus the sign-in options of ``profiles add``.

Registered by :mod:`monitor.kafka_cli`, which owns the rest of the ``profiles`` commands.
Secrets found in an imported file go to the OS keyring; when there is none, the user is
told which environment variable to set instead: a secret is never printed nor written to a
file.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import Any

from adapters.kafka.profiles import (
    ProfileError,
    ProfileExists,
    ProfileStore,
    SecretStore,
    SecretStoreUnavailable,
    secret_env_var,
)
from monitor import cli_types
from monitor.cli_errors import CliError
from monitor.cli_output import print_json

# -- profiles test --------------------------------------------------------------------


def cmd_profiles_test(args: argparse.Namespace) -> int:
    from adapters.kafka.doctor import diagnose_profile

    try:
        profile = ProfileStore().get(args.name)
        secrets = SecretStore()
        secret = None
        if profile.needs_password:
            prompt = getpass.getpass if sys.stdin.isatty() and not args.json else None
            secret = secrets.get_password(profile.name, prompt=prompt)
        registry_secret = secrets.find(profile.name, "schema_registry")
    except ProfileError as exc:
        raise CliError(str(exc)) from exc

    def show(step: Any) -> None:
        if not args.json:
            mark = "ok  " if step.ok else "FAIL"
            print(f"{mark} {step.label:<15} {step.detail}", flush=True)

    diagnosis = asyncio.run(
        diagnose_profile(profile, secret, registry_secret=registry_secret, on_step=show)
    )
    if args.json:
        print_json(diagnosis.to_dict())
    elif (failed := diagnosis.first_failure) is not None:
        print(f"\nThe {failed.label} step failed: {failed.fix or failed.detail}")
    else:
        print(f"\nConnected to {profile.bootstrap_servers}: every step passed.")
    return 0 if diagnosis.ok else 1


# -- profiles import ------------------------------------------------------------------


def cmd_profiles_import(args: argparse.Namespace) -> int:
    from adapters.kafka.client_config_import import import_client_config

    try:
        result = import_client_config(Path(args.file), args.name)
        store = ProfileStore()
        store.add(result.profile, replace=args.replace)
    except ProfileExists as exc:
        raise CliError(f"{exc}; pass --replace, or --name another name") from exc
    except ProfileError as exc:
        raise CliError(str(exc)) from exc
    profile = result.profile
    print(f"Read {args.file} as a {result.format}.")
    print(f"Saved profile {profile.name} in {store.path}.")
    print("Taken:")
    for key, what in result.taken:
        print(f"  {key}: {what}")
    secrets, kept_out = SecretStore(), []
    for kind, value in result.secrets.items():
        try:
            secrets.set_password(profile.name, value, kind)
        except SecretStoreUnavailable:
            kept_out.append(kind)
    if result.secrets:
        stored = [k for k in result.secrets if k not in kept_out]
        if stored:
            print(f"Secrets in the OS keyring: {', '.join(stored)}.")
        for kind in kept_out:
            print(
                f"No OS keyring here: the {kind} secret was not kept. Set "
                f"{secret_env_var(profile.name, kind)} when you connect.",
                file=sys.stderr,
            )
    if result.not_taken:
        print("Not taken:")
        for key, why in result.not_taken:
            print(f"  {key}: {why}")
    print(f"Check it with: eventflow profiles test {profile.name}")
    return 0


# -- profiles add: sign-in options ----------------------------------------------------


def add_sign_in_options(p: argparse.ArgumentParser) -> None:
    """The options of ``profiles add`` for OAuth, MSK IAM, PKCS#12 and a schema registry."""
    from adapters.kafka.sign_in import METHODS

    p.add_argument("--sign-in", choices=tuple(METHODS), help="how the form shows the profile")
    p.add_argument("--oauth-token-endpoint", metavar="URL", help="OIDC token endpoint")
    p.add_argument("--oauth-client-id")
    p.add_argument("--oauth-scope")
    p.add_argument("--oauth-extension", action="append", metavar="K=V", help="repeatable")
    p.add_argument("--aws-region", help="Amazon MSK IAM: the cluster's region")
    p.add_argument("--aws-profile", help="Amazon MSK IAM: the AWS profile (default: env)")
    p.add_argument("--pkcs12-file", help="client certificate and key as a PKCS#12 bundle")
    p.add_argument("--pkcs12-password-prompt", action="store_true", help="ask for it now")
    # --schema-registry as on the kafka commands; --registry-url as the form calls it.
    p.add_argument(
        "--schema-registry", "--registry-url", dest="registry_url", metavar="URL",
        type=cli_types.http_url, help="schema registry URL",
    )  # fmt: skip
    p.add_argument(
        "--registry-username", metavar="USER", help="schema registry user (basic auth) or API key"
    )
    p.add_argument(
        "--registry-bearer",
        action="store_true",
        help="the registry secret is a bearer token (sent as Authorization: Bearer)",
    )
    p.add_argument(
        "--registry-secret-prompt",
        action="store_true",
        help="ask now for the registry password (or token, with --registry-bearer)",
    )
    p.add_argument("--registry-ca-file", metavar="PEM", help="the registry's CA certificate")
    p.add_argument(
        "--registry-cert-file", metavar="PEM", help="client certificate for the registry"
    )
    p.add_argument("--registry-key-file", metavar="PEM", help="its private key")


def sign_in_fields(args: argparse.Namespace) -> dict[str, Any]:
    """The profile fields given by :func:`add_sign_in_options`."""
    if args.registry_bearer and args.registry_username:
        raise CliError(
            "--registry-bearer signs in with a token: give it or --registry-username, not both"
        )
    extensions = {}
    for item in args.oauth_extension or []:
        key, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--oauth-extension {item!r} is not KEY=VALUE")
        extensions[key] = value
    return {
        "sign_in": args.sign_in or "",
        "oauth_token_endpoint": args.oauth_token_endpoint,
        "oauth_client_id": args.oauth_client_id,
        "oauth_scope": args.oauth_scope,
        "oauth_extensions": extensions,
        "aws_region": args.aws_region,
        "aws_profile": args.aws_profile,
        "pkcs12_file": args.pkcs12_file,
        "registry_url": args.registry_url,
        "registry_username": args.registry_username,
        "registry_bearer": args.registry_bearer,
        "registry_ca_file": args.registry_ca_file,
        "registry_cert_file": args.registry_cert_file,
        "registry_key_file": args.registry_key_file,
    }


def store_extra_secrets(args: argparse.Namespace, profile_name: str) -> list[str]:
    """Ask for and keep the bundle password and the registry secret when asked to.
    Returns what could not be kept (sentences)."""
    problems = []
    for flag, kind, words in (
        ("pkcs12_password_prompt", "pkcs12", "PKCS#12 bundle password"),
        ("registry_secret_prompt", "schema_registry", _registry_secret_words(args)),
    ):
        if getattr(args, flag, False):
            try:
                SecretStore().set_password(profile_name, getpass.getpass(f"{words}: "), kind)
            except SecretStoreUnavailable as exc:
                problems.append(f"The {words} was not stored: {exc}")
    return problems


def registry_secret_hint(args: argparse.Namespace, profile_name: str) -> str | None:
    """How to give the registry's password or token when it was not asked for now."""
    if args.registry_secret_prompt or not (args.registry_username or args.registry_bearer):
        return None
    words = _registry_secret_words(args)
    return (
        f"The registry needs its {words.removeprefix('schema registry ')}: store it with "
        f"--registry-secret-prompt, or set {secret_env_var(profile_name, 'schema_registry')} "
        "when you connect."
    )


def _registry_secret_words(args: argparse.Namespace) -> str:
    return "schema registry token" if args.registry_bearer else "schema registry password"


def register(psub: Any) -> None:
    """Add ``test`` and ``import`` to the ``profiles`` subcommands."""
    p = psub.add_parser(
        "test",
        help="check a profile step by step: dns, tcp, tls, auth, metadata, brokers, registry",
    )
    p.add_argument("name")
    p.add_argument("--json", action="store_true", help='{"ok": ..., "steps": [...]}')
    p.set_defaults(func=cmd_profiles_test)
    p = psub.add_parser(
        "import",
        help="a profile from a Java client.properties, a librdkafka or a kcat config",
    )
    p.add_argument("file")
    p.add_argument("--name", help="the profile's name (default: the file's name)")
    p.add_argument("--replace", action="store_true", help="overwrite a profile of that name")
    p.set_defaults(func=cmd_profiles_import)
