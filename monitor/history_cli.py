"""``eventflow history``, ``eventflow alerts list`` and ``eventflow watch``.

``history`` prints the sampled series kept in the log; ``alerts list`` the alerts raised;
``watch`` samples a Kafka cluster's lag and dead-letter depth into the log, evaluates the
alert rules, prints each alert as a line (a JSON object per line with ``--json``) and,
with ``--exit-on-alert``, exits 3 at the first one.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from typing import Any

from monitor import cli_types
from monitor.cli_log import db_path as log_path_of
from monitor.cli_log import open_log
from monitor.cli_output import json_text, print_json
from monitor.core.alert_log import AlertLog
from monitor.core.alerts import Alert
from monitor.core.envelope import format_time
from monitor.core.history_store import HistoryStore
from monitor.core.wording import count
from monitor.kafka_cli import add_connection_options, resolve_profile, run_kafka

EXIT_ALERT = 3


def _existing_log(args: argparse.Namespace) -> str:
    """The log's path, after checking there is a log there (a reader makes none)."""
    open_log(args).close()
    return log_path_of(args)


# -- history --------------------------------------------------------------------------


def cmd_history(args: argparse.Namespace) -> int:
    path = _existing_log(args)
    with HistoryStore(path) as store:
        series = store.read(args.metric or ["*"], since=args.since)
        known = store.names() if not series else []
    if args.json:
        print_json({"series": [s.to_dict() for s in series]})
        return 0
    if not series:
        asked = ", ".join(args.metric or ["*"])
        if known:  # the log has history: the names asked for match none of it
            more = f" and {len(known) - 12} more" if len(known) > 12 else ""
            print(
                f"No history matching {asked} in {path}. It has {', '.join(known[:12])}{more}"
                " (--metric takes a name or a glob, e.g. 'group.*.lag')."
            )
        else:
            print(f"No history in {path} yet: run the window, a demo, a tail or watch.")
        return 0
    sampled = [s for s in series if s.samples]
    if not sampled:  # the series exist, but none has a sample in the time asked for
        since = f" since {format_time(args.since)}" if args.since is not None else ""
        print(f"No history samples{since} in {path}: try an earlier --since.")
        return 0
    for s in sampled:
        values = [v for _, v in s.samples]
        unit = f" {s.unit}" if s.unit else ""
        print(
            f"{s.name}: {count(len(values), 'sample')} from {format_time(s.samples[0][0])} to "
            f"{format_time(s.samples[-1][0])}; last {_num(values[-1])}{unit}, "
            f"max {_num(max(values))}{unit}"
        )
    return 0


def _num(v: float) -> str:
    return f"{v:g}" if v == int(v) else f"{v:.2f}"


# -- alerts ---------------------------------------------------------------------------


def cmd_alerts_list(args: argparse.Namespace) -> int:
    path = _existing_log(args)
    with AlertLog(path) as alerts:
        found = alerts.alerts(limit=args.limit)
    if args.json:
        print_json({"alerts": [_alert_json(a) for a in found]})
        return 0
    if not found:
        print(f"No alerts in {path}.")
        return 0
    for a in found:
        print(_alert_line(a))
    return 0


def _alert_json(a: Alert) -> dict[str, Any]:
    d = a.to_dict()
    d["fired_at"] = format_time(a.fired_at)
    return d


def _alert_line(a: Alert) -> str:
    mark = "  (acknowledged)" if a.acknowledged else ""
    return f"{format_time(a.fired_at)}  {a.rule:<22} {a.message}{mark}"


# -- watch ----------------------------------------------------------------------------


def cmd_watch(args: argparse.Namespace) -> int:
    from adapters.kafka.sampler import ClusterSampler
    from monitor.core.history_probes import cluster_probes
    from monitor.core.history_watch import HistoryWatch

    profile, password = resolve_profile(args)
    db_path = None if args.no_log else log_path_of(args)
    first: list[Alert] = []
    reached: list[str] = []  # the cluster answered at least once

    def state(name: str, sentence: str) -> None:
        if name == "sampling":
            reached.append(name)
        _say(name, sentence)

    async def run() -> None:
        sampler = ClusterSampler(profile, password, interval=args.interval, on_state=state)
        watch = HistoryWatch(
            db_path,
            interval=args.interval,
            profile=profile.name,
            remember_alerts=not args.exit_on_alert,
        )
        watch.probes.extend(
            cluster_probes(
                sampler.lag,
                sampler.lag_seconds,
                sampler.dead_letter_depth,
                fresh=2 * args.interval + 5,
                total_dead_letters=True,
            )
        )
        seen = asyncio.Event()

        def told(alert: Alert) -> None:
            out = json_text(_alert_json(alert)) if args.json else _alert_line(alert)
            print(out, flush=True)
            if not first:
                first.append(alert)
            if args.exit_on_alert:
                seen.set()

        watch.alert_listeners.append(told)
        await watch.open()
        sampling = asyncio.create_task(sampler.run(), name="eventflow-watch-sampler")
        watch.start()
        try:
            waits = [asyncio.create_task(seen.wait())]
            await asyncio.wait(waits, timeout=args.duration)
            for w in waits:
                w.cancel()
        finally:
            sampling.cancel()
            await asyncio.gather(sampling, return_exceptions=True)
            if args.exit_on_alert and first:  # one alert said; the last sample says none
                watch.alert_listeners.clear()
            await watch.stop()  # a last sample: the history ends on its final value

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C ends a watch; what was seen stays
        run_kafka(run())
    if first and args.exit_on_alert:
        return EXIT_ALERT
    if not reached:
        # Nothing was watched: a script must not read that as "all is well".
        print(
            f"eventflow: {profile.bootstrap_servers} never answered; nothing was watched.",
            file=sys.stderr,
        )
        return 1
    return 0


def _say(_state: str, sentence: str) -> None:
    print(sentence, file=sys.stderr, flush=True)


# -- the parser -----------------------------------------------------------------------


def register(sub: Any, db: argparse.ArgumentParser, out: argparse.ArgumentParser) -> None:
    """Add ``history``, ``alerts`` and ``watch`` to the main parser's subcommands."""
    p = sub.add_parser(
        "history",
        parents=[db, out],
        help="sampled series: dead letters pending, rates, lag in records and seconds",
    )
    p.add_argument(
        "--metric",
        action="append",
        metavar="NAME",
        help="a series name or glob (repeatable), e.g. dead_letters.pending, 'group.*.lag'",
    )
    p.add_argument(
        "--since",
        type=cli_types.since,
        metavar="WHEN",
        help="only samples since a time ago (15m, 24h, 7d) or an ISO 8601 time",
    )
    p.set_defaults(func=cmd_history)

    alerts = sub.add_parser("alerts", help="alerts raised by the rules")
    asub = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    p = asub.add_parser("list", parents=[db, out], help="alerts, newest first")
    p.add_argument("--limit", type=cli_types.count, default=100, help="at most N (100)")
    p.set_defaults(func=cmd_alerts_list)

    p = sub.add_parser(
        "watch",
        parents=[db, out],
        help="sample a cluster's lag and dead letters, print each alert (no window)",
    )
    add_connection_options(p)
    p.add_argument("--duration", type=cli_types.positive, help="stop after S seconds")
    p.add_argument(
        "--exit-on-alert", action="store_true", help="exit with status 3 at the first alert"
    )
    p.add_argument(
        "--interval", type=cli_types.positive, default=5.0, help="seconds between samples (5)"
    )
    p.add_argument("--no-log", action="store_true", help="store no history or alerts")
    p.set_defaults(func=cmd_watch)
