"""The log's JSON text: compact UTF-8 from orjson, and every payload orjson refuses still
logged (through the json module, or as repr text) and readable back from the log file."""

from __future__ import annotations

import datetime
import json
import math
import uuid
from pathlib import Path
from typing import Any

import pytest

from monitor.core.deadletters import DeadLetter
from monitor.core.envelope import Envelope
from monitor.core.eventlog import EventLog
from monitor.core.json_text import to_json
from monitor.core.logwriter import LogWriter


class Custom:
    def __repr__(self) -> str:
        return "Custom(7)"


class BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def circular() -> list[Any]:
    loop: list[Any] = [1]
    loop.append(loop)
    return loop


def test_the_text_is_compact_utf8_json() -> None:
    value = {"orderId": "ord-1", "qty": 2, "note": "café «ok»", "tags": [True, None, 12.5]}
    assert (
        to_json(value) == '{"orderId":"ord-1","qty":2,"note":"café «ok»","tags":[true,null,12.5]}'
    )
    assert to_json('plain "quoted" C:\\tmp') == '"plain \\"quoted\\" C:\\\\tmp"'
    assert to_json({"b": 1, "a": 2}) == '{"b":1,"a":2}'  # key order kept


def test_values_json_has_no_form_for_are_their_repr_text() -> None:
    assert (
        to_json({"when": object, "x": Custom()}) == '{"when":"<class \'object\'>","x":"Custom(7)"}'
    )
    assert to_json({"s": {1, 2}}) == '{"s":"{1, 2}"}'
    assert json.loads(to_json({"b": BrokenRepr()}))["b"].startswith("<")
    # types orjson knows: their JSON form, not their repr
    assert to_json(datetime.date(2024, 5, 1)) == '"2024-05-01"'
    assert to_json(uuid.UUID(int=1)) == '"00000000-0000-0000-0000-000000000001"'


def test_non_string_keys_are_written_as_the_json_module_writes_them() -> None:
    assert to_json({1: "a", 2.5: "c"}) == '{"1":"a","2.5":"c"}'
    # "null" in the text: the read-back check sends it to the json module (its old form)
    assert to_json({None: "b", 1: None}) == '{"null": "b", "1": null}'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2**70, "1180591620717411303424"),
        ({"big": -(2**70), "n": None}, '{"big": -1180591620717411303424, "n": null}'),
        ({"nan": math.nan, "n": None}, '{"nan": NaN, "n": null}'),
        ([math.inf, -math.inf], "[Infinity, -Infinity]"),
        ({math.nan: 1}, '{"NaN": 1}'),
        ("lone \ud800 surrogate", '"lone \\ud800 surrogate"'),
    ],
)
def test_what_orjson_refuses_or_would_change_goes_through_the_json_module(
    value: Any, text: str
) -> None:
    assert to_json(value) == text


def test_what_no_encoder_takes_is_logged_as_repr_text() -> None:
    assert to_json(circular()) == '"[1, [...]]"'
    assert to_json({(1, 2): "tuple key"}) == json.dumps(repr({(1, 2): "tuple key"}))
    deep: list[Any] = []
    for _ in range(100_000):
        deep = [deep]
    assert isinstance(json.loads(to_json(deep)), str)


REFUSED = {
    "big": {"n": 2**70, "neg": -(2**70)},
    "int-keys": {1: "one", 2: "two"},
    "custom": {"x": Custom(), "when": object},
    "nan": {"ratio": math.nan, "limit": math.inf, "n": None},
    "circular": circular(),
    "broken-repr": {"b": BrokenRepr()},
    "tuple-key": {(1, 2): "x"},
}
READ_BACK = {
    "big": {"n": 2**70, "neg": -(2**70)},
    "int-keys": {"1": "one", "2": "two"},
    "custom": {"x": "Custom(7)", "when": "<class 'object'>"},
    "circular": "[1, [...]]",
    "tuple-key": "{(1, 2): 'x'}",
}


def check_read_back(log: EventLog) -> None:
    loaded = {e.id: e for e in log.events(limit=100)}
    assert set(loaded) == set(REFUSED)
    for name, data in READ_BACK.items():
        assert loaded[name].data == data, name
        assert loaded[name].headers == {"h": name}
    nan = loaded["nan"].data
    assert math.isnan(nan["ratio"]) and nan["limit"] == math.inf and nan["n"] is None
    assert loaded["broken-repr"].data["b"].startswith("<")


def refused_events() -> list[Envelope]:
    return [
        Envelope(type="Odd", source="test", id=name, data=data, headers={"h": name})
        for name, data in REFUSED.items()
    ]


def test_events_with_payloads_orjson_refuses_are_logged_and_read_back(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    with EventLog(db) as log:
        assert log.append(refused_events()) == len(REFUSED)
    with EventLog(db) as log:
        check_read_back(log)


def test_the_log_writer_thread_logs_them_too(tmp_path: Path) -> None:
    db = tmp_path / "log.db"
    writer = LogWriter(str(db))
    try:
        writer.submit_events(refused_events())
        assert writer.flush(timeout=10)
    finally:
        writer.close()
    with EventLog(db) as log:
        check_read_back(log)


def test_a_dead_letter_keeps_a_nan_and_a_big_integer(tmp_path: Path) -> None:
    event = Envelope(type="Odd", source="test", data={"ratio": math.nan, "n": 2**70})
    with EventLog(tmp_path / "log.db") as log:
        log.add_dead_letters([DeadLetter(event=event, reason="boom", original_topic=None)])
        stored = log.dead_letters()[0].event.data
    assert math.isnan(stored["ratio"]) and stored["n"] == 2**70
