"""Editing JSON before a replay: clear refusals, and the change shown against the original."""

from __future__ import annotations

import pytest

from monitor.core.json_diff import (
    JsonInputError,
    json_changes,
    parse_headers,
    parse_json,
    pretty_json,
    unified_json_diff,
)


def test_invalid_json_is_refused_with_line_and_column() -> None:
    with pytest.raises(JsonInputError) as err:
        parse_json('{\n  "a": 1\n  "b": 2\n}', what="The payload")
    assert err.value.line == 3 and err.value.column == 3
    message = str(err.value)
    assert message.startswith("The payload is not valid JSON")
    assert "line 3, column 3" in message
    with pytest.raises(JsonInputError, match="empty"):
        parse_json("   ")
    assert parse_json("null") is None


def test_headers_must_be_an_object_of_strings() -> None:
    assert parse_headers('{"x-tenant": "acme"}') == {"x-tenant": "acme"}
    with pytest.raises(JsonInputError, match='"x-retry" must be a string'):
        parse_headers('{"x-retry": 3}')
    with pytest.raises(JsonInputError, match="must be a JSON object"):
        parse_headers('["a"]')
    with pytest.raises(JsonInputError, match="needs a name"):
        parse_headers('{"": "x"}')
    with pytest.raises(JsonInputError, match="not valid JSON"):
        parse_headers("{'a': 'b'}")


def test_unified_diff_shows_removed_and_added_lines() -> None:
    before = {"sku": "SKU-999", "qty": 2}
    after = {"sku": "SKU-100", "qty": 2}
    diff = unified_json_diff(before, after, name="payload")
    lines = diff.splitlines()
    assert lines[0] == "--- payload (original)"
    assert lines[1] == "+++ payload (edited)"
    assert '-  "sku": "SKU-999",' in lines
    assert '+  "sku": "SKU-100",' in lines
    assert unified_json_diff(before, dict(before)) == ""


def test_changes_name_each_path() -> None:
    before = {"items": [{"sku": "A", "qty": 1}], "note": "x", "flag": True}
    after = {"items": [{"sku": "A", "qty": 2}, {"sku": "B"}], "flag": 1, "new": None}
    described = [c.describe() for c in json_changes(before, after)]
    assert described == [
        "items[0].qty: 1 \u2192 2",
        'items[1]: added {"sku": "B"}',
        'note: removed (was "x")',
        "flag: true \u2192 1",  # a bool is not the number 1, whatever Python says
        "new: added null",
    ]
    assert json_changes([1, 2], [1, 2]) == []
    assert [c.kind for c in json_changes(1, "1")] == ["changed"]


def test_pretty_json_keeps_key_order_and_unicode() -> None:
    assert pretty_json({"b": 1, "a": "caf\u00e9"}) == '{\n  "b": 1,\n  "a": "caf\u00e9"\n}'
