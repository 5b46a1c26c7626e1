"""JSON Schema framed records: the JSON after the prefix, and whether it is valid.

Validity is shown, never a rejection: an invalid payload is decoded all the same, with the
first failing path and the reason beside it.
"""

from __future__ import annotations

import json
from typing import Any

from monitor.core.formats.schemas import Schema


class JsonSchemaCodec:
    def __init__(self, schema: Schema) -> None:
        import jsonschema
        import referencing
        import referencing.jsonschema

        doc = json.loads(schema.text)
        draft7 = referencing.jsonschema.DRAFT7
        resources = [
            (name, referencing.Resource.from_contents(json.loads(r.text), draft7))
            for name, r in schema.references.items()
        ]
        registry: Any = referencing.Registry().with_resources(resources)
        cls = jsonschema.validators.validator_for(doc, default=jsonschema.Draft7Validator)
        self.validator = cls(doc, registry=registry)
        title = doc.get("title") if isinstance(doc, dict) else None
        self.name: str | None = title if isinstance(title, str) else None

    def decode(self, body: bytes) -> tuple[Any, str | None, str | None]:
        """``(data, name, first failure or None)``; ValueError when the body is not JSON."""
        try:
            data = json.loads(body.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise ValueError(f"invalid UTF-8 at byte {exc.start}") from None
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"invalid JSON: {exc}") from None
        failure = None
        try:
            error = next(iter(self.validator.iter_errors(data)), None)
        except Exception as exc:  # a schema jsonschema cannot apply: say so, keep the data
            failure = f"the schema cannot be applied: {type(exc).__name__}: {exc}"
        else:
            if error is not None:
                path = "$" + "".join(
                    f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path
                )
                failure = f"{path}: {error.message}"
        return data, self.name, failure
