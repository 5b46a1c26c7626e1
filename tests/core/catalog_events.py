"""Events built to show one thing each, for the catalog and design-review tests."""

from __future__ import annotations

import itertools
from typing import Any

from monitor.core.envelope import Envelope

_ids = itertools.count(1)
T0 = 1_800_000_000.0


def event(
    type_: str = "OrderPlaced",
    *,
    topic: str = "orders",
    data: Any = None,
    at: float | None = None,
    key: str | None = None,
    version: str | None = "urn:test:1",
    correlation: str | None = "chain-1",
    **fields: Any,
) -> Envelope:
    """A well-made event (id, time, source, dataschema, correlation) unless told otherwise."""
    n = next(_ids)
    e = Envelope(
        type=type_,
        source=fields.pop("source", "shop/storefront"),
        id=fields.pop("id", f"evt-{n:06d}"),
        time=T0 + n if at is None else at,
        topic=topic,
        key=key,
        subject=fields.pop("subject", key),
        data={"orderId": f"o-{n}", "total": 10.5} if data is None else data,
        correlation_id=correlation,
        **fields,
    )
    if version is not None:
        e.extensions["dataschema"] = version
    return e
