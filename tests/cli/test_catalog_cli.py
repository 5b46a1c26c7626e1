"""``eventflow catalog``, ``catalog export`` and ``lint``, through the real entry point
on real log files."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import jsonschema
import pytest

from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from tests.adapters.broker import TansuBroker
from tests.adapters.conftest import commit_offsets, create_topic, produce
from tests.cli import entry_point
from tests.cli.asyncapi_spec import asyncapi_3_schema

ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}


def eventflow(*args: str, check: bool = True) -> tuple[int, str, str]:
    proc = entry_point.eventflow(ENV, *args, check=check)
    return proc.returncode, proc.stdout, proc.stderr


def good(type_: str, n: int, topic: str, **data: object) -> Envelope:
    return Envelope(
        type=type_,
        source="shop/storefront",
        topic=topic,
        key=f"ord-{n}",
        subject=f"ord-{n}",
        correlation_id=f"chain-{n}",
        data={"orderId": f"ord-{n}", **data},
        extensions={"dataschema": f"urn:shop:{type_}:1"},
    )


@pytest.fixture
def clean_log(tmp_path: Path) -> Path:
    db = tmp_path / "clean.db"
    with EventLog(db) as log:
        log.append([good("OrderPlaced", n, "orders.placed", total=9.5) for n in range(5)])
        log.append([good("OrderShipped", n, "shipping.shipped", carrier="DHL") for n in range(3)])
    return db


@pytest.fixture
def warning_log(tmp_path: Path) -> Path:
    """Well-made events, but one type is named as a command (a warning, no error)."""
    db = tmp_path / "warning.db"
    with EventLog(db) as log:
        log.append([good("SendInvoice", n, "billing") for n in range(3)])
    return db


def test_catalog_json_has_the_shape_the_issue_gives(clean_log: Path) -> None:
    _, out, _ = eventflow("catalog", "--json", "--db", str(clean_log))
    types = json.loads(out)["event_types"]
    assert [t["type"] for t in types] == ["OrderPlaced", "OrderShipped"]
    placed = types[0]
    for name in ("type", "topics", "producers", "consumers", "count", "first_seen",
                 "last_seen", "versions", "schema", "drift"):  # fmt: skip
        assert name in placed
    assert placed["topics"] == ["orders.placed"]
    assert placed["producers"] == ["shop/storefront"]
    assert placed["count"] == 5
    assert placed["schema"]["required"] == ["orderId", "total"]
    assert placed["versions"][0]["version"] == "urn:shop:OrderPlaced:1"


def test_catalog_text_names_each_type_with_its_topics(clean_log: Path) -> None:
    _, out, _ = eventflow("catalog", "--db", str(clean_log))
    assert out.startswith("OrderPlaced  5 events")
    assert "topics     orders.placed" in out


def test_catalog_since_a_time_after_everything_lists_nothing(clean_log: Path) -> None:
    _, out, _ = eventflow(
        "catalog", "--json", "--since", "2999-01-01T00:00:00Z", "--db", str(clean_log)
    )
    assert json.loads(out) == {"event_types": []}


def test_catalog_of_a_missing_log_says_so_and_makes_none(tmp_path: Path) -> None:
    code, _, err = eventflow("catalog", "--db", str(tmp_path / "none.db"), check=False)
    assert code == 1
    assert "There is no event log at" in err
    assert not (tmp_path / "none.db").exists()


def test_catalog_refuses_a_bad_since(clean_log: Path) -> None:
    code, _, err = eventflow("catalog", "--since", "yesterday", "--db", str(clean_log), check=False)
    assert code == 2
    assert "is not a time" in err


def test_lint_fail_on_exit_codes(clean_log: Path, warning_log: Path) -> None:
    assert eventflow("lint", "--fail-on", "warning", "--db", str(clean_log))[0] == 0
    code, out, _ = eventflow(
        "lint", "--json", "--fail-on", "warning", "--db", str(warning_log), check=False
    )
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert set(finding) == {"rule", "severity", "event_type", "topic", "message", "evidence"}
    assert (finding["rule"], finding["severity"]) == ("command-named", "warning")
    # A warning is not an error: --fail-on error passes, and so does no --fail-on.
    assert eventflow("lint", "--fail-on", "error", "--db", str(warning_log))[0] == 0
    assert eventflow("lint", "--db", str(warning_log))[0] == 0


def test_lint_fail_on_error_fails_on_an_error(tmp_path: Path) -> None:
    db = tmp_path / "errors.db"
    with EventLog(db) as log:
        log.append([Envelope(type="OrderPlaced", source="shop", id="", topic="orders")])
    code, out, _ = eventflow("lint", "--fail-on", "error", "--db", str(db), check=False)
    assert code == 1
    assert out.startswith("error   missing-field")


def test_export_asyncapi_is_a_valid_asyncapi_3_document(clean_log: Path, tmp_path: Path) -> None:
    schema = asyncapi_3_schema()
    if schema is None:
        # Never a skip that looks green: the export is checked against the real schema.
        pytest.fail(
            "the AsyncAPI 3.0 schema (npm package @asyncapi/specs) could not be fetched: "
            "install npm (Debian: apt-get install npm) and reach the npm registry"
        )
    target = tmp_path / "asyncapi.json"
    eventflow("catalog", "export", "--asyncapi", str(target), "--db", str(clean_log))
    document = json.loads(target.read_text())
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(document))
    assert errors == []
    assert document["asyncapi"] == "3.0.0"
    assert document["channels"]["orders.placed"]["address"] == "orders.placed"
    assert document["components"]["messages"]["OrderPlaced"]["payload"]["required"] == [
        "orderId",
        "total",
    ]
    actions = {(op["action"], op["channel"]["$ref"]) for op in document["operations"].values()}
    assert ("send", "#/channels/orders.placed") in actions
    # The schema is not lenient: a broken document is refused.
    document["channels"]["orders.placed"]["address"] = 42
    assert list(jsonschema.Draft7Validator(schema).iter_errors(document))


def test_export_markdown_writes_an_index_and_a_page_per_type(
    warning_log: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "catalog"
    eventflow("catalog", "export", "--markdown", str(folder), "--db", str(warning_log))
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "SendInvoice.md"]
    page = (folder / "SendInvoice.md").read_text()
    assert "- **Topics:** `billing`" in page
    assert "`command-named`" in page  # the type's findings are on its page
    assert "[SendInvoice](SendInvoice.md)" in (folder / "README.md").read_text()


def test_export_to_a_folder_that_cannot_be_made_says_why(clean_log: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = eventflow(
        "catalog", "export", "--markdown", str(blocker / "sub"), "--db", str(clean_log), check=False
    )
    assert code == 1
    assert "could not be written" in err


def test_the_messy_demo_fails_lint_in_ci_and_the_clean_one_passes(tmp_path: Path) -> None:
    messy, clean = tmp_path / "messy.db", tmp_path / "clean.db"
    eventflow("demo", "--headless", "--scenario", "messy", "--duration", "3", "--db", str(messy))
    eventflow("demo", "--headless", "--duration", "2", "--db", str(clean))
    code, out, _ = eventflow("lint", "--fail-on", "error", "--db", str(messy), check=False)
    assert code == 1
    assert "error   ignored-dlq" in out
    assert eventflow("lint", "--fail-on", "warning", "--db", str(clean))[0] == 0


def test_the_messy_scenario_in_the_window_is_a_menu_choice(tmp_path: Path) -> None:
    code, _, err = eventflow(
        "demo", "--scenario", "messy", "--db", str(tmp_path / "x.db"), check=False
    )
    assert code == 1
    assert "Demo > Run the careless producer" in err


def test_a_kafka_tail_names_the_groups_that_consume_each_topic(
    broker: TansuBroker, tmp_path: Path
) -> None:
    topic, db = "catalog-invoices", tmp_path / "tail.db"
    asyncio.run(create_topic(broker.bootstrap, topic))
    asyncio.run(produce(broker.bootstrap, topic, [b'{"type": "InvoiceIssued", "id": "i-1"}']))
    asyncio.run(commit_offsets(broker.bootstrap, "accounting", {(topic, 0): 1}))
    env = {**ENV, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}
    entry_point.eventflow(
        env, "kafka", "tail", "--bootstrap", broker.bootstrap, "--topic", topic,
        "--from", "beginning", "--max", "1", "--quiet", "--db", str(db),
    )  # fmt: skip
    _, out, _ = eventflow("catalog", "--json", "--db", str(db))
    [invoice] = json.loads(out)["event_types"]
    assert (invoice["type"], invoice["topics"]) == ("InvoiceIssued", [topic])
    assert invoice["consumers"] == ["accounting"]
