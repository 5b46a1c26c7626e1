"""``eventflow dlq edit``: change what a dead letter will replay, from a script.

The payload (``--data JSON``, or ``--data-file FILE``, ``-`` for standard input) and the
headers (``--header NAME=VALUE``, ``--remove-header NAME``) are changed as the window's
editor changes them, through the same service: a Kafka letter's record follows the edit
(a schema-encoded payload is encoded again with its own schema, which the schema options
say where to find), an edit that does not fit is refused with the reason and nothing is
saved, and the letter's history records what changed.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import sys
from pathlib import Path
from typing import Any

from monitor.cli_errors import CliError
from monitor.cli_log import open_log
from monitor.cli_output import print_json
from monitor.core.dead_letter_service import DeadLetterService, Destination
from monitor.core.eventlog import LogError
from monitor.core.json_diff import describe_changes, edit_changes
from monitor.core.raw_record import EditRefused, SchemaNotGiven
from monitor.undecoded_cli import add_schema_options, redecoder_for, schema_cluster


def add_dlq_edit_parser(dsub: Any, parents: list[argparse.ArgumentParser]) -> None:
    p = dsub.add_parser(
        "edit", parents=parents, help="change the payload or headers a dead letter replays"
    )
    p.add_argument("id", metavar="ID", help="a dead letter's id, or its start")
    data = p.add_mutually_exclusive_group()
    data.add_argument("--data", metavar="JSON", help="the new payload, as JSON")
    data.add_argument(
        "--data-file", metavar="FILE", help="the new payload from a JSON file ('-': stdin)"
    )
    p.add_argument(
        "--header",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a header (repeatable)",
    )
    p.add_argument(
        "--remove-header", action="append", default=[], metavar="NAME", help="drop a header"
    )
    add_schema_options(p, "encode an edited Avro, Protobuf or JSON Schema payload")
    p.set_defaults(func=cmd_dlq_edit)


def cmd_dlq_edit(args: argparse.Namespace) -> int:
    payload = _new_payload(args)
    headers = _header_changes(args.header)
    if payload is None and not headers and not args.remove_header:
        raise CliError("Nothing to change: give --data, --data-file, --header or --remove-header.")
    cluster = schema_cluster(args)
    with open_log(args) as log, redecoder_for(args) as redecoder:
        try:
            letter = log.dead_letter(log.resolve_dead_letter_id(args.id))
        except LogError as exc:
            raise CliError(str(exc)) from exc
        event = copy.deepcopy(letter.event)
        if payload is not None:
            event.data = payload[0]
        for name in args.remove_header:
            if name not in event.headers:
                raise CliError(f"The letter has no header {name!r} to remove.")
            del event.headers[name]
        event.headers.update(headers)
        changes = edit_changes(letter.event, event)
        if not changes:
            print("Nothing changed: the letter already replays that.", file=sys.stderr)
            return 0
        schemas = redecoder.schemas if redecoder is not None else None
        where = Destination("kafka", cluster) if cluster is not None else None
        try:
            edited = asyncio.run(DeadLetterService(log).edit(letter.id, event, schemas, where))
        except SchemaNotGiven as exc:
            raise CliError(
                f"Not saved: {exc} Pass --schema-registry URL, --profile NAME (with a schema"
                " registry) or --schema-file PATTERN=PATH."
            ) from exc
        except EditRefused as exc:
            raise CliError(f"Not saved: {exc}") from exc
    if args.json:
        print_json(edited.to_dict())
    else:
        print(f"Edited {edited.id}: {'; '.join(describe_changes(changes, 20))}.")
    return 0


def _new_payload(args: argparse.Namespace) -> tuple[Any] | None:
    """The new payload (in a tuple: ``null`` is a payload too), or ``None`` for none."""
    if args.data is not None:
        text, where = args.data, "--data"
    elif args.data_file is not None:
        where = args.data_file
        try:
            text = sys.stdin.read() if where == "-" else Path(where).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"{where} cannot be read: {exc}") from exc
    else:
        return None
    try:
        return (json.loads(text),)
    except json.JSONDecodeError as exc:
        raise CliError(f"{where} is not JSON: {exc}. The payload is given as JSON.") from exc


def _header_changes(items: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise CliError(f"--header {item!r}: give NAME=VALUE.")
        out[name] = value
    return out


__all__ = ["add_dlq_edit_parser", "cmd_dlq_edit"]
