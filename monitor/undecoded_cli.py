"""The schema options of the commands that read the event log (``eventflow events``,
``eventflow dlq list`` and ``dlq show``): with a registry or schema files, records logged
undecoded (their schema could not be had when they were tailed) are listed decoded and
stored so in the log (:mod:`monitor.core.undecoded_log`,
:mod:`monitor.core.undecoded_letters`)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

from monitor.cli_errors import CliError
from monitor.cli_types import http_url
from monitor.core.formats.schemas import close_schema_source
from monitor.core.redecode import Redecoder


def add_schema_options(
    p: argparse.ArgumentParser, purpose: str = "decode records logged undecoded"
) -> None:
    """The schema options; ``purpose`` says what the schemas are for, in their help."""
    p.add_argument(
        "--profile",
        metavar="NAME",
        help=f"{purpose} with this profile's schema registry and schema files",
    )
    p.add_argument(
        "--schema-registry",
        metavar="URL",
        type=http_url,
        help=f"{purpose} with this schema registry (overrides the profile's)",
    )
    p.add_argument(
        "--schema-file",
        metavar="PATTERN=PATH",
        action="append",
        default=[],
        help=f"{purpose}, for the topics matching PATTERN, with a local schema;"
        " key:PATTERN=PATH for keys; repeatable",
    )


def schema_cluster(args: argparse.Namespace) -> str | None:
    """The cluster whose registry the schema options name: the profile's bootstrap
    servers (``None`` without a profile: a registry given alone is taken at its word).
    A dead letter from another cluster is not decoded with it, as its schema ids mean
    something only in its own cluster's registry."""
    if not args.profile:
        return None
    from adapters.kafka.profiles import ProfileError, ProfileStore

    try:
        return ProfileStore().get(args.profile).bootstrap_servers
    except ProfileError as exc:
        raise CliError(str(exc)) from exc


@contextlib.contextmanager
def redecoder_for(args: argparse.Namespace) -> Iterator[Redecoder | None]:
    """The redecoder of the command's schema options (``None`` when none is given); its
    registry client is closed when the command is done."""
    if not (args.profile or args.schema_registry or args.schema_file):
        yield None
        return
    from adapters.kafka.profiles import ConnectionProfile, ProfileError, ProfileStore
    from monitor.kafka_cli import schemas_for

    try:
        # Without a profile only the registry and files given matter: a profile needs a
        # broker address, and this one is never contacted.
        profile = (
            ProfileStore().get(args.profile)
            if args.profile
            else ConnectionProfile.ad_hoc("localhost:9092")
        )
    except ProfileError as exc:
        raise CliError(str(exc)) from exc
    source = schemas_for(args, profile)
    try:
        yield Redecoder(source) if source is not None else None
    finally:
        close_schema_source(source)


__all__ = ["add_schema_options", "redecoder_for", "schema_cluster"]
