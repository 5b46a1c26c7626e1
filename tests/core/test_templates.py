"""Event templates: shipped ones load, user ones round-trip, placeholders fill in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.core.demo import TOPICS
from monitor.core.templates import (
    EventTemplate,
    TemplateError,
    TemplateStore,
    file_name,
    user_templates_dir,
)

DEMO_TYPES = {
    "OrderPlaced",
    "PaymentAuthorized",
    "PaymentFailed",
    "InventoryReserved",
    "OrderShipped",
}


def test_shipped_templates_cover_the_demo_flow_and_target_its_topics(tmp_path: Path) -> None:
    store = TemplateStore(user_dir=tmp_path / "none")
    templates = store.templates()
    assert store.problems == []
    assert {t.type for t in templates} >= DEMO_TYPES
    for t in templates:
        assert t.shipped
        assert t.topic in TOPICS
        event = t.make_envelope()
        assert "{{" not in json.dumps(event.data) + (event.subject or "") + (event.key or "")


def test_user_template_round_trips_through_its_file(tmp_path: Path) -> None:
    store = TemplateStore(user_dir=tmp_path / "templates", shipped_dir=tmp_path / "shipped")
    original = EventTemplate(
        name="Refund issued",
        type="RefundIssued",
        source="billing",
        subject="ord-1",
        key="ord-1",
        topic="billing.refunds",
        mode="structured",
        headers={"tenant": "eu"},
        data={"orderId": "ord-1", "amount": 12.5, "lines": [1, 2]},
        description="money back",
    )
    path = store.save(original)
    assert path.name == "Refund-issued.json"
    loaded = TemplateStore(user_dir=tmp_path / "templates", shipped_dir=tmp_path / "x").get(
        "Refund issued"
    )
    assert loaded == original


def test_user_template_hides_the_shipped_one_of_that_name(tmp_path: Path) -> None:
    store = TemplateStore(user_dir=tmp_path)
    mine = EventTemplate(name="OrderPlaced", type="OrderPlaced", data={"mine": True})
    store.save(mine)
    found = store.get("OrderPlaced")
    assert not found.shipped and found.data == {"mine": True}
    store.delete("OrderPlaced")
    assert store.get("OrderPlaced").shipped
    with pytest.raises(TemplateError, match="ships with the app"):
        store.delete("OrderPlaced")


def test_a_broken_file_is_skipped_and_reported(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{ not json", encoding="utf-8")
    (tmp_path / "odd.json").write_text('{"name": "x", "type": "T", "color": 1}', encoding="utf-8")
    store = TemplateStore(user_dir=tmp_path, shipped_dir=tmp_path / "none")
    store.save(EventTemplate(name="ok", type="T"))
    assert [t.name for t in store.templates()] == ["ok"]
    assert len(store.problems) == 2
    assert any("bad.json" in p for p in store.problems)
    assert any("color" in p for p in store.problems)


def test_placeholders_fill_in_consistently_within_one_event() -> None:
    t = EventTemplate(
        name="p",
        type="T",
        subject="ord-{{short_id}}",
        key="ord-{{ short_id }}",
        headers={"seq": "{{seq}}"},
        data={"id": "ord-{{short_id}}", "n": "{{seq}}", "at": "{{now}}", "u": "{{uuid}}"},
    )
    a, b = t.make_envelope(3), t.make_envelope(4)
    assert a.subject == a.key == a.data["id"]
    assert a.data["u"].replace("-", "").startswith(a.subject[4:])
    assert a.headers == {"seq": "3"} and a.data["n"] == "3"
    assert a.data["at"].endswith("Z")
    assert a.subject != b.subject


def test_correlation_defaults_to_the_events_own_id() -> None:
    t = EventTemplate(name="p", type="T")
    alone = t.make_envelope()
    assert alone.correlation_id == alone.id and alone.causation_id is None
    linked = t.make_envelope(correlation_id="c-1", causation_id="e-0")
    assert (linked.correlation_id, linked.causation_id) == ("c-1", "e-0")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"name": "", "type": "T"}, "name"),
        ({"name": "x", "type": ""}, "type is required"),
        ({"name": "x", "type": "T", "mode": "fancy"}, "binary or structured"),
        ({"name": "x", "type": "T", "headers": {"a": 1}}, "must be text"),
        ({"name": "x", "type": 5}, "must be text"),
        ([1, 2], "one JSON object"),
    ],
)
def test_invalid_templates_are_refused_with_the_reason(raw: object, message: str) -> None:
    with pytest.raises(TemplateError, match=message):
        EventTemplate.from_dict(raw)


def test_file_names_are_safe_and_templates_follow_the_config_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert file_name("../../etc/passwd") == "etc-passwd.json"
    assert file_name("  ") == "template.json"
    monkeypatch.setenv("EVENTFLOW_CONFIG_DIR", str(tmp_path))
    assert user_templates_dir() == tmp_path / "templates"
