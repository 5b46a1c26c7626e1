"""The ``eventflow`` command: the window by default, headless subcommands for scripts.

Every subcommand that reads the log takes ``--db PATH`` (default: the user's data dir) and
``--json`` where it prints data. Errors go to stderr as one sentence, with exit code 1;
usage errors exit with 2.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import re
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from monitor import __version__, cli_types
from monitor.catalog_cli import register as register_catalog
from monitor.cli_errors import CliError
from monitor.cli_log import db_path as _db_path
from monitor.cli_log import open_log as _open_log
from monitor.cli_output import json_text, print_json, use_safe_output_errors
from monitor.cli_retention import (
    add_retention_options,
    check_retention_options,
    deleted_note,
    retention,
)
from monitor.core.chains import Chain, load_chain
from monitor.core.deadletters import STATUSES, DeadLetter
from monitor.core.envelope import Envelope, format_time
from monitor.core.eventlog import EventLog, LogError
from monitor.core.header_text import readable_headers, record_header_pairs
from monitor.core.paths import default_db_path, keep_private
from monitor.core.undecoded_letters import can_decode_letter, decode_letters
from monitor.core.wording import count, short_id
from monitor.dlq_edit_cli import add_dlq_edit_parser
from monitor.history_cli import register as register_history
from monitor.kafka_cli import add_connection_options
from monitor.kafka_cli import register as register_kafka
from monitor.undecoded_cli import add_schema_options, redecoder_for, schema_cluster

EXAMPLES = """\
examples:
  eventflow                                   open the window, demo running
  eventflow demo --headless --duration 10     run the demo without a window, log it
  eventflow events --type OrderPlaced --limit 5
  eventflow chain CORRELATION_ID --json
  eventflow chain 24cd9194                    a chain by the start of an id, as the window shows it
  eventflow dlq list --status pending
  eventflow dlq replay --all --dry-run
  eventflow dlq replay --id ID --profile staging     replay into Kafka
  eventflow kafka tail --bootstrap localhost:9092 --topic 'orders.*' --from beginning
  eventflow stats --json
  eventflow catalog --json                    the event types seen, with schemas and drift
  eventflow lint --fail-on error              the design review; exit 1 on an error (CI)
  eventflow history --metric dead_letters.pending --since 24h
  eventflow watch --profile staging --exit-on-alert   exits 3 at the first alert
