"""Spring's binary dead-letter headers read as numbers, from the text the decoder stores."""

from __future__ import annotations

import pytest

from monitor.core.decoding import decode_record
from monitor.core.header_text import (
    header_bytes,
    readable_header,
    readable_headers,
    record_header_pairs,
    visible,
)


def stored(value: bytes) -> str:
    """A header value as the decoder keeps it (UTF-8, bad bytes backslash-escaped)."""
    return value.decode("utf-8", "backslashreplace")


@pytest.mark.parametrize(
    ("name", "number", "width"),
    [
        ("kafka_dlt-original-partition", 2, 4),
        ("kafka_dlt-original-partition", 0, 4),
        ("kafka_dlt-original-offset", 200, 8),  # 0xc8: not UTF-8, escaped as \xc8
        ("kafka_dlt-original-offset", 2**40 + 12_345, 8),
        ("retry_topic-attempts", 3, 4),
        ("Kafka_DLT-Original-Partition", 7, 4),  # header names are matched ignoring case
    ],
)
def test_spring_binary_integers_read_as_decimal_numbers(name: str, number: int, width: int) -> None:
    text = stored(number.to_bytes(width, "big", signed=True))
    assert readable_header(name, text) == str(number)


def test_a_binary_timestamp_reads_as_milliseconds_and_the_utc_time() -> None:
    text = stored((1_765_000_000_123).to_bytes(8, "big"))
    assert readable_header("kafka_dlt-original-timestamp", text) == (
        "1765000000123 (2025-12-06T05:46:40.123Z)"
    )


def test_decimal_text_other_widths_and_other_headers_stay_as_they_came() -> None:
    assert readable_header("kafka_dlt-original-offset", "42") == "42"  # re-encoded as text
    odd = stored(b"\x00\x01\x02")  # three bytes: not what Spring writes, shown escaped
    assert readable_header("kafka_dlt-original-partition", odd) == "\\x00\\x01\\x02"
    assert readable_header("kafka_dlt-exception-message", "no \\x00 handler") == (
        "no \\x00 handler"
    )
    assert readable_header("correlation-id", "\x00\x00\x00\x02") == "\\x00\\x00\\x00\\x02"


def test_header_bytes_undoes_the_decoders_backslash_escapes() -> None:
    for raw in (b"\x00\x00\x00\xc8", "café".encode(), b"\xff\xfe", b"plain"):
        assert header_bytes(stored(raw)) == raw


def test_headers_of_a_decoded_spring_dead_letter_record_read_as_numbers() -> None:
    event = decode_record(
        b'{"orderId": "o-1"}',
        headers=[
            ("kafka_dlt-original-topic", b"orders"),
            ("kafka_dlt-original-partition", (3).to_bytes(4, "big")),
            ("kafka_dlt-original-offset", (4_242).to_bytes(8, "big")),
        ],
        topic="orders.DLT",
        partition=0,
        offset=9,
    )
    assert "\x00" in event.headers["kafka_dlt-original-partition"]  # what is stored
    assert readable_headers(event.headers) == {
        "kafka_dlt-original-topic": "orders",
        "kafka_dlt-original-partition": "3",
        "kafka_dlt-original-offset": "4242",
    }


def test_control_characters_of_a_binary_header_are_shown_escaped_not_as_boxes() -> None:
    value = b"\xff\x00\x01".decode("utf-8", "backslashreplace")
    assert readable_header("x-bin", value) == "\\xff\\x00\\x01"
    assert readable_header("x-note", "two\twords") == "two\twords"  # a tab stays


def test_visible_escapes_c0_and_c1_controls_and_keeps_text() -> None:
    assert visible("k\x1b[2Jx") == "k\\x1b[2Jx"  # a terminal escape in a key
    assert visible("\x7f\x85") == "\\x7f\\x85"  # DEL and a C1 control
    assert visible("café\tok") == "café\tok"


def test_visible_keeps_line_ends_for_the_views_that_show_a_first_line() -> None:
    assert visible("line1\nline2\r\n") == "line1\nline2\r\n"


def test_a_records_headers_keep_a_repeated_name_and_a_null_value_apart_from_an_empty_one() -> None:
    pairs = record_header_pairs(
        [
            ("dup", b"1"),
            ("dup", b"2"),
            ("none", None),
            ("empty", b""),
            ("kafka_dlt-original-partition", (3).to_bytes(4, "big")),
        ]
    )
    assert pairs == [
        ("dup", "1"),
        ("dup", "2"),
        ("none", None),
        ("empty", ""),
        ("kafka_dlt-original-partition", "3"),
    ]
