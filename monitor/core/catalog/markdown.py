"""The catalog as Markdown a team can commit: an index and one page per event type
(topics, producers, consumers, versions, the payload's fields, drift, an example, and
the design review's findings for the type)."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.core.catalog.catalog import Catalog
from monitor.core.catalog.entry import EventTypeEntry
from monitor.core.envelope import format_time

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def page_name(type_name: str) -> str:
    return (_UNSAFE.sub("-", type_name).strip("-.") or "type") + ".md"


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _list(names: Sequence[str] | set[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names)) or "none seen"


def type_page(entry: EventTypeEntry, findings: Sequence[Any] = ()) -> str:
    lines = [
        f"# {entry.type}",
        "",
        f"- **Topics:** {_list(set(entry.topics))}",
        f"- **Producers:** {_list(set(entry.producers))}",
        f"- **Consumers:** {_list(entry.consumers)}",
        f"- **Events seen:** {entry.count:,}, from {format_time(entry.first_seen)} to "
        f"{format_time(entry.last_seen)}",
        f"- **Versions:** {_list({v or '(none)' for v in entry.versions})}",
        "",
        "## Payload",
        "",
        "| field | type | required | example |",
        "|---|---|---|---|",
    ]
    schema = entry.schema()
    required = set(schema.get("required", []))
    for name, prop in (schema.get("properties") or {}).items():
        types = prop.get("type")
        shown = " or ".join(types) if isinstance(types, list) else types
        example = json.dumps(prop["examples"][0], default=str) if prop.get("examples") else ""
        lines.append(
            f"| `{_cell(name)}` | {shown} | {'yes' if name in required else 'no'} | "
            f"{_cell(example)} |"
        )
    if entry.drift:
        lines += ["", "## Drift", "", "| when | change | field | event |", "|---|---|---|---|"]
        for d in entry.drift:
            what = d["change"] + (
                f" ({d['from']} -> {d['to']})" if d["change"] == "changed" else ""
            )
            lines.append(
                f"| {format_time(d['at'])} | {what} | `{_cell(d['field'])}` | `{d['event_id']}` |"
            )
    mine = [f for f in findings if f.event_type == entry.type]
    lines += ["", "## Design review", ""]
    if mine:
        lines += [f"- **{f.severity}** `{f.rule}`: {f.message}" for f in mine]
    else:
        lines.append("No findings.")
    newest = entry.newest_example()
    if newest is not None:
        lines += ["", "## Example", "", "```json", json.dumps(newest.get("data"), indent=2,
                  default=str, ensure_ascii=False), "```"]  # fmt: skip
    return "\n".join(lines) + "\n"


def write_markdown(catalog: Catalog, folder: Path, findings: Sequence[Any] = ()) -> list[Path]:
    """Write ``README.md`` (the index) and one page per type into ``folder`` (made if
    missing); returns the files written. Raises ``OSError`` when it cannot write."""
    catalog.refresh_consumers()
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    index = [
        "# Event catalog",
        "",
        "Learnt by Eventflow Monitor from the events that flowed "
        "(`eventflow catalog export --markdown`).",
        "",
        "| type | topics | producers | consumers | events | findings |",
        "|---|---|---|---|---|---|",
    ]
    for entry in catalog.types():
        name = page_name(entry.type)
        path = folder / name
        path.write_text(type_page(entry, findings), encoding="utf-8")
        written.append(path)
        n = sum(1 for f in findings if f.event_type == entry.type)
        index.append(
            f"| [{_cell(entry.type)}]({name}) | {_cell(', '.join(sorted(entry.topics)))} | "
            f"{_cell(', '.join(sorted(entry.producers)))} | "
            f"{_cell(', '.join(sorted(entry.consumers)))} | {entry.count:,} | {n} |"
        )
    readme = folder / "README.md"
    readme.write_text("\n".join(index) + "\n", encoding="utf-8")
    written.append(readme)
    return written
