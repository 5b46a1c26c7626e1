"""The value formats Kafka records carry, as separate small pieces the decoder uses.

- :mod:`.framing`: which schema a key or value names (Confluent v0 id, v1 GUID, headers);
- :mod:`.schemas`: where schemas come from (the :class:`~.schemas.SchemaSource` protocol
  the decoder asks without waiting, local files per topic pattern);
- :mod:`.codecs`: a framed body -> data through its schema's compiled codec: decoded,
  malformed (breaks its claim) or undecoded (the schema cannot be had yet);
- :mod:`.avro` (with :mod:`.avro_logical`), :mod:`.protobuf` (with :mod:`.proto_text`),
  :mod:`.json_schema`: the codecs; :mod:`.binary`: MessagePack and CBOR;
- :mod:`.render`: non-JSON values as readable text.

The registry's HTTP client is an adapter (``adapters.schema_registry``).
"""
