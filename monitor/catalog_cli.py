"""``eventflow catalog``, ``eventflow catalog export`` and ``eventflow lint``: the event
catalog learnt from the log, its AsyncAPI and Markdown exports, and the design review.

Each reads the event log (``--db``), brings its stored catalog up to date with the events
logged since it was saved, and stores it again. ``lint --fail-on SEVERITY`` exits 1 when a
finding of that severity or worse exists, so CI can run it against a staging log.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from monitor import cli_types
from monitor.cli_errors import CliError
from monitor.cli_log import db_path as log_path_of
from monitor.cli_output import print_json
from monitor.core.catalog.asyncapi import asyncapi_document
from monitor.core.catalog.catalog import Catalog
from monitor.core.catalog.markdown import write_markdown
from monitor.core.catalog.store import build_catalog
from monitor.core.design_review.finding import SEVERITIES, Finding
from monitor.core.design_review.review import at_least, log_context, review
from monitor.core.envelope import format_time
from monitor.core.eventlog import LogError
from monitor.core.wording import count


def _log_path(args: argparse.Namespace) -> str:
    path = log_path_of(args)
    if not os.path.exists(path):
        raise CliError(
            f"There is no event log at {path}. Run eventflow (or eventflow demo --headless, "
            "or kafka tail) to make one, or pass --db."
        )
    return path


def _catalog(args: argparse.Namespace) -> Catalog:
    try:
        return build_catalog(_log_path(args), since=getattr(args, "since", None))
    except LogError as exc:
        raise CliError(str(exc)) from exc


def _findings(path: str, catalog: Catalog) -> list[Finding]:
    try:
        return review(log_context(path, catalog))
    except LogError as exc:
        raise CliError(str(exc)) from exc


# -- eventflow catalog -------------------------------------------------------------------


def cmd_catalog(args: argparse.Namespace) -> int:
    catalog = _catalog(args)
    summary = catalog.summary()
    if args.json:
        print_json(summary)
        return 0
    types = summary["event_types"]
    if not types:
        print("No events in the log yet" + (" since then." if args.since else "."))
        return 0
    for t in types:
        versions = ", ".join(v["version"] or "(none)" for v in t["versions"])
        fields = ", ".join((t["schema"].get("properties") or {}).keys())
        print(f"{t['type']}  {count(t['count'], 'event')}, {t['first_seen']} .. {t['last_seen']}")
        print(f"  topics     {', '.join(t['topics']) or '-'}")
        print(f"  producers  {', '.join(t['producers']) or '-'}")
        print(f"  consumers  {', '.join(t['consumers']) or '-'}")
        print(f"  versions   {versions}")
        print(f"  fields     {fields or '-'}")
        for d in t["drift"][-5:]:
            print(f"  drift      {d['at']}  {d['change']} {d['field']}  (event {d['event_id']})")
    return 0


def cmd_catalog_export(args: argparse.Namespace) -> int:
    path = _log_path(args)
    catalog = _catalog(args)
    try:
        if args.asyncapi:
            document = asyncapi_document(catalog, title=f"Events in {Path(path).name}")
            target = Path(args.asyncapi)
            target.write_text(json.dumps(document, indent=2, default=str) + "\n", "utf-8")
            print(f"Wrote the AsyncAPI 3.0 document of {len(catalog.entries)} event types "
                  f"to {target}")  # fmt: skip
        else:
            written = write_markdown(catalog, Path(args.markdown), _findings(path, catalog))
            print(f"Wrote {len(written)} Markdown files to {args.markdown}")
    except OSError as exc:
        raise CliError(f"The export could not be written: {exc}") from exc
    return 0


# -- eventflow lint ----------------------------------------------------------------------


def _finding_line(f: Finding) -> str:
    where = " on ".join(x for x in (f.event_type, f.topic) if x)
    return f"{f.severity:<7} {f.rule:<21} {where}\n        {f.message}"


def cmd_lint(args: argparse.Namespace) -> int:
    path = _log_path(args)
    catalog = _catalog(args)
    findings = _findings(path, catalog)
    if args.json:
        print_json({"findings": [f.to_dict() for f in findings]})
    elif not findings:
        print(f"No findings in {len(catalog.entries)} event types.")
    else:
        for f in findings:
            print(_finding_line(f))
        counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
        print(
            f"{len(findings)} findings ({counts['error']} errors, {counts['warning']} "
            f"warnings, {counts['info']} info) in {len(catalog.entries)} event types, "
            f"as of {format_time(catalog.clock())}."
        )
    if args.fail_on and at_least(findings, args.fail_on):
        return 1
    return 0


def _guarded(func: Any) -> Any:
    def run(args: argparse.Namespace) -> int:
        try:
            return int(func(args))
        except CliError as exc:
            print(f"eventflow: {exc}", file=sys.stderr)
            return 1

    return run


def register(sub: Any, db: argparse.ArgumentParser, out: argparse.ArgumentParser) -> None:
    """Add ``catalog`` (with ``export``) and ``lint`` to the main parser's subcommands."""
    p = sub.add_parser(
        "catalog",
        parents=[db, out],
        help="the event types seen: topics, producers, consumers, versions, schema, drift",
    )
    p.add_argument(
        "--since",
        type=cli_types.since,
        metavar="D",
        help="only what was logged since a time ago (24h, 7d) or an ISO 8601 time",
    )
    p.set_defaults(func=_guarded(cmd_catalog))
    csub = p.add_subparsers(dest="catalog_command", metavar="ACTION")
    e = csub.add_parser("export", parents=[db], help="write the catalog as AsyncAPI or Markdown")
    target = e.add_mutually_exclusive_group(required=True)
    target.add_argument("--asyncapi", metavar="FILE", help="an AsyncAPI 3.0 document (JSON)")
    target.add_argument("--markdown", metavar="DIR", help="a README and one page per type")
    e.set_defaults(func=_guarded(cmd_catalog_export))

    p = sub.add_parser(
        "lint", parents=[db, out], help="the design review: findings with their evidence"
    )
    p.add_argument(
        "--fail-on",
        choices=("warning", "error"),
        help="exit 1 when a finding of this severity or worse exists (for CI)",
    )
    p.set_defaults(func=_guarded(cmd_lint))
