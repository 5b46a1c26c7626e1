"""A client for registries that speak the Confluent Schema Registry REST API."""
