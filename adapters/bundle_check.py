"""The libraries the app imports only when a record or a profile needs them, tried once.

Avro, Protobuf, MessagePack, CBOR and JSON Schema are decoded by libraries that are
imported lazily, and Amazon MSK IAM signs with botocore, whose data the installer trims to
what signing needs. A bundle that left one of them out, or trimmed too much, would only
fail on a user's first Avro topic or MSK cluster. ``eventflow --smoke-test`` (which the
installer's smoke test runs on the built package) calls :func:`problems`, so it fails the
build instead. Nothing here touches the network.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal


def _avro() -> None:
    import fastavro

    schema = fastavro.parse_schema(
        {
            "type": "record",
            "name": "Check",
            "fields": [
                {
                    "name": "total",
                    "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2},
                }
            ],
        }
    )
    out = io.BytesIO()
    fastavro.schemaless_writer(out, schema, {"total": Decimal("12.50")})
    out.seek(0)
    if fastavro.schemaless_reader(out, schema) != {"total": Decimal("12.50")}:
        raise ValueError("an Avro decimal did not round-trip")


def _protobuf() -> None:
    from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

    file = descriptor_pb2.FileDescriptorProto(name="check.proto", package="check")
    message = file.message_type.add(name="Order")
    message.field.add(
        name="id",
        number=1,
        type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
        label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    cls = message_factory.GetMessageClass(pool.FindMessageTypeByName("check.Order"))
    decoded = cls.FromString(cls(id="o-1").SerializeToString())
    if json_format.MessageToDict(decoded) != {"id": "o-1"}:
        raise ValueError("a Protobuf message did not round-trip")


def _msgpack_and_cbor() -> None:
    import cbor2
    import msgpack

    value = {"orderId": 7, "items": ["book"]}
    if msgpack.unpackb(msgpack.packb(value)) != value or cbor2.loads(cbor2.dumps(value)) != value:
        raise ValueError("MessagePack or CBOR did not round-trip")


def _json_schema() -> None:
    import jsonschema

    errors = list(
        jsonschema.Draft7Validator({"type": "object", "required": ["id"]}).iter_errors({})
    )
    if len(errors) != 1:
        raise ValueError("JSON Schema validation did not find the missing field")


def _msk_iam() -> None:
    import botocore.session
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider
    from botocore.credentials import EnvProvider

    credentials = EnvProvider(
        environ={"AWS_ACCESS_KEY_ID": "AKIDCHECK", "AWS_SECRET_ACCESS_KEY": "check"}
    )
    token, expiry_ms = MSKAuthTokenProvider.generate_auth_token_from_credentials_provider(
        "eu-west-1", credentials
    )
    if not token or expiry_ms <= 0:
        raise ValueError("the MSK IAM signer made no token")
    # An assumed role (a profile with role_arn) goes through STS: its model must be there.
    botocore.session.get_session().create_client(
        "sts", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


CHECKS: dict[str, Callable[[], None]] = {
    "avro": _avro,
    "protobuf": _protobuf,
    "msgpack and cbor": _msgpack_and_cbor,
    "json schema": _json_schema,
    "msk iam": _msk_iam,
}


def problems() -> list[str]:
    """``"name: what went wrong"`` for each check that failed; empty when all passed."""
    found = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:
            found.append(f"{name}: {type(exc).__name__}: {exc}")
    return found
