"""The Kafka and profile subcommands of ``eventflow``.

``eventflow kafka topics|groups|tail|publish`` and ``eventflow profiles list|add|remove|test``.
Every Kafka command takes ``--profile NAME`` or ``--bootstrap HOST:PORT``. Problems with
the cluster are reported as one sentence (exit code 1), never as a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import Any

from adapters.kafka.connection import KafkaUnavailable
from adapters.kafka.profiles import (
    SASL_MECHANISMS,
    SECURITY_PROTOCOLS,
    ConnectionProfile,
    ProfileError,
    ProfileExists,
    ProfileStore,
    SecretStore,
    password_env_var,
)
from adapters.kafka.publisher import WriteRefused, check_write_allowed
from monitor import cli_types
from monitor.cli_errors import CliError
from monitor.cli_log import db_path as log_path_of
from monitor.cli_output import json_text, print_json, record_line
from monitor.cli_retention import deleted_note, retention
from monitor.core.envelope import Envelope
from monitor.core.eventlog import LogError
from monitor.core.formats.schemas import close_schema_source
from monitor.core.logged_offsets import LoggedOffsets
from monitor.core.strict_json import loads_strict
from monitor.core.templates import DEFAULT_SOURCE
from monitor.core.wording import count, format_duration


def add_connection_options(p: argparse.ArgumentParser) -> None:
    who = p.add_mutually_exclusive_group()
    who.add_argument("--profile", metavar="NAME", help="a saved connection profile")
    who.add_argument("--bootstrap", metavar="HOST:PORT", help="a plaintext broker, no profile")
    p.add_argument(
        "--schema-registry",
        metavar="URL",
        type=cli_types.http_url,
        help="a schema registry (Confluent REST API) for Avro, Protobuf and JSON Schema "
        "records; overrides the profile's",
    )
    p.add_argument(
        "--schema-file",
        metavar="PATTERN=PATH",
        action="append",
        default=[],
        help="decode the topics matching PATTERN with a local schema (.avsc, .json, or a "
        "Protobuf descriptor set .desc); key:PATTERN=PATH for keys; repeatable",
    )


def schemas_for(args: argparse.Namespace, profile: ConnectionProfile) -> Any:
    """The schema source of the command's options and profile (None when neither sets
    one); a schema file that cannot be used is a one-sentence error."""
    from adapters.schema_registry.sources import schema_source

    try:
        return schema_source(
            profile,
            registry_url=getattr(args, "schema_registry", None),
            schema_files=getattr(args, "schema_file", None) or (),
        )
    except ValueError as exc:
        raise CliError(f"{exc}.") from exc


def _store(_args: argparse.Namespace) -> ProfileStore:
    return ProfileStore()


def resolve_profile(args: argparse.Namespace) -> tuple[ConnectionProfile, str | None]:
    """The profile the command names, and its password when it needs one."""
    try:
        if getattr(args, "bootstrap", None):
            return ConnectionProfile.ad_hoc(args.bootstrap), None
        if not getattr(args, "profile", None):
            raise CliError("Name a cluster: --profile NAME or --bootstrap HOST:PORT.")
        profile = _store(args).get(args.profile)
        password = None
        if profile.needs_password:  # MSK IAM signs with AWS credentials instead
            prompt = getpass.getpass if sys.stdin.isatty() else None
            password = SecretStore().get_password(profile.name, prompt=prompt)
        return profile, password
    except ProfileError as exc:
        raise CliError(str(exc)) from exc


def run_kafka(coro: Any) -> Any:
    """Run a Kafka coroutine; its known failures become one-sentence errors."""
    try:
        return asyncio.run(coro)
    except (KafkaUnavailable, WriteRefused, ProfileError, LogError, ValueError) as exc:
        raise CliError(str(exc)) from exc


# -- kafka topics / groups ------------------------------------------------------------


def cmd_topics(args: argparse.Namespace) -> int:
    from adapters.kafka.cluster import KafkaCluster

    profile, password = resolve_profile(args)

    async def run() -> list[Any]:
        async with KafkaCluster(profile, password) as cluster:
            return await cluster.topics()

    topics = run_kafka(run())
    if args.json:
        print_json([t.to_dict() for t in topics])
        return 0
    if not topics:
        print(f"No topics on {profile.bootstrap_servers}.")
    for t in topics:
        dlt = f"  [dead letters of {t.dead_letter_of or '?'}]" if t.is_dead_letter_topic else ""
        print(f"{t.name}  {len(t.partitions)} partitions, {t.messages} messages{dlt}")
        for p in t.partitions:
            print(f"    [{p.partition}] offsets {p.begin}..{p.end}  ({p.messages} messages)")
    return 0


def cmd_groups(args: argparse.Namespace) -> int:
    from adapters.kafka.cluster import KafkaCluster

    profile, password = resolve_profile(args)

    async def run() -> list[Any]:
        async with KafkaCluster(profile, password) as cluster:
            # How far behind in time, too: what a support engineer asks first.
            return await cluster.groups(lag_seconds=True)

    groups = run_kafka(run())
    if args.json:
        print_json([g.to_dict() for g in groups])
        return 0
    if not groups:
        print(f"No consumer groups on {profile.bootstrap_servers}.")
    for g in groups:
        members = count(g.members, "member")
        print(f"{g.group_id}  {g.state}, {members}, lag {g.lag}{_behind(g.lag_seconds)}")
        for p in g.partitions:
            flag = "  (committed past the end: lag clamped)" if p.clamped else ""
            print(
                f"    {p.topic}[{p.partition}] committed {p.committed}, end {p.end}, "
                f"lag {p.lag}{_behind(p.lag_seconds)}{flag}"
            )
    return 0


def _behind(seconds: float | None) -> str:
    """ ", 10 min behind" for a lag measured in time; nothing when none was (or no lag)."""
    if not seconds:
        return ""
    return f", {format_duration(seconds)} behind"


# -- kafka tail -----------------------------------------------------------------------


def cmd_tail(args: argparse.Namespace) -> int:
    from adapters.kafka.catalog_consumers import note_consumer_groups
    from adapters.kafka.tail import KafkaTail, StartPosition
    from monitor.core.runtime import EmbeddedRuntime

    if args.json and args.quiet:
        raise CliError("--json prints every record and --quiet none: give one of them.")
    profile, password = resolve_profile(args)
    try:
        start = StartPosition.parse(args.start)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    # One line per record unless told otherwise; the summary then goes to stderr, so
    # what is on stdout is the records alone (for grep, for a file).
    lines = not (args.json or args.quiet)
    db_path = None if args.no_log else log_path_of(args)
    keeping = retention(args, db_path)  # blocking I/O on the log: not in the coroutine
    resume_at = logged_positions(args.topic, db_path) if start.kind == "logged" else None
    # Read from an earlier point into a log that may hold some of it: not logged twice.
    held = held_records(args.topic, db_path) if start.kind not in ("end", "logged") else None
    schemas = schemas_for(args, profile)

    async def run() -> Any:
        # The same wiring as the window and the demo (pipeline, log writer, what observes
        # the batches), with no bus traffic of its own.
        runtime = EmbeddedRuntime(db_path, demo_rate=None, retention=keeping)
        runtime.history.engine.profile = profile.name  # alert rules limited to a profile
        pipeline = runtime.pipeline
        if held:
            pipeline.log_filter = held

        def sink(events: list[Envelope]) -> None:
            pipeline.accept_many(events)
            if args.json:
                out = sys.stdout
                for e in events:
                    out.write(json_text(e.to_dict()))
                    out.write("\n")
                out.flush()
            elif lines:
                sys.stdout.write("".join(record_line(e) + "\n" for e in events))
                sys.stdout.flush()

        def state(_state: str, sentence: str) -> None:
            print(sentence, file=sys.stderr)

        tail = KafkaTail(
            profile,
            args.topic,
            sink=sink,
            dead_letter_sink=pipeline.accept_dead_letter,
            wait_for_room=pipeline.wait_for_room,
            start=start,
            password=password,
            on_state=state,
            schemas=schemas,
            resume_at=resume_at,
        )
        await runtime.start()
        try:
            progress = await tail.run(duration=args.duration, max_records=args.max)
            tail.flush_held()  # records still waiting for a schema go on undecoded
            if progress.records:  # the catalog names the groups that consume each topic
                await note_consumer_groups(runtime.catalog.catalog, profile, password)
        finally:
            await runtime.stop()
            close_schema_source(schemas)
            if runtime.log_failure:
                not_logged.append(runtime.log_failure)
            deleted.append(runtime.writer.deleted if runtime.writer else 0)
        return progress

    not_logged: list[str] = []
    deleted: list[int] = []
    progress = run_kafka(run())
    if not args.json:
        where = ""
        if db_path and not not_logged:
            where = f", logged to {db_path}" + deleted_note(keeping, sum(deleted))
        print(
            f"{progress.records} records from {len(progress.topics)} "
            f"topic{'' if len(progress.topics) == 1 else 's'} "
            f"({progress.malformed} malformed, "
            + (f"{progress.undecoded} undecoded, " if progress.undecoded else "")
            + f"{progress.dead_letters} dead letters){where}"
            + (
                f"; {held.skipped} of them already in the log, not logged again."
                if held is not None and held.skipped
                else "."
            ),
            file=sys.stderr if lines else sys.stdout,
        )
    if not_logged:  # said, and the exit status says it to scripts
        print(f"eventflow: {not_logged[0]} in {db_path}.", file=sys.stderr)
        return 1
    return 0


def logged_positions(patterns: list[str], db_path: str | None) -> dict[tuple[str, int], int]:
    """For ``--from logged``: after the last record the log has of each partition of the
    topics tailed (none: every partition from its beginning). Said on stderr."""
    from adapters.kafka.tail import logged_positions as in_log

    if db_path is None:
        raise CliError(
            "--from logged reads on after what the log has: it needs the log, not --no-log."
        )
    if not Path(db_path).exists():
        print(
            f"--from logged: there is no log at {db_path} yet; reading from the beginning.",
            file=sys.stderr,
        )
        return {}
    try:
        mine = in_log(db_path, patterns)
    except LogError as exc:
        raise CliError(str(exc)) from exc
    print(
        f"--from logged: reading on after the last record logged in {len(mine)} "
        f"partition{'' if len(mine) == 1 else 's'} (the log's offsets are taken as this "
        "cluster's); any other from its beginning.",
        file=sys.stderr,
    )
    return mine


def held_records(patterns: list[str], db_path: str | None) -> LoggedOffsets | None:
    """The records of the tailed topics the log already holds (``None``: no log yet)."""
    from adapters.kafka.tail import logged_offsets

    if db_path is None or not Path(db_path).exists():
        return None
    try:
        return logged_offsets(db_path, patterns)
    except LogError as exc:
        raise CliError(str(exc)) from exc


# -- kafka publish --------------------------------------------------------------------


def _parse_headers(items: list[str] | None) -> dict[str, str]:
    headers = {}
    for item in items or []:
        if "=" not in item:
            raise CliError(f"--header {item!r} is not KEY=VALUE.")
        k, v = item.split("=", 1)
        headers[k] = v
    return headers


def _payload(args: argparse.Namespace) -> Any:
    if args.data is not None and args.data_file is not None:
        raise CliError("Give --data or --data-file, not both.")
    text = args.data
    if args.data_file is not None:
        try:
            text = sys.stdin.read() if args.data_file == "-" else Path(args.data_file).read_text()
        except OSError as exc:
            raise CliError(f"Cannot read {args.data_file}: {exc.strerror}.") from exc
    if text is None:
        return None
    try:
        return loads_strict(text)
    except ValueError as exc:
        raise CliError(f"The payload is not valid JSON: {exc}.") from exc


def cmd_publish(args: argparse.Namespace) -> int:
    from adapters.kafka.cluster import require_topic
    from adapters.kafka.publisher import KafkaPublisher, check_partition_number

    if args.value_subject or args.key_subject or args.value_message or args.key_message:
        return publish_with_schema(args)
    if not args.type:
        raise CliError("Give the event's --type (or --value-subject to use a schema).")
    args.source = args.source or DEFAULT_SOURCE
    args.mode = args.mode or "binary"
    profile, password = resolve_profile(args)
    try:
        check_write_allowed(profile, confirmed=args.yes, action="publishing")
    except WriteRefused as exc:
        raise CliError(str(exc)) from exc
    data = _payload(args)
    headers = _parse_headers(args.header)
    try:
        check_partition_number(args.partition)  # before connecting: it needs no cluster
    except KafkaUnavailable as exc:
        raise CliError(str(exc)) from exc

    def make(i: int) -> Envelope:
        e = Envelope(
            type=args.type,
            source=args.source,
            subject=args.subject,
            data=data,
            key=args.key,
            headers=dict(headers),
            causation_id=args.causation_id,
        )
        e.correlation_id = args.correlation_id or e.id
        return e

    async def run() -> Any:
        if not args.create_topic:  # the broker would create it, and the event go nowhere
            remedy = "create it or pass --create-topic"
            await require_topic(profile, password, args.topic, remedy=remedy)
        async with KafkaPublisher(profile, password, mode=args.mode) as pub:
            if args.count == 1:
                event = make(0)
                sent = await pub.send(event, args.topic, partition=args.partition)
                return event, sent
            acked = await pub.burst(
                make, args.topic, count=args.count, rate=args.rate, partition=args.partition
            )
            return None, acked

    event, result = run_kafka(run())
    if event is not None:
        if args.json:
            # Where it went: the topic, partition and offset the broker acknowledged (the
            # envelope's own "topic" is where an event was read from, and this one was not).
            print_json(
                {
                    **event.to_dict(),
                    "topic": result.topic,
                    "partition": result.partition,
                    "offset": result.offset,
                }
            )
        else:
            print(
                f"Published {event.type} {event.id} to {result.topic}[{result.partition}]"
                f"@{result.offset} (correlation {event.correlation_id})."
            )
    elif args.json:
        print_json({"topic": args.topic, "published": result})
    else:
        print(f"Published {result} events to {args.topic}.")
    return 0


# CloudEvents options: a record encoded by subject has no attributes to carry them.
# Where ids go in a record without CloudEvents attributes: the payload's own fields.
_PAYLOAD_IDS = " (put a correlation or causation id in the payload's own field instead)"
_CLOUDEVENT_OPTIONS = (
    ("type", "--type"),
    ("source", "--source"),
    ("subject", "--subject"),
    ("correlation_id", "--correlation-id"),
    ("causation_id", "--causation-id"),
    ("mode", "--mode"),
    ("rate", "--rate"),
)
NOTHING_SENT = "Nothing was sent."


def publish_with_schema(args: argparse.Namespace) -> int:
    """``kafka publish --value-subject S [--key-subject K]``: the payload (and the key)
    encoded with the subjects' schemas in v0 framing, one record, sent as it is (no
    CloudEvents headers of its own). The encoding is the composer's too
    (:mod:`adapters.schema_registry.subject_encoding`). Options it would not use are
    refused, not dropped: the sender would believe they went out."""
    from adapters.kafka.cluster import TopicMissing, require_topic
    from adapters.kafka.publisher import KafkaPublisher
    from adapters.schema_registry.sources import registry_settings
    from adapters.schema_registry.subject_encoding import (
        SubjectChoice,
        SubjectRefused,
        encode_by_subjects,
    )

    def refuse(sentence: str) -> CliError:
        return CliError(f"{sentence} {NOTHING_SENT}")

    if not args.value_subject:
        given = "--key-subject" if args.key_subject else "--value-message or --key-message"
        raise refuse(f"{given} goes with --value-subject: give the value's subject too.")
    if args.key_message and not args.key_subject:
        raise refuse("--key-message goes with --key-subject: give the key's subject too.")
    if args.data is None and args.data_file is None:
        raise refuse(
            f"Give the payload to encode with {args.value_subject}: --data JSON or "
            "--data-file FILE (- for standard input)."
        )
    ignored = [flag for name, flag in _CLOUDEVENT_OPTIONS if getattr(args, name) is not None]
    if ignored:
        one = len(ignored) == 1
        raise refuse(
            f"{_listed(ignored)} {'is a CloudEvents option' if one else 'are CloudEvents options'}"
            ", and a record encoded with --value-subject carries no CloudEvents attributes"
            f"{_PAYLOAD_IDS if any('-id' in flag for flag in ignored) else ''}: leave "
            f"{'it' if one else 'them'} out."
        )
    if args.count != 1 or args.partition is not None:
        raise refuse(
            "--value-subject publishes one record, partitioned by its key: leave out --count "
            "and --partition."
        )
    profile, password = resolve_profile(args)
    settings = registry_settings(profile, args.schema_registry)
    if settings is None:
        raise refuse(
            "--value-subject needs a schema registry: pass --schema-registry URL or use a "
            "profile that has one."
        )
    try:
        check_write_allowed(profile, confirmed=args.yes, action="publishing")
        data = _payload(args)
    except (WriteRefused, CliError) as exc:
        raise refuse(str(exc)) from exc
    try:
        value_subject = SubjectChoice.parse(
            args.value_subject, args.value_version, args.value_message
        )
        key_subject = (
            SubjectChoice.parse(args.key_subject, args.key_version, args.key_message)
            if args.key_subject
            else None
        )
        encoded = encode_by_subjects(
            settings,
            value=data,
            value_subject=value_subject,
            key=args.key,
            key_subject=key_subject,
            headers=tuple((k, v.encode()) for k, v in _parse_headers(args.header).items()),
        )
    except SubjectRefused as exc:
        raise refuse(f"{exc}{_other_message(exc)}") from exc
    except ValueError as exc:  # a version that is not a number
        raise refuse(f"{exc}.") from exc
    schema = encoded.value_schema
    assert schema is not None  # a value subject was given

    async def run() -> Any:
        if not args.create_topic:
            remedy = "create it or pass --create-topic"
            try:
                await require_topic(profile, password, args.topic, remedy=remedy)
            except TopicMissing as exc:
                raise refuse(str(exc)) from exc
        async with KafkaPublisher(profile, password) as pub:
            fut = await pub.enqueue_record(encoded.record, args.topic)
            return await fut

    meta = run_kafka(run())
    where = {"topic": meta.topic, "partition": meta.partition, "offset": meta.offset}
    if args.json:
        shown = {**where, "schema": schema.info(), "format": schema.format}
        if encoded.value_message:
            shown["message"] = encoded.value_message
        if encoded.key_schema is not None:
            shown["key_schema"] = encoded.key_schema.info()
            if encoded.key_message:
                shown["key_message"] = encoded.key_message
        print_json(shown)
    else:
        print(f"Published {encoded.described()} to {meta.topic}[{meta.partition}]@{meta.offset}.")
    return 0


def _other_message(exc: Any) -> str:
    """For a payload that fits another Protobuf message than the first: which, and how
    to choose it."""
    if not exc.fits:
        return ""
    option = "--key-message" if exc.is_key else "--value-message"
    if len(exc.fits) == 1:
        return f" It fits {exc.fits[0]}: pass {option} {exc.fits[0]}."
    return f" It fits {_listed(list(exc.fits), 'and')}: pass {option} with the one meant."


def _listed(items: list[str], last: str = "and") -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


# -- profiles -------------------------------------------------------------------------


def cmd_profiles_list(args: argparse.Namespace) -> int:
    store = _store(args)
    try:
        profiles = store.load()
    except ProfileError as exc:
        raise CliError(str(exc)) from exc
    for broken in store.broken:  # on stderr: --json output stays the usable profiles
        print(broken.sentence(store.path), file=sys.stderr)
    if args.json:
        print_json([p.to_dict() for p in profiles.values()])
        return 0
    if not profiles and not store.broken:
        print("No profiles yet: add one with `eventflow profiles add NAME --bootstrap HOST:PORT`.")
    for p in profiles.values():
        flags = [p.security_protocol, p.environment] + (["read-only"] if p.read_only else [])
        if p.registry_url:
            flags.append(f"registry {p.registry_url}")
        print(f"{p.name}  {p.bootstrap_servers}  ({', '.join(flags)})")
    return 0


def cmd_profiles_add(args: argparse.Namespace) -> int:
    from monitor.profiles_cli import registry_secret_hint, sign_in_fields, store_extra_secrets

    try:
        profile = ConnectionProfile(
            name=args.name,
            bootstrap_servers=args.bootstrap_servers,
            security_protocol=args.security_protocol,
            sasl_mechanism=args.sasl_mechanism,
            sasl_username=args.sasl_username,
            ca_file=args.ca_file,
            cert_file=args.cert_file,
            key_file=args.key_file,
            client_id=args.client_id,
            read_only=args.read_only,
            environment=args.environment,
            dead_letter_patterns=args.dead_letter_pattern or [],
            **sign_in_fields(args),
        )
        store = _store(args)
        store.add(profile, replace=args.replace)
    except ProfileExists as exc:
        raise CliError(f"{exc}; pass --replace to overwrite it") from exc
    except ProfileError as exc:
        raise CliError(str(exc)) from exc
    print(f"Saved profile {profile.name} in {store.path}.")
    if problems := store_extra_secrets(args, profile.name):
        print("\n".join(problems), file=sys.stderr)
        return 1
    if hint := registry_secret_hint(args, profile.name):
        print(hint)
    if profile.needs_password:
        if args.password_prompt:
            password = getpass.getpass(f"Password for {profile.sasl_username}: ")
            try:
                SecretStore().set_password(profile.name, password)
            except ProfileError as exc:
                print(f"The password was not stored: {exc}", file=sys.stderr)
                return 1
            print("The password is in the OS keyring.")
        else:
            print(
                "It needs a password: store it with --password-prompt, or set "
                f"{password_env_var(profile.name)} when you connect."
            )
    return 0


def cmd_profiles_remove(args: argparse.Namespace) -> int:
    try:
        _store(args).remove(args.name)
    except ProfileError as exc:
        raise CliError(str(exc)) from exc
    SecretStore().delete_password(args.name)
    print(f"Removed profile {args.name}.")
    return 0


# -- the parser -----------------------------------------------------------------------


def register(
    sub: Any,
    db: argparse.ArgumentParser,
    keep: argparse.ArgumentParser,
    out: argparse.ArgumentParser,
) -> None:
    """Add ``kafka`` and ``profiles`` to the main parser's subcommands (``db``, ``keep``
    and ``out``: the shared options of commands that read or write a log, write events,
    print JSON)."""
    from monitor import profiles_cli

    kafka = sub.add_parser("kafka", help="topics, groups, tail and publish on a Kafka cluster")
    ksub = kafka.add_subparsers(dest="kafka_command", metavar="ACTION", required=True)

    p = ksub.add_parser("topics", parents=[out], help="topics with partitions and offsets")
    add_connection_options(p)
    p.set_defaults(func=cmd_topics)

    p = ksub.add_parser(
        "groups", parents=[out], help="consumer groups with committed offsets and lag"
    )
    add_connection_options(p)
    p.set_defaults(func=cmd_groups)

    p = ksub.add_parser(
        "tail",
        parents=[db, keep, out],
        help="read topics live, without joining any group; log them",
    )
    add_connection_options(p)
    p.add_argument(
        "--topic", action="append", required=True, metavar="PATTERN",
        help="topic name or glob such as 'orders.*' (repeatable)",
    )  # fmt: skip
    p.add_argument(
        "--from", dest="start", default="end", metavar="WHERE",
        help="beginning, end (default), logged (after the last record the log has of each"
        " partition), an offset, a time (ISO 8601) or a time ago (-15m)",
    )  # fmt: skip
    p.add_argument("--duration", type=cli_types.positive, help="stop after S seconds")
    p.add_argument("--max", type=cli_types.count, help="stop after N records")
    p.add_argument("--no-log", action="store_true", help="do not write to the event log")
    p.add_argument(
        "--quiet",
        action="store_true",
        help="print no line per record, only the summary at the end (on stdout); without"
        " it, each record is one line (time, topic[partition]@offset, key, type, payload)"
        " and the summary goes to stderr",
    )
    p.set_defaults(func=cmd_tail, logs_events=True)

    p = ksub.add_parser("publish", parents=[out], help="publish a test event or a burst")
    add_connection_options(p)
    p.add_argument("--topic", required=True)
    p.add_argument("--type", help="event type, e.g. OrderPlaced (not with --value-subject)")
    p.add_argument("--source", help=f"CloudEvents source ({DEFAULT_SOURCE})")
    p.add_argument("--subject")
    p.add_argument("--data", help="JSON payload")
    p.add_argument("--data-file", metavar="FILE", help="JSON payload from a file, '-' for stdin")
    p.add_argument("--key")
    p.add_argument("--partition", type=int)
    p.add_argument("--header", action="append", metavar="K=V", help="repeatable")
    p.add_argument("--correlation-id", help="default: the event's own id")
    p.add_argument("--causation-id")
    p.add_argument("--count", type=cli_types.count, default=1, help="send N events (1)")
    p.add_argument("--rate", type=cli_types.positive, help="at most R events per second")
    p.add_argument("--mode", choices=("binary", "structured"),
                   help="CloudEvents mode (binary)")  # fmt: skip
    p.add_argument("--yes", action="store_true", help="confirm writing to a production profile")
    p.add_argument(
        "--create-topic",
        action="store_true",
        help="publish even if the topic does not exist, letting the broker create it"
        " (without it, a missing topic is refused)",
    )
    p.add_argument(
        "--value-subject",
        metavar="SUBJECT",
        help="encode --data with this registry subject's schema (Avro, Protobuf, JSON Schema)"
        " in Confluent framing instead of as a CloudEvent; a payload that does not fit is"
        " refused with the field and the reason, before anything is sent. No CloudEvents"
        " attributes go with it: --type, --source, --subject, --correlation-id,"
        " --causation-id, --mode and --rate are refused",
    )
    p.add_argument(
        "--value-version", metavar="N", default="latest", help="the subject's version (latest)"
    )
    p.add_argument(
        "--key-subject",
        metavar="SUBJECT",
        help="with --value-subject: encode --key with this subject's schema (the key as JSON,"
        " or as a string when it is not JSON; a number for a string key is its text)",
    )
    p.add_argument(
        "--key-version", metavar="N", default="latest", help="the key subject's version (latest)"
    )
    for which in ("value", "key"):
        p.add_argument(
            f"--{which}-message",
            metavar="NAME",
            help=f"for a Protobuf {which} schema with several messages: the one to encode, by"
            " full name (acme.Envelope.Shipped) or short name (Shipped); default: the first",
        )
    p.set_defaults(func=cmd_publish)

    profiles = sub.add_parser("profiles", help="saved Kafka connection profiles")
    psub = profiles.add_subparsers(dest="profiles_command", metavar="ACTION", required=True)
    p = psub.add_parser("list", parents=[out], help="saved profiles")
    p.set_defaults(func=cmd_profiles_list)
    p = psub.add_parser("add", help="save a profile (passwords go to the OS keyring)")
    p.add_argument("name")
    p.add_argument(
        "--bootstrap", dest="bootstrap_servers", required=True, metavar="HOST:PORT[,...]"
    )
    p.add_argument("--security-protocol", choices=SECURITY_PROTOCOLS, default="PLAINTEXT")
    p.add_argument("--sasl-mechanism", choices=SASL_MECHANISMS)
    p.add_argument("--sasl-username")
    p.add_argument("--password-prompt", action="store_true", help="ask for the password now")
    p.add_argument("--ca-file")
    p.add_argument("--cert-file")
    p.add_argument("--key-file")
    p.add_argument("--client-id", default="eventflow-monitor")
    p.add_argument("--read-only", action="store_true", help="refuse publish and replay")
    p.add_argument("--environment", default="development", help="e.g. production")
    p.add_argument(
        "--dead-letter-pattern",
        action="append",
        metavar="REGEX",
        help="topics whose names match REGEX are dead-letter topics too; a group named"
        r" origin says where the original topic's name is, e.g. '^(?P<origin>.+)\.failed$'"
        " (without it, a replay must be told the topic); repeatable",
    )
    p.add_argument("--replace", action="store_true", help="overwrite a profile of that name")
    profiles_cli.add_sign_in_options(p)
    p.set_defaults(func=cmd_profiles_add)
    p = psub.add_parser("remove", help="delete a profile and its stored password")
    p.add_argument("name")
    p.set_defaults(func=cmd_profiles_remove)
    profiles_cli.register(psub)  # test (the connection doctor) and import