"""


# -- output helpers -------------------------------------------------------------------


def _table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def _event_rows(events: Sequence[Envelope]) -> list[list[str]]:
    return [
        [
            format_time(e.time) or "-",
            e.topic or "-",
            e.type + (" (malformed)" if e.malformed else ""),
            e.id,
            e.correlation_id or "-",
        ]
        for e in events
    ]


# -- subcommands ----------------------------------------------------------------------


def cmd_events(args: argparse.Namespace) -> int:
    with _open_log(args) as log, redecoder_for(args) as redecoder:
        # The start of an id, as the window shows it, stands for the whole id.
        chain_id = log.resolve_chain_id(args.correlation_id) if args.correlation_id else None
        events = log.events(
            type=args.type,
            topic=args.topic,
            source=args.source,
            correlation_id=chain_id,
            text=args.search,
            limit=args.limit + 1,  # one more says whether the listing is cut short
            redecoder=redecoder,
        )
        more = len(events) > args.limit
        del events[args.limit :]
        # A filter on type, source, chain or text cannot match an undecoded event: with
        # schema options the whole log was just read to decode it, and what stayed
        # undecoded is counted (another read, of the same size). A text search that did
        # not fill its page read the whole log too, so it counts them as well. Otherwise,
        # the events listed (a lookup by type or chain must not turn into a scan).
        filtered = bool(args.type or args.source or chain_id or args.search)
        filtered = filtered and (redecoder is not None or bool(args.search and not more))
        undecoded = [e for e in events if e.undecoded]
        left = log.count_undecoded() if filtered else len(undecoded)
        if filtered and left and not undecoded:
            undecoded = [e for _, e in log.undecoded_rows(limit=1)]
        decoding = redecoder is not None
    if args.json:
        print_json([e.to_dict() for e in events])
    elif events:
        print(_table(_event_rows(events), ["time", "topic", "type", "id", "correlation_id"]))
    else:
        from adapters.kafka.tail import is_pattern

        # A topic may be a glob (as in the window's filter); a type or a source may not.
        patterned = [o for o in ("type", "source") if is_pattern(getattr(args, o) or "")]
        hint = f" (--{patterned[0]} takes a name, not a pattern)" if patterned else ""
        print(f"No events match{hint}.", file=sys.stderr)
    if more:
        print(f"Showing the newest {args.limit:,}; --limit to see more.", file=sys.stderr)
    if left:
        where = "in the log" if filtered else "listed"
        _say_undecoded(left, f"event{{s}} {where}", undecoded, decoding, filtered=filtered)
    return 0


def _say_undecoded(
    n: int, what: str, undecoded: list[Envelope], decoding: bool, *, filtered: bool = False
) -> None:
    """On stderr: ``n`` records still undecoded among those a command read (``what``, with
    ``{s}`` where the plural goes), why (the first one's reason), and what to pass to
    decode them when no schema source was given (a listing that says nothing looks
    complete)."""
    reason = next((e.error for e in undecoded if e.error), None)
    verb = ("stays" if decoding else "is") if n == 1 else ("stay" if decoding else "are")
    parts = [f"{n:,} {what.format(s='' if n == 1 else 's')} {verb} undecoded"]
    if reason:
        parts[0] += f" ({reason.rstrip('.')})"
    parts[0] += "."
    if filtered:
        parts.append(
            "--type, --source, --correlation-id and --search cannot match them: some matches"
            " may be missing."
        )
    if not decoding:
        parts.append(
            "Pass --schema-registry URL, --profile NAME or --schema-file PATTERN=PATH to "
            "decode them."
        )
    print(" ".join(parts), file=sys.stderr)


def _load_chain(log: EventLog, correlation_id: str) -> Chain:
    chain = load_chain(log, correlation_id)
    if chain is None:
        raise CliError(f"No events with correlation id or event id {correlation_id} in {log.path}.")
    return chain


def _print_chain(chain: Chain) -> None:
    duration = chain.duration_ms
    print(
        f"Chain {chain.correlation_id}: {count(len(chain.events), 'event')}"
        + (f", {duration:.1f} ms end to end" if duration is not None else "")
    )
    latency = {edge.child_id: edge.latency_ms for edge in chain.edges}
    # A hop that spans a dead letter's fix and replay is not latency: said apart.
    waited = {edge.child_id: edge.replayed_after_ms for edge in chain.replay_edges}
    slowest = chain.slowest
    for e in chain.events:
        hop = latency.get(e.id)
        hop_text = f"+{hop:.1f} ms" if hop is not None else "start"
        if e.id in waited:
            wait = waited[e.id]
            hop_text = "replayed"
            if wait is not None:
                hop_text += f" after {wait / 1000:.1f} s"
        marks = []
        if slowest is not None and slowest.child_id == e.id:
            marks.append("slowest hop")
        if chain.duplicates.get(e.id):
            marks.append(f"delivered {chain.duplicates[e.id] + 1}x")
        if e.id in chain.orphans:
            marks.append(f"cause {short_id(e.causation_id)} not logged")
        indent = "  " * chain.depth.get(e.id, 0)
        note = f"  [{', '.join(marks)}]" if marks else ""
        print(f"  {hop_text:>10}  {indent + e.type:<28} {e.topic or '-':<22} {e.id}{note}")
    for letter in chain.dead_letters:
        # A replayed or discarded letter is history, not a failure still open.
        label = "FAILED" if letter.status == "pending" else f"failed, {letter.status}:"
        print(
            f"  {label} {letter.handler or '?'} on {letter.event.type} after {letter.attempts} "
            f"attempts: {letter.reason}  [dead letter {letter.id}, {letter.status}]"
        )


def cmd_chain(args: argparse.Namespace) -> int:
    with _open_log(args) as log:
        chain = _load_chain(log, log.resolve_chain_id(args.correlation_id))
    if args.json:
        print_json(chain.to_dict())
    else:
        _print_chain(chain)
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    with _open_log(args) as log:
        stats = log.stats()
    if args.json:
        print_json(stats.to_dict())
        return 0
    print(f"{stats.events} events logged ({stats.malformed} malformed) in {_db_path(args)}")
    print()
    print(_table([[t, str(n)] for t, n in stats.by_topic.items()], ["topic", "events"]))
    print()
    print(_table([[t, str(n)] for t, n in stats.by_type.items()], ["type", "events"]))
    print()
    dl = stats.dead_letters_by_status
    print("dead letters: " + ", ".join(f"{dl[s]} {s}" for s in STATUSES))
    return 0


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _letter_rows(letters: Sequence[DeadLetter]) -> list[list[str]]:
    return [
        [
            d.id,
            f"{d.status}, failed again" if d.failed_again_as else d.status,
            str(d.attempts),
            d.original_topic or "-",
            d.handler or "-",
            format_time(d.created_at) or "-",
            d.reason[:70],
        ]
        for d in letters
    ]


def _say_letters_from_elsewhere(letters: list[DeadLetter], cluster: str | None) -> None:
    """On stderr: undecoded letters left as they are because they came from another
    cluster than the profile's (its registry's schema ids mean nothing for them)."""
    if cluster is None:
        return
    elsewhere = sum(
        1 for d in letters if can_decode_letter(d) and not can_decode_letter(d, cluster)
    )
    if elsewhere:
        print(
            f"{count(elsewhere, 'undecoded letter')} came from another cluster than "
            f"{cluster} and {'was' if elsewhere == 1 else 'were'} left undecoded: schema ids "
            "mean something only in their own cluster's registry. Use that cluster's "
            "--profile, or --schema-registry alone to apply one registry to every letter.",
            file=sys.stderr,
        )


def cmd_dlq_list(args: argparse.Namespace) -> int:
    cluster = schema_cluster(args)
    with _open_log(args) as log, redecoder_for(args) as redecoder:
        try:
            letters = log.dead_letters(status=args.status, limit=args.limit)
            total = log.count_dead_letters(status=args.status) if len(letters) >= args.limit else 0
            if redecoder is not None:
                decode_letters(log, redecoder, letters, cluster=cluster)
                _say_letters_from_elsewhere(letters, cluster)
        except LogError as exc:
            raise CliError(str(exc)) from exc
    undecoded = [d.event for d in letters if d.event.undecoded]
    if undecoded:
        _say_undecoded(len(undecoded), "letter{s} listed", undecoded, redecoder is not None)
    if args.json:
        print_json([d.to_dict() for d in letters])
    elif letters:
        headers = ["id", "status", "attempts", "original_topic", "handler", "created", "reason"]
        print(_table(_letter_rows(letters), headers))
        if total > len(letters):
            # On stderr: the table stays the whole of stdout for a script that reads it.
            print(
                f"Showing the newest {len(letters):,} of {total:,}; --limit to see more.",
                file=sys.stderr,
            )
    else:
        print("No dead letters" + (f" with status {args.status}." if args.status else "."))
    return 0


def cmd_dlq_show(args: argparse.Namespace) -> int:
    cluster = schema_cluster(args)
    with _open_log(args) as log, redecoder_for(args) as redecoder:
        try:
            letters = [log.dead_letter(log.resolve_dead_letter_id(args.id))]
            if redecoder is not None:
                decode_letters(log, redecoder, letters, cluster=cluster)
                _say_letters_from_elsewhere(letters, cluster)
        except LogError as exc:
            raise CliError(str(exc)) from exc
        letter = letters[0]
        actions = log.actions(letter.id)
    if args.json:
        print_json({**letter.to_dict(), "actions": [a.to_dict() for a in actions]})
        return 0
    e = letter.event
    print(f"Dead letter {letter.id} ({letter.status}, replayed {letter.replay_count}x)")
    print(f"  reason:         {letter.reason}")
    print(f"  handler:        {letter.handler or '-'} after {count(letter.attempts, 'attempt')}")
    print(f"  original topic: {letter.original_topic or '-'}")
    print(f"  created:        {format_time(letter.created_at)}")
    if letter.replayed_from:
        print(f"  replay of:      {letter.replayed_from} (its replay failed again as this one)")
    if letter.failed_again_as:
        print(f"  failed again:   as {letter.failed_again_as} when replayed")
    print(f"  event:          {e.type} {e.id} from {e.source}")
    print(f"  correlation:    {e.correlation_id or '-'}  causation: {e.causation_id or '-'}")
    # Spring's binary numbers as numbers, other control bytes escaped: a terminal shows
    # them, grep reads the output as text. A record's headers as they came, when it was
    # kept: a name that comes twice, and a null value, as the record has them.
    pairs: list[tuple[str, str | None]] = (
        record_header_pairs(letter.record.headers)
        if letter.record is not None
        else list(readable_headers(e.headers).items())
    )
    if pairs:
        shown = ", ".join(f"{k}={'(null)' if v is None else _printable(v)}" for k, v in pairs)
        print(f"  headers:        {shown}")
    if e.undecoded:
        # Not a null payload: bytes kept until their schema can be had, and why not yet.
        print(f"  data:           undecoded: {e.error or 'its schema could not be had'}")
        if not (args.schema_registry or args.profile or args.schema_file):
            print(
                "                  (decode it with --profile NAME or --schema-registry URL,"
                " or --schema-file PATTERN=PATH)"
            )
    else:
        print("  data:")
        print("    " + json_text(e.data, indent=2).replace("\n", "\n    "))
    if letter.traceback:
        print("  traceback:")
        print("    " + letter.traceback.rstrip().replace("\n", "\n    "))
    for a in actions:
        print(f"  {format_time(a.at)} {a.action} -> {a.target or '-'}: {a.result}")
    return 0


def _selected_letters(log: EventLog, args: argparse.Namespace) -> list[DeadLetter]:
    try:
        if getattr(args, "all", False):
            return log.dead_letters(status=None if args.force else "pending", limit=1_000_000)
        # An id given twice is one letter: replayed or discarded once, recorded once.
        # The start of an id, as the window shows it, stands for the whole id.
        ids = dict.fromkeys(log.resolve_dead_letter_id(i) for i in args.id)
        return [log.dead_letter(i) for i in ids]
    except LogError as exc:
        raise CliError(str(exc)) from exc


def cmd_dlq_replay(args: argparse.Namespace) -> int:
    """Replay dead letters where they came from: letters from the embedded bus onto the
    bus, letters from Kafka (with --profile/--bootstrap) into that cluster. A letter that
    came from elsewhere is skipped, saying where it came from, unless --any-origin."""
    from monitor.core.dead_letter_service import BUS, Destination, comes_from
    from monitor.core.replay import ReplayOutcome, unsent_outcome

    with _open_log(args) as log:
        letters = list(reversed(_selected_letters(log, args)))  # oldest first
    if not letters:
        if args.json:
            print_json([])  # a script reads an empty list, not a sentence
        else:
            print("Nothing to replay: no pending dead letters.")
        return 0
    kafka = bool(args.profile or args.bootstrap)
    profile = None
    if kafka:
        from adapters.kafka.publisher import WriteRefused, check_write_allowed
        from monitor.kafka_cli import resolve_profile

        profile = resolve_profile(args)
        if not args.dry_run:
            try:
                check_write_allowed(profile[0], confirmed=args.yes, action="replay")
            except WriteRefused as exc:
                raise CliError(str(exc)) from exc
    here = Destination("kafka", profile[0].bootstrap_servers) if profile else BUS
    outcomes: dict[str, ReplayOutcome] = {}
    to_send = []
    for letter in letters:
        if not args.any_origin and not comes_from(letter, here):
            outcomes[letter.id] = ReplayOutcome(
                letter.id, None, "skipped", _elsewhere(letter, here)
            )
        elif args.dry_run:
            topic = args.topic or letter.original_topic
            unsent = unsent_outcome(
                letter, topic=topic, target=topic, force=args.force, dry_run=True
            )
            assert unsent is not None
            outcomes[letter.id] = unsent
        else:
            to_send.append(letter)
    failed_again: dict[str, str] = {}
    if to_send:
        sent = (
            _replay_to_kafka(args, profile, to_send) if profile else _replay_on_bus(args, to_send)
        )
        outcomes.update((o.dead_letter_id, o) for o in sent)
        with _open_log(args) as log:
            replayed = [o.dead_letter_id for o in sent if o.status == "replayed"]
            failed_again = log.failed_again(replayed)
    ordered = [outcomes[d.id] for d in letters]
    if args.json:
        print_json(
            [
                {**o.to_dict(), "failed_again_as": failed_again.get(o.dead_letter_id)}
                for o in ordered
            ]
        )
    else:
        for o in ordered:
            print(f"{o.dead_letter_id}  {o.status:<12} {o.detail}")
            if o.dead_letter_id in failed_again:
                print(f"    failed again: new dead letter {failed_again[o.dead_letter_id]}")
        if failed_again:
            print(
                f"{len(failed_again)} replayed event(s) failed again and became new dead"
                " letters (see `eventflow dlq list --status pending`)."
            )
        elif kafka and any(o.status == "replayed" for o in ordered):
            print(
                "A replay that fails again reaches the dead-letter topic as a new letter,"
                " linked to the one it was replayed from, when the topic is tailed."
            )
    # A script must not take "nothing was sent" for success: exit 1 when a replay failed,
    # or when every letter asked for was skipped (another cluster, already replayed).
    failed = any(o.status == "failed" for o in ordered)
    none_sent = not args.dry_run and all(o.status == "skipped" for o in ordered)
    return 1 if failed or none_sent else 0


def _elsewhere(letter: DeadLetter, here: Any) -> str:
    """Why ``letter`` is not replayed to ``here``: where it came from, and the option
    that replays it there."""
    cluster = letter.kafka_cluster
    if cluster is None:
        back = "run the replay without --profile/--bootstrap to put it back on the bus"
    elif cluster:
        back = f"pass --bootstrap {cluster} (or a profile of that cluster) to replay it there"
    else:
        back = "pass --profile or --bootstrap to replay it into its cluster"
    return (
        f"came from {letter.origin_label}, not {here.label}: {back}, or --any-origin to send"
        " it here anyway"
    )


def _replay_on_bus(args: argparse.Namespace, letters: list[DeadLetter]) -> list[Any]:
    from monitor.core.dead_letter_service import DeadLetterService
    from monitor.core.replay import bus_window, window_for_rate
    from monitor.core.runtime import EmbeddedRuntime

    async def run() -> list[Any]:
        # The demo's services are subscribed (placing no orders), so a replayed event is
        # handled again, and fails again into a new dead letter if its cause remains.
        runtime = EmbeddedRuntime(_db_path(args), demo_rate=0)
        await runtime.start()
        try:
            assert runtime.log is not None
            service = DeadLetterService(runtime.log, runtime.pipeline)
            done = await service.replay(
                letters,
                bus_window(runtime.bus, runtime.log, topic=args.topic, force=args.force),
                window=window_for_rate(args.rate),
                rate=args.rate,
            )
        finally:
            await runtime.stop(settle=True)
        return done.outcomes

    result: list[Any] = asyncio.run(run())
    return result


def _replay_to_kafka(
    args: argparse.Namespace, connection: tuple[Any, str | None], letters: list[DeadLetter]
) -> list[Any]:
    """Replay into the cluster of ``connection`` (profile, password), already allowed."""
    from adapters.kafka.publisher import KafkaPublisher
    from adapters.kafka.replay import replay_to_kafka
    from monitor.core.dead_letter_service import DeadLetterService
    from monitor.kafka_cli import run_kafka

    profile, password = connection

    async def run() -> list[Any]:
        with _open_log(args) as log:
            async with KafkaPublisher(profile, password) as publisher:
                # One acknowledgement window per chunk: the marks follow the broker's acks.
                async def send(
                    chunk: Sequence[DeadLetter], *, rate: float | None, on_progress: Any
                ) -> list[Any]:
                    return await replay_to_kafka(
                        publisher,
                        log,
                        chunk,
                        topic=args.topic,
                        force=args.force,
                        rate=rate,
                        window=len(chunk),
                        on_progress=on_progress,
                    )

                done = await DeadLetterService(log).replay(
                    letters, send, window=500, rate=args.rate
                )
                return done.outcomes

    outcomes: list[Any] = run_kafka(run())
    return outcomes


def cmd_dlq_discard(args: argparse.Namespace) -> int:
    """Discard the pending letters among those named; say which were not pending (a
    second discard records nothing, as a second replay is skipped)."""
    with _open_log(args) as log:
        letters = _selected_letters(log, args)
        pending = [d for d in letters if d.status == "pending"]
        done = pending if args.dry_run else [log.discard(d.id) for d in pending]
    if args.json:
        # Every letter named, each with what happened to it, as the text output says.
        outcome = "would be discarded" if args.dry_run else "discarded"
        done_ids = {d.id for d in done}
        print_json(
            [
                {**d.to_dict(), "outcome": outcome}
                if d.id in done_ids
                else {**d.to_dict(), "outcome": f"skipped: already {d.status}"}
                for d in [*done, *(x for x in letters if x.id not in done_ids)]
            ]
        )
        return 0
    for d in letters:
        if d.status != "pending":
            print(f"{d.id}  skipped: already {d.status}")
    for d in done:
        print(f"{d.id}  {'would be discarded' if args.dry_run else 'discarded'}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    if not args.headless:
        if args.scenario == "messy":
            raise CliError(
                "--scenario messy runs with --headless; in the window, choose "
                "Demo > Run the careless producer"
            )
        return _run_window(args)
    from monitor.core.runtime import EmbeddedRuntime

    db_path = _db_path(args)
    keeping = retention(args, db_path)

    async def run() -> dict[str, Any]:
        runtime = EmbeddedRuntime(
            db_path,
            demo_rate=args.rate,
            seed=args.seed,
            retention=keeping,
            messy=args.scenario == "messy",
        )
        await runtime.start()
        try:
            await asyncio.sleep(args.duration)
        finally:
            await runtime.stop(settle=True)
        counters = runtime.bus.counters
        assert runtime.demo is not None
        return {
            "db": _db_path(args),
            "duration_s": args.duration,
            "orders_placed": runtime.demo.orders_placed,
            "events": sum(c.published for c in counters.values()),
            "by_topic": {t: c.published for t, c in sorted(counters.items())},
            "handler_failures": sum(c.failed for c in counters.values()),
            "dead_letters": sum(c.dead_lettered for c in counters.values()),
            "duplicates_skipped": runtime.guard.duplicates_skipped,
            "not_logged": runtime.log_failure,
            "deleted_by_retention": runtime.writer.deleted if runtime.writer else 0,
        }

    try:
        summary = asyncio.run(run())
    except LogError as exc:
        raise CliError(str(exc)) from exc
    if args.json:
        print_json(summary)
    else:
        print(
            f"Demo ran {args.duration:g} s at {args.rate:g} orders/s: "
            f"{summary['orders_placed']} orders, {summary['events']} events, "
            f"{summary['handler_failures']} handler failures (retried), "
            f"{summary['dead_letters']} dead letters, "
            f"{summary['duplicates_skipped']} duplicate deliveries skipped."
        )
        for topic, n in summary["by_topic"].items():
            print(f"  {topic:<22} {n}")
        if not summary["not_logged"]:
            print(
                f"Logged to {summary['db']}"
                + deleted_note(keeping, summary["deleted_by_retention"])
            )
    if summary["not_logged"]:
        print(f"eventflow: {summary['not_logged']} in {summary['db']}.", file=sys.stderr)
        return 1
    return 0


def _run_window(args: argparse.Namespace) -> int:
    from monitor.ui.app import run_app

    db_path = _db_path(args)
    return run_app(
        db_path=db_path,
        demo_rate=args.rate,
        smoke_test=getattr(args, "smoke_test", False),
        retention=retention(args, db_path),
    )


# -- the parser -----------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    db_help = f"event log file (default: {default_db_path()})"
    # A subcommand's --db has no default of its own (SUPPRESS): with one, argparse would
    # overwrite a --db given before the subcommand (eventflow --db X stats) with it.
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=db_help)
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument("--json", action="store_true", help="print JSON on stdout")

    # Typed as the base class: subparsers take plain ArgumentParsers as parents.
    parser: argparse.ArgumentParser = _Parser(
        prog="eventflow",
        description="Eventflow Monitor: watch, trace and replay events. "
        "With no subcommand, opens the window with the demo running on the embedded bus.",
        epilog=EXAMPLES,
    )
    parser.add_argument("--version", action="version", version=f"eventflow {__version__}")
    parser.add_argument("--db", metavar="PATH", help=db_help)
    parser.add_argument(
        "--rate", type=cli_types.rate, default=20.0, help="demo orders per second (20)"
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="start the window offscreen, run the demo a few seconds, check events arrived, exit",
    )
    add_retention_options(parser)
    parser.add_argument("-v", "--verbose", action="store_true", help="log more to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    keep = argparse.ArgumentParser(add_help=False)
    add_retention_options(keep)
    p = sub.add_parser(
        "demo", parents=[db, keep, out], help="run the demo shop on the embedded bus"
    )
    p.add_argument("--headless", action="store_true", help="no window: log and print a summary")
    p.add_argument("--duration", type=cli_types.positive, default=10.0, help="seconds to run (10)")
    p.add_argument(  # no default here, as for --db: eventflow --rate 5 demo means 5
        "--rate", type=cli_types.rate, default=argparse.SUPPRESS, help="orders per second (20)"
    )
    p.add_argument("--seed", type=int, default=None, help="random seed, for a repeatable run")
    p.add_argument(
        "--scenario",
        choices=("shop", "messy"),
        default="shop",
        help="shop: the well-made order flow; messy: plus a careless producer that commits"
        " every anti-pattern eventflow lint knows (shop)",
    )
    p.set_defaults(func=cmd_demo, logs_events=True)

    p = sub.add_parser(
        "events", parents=[db, out], help="list logged events, the last logged first"
    )
    word = cli_types.filter_text
    p.add_argument("--type", type=word, help="only this event type")
    p.add_argument(
        "--topic", type=word, help="only this topic, or topics matching a glob ('orders.*')"
    )
    p.add_argument("--source", type=word, help="only this source")
    p.add_argument(
        "--correlation-id",
        type=word,
        metavar="ID",
        help="only this chain: its correlation id, an event's id, or the start of either",
    )
    p.add_argument(
        "--search",
        type=word,
        metavar="TEXT",
        help="only events whose payload or headers contain TEXT, ignoring case, as the"
        " window's log search finds it ('SKU-999', '\"qty\": 2')",
    )
    p.add_argument("--limit", type=cli_types.count, default=50, help="at most N events (50)")
    add_schema_options(p)
    p.set_defaults(func=cmd_events)

    p = sub.add_parser(
        "chain", parents=[db, out], help="the causal chain of a correlation id or an event id"
    )
    p.add_argument(
        "correlation_id",
        type=cli_types.filter_text,
        metavar="ID",
        help="a correlation id or any event's id, or its start (8 characters, as the window"
        " shows it)",
    )
    p.set_defaults(func=cmd_chain)

    p = sub.add_parser("stats", parents=[db, out], help="counts per topic and type, dead letters")
    p.set_defaults(func=cmd_stats)

    dlq = sub.add_parser("dlq", help="inspect, replay or discard dead letters")
    dsub = dlq.add_subparsers(dest="dlq_command", metavar="ACTION", required=True)
    p = dsub.add_parser("list", parents=[db, out], help="list dead letters, newest first")
    p.add_argument("--status", choices=STATUSES, help="only this status")
    p.add_argument("--limit", type=cli_types.count, default=100, help="at most N (100)")
    add_schema_options(p)
    p.set_defaults(func=cmd_dlq_list)
    p = dsub.add_parser("show", parents=[db, out], help="one dead letter in full")
    p.add_argument("id", metavar="ID", help="a dead letter's id, or its start")
    add_schema_options(p)
    p.set_defaults(func=cmd_dlq_show)
    add_dlq_edit_parser(dsub, [db, out])
    p = dsub.add_parser("replay", parents=[db, out], help="republish dead letters")
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", action="append", metavar="ID", help="this dead letter (repeat)")
    which.add_argument("--all", action="store_true", help="every pending dead letter")
    p.add_argument("--topic", help="publish here instead of the original topic")
    p.add_argument(
        "--dry-run", action="store_true", help="say what would be replayed, send nothing"
    )
    p.add_argument("--force", action="store_true", help="replay even if already replayed/discarded")
    p.add_argument("--rate", type=cli_types.positive, help="at most R records per second (Kafka)")
    p.add_argument("--yes", action="store_true", help="confirm replaying into a production profile")
    p.add_argument(
        "--any-origin",
        action="store_true",
        help="also replay letters that came from elsewhere (the bus, another cluster) here;"
        " without it, each letter goes only where it came from",
    )
    add_connection_options(p)
    p.set_defaults(func=cmd_dlq_replay)
    p = dsub.add_parser("discard", parents=[db, out], help="mark dead letters as discarded")
    p.add_argument("--id", action="append", metavar="ID", required=True, help="repeatable")
    p.add_argument(
        "--dry-run", action="store_true", help="say what would be discarded, change nothing"
    )
    p.set_defaults(func=cmd_dlq_discard)

    register_kafka(sub, db, keep, out)
    register_catalog(sub, db, out)
    register_history(sub, db, out)
    return parser


class _HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help text wrapped between words only: a default path such as
    ``.../eventflow-monitor/eventflow.db`` stays whole instead of breaking at a hyphen."""

    def _split_lines(self, text: str, width: int) -> list[str]:
        text = " ".join(text.split())
        return textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)


