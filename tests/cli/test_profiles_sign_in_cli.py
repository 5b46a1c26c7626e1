"""`eventflow profiles add` with the sign-in options, through the real entry point."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.entry_point import eventflow


def test_profiles_add_saves_oauth_and_msk_iam_profiles(tmp_path: Path) -> None:
    env = {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}
    oauth = eventflow(
        env, "profiles", "add", "idp", "--bootstrap", "kafka.internal:9093",
        "--security-protocol", "SASL_SSL", "--sasl-mechanism", "OAUTHBEARER",
        "--oauth-token-endpoint", "https://login.example.com/token",
        "--oauth-client-id", "monitor", "--oauth-scope", "kafka",
        "--oauth-extension", "logicalCluster=lkc-1", "--sign-in", "oauth",
    )  # fmt: skip
    assert "It needs a password" in oauth.stdout and "EVENTFLOW_PASSWORD_IDP" in oauth.stdout
    msk = eventflow(
        env, "profiles", "add", "msk", "--bootstrap", "b-1.x.kafka.eu-west-1.amazonaws.com:9098",
        "--security-protocol", "SASL_SSL", "--sasl-mechanism", "AWS_MSK_IAM",
        "--aws-region", "eu-west-1", "--aws-profile", "prod",
    )  # fmt: skip
    assert "password" not in msk.stdout  # signed with AWS credentials: nothing to store
    saved = {p["name"]: p for p in json.loads(eventflow(env, "profiles", "list", "--json").stdout)}
    assert saved["idp"]["oauth_extensions"] == {"logicalCluster": "lkc-1"}
    assert saved["idp"]["oauth_token_endpoint"] == "https://login.example.com/token"
    assert (saved["msk"]["aws_region"], saved["msk"]["aws_profile"]) == ("eu-west-1", "prod")
    bad = eventflow(
        env, "profiles", "add", "msk2", "--bootstrap", "b:9098", "--security-protocol",
        "SASL_SSL", "--sasl-mechanism", "AWS_MSK_IAM", check=False,
    )  # fmt: skip
    assert bad.returncode == 1 and "AWS region" in bad.stderr


def test_profiles_add_takes_the_schema_registry_as_the_kafka_commands_do(tmp_path: Path) -> None:
    env = {**os.environ, "EVENTFLOW_CONFIG_DIR": str(tmp_path / "config")}
    eventflow(
        env, "profiles", "add", "reg", "--bootstrap", "127.0.0.1:9092",
        "--schema-registry", "http://127.0.0.1:8081",
    )  # fmt: skip
    eventflow(
        env, "profiles", "add", "reg2", "--bootstrap", "127.0.0.1:9092",
        "--registry-url", "http://127.0.0.1:8082",
    )  # fmt: skip
    saved = {p["name"]: p for p in json.loads(eventflow(env, "profiles", "list", "--json").stdout)}
    assert saved["reg"]["registry_url"] == "http://127.0.0.1:8081"
    assert saved["reg2"]["registry_url"] == "http://127.0.0.1:8082"
