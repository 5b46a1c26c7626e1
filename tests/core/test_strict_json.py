"""JSON that strict readers accept: what the composer lets through, what scripts get."""

from __future__ import annotations

import json

import pytest

from monitor.core.strict_json import dumps_strict, loads_strict


@pytest.mark.parametrize(
    ("text", "says", "at"),
    [
        ('{"a": NaN}', "NaN is not a JSON number", 6),
        ('{"a": [1, -Infinity]}', "-Infinity is not a JSON number", 10),
        ('{"a": 1e999}', "1e999 is beyond the range", 6),
        ('{"a": "x\\ud800"}', "\\ud800 is half of a surrogate pair", 8),
        ('{"\\uDC00": 1}', "\\udc00 is half of a surrogate pair", 2),
        ('{"n": "NaN", "v": NaN}', "NaN is not a JSON number", 18),  # not the string
        ('{"big": 1' + "0" * 400 + "}", "beyond the range", 8),
        ("[1" + "0" * 5000 + "]", "(5001 digits) is beyond the range", 1),
    ],
)
def test_what_json_loads_lets_through_but_readers_refuse_is_refused_saying_where(
    text: str, says: str, at: int
) -> None:
    with pytest.raises(json.JSONDecodeError) as info:
        loads_strict(text)
    assert says in info.value.msg
    assert (info.value.pos, info.value.lineno) == (at, 1)


def test_real_json_reads_as_json_loads_reads_it() -> None:
    text = '{"emoji": "\\ud83d\\ude00", "n": 1.5e300, "s": "NaN", "l": [null, true]}'
    assert (
        loads_strict(text)
        == json.loads(text)
        == {
            "emoji": "\U0001f600",
            "n": 1.5e300,
            "s": "NaN",
            "l": [None, True],
        }
    )


def test_output_writes_nan_and_infinities_as_null_and_keeps_the_rest() -> None:
    value = {"a": float("nan"), "b": [1.0, float("-inf"), {"c": float("inf")}], "d": "café"}
    text = dumps_strict(value, ensure_ascii=False)
    assert text == '{"a": null, "b": [1.0, null, {"c": null}], "d": "café"}'
    assert dumps_strict({"x": 1}) == json.dumps({"x": 1})  # the common case unchanged