class _Parser(argparse.ArgumentParser):
    """Every parser and subparser of the command (subparsers take their parent's class)
    formats its help with :class:`_HelpFormatter`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def tune_garbage_collector() -> None:
    """Fewer, cheaper collections for a process that streams events.

    Events form no reference cycles, yet with the default thresholds the collector runs
    full passes over every event held in the live buffers and the log writer's backlog
    (measured: a fifth of the CPU of a Kafka tail). Objects alive after start-up are
    frozen out of its sight, and young collections wait for 50,000 new objects."""
    gc.freeze()
    gc.set_threshold(50_000, 20, 10)


_TIME_AGO = re.compile(r"-\d+(\.\d+)?[smhd]", re.IGNORECASE)


def _joined_time_ago(argv: list[str]) -> list[str]:
    """``--from -15m`` as ``--from=-15m``: argparse takes a value that starts with "-" for
    an option of its own and refuses it ("expected one argument"), and the help shows
    that form."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] == "--from" and i + 1 < len(argv) and _TIME_AGO.fullmatch(argv[i + 1]):
            out.append(f"--from={argv[i + 1]}")
            i += 2
            continue
        out.append(argv[i])
        i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    tune_garbage_collector()
    use_safe_output_errors()
    parser = build_parser()
    args = parser.parse_args(_joined_time_ago(sys.argv[1:] if argv is None else list(argv)))
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if not args.verbose:
        # aiokafka logs every failed connection attempt; the commands say it in one sentence.
        logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    for notice in keep_private():  # the files hold production data: said once, if ever
        print(f"eventflow: {notice}", file=sys.stderr)
    func: Callable[[argparse.Namespace], int] | None = getattr(args, "func", None)
    check_retention_options(
        parser, args, logs_events=func is None or getattr(args, "logs_events", False)
    )
    try:
        if func is None:
            return _run_window(args)
        return func(args)
    except CliError as exc:
        print(f"eventflow: {exc}", file=sys.stderr)
        return 1
    except LogError as exc:
        print(f"eventflow: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `eventflow events | head`
        return 0


if __name__ == "__main__":
    sys.exit(main())
