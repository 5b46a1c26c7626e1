"""Kafka record decoding: every mode, every correlation source, every way a record can be bad."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.core import decoding
from monitor.core.decoding import (
    DEFAULT_CONFIG,
    DecoderConfig,
    decode_record,
    trace_id_from_traceparent,
)
from monitor.core.encoding import encode_binary, encode_structured
from monitor.core.envelope import Envelope, format_time

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def js(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def ce_headers(**extra: str) -> list[tuple[str, bytes | None]]:
    headers = {
        "ce_specversion": "1.0",
        "ce_id": "evt-1",
        "ce_type": "order.placed",
        "ce_source": "/orders",
        "content-type": "application/json",
        **extra,
    }
    return [(k, v.encode()) for k, v in headers.items()]


def structured(**extra: Any) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "evt-1",
        "type": "order.placed",
        "source": "/orders",
        **extra,
    }


# --- plain JSON -------------------------------------------------------------------------


def test_plain_json_takes_id_type_source_time_from_configured_fields() -> None:
    env = decode_record(
        js(
            {
                "eventId": "e1",
                "eventType": "OrderPlaced",
                "source": "shop",
                "occurredAt": "2024-05-01T10:00:00.250Z",
                "amount": 3,
            }
        )
    )
    assert not env.malformed and env.error is None
    assert (env.id, env.type, env.source) == ("e1", "OrderPlaced", "shop")
    assert format_time(env.time) == "2024-05-01T10:00:00.250Z"
    assert env.data["amount"] == 3
    assert env.datacontenttype == "application/json"
    assert env.raw is None  # parsed JSON is not kept twice


def test_plain_json_without_fields_gets_defaults_and_the_record_timestamp() -> None:
    env = decode_record(b'{"a": 1}', timestamp_ms=1_700_000_000_123)
    assert env.type == DEFAULT_CONFIG.default_type == "unknown"
    assert env.source == DEFAULT_CONFIG.default_source
    assert env.time == pytest.approx(1_700_000_000.123)


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (1_700_000_000, 1_700_000_000.0),
        (1_700_000_000_500, 1_700_000_000.5),
        ("2023-11-14T22:13:20Z", 1_700_000_000.0),
    ],
)
def test_plain_json_time_accepts_epoch_seconds_millis_and_rfc3339(
    stamp: object, expected: float
) -> None:
    assert decode_record(js({"timestamp": stamp})).time == pytest.approx(expected)


def test_unusable_time_field_falls_back_to_record_timestamp() -> None:
    env = decode_record(js({"time": "yesterday", "timestamp": True}), timestamp_ms=5_000)
    assert env.time == 5.0


def test_negative_kafka_timestamp_means_none_so_now_is_used() -> None:
    before = time.time()
    stamp = decode_record(b"{}", timestamp_ms=-1).time
    assert stamp is not None and stamp >= before


def test_plain_json_numeric_id_is_coerced_and_object_type_ignored() -> None:
    env = decode_record(js({"id": 42, "type": {"name": "x"}}))
    assert env.id == "42" and env.type == "unknown" and not env.malformed


@pytest.mark.parametrize("value", [b"[1, 2, 3]", b"42", b'"hello"', b"null"])
def test_plain_json_non_object_is_data_not_malformed(value: bytes) -> None:
    env = decode_record(value)
    assert not env.malformed
    assert env.data == json.loads(value)
    assert env.type == "unknown"


def test_utf8_bom_is_tolerated() -> None:
    assert decode_record(b"\xef\xbb\xbf" + js({"id": "x"})).id == "x"


# --- CloudEvents binary mode ------------------------------------------------------------


def test_binary_mode_takes_attributes_from_ce_headers() -> None:
    headers = ce_headers(
        ce_time="2024-05-01T10:00:00.123Z",
        ce_subject="order-9",
        ce_tenant="acme",
        ce_correlationid="corr-1",
        ce_causationid="cause-1",
    )
    env = decode_record(js({"sku": "A"}), headers, topic="orders", partition=0, offset=7)
    assert not env.malformed
    assert (env.id, env.type, env.source, env.subject) == (
        "evt-1",
        "order.placed",
        "/orders",
        "order-9",
    )
    assert env.specversion == "1.0"
    assert format_time(env.time) == "2024-05-01T10:00:00.123Z"
    assert env.datacontenttype == "application/json"
    assert env.data == {"sku": "A"}
    assert env.extensions == {"tenant": "acme"}
    assert (env.correlation_id, env.causation_id) == ("corr-1", "cause-1")
    assert env.headers["ce_tenant"] == "acme"  # all headers stay visible
    assert env.raw is None


def test_binary_mode_record_without_ce_type_is_malformed_but_kept() -> None:
    headers = [h for h in ce_headers() if h[0] != "ce_type"]
    env = decode_record(js({"sku": "A"}), headers)
    assert env.malformed
    assert env.error is not None and "lacks ce_type" in env.error
    assert env.id == "evt-1" and env.source == "/orders" and env.type == "unknown"
    assert env.data == {"sku": "A"}
    assert env.raw == js({"sku": "A"})


def test_binary_mode_text_content_is_text_and_raw_is_kept() -> None:
    headers = ce_headers(**{"content-type": "text/plain; charset=utf-8"})
    env = decode_record("héllo".encode(), headers)
    assert not env.malformed
    assert env.data == "héllo" and env.raw == "héllo".encode()
    assert env.datacontenttype == "text/plain; charset=utf-8"


def test_binary_mode_opaque_content_leaves_data_none_and_keeps_raw() -> None:
    headers = ce_headers(**{"content-type": "application/avro"})
    env = decode_record(b"\x00\x01\xff", headers)
    assert not env.malformed and env.data is None and env.raw == b"\x00\x01\xff"


def test_binary_mode_without_content_type_parses_json() -> None:
    headers = [h for h in ce_headers() if h[0] != "content-type"]
    assert decode_record(b"[1]", headers).data == [1]


def test_binary_mode_with_empty_value_is_an_event_without_data_not_a_tombstone() -> None:
    env = decode_record(None, ce_headers())
    assert not env.malformed and env.data is None and env.id == "evt-1"


def test_binary_mode_headers_win_over_a_value_shaped_like_a_structured_event() -> None:
    inner = structured(id="inner", data=1)
    env = decode_record(js(inner), ce_headers())
    assert env.id == "evt-1" and env.data == inner


def test_binary_mode_header_names_are_case_insensitive() -> None:
    headers = [(k.upper(), v) for k, v in ce_headers()]
    env = decode_record(b"{}", headers)
    assert not env.malformed and env.type == "order.placed"


# --- CloudEvents structured mode --------------------------------------------------------

STRUCTURED_HEADERS = [("content-type", b"application/cloudevents+json; charset=UTF-8")]


def test_structured_mode_takes_attributes_and_extensions_from_the_object() -> None:
    event = structured(
        time="2024-05-01T10:00:00Z",
        subject="s",
        datacontenttype="application/json",
        data={"sku": "A"},
        correlationid="c1",
        causationid="k1",
        tenant="acme",
    )
    env = decode_record(js(event), STRUCTURED_HEADERS)
    assert not env.malformed
    assert (env.id, env.type, env.source, env.subject) == ("evt-1", "order.placed", "/orders", "s")
    assert env.data == {"sku": "A"}
    assert env.extensions == {"tenant": "acme"}
    assert (env.correlation_id, env.causation_id) == ("c1", "k1")
    assert env.time == pytest.approx(1714557600.0)


def test_structured_mode_is_recognised_by_shape_without_the_header() -> None:
    env = decode_record(js(structured(data=[1, 2])))
    assert (env.id, env.type, env.data) == ("evt-1", "order.placed", [1, 2])
    assert env.extensions == {}


def test_structured_mode_data_base64_goes_to_raw() -> None:
    payload = b"\x00binary\xff"
    event = structured(data_base64=base64.b64encode(payload).decode())
    env = decode_record(js(event), STRUCTURED_HEADERS)
    assert not env.malformed and env.data is None and env.raw == payload


@pytest.mark.parametrize("b64", ["!!not base64!!", 12, ["QUJD"]])
def test_structured_mode_bad_base64_is_malformed(b64: object) -> None:
    value = js(structured(data_base64=b64))
    env = decode_record(value, STRUCTURED_HEADERS)
    assert env.malformed and "base64" in (env.error or "")
    assert env.raw == value


@pytest.mark.parametrize("value", [b"[1, 2]", b"17", b'"evt"'])
def test_structured_mode_value_that_is_not_an_object_is_malformed(value: bytes) -> None:
    env = decode_record(value, STRUCTURED_HEADERS)
    assert env.malformed and "not a JSON object" in (env.error or "")
    assert env.raw == value


def test_structured_mode_missing_attributes_are_reported() -> None:
    env = decode_record(js({"specversion": "1.0", "id": "x"}), STRUCTURED_HEADERS)
    assert env.malformed and "lacks type, source" in (env.error or "")
    assert env.id == "x"


def test_structured_mode_non_string_id_is_coerced_and_flagged() -> None:
    env = decode_record(js(structured(id=123, type=["a"])), STRUCTURED_HEADERS)
    assert env.malformed
    assert env.id == "123" and env.type == '["a"]'
    assert "id is not a string" in (env.error or "")


# --- correlation and causation -----------------------------------------------------------


def test_correlation_from_top_level_payload_field() -> None:
    assert decode_record(js({"correlation_id": "c"})).correlation_id == "c"


@pytest.mark.parametrize("nest", ["metadata", "meta", "headers"])
def test_correlation_and_causation_from_nested_metadata_object(nest: str) -> None:
    env = decode_record(js({nest: {"correlationId": "c", "causation-id": "k"}}))
    assert (env.correlation_id, env.causation_id) == ("c", "k")


def test_top_level_field_beats_nested_field() -> None:
    env = decode_record(js({"metadata": {"correlationId": "nested"}, "CorrelationId": "top"}))
    assert env.correlation_id == "top"


def test_numeric_correlation_field_is_coerced_and_empty_one_skipped() -> None:
    assert decode_record(js({"correlationId": 7})).correlation_id == "7"
    env = decode_record(js({"correlationId": "", "correlation_id": "second"}))
    assert env.correlation_id == "second"


@pytest.mark.parametrize(
    "name", ["correlation-id", "X-Correlation-ID", "correlation_id", "CORRELATIONID"]
)
def test_correlation_from_header_matches_case_insensitively(name: str) -> None:
    assert decode_record(b"{}", [(name, b"hdr")]).correlation_id == "hdr"


def test_causation_from_header() -> None:
    assert decode_record(b"{}", [("X-Causation-Id", b"k")]).causation_id == "k"


def test_correlation_from_traceparent_trace_id() -> None:
    assert decode_record(b"{}", [("traceparent", TRACEPARENT.encode())]).correlation_id == TRACE_ID


def test_correlation_precedence_extension_then_payload_then_header_then_traceparent() -> None:
    payload = js({"correlationId": "payload"})
    tp = ("traceparent", TRACEPARENT.encode())
    hdr = ("correlation-id", b"header")
    ext = ("ce_correlationid", b"extension")
    assert decode_record(payload, [*ce_headers(), tp, hdr, ext]).correlation_id == "extension"
    assert decode_record(payload, [*ce_headers(), tp, hdr]).correlation_id == "payload"
    assert decode_record(b"{}", [*ce_headers(), tp, hdr]).correlation_id == "header"
    assert decode_record(b"{}", [*ce_headers(), tp]).correlation_id == TRACE_ID
    assert decode_record(b"{}", ce_headers()).correlation_id is None


def test_causation_precedence_extension_then_payload_then_header() -> None:
    payload = js({"causationId": "payload"})
    hdr = ("causation-id", b"header")
    ext = ("ce_causationid", b"extension")
    assert decode_record(payload, [*ce_headers(), hdr, ext]).causation_id == "extension"
    assert decode_record(payload, [*ce_headers(), hdr]).causation_id == "payload"
    assert decode_record(b"{}", [*ce_headers(), hdr]).causation_id == "header"


def test_structured_extension_beats_payload_field() -> None:
    event = structured(correlationid="ext", data={"correlationId": "payload"})
    assert decode_record(js(event)).correlation_id == "ext"


def test_empty_correlation_header_is_ignored_and_none_header_value_is_empty_text() -> None:
    env = decode_record(b"{}", [("correlation-id", b""), ("x-correlation-id", None)])
    assert env.correlation_id is None
    assert env.headers == {"correlation-id": "", "x-correlation-id": ""}


@pytest.mark.parametrize(
    "value",
    [
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # all-zero trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  # all-zero parent id
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  # forbidden version
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  # upper-case hex
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",  # short trace id
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",  # v00 + extra
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  # no flags
        "garbage",
        "",
    ],
)
def test_invalid_traceparent_gives_no_correlation(value: str) -> None:
    assert trace_id_from_traceparent(value) is None
    assert decode_record(b"{}", [("traceparent", value.encode())]).correlation_id is None


def test_future_traceparent_version_may_carry_extra_fields() -> None:
    assert trace_id_from_traceparent(f"01-{TRACE_ID}-00f067aa0ba902b7-01-more") == TRACE_ID


def test_custom_config_names_are_used_instead_of_the_defaults() -> None:
    config = DecoderConfig(
        correlation_headers=("X-Request-Chain",),
        causation_fields=("parentEvent",),
        type_fields=("kind",),
        traceparent_header="",
        default_source="billing",
    )
    env = decode_record(
        js({"kind": "Invoiced", "parentEvent": "p1", "correlationId": "from-payload"}),
        [("x-request-chain", b"chain-1"), ("traceparent", TRACEPARENT.encode())],
        config=config,
    )
    assert env.type == "Invoiced" and env.source == "billing"
    assert env.causation_id == "p1"
    assert env.correlation_id == "from-payload"  # a payload field still beats a header
    env = decode_record(b"{}", [("X-REQUEST-CHAIN", b"chain-1")], config=config)
    assert env.correlation_id == "chain-1"
    env = decode_record(b"{}", [("correlation-id", b"default-name")], config=config)
    assert env.correlation_id is None
    env = decode_record(b"{}", [("traceparent", TRACEPARENT.encode())], config=config)
    assert env.correlation_id is None  # traceparent disabled


# --- ids, keys, headers ----------------------------------------------------------------


def test_record_without_event_id_gets_a_stable_id_from_its_origin() -> None:
    a = decode_record(b'{"x": 1}', topic="orders", partition=2, offset=99)
    b = decode_record(b'{"x": 1}', topic="orders", partition=2, offset=99)
    assert a.id == b.id == "orders-2-99"
    assert decode_record(None, topic="orders", partition=2, offset=99).id == "orders-2-99"


def test_record_without_event_id_or_origin_gets_a_fresh_uuid() -> None:
    a, b = decode_record(b"{}"), decode_record(b"{}")
    assert a.id and b.id and a.id != b.id


def test_origin_key_and_invalid_header_bytes_are_kept_as_text() -> None:
    env = decode_record(b"{}", [("h", b"ok\xff")], key=b"k\xfe", topic="t", partition=1, offset=2)
    assert (env.topic, env.partition, env.offset) == ("t", 1, 2)
    assert env.key == "k\\xfe"
    assert env.headers == {"h": "ok\\xff"}


# --- malformed records -----------------------------------------------------------------


@pytest.mark.parametrize("value", [None, b""])
def test_tombstone_is_a_tombstone_with_its_key_not_malformed(value: bytes | None) -> None:
    env = decode_record(value, key=b"order-7", topic="t", partition=0, offset=1)
    assert not env.malformed and env.error is None
    assert env.format == "tombstone" and env.key == "order-7" and env.key_format == "text"
    assert env.data is None and env.type == "t"


def test_invalid_utf8_is_malformed_and_raw_kept() -> None:
    value = b'{"a": "\xff\xfe"}'
    env = decode_record(value)
    assert env.malformed and "invalid UTF-8" in (env.error or "")
    assert env.raw == value


def test_invalid_utf8_under_text_content_type_is_malformed() -> None:
    env = decode_record(b"\xff", [("content-type", b"text/plain")])
    assert env.malformed and env.raw == b"\xff"


def test_truncated_json_is_malformed() -> None:
    value = js({"id": "x", "data": {"a": [1, 2, 3]}})[:-5]
    env = decode_record(value)
    assert env.malformed and "truncated JSON" in (env.error or "")
    assert env.raw == value


def test_text_that_is_not_json_is_text_without_a_content_type() -> None:
    env = decode_record(b"hello world", topic="greetings")
    assert not env.malformed and env.error is None
    assert env.format == "text" and env.data == "hello world" and env.raw == b"hello world"
    assert env.type == "greetings"  # no type anywhere: the topic


@pytest.mark.parametrize("value", [b"42 apples", b"true story", b"null and void"])
def test_text_that_starts_like_a_json_literal_is_still_text(value: bytes) -> None:
    env = decode_record(value)
    assert not env.malformed and env.format == "text" and env.data == value.decode()


@pytest.mark.parametrize("value", [b'{"a": 1', b"[1, 2", b'"unterminated'])
def test_what_starts_like_json_and_breaks_is_malformed_json(value: bytes) -> None:
    env = decode_record(value)
    assert env.malformed and "JSON" in (env.error or "") and env.format == "json"


def test_bytes_that_are_not_utf8_without_a_content_type_are_binary_not_malformed() -> None:
    value = b"\x89PNG\r\n\x1a\n\xff"
    env = decode_record(value)
    assert not env.malformed and env.format == "binary"
    assert env.data is None and env.raw == value


def test_text_under_a_text_content_type_is_fine() -> None:
    env = decode_record(b"hello world", [("Content-Type", b"text/plain")])
    assert not env.malformed and env.data == "hello world" and env.raw == b"hello world"


def test_json_with_trailing_garbage_is_malformed() -> None:
    env = decode_record(b'{"a": 1} trailing')
    assert env.malformed and "Extra data" in (env.error or "")
    assert not decode_record(b'  {"a": 1}  \n').malformed


def test_integer_beyond_python_digit_limit_is_malformed_not_raised() -> None:
    env = decode_record(b"[" + b"9" * 5000 + b"]")
    assert env.malformed and env.error


def test_payload_larger_than_max_bytes_is_malformed_before_parsing_and_raw_kept() -> None:
    # Valid JSON: only the size check, made before any parsing, can call it malformed.
    # (How fast that is belongs to the benchmarks, not to a test a busy machine can fail.)
    value = b'{"a": "' + b"x" * (5 * 1024 * 1024) + b'"}'
    env = decode_record(value, ce_headers())
    assert env.malformed and "too large" in (env.error or "")
    assert env.raw is value
    assert env.id == "evt-1"  # binary-mode attributes still come from the headers


def test_max_bytes_is_configurable() -> None:
    env = decode_record(b'{"a": 12345}', config=DecoderConfig(max_bytes=5))
    assert env.malformed and "too large" in (env.error or "")


@pytest.mark.parametrize("value", [b"[" * 100_000, b'{"a":' * 50_000, b"[" * 2000 + b"]" * 2000])
def test_absurd_nesting_is_malformed_without_recursion_error(value: bytes) -> None:
    env = decode_record(value)
    assert env.malformed and "nested too deeply" in (env.error or "")
    assert env.raw == value


def test_nesting_at_the_limit_is_fine_and_one_deeper_is_malformed() -> None:
    assert not decode_record(b"[" * 64 + b"]" * 64).malformed
    assert decode_record(b"[" * 65 + b"]" * 65).malformed


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    value = js({"text": "[" * 500 + '{\\"' * 100, "list": [[1]]})
    env = decode_record(value)
    assert not env.malformed and env.data["list"] == [[1]]


def test_many_shallow_brackets_are_not_too_deep() -> None:
    value = js([[i] for i in range(10_000)])
    assert not decode_record(value).malformed


def test_unexpected_internal_error_still_returns_a_malformed_envelope(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(*args: object) -> Envelope:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(decoding, "_decode", boom)
    env = decode_record(b"{}", topic="t", partition=0, offset=3)
    assert env.malformed and env.error == "decoder error: RuntimeError: kaboom"
    assert env.raw == b"{}" and env.id == "t-0-3"


# --- encoding ---------------------------------------------------------------------------


def sample_envelope(**overrides: Any) -> Envelope:
    fields: dict[str, Any] = {
        "id": "evt-9",
        "type": "order.shipped",
        "source": "/shipping",
        "time": 1_714_557_600.5,
        "subject": "order-9",
        "data": {"sku": "A", "qty": 2},
        "correlation_id": "corr-9",
        "causation_id": "cause-9",
        "headers": {"x-service": "shipping", "ce_stale": "x", "Content-Type": "text/old"},
        "extensions": {"tenant": "acme", "priority": 3},
    }
    fields.update(overrides)
    return Envelope(**fields)


def test_encode_binary_writes_ce_headers_and_passes_other_headers_through() -> None:
    value, headers = encode_binary(sample_envelope())
    assert json.loads(value) == {"sku": "A", "qty": 2}
    assert dict(headers) == {
        "ce_specversion": b"1.0",
        "ce_id": b"evt-9",
        "ce_type": b"order.shipped",
        "ce_source": b"/shipping",
        "ce_time": b"2024-05-01T10:00:00.500Z",
        "ce_subject": b"order-9",
        "content-type": b"application/json",
        "ce_correlationid": b"corr-9",
        "ce_causationid": b"cause-9",
        "ce_tenant": b"acme",
        "ce_priority": b"3",
        "x-service": b"shipping",
    }


def test_encode_binary_text_and_bytes_data_go_out_as_is() -> None:
    value, headers = encode_binary(sample_envelope(data="plain", datacontenttype="text/plain"))
    assert value == b"plain" and ("content-type", b"text/plain") in headers
    value, headers = encode_binary(sample_envelope(data=b"\x00\x01", datacontenttype=None))
    assert value == b"\x00\x01" and ("content-type", b"application/octet-stream") in headers


def test_encode_binary_of_undecodable_record_republishes_its_raw_bytes() -> None:
    bad = decode_record(b"{not json", [("x-service", b"a")])
    assert bad.malformed
    value, headers = encode_binary(bad)
    assert value == b"{not json" and ("x-service", b"a") in headers


def test_encode_structured_is_one_cloudevents_json_object() -> None:
    value, headers = encode_structured(sample_envelope())
    assert headers == [
        ("content-type", b"application/cloudevents+json; charset=UTF-8"),
        ("x-service", b"shipping"),
    ]
    assert json.loads(value) == {
        "specversion": "1.0",
        "id": "evt-9",
        "type": "order.shipped",
        "source": "/shipping",
        "time": "2024-05-01T10:00:00.500Z",
        "subject": "order-9",
        "datacontenttype": "application/json",
        "correlationid": "corr-9",
        "causationid": "cause-9",
        "tenant": "acme",
        "priority": 3,
        "data": {"sku": "A", "qty": 2},
    }


def test_encode_structured_bytes_data_round_trips_through_data_base64() -> None:
    env = decode_record(*encode_structured(sample_envelope(data=b"\x00\xff")))
    assert not env.malformed and env.raw == b"\x00\xff" and env.data is None


@pytest.mark.parametrize("encode", [encode_binary, encode_structured])
def test_round_trip_keeps_extensions_and_passthrough_headers(encode: Any) -> None:
    env = decode_record(*encode(sample_envelope()))
    assert not env.malformed
    assert env.extensions == {
        "tenant": "acme",
        "priority": 3 if encode is encode_structured else "3",
    }
    assert env.headers["x-service"] == "shipping"


# --- properties ------------------------------------------------------------------------

INTERESTING_HEADERS = st.sampled_from(
    [
        "ce_specversion",
        "ce_id",
        "ce_type",
        "ce_source",
        "ce_time",
        "ce_subject",
        "ce_correlationid",
        "ce_causationid",
        "ce_x",
        "content-type",
        "Content-Type",
        "traceparent",
        "correlation-id",
        "causation-id",
    ]
)
HEADER_VALUES = (
    st.none()
    | st.binary(max_size=40)
    | st.sampled_from(
        [
            b"application/json",
            b"application/cloudevents+json",
            b"text/plain",
            b"application/octet-stream",
            b"1.0",
            TRACEPARENT.encode(),
            b"2024-01-01T00:00:00Z",
        ]
    )
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)
JSON_OBJECT_BYTES = st.dictionaries(
    st.sampled_from(
        [
            "specversion",
            "id",
            "type",
            "source",
            "time",
            "data",
            "data_base64",
            "correlationId",
            "metadata",
            "subject",
        ]
    )
    | st.text(max_size=5),
    JSON_VALUES,
    max_size=8,
).map(lambda d: json.dumps(d).encode())


@settings(max_examples=200)
@given(
    value=st.none() | st.binary(max_size=300) | JSON_OBJECT_BYTES,
    headers=st.lists(
        st.tuples(INTERESTING_HEADERS | st.text(max_size=20), HEADER_VALUES), max_size=8
    ),
    origin=st.none() | st.tuples(st.text(max_size=10), st.integers(0, 9), st.integers(0)),
)
def test_decode_never_raises_and_malformed_records_keep_their_bytes(
    value: bytes | None,
    headers: list[tuple[str, bytes | None]],
    origin: tuple[str, int, int] | None,
) -> None:
    topic, partition, offset = origin or (None, None, None)
    env = decode_record(value, headers, topic=topic, partition=partition, offset=offset)
    assert isinstance(env, Envelope)
    assert isinstance(env.id, str) and env.id
    assert isinstance(env.type, str) and env.type
    assert isinstance(env.source, str) and env.source
    assert isinstance(env.time, float)
    assert env.format in FORMATS
    if env.malformed:
        assert isinstance(env.error, str) and env.error
        assert env.raw == (value if value is not None else b"")
    elif env.undecoded:  # schema-framed bytes with no registry: kept, saying what to do
        assert env.error is not None and "--schema-registry" in env.error
        assert env.raw == value
    else:
        assert env.error is None
    if origin is not None:
        again = decode_record(value, headers, topic=topic, partition=partition, offset=offset)
        assert again.id == env.id  # stable when derived from the origin


FORMATS = {
    "json",
    "cloudevents",
    "text",
    "binary",
    "tombstone",
    "undecoded",
    "msgpack",
    "cbor",
}


RESERVED_KEYS = {
    *DEFAULT_CONFIG.correlation_fields,
    *DEFAULT_CONFIG.causation_fields,
    *DEFAULT_CONFIG.nested_fields,
}
# Integers of any size: those past 64 bits must keep every digit too.
ROUND_TRIP_DATA = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text()
    | st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text().filter(lambda k: k not in RESERVED_KEYS), inner, max_size=5)
    ),
    max_leaves=20,
)
NON_EMPTY = st.text(min_size=1, max_size=30)


def test_integers_beyond_64_bits_keep_every_digit() -> None:
    # orjson (the fast path's parser) would read them as floats: the decoder sends them
    # to the general path, which keeps every digit.
    big = 123456789012345678901234567890
    env = decode_record(b'{"type": "T", "n": %d, "m": -%d}' % (big, big))
    assert env.data == {"type": "T", "n": big, "m": -big}
    assert decode_record(b'{"n": 18446744073709551616}').data["n"] == 2**64


@st.composite
def envelopes(draw: st.DrawFn) -> Envelope:
    return Envelope(
        id=draw(NON_EMPTY),
        type=draw(NON_EMPTY),
        source=draw(NON_EMPTY),
        subject=draw(st.none() | NON_EMPTY),
        time=draw(st.floats(min_value=0, max_value=4_102_444_800)),
        data=draw(ROUND_TRIP_DATA),
        correlation_id=draw(st.none() | NON_EMPTY),
        causation_id=draw(st.none() | NON_EMPTY),
    )


@settings(max_examples=200)
@given(env=envelopes(), structured_mode=st.booleans())
def test_encode_then_decode_round_trips(env: Envelope, structured_mode: bool) -> None:
    encode = encode_structured if structured_mode else encode_binary
    out = decode_record(*encode(env))
    assert not out.malformed, out.error
    assert (out.id, out.type, out.source, out.subject) == (
        env.id,
        env.type,
        env.source,
        env.subject,
    )
    assert format_time(out.time) == format_time(env.time)
    assert out.data == env.data
    assert (out.correlation_id, out.causation_id) == (env.correlation_id, env.causation_id)


def test_utf8_bytes_with_control_characters_are_binary_not_text() -> None:
    # Valid UTF-8, but no person wrote it: a bell, NULs and a length byte.
    odd = decode_record(b"\x07\x00\x00\x00\x01abc", [], topic="t", partition=0, offset=1)
    assert (odd.format, odd.data, odd.raw, odd.malformed) == (
        "binary", None, b"\x07\x00\x00\x00\x01abc", False,
    )  # fmt: skip
    # Tabs and line ends are text's own.
    text = decode_record(b"line one\tok\r\nline two\n", [], topic="t", partition=0, offset=2)
    assert (text.format, text.data) == ("text", "line one\tok\r\nline two\n")
