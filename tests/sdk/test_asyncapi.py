"""``docs/asyncapi.yaml``: the events' contract, built from ``common.events`` and kept current."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from common.events.asyncapi import asyncapi_document, render
from common.events.schemas import EVENT_TYPES, UserUpdated
from common.events.topology import installed_subscriptions

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_the_committed_document_is_what_the_event_schemas_give() -> None:
    assert COMMITTED.read_text() == render(), "run `make sdk` (or python -m common.events.asyncapi)"


def test_one_channel_per_routing_key_with_its_payload_schema_and_version() -> None:
    document = yaml.safe_load(COMMITTED.read_text())
    assert document["asyncapi"] == "3.0.0"
    assert set(document["channels"]) == set(EVENT_TYPES)
    for event_type, model in EVENT_TYPES.items():
        channel = document["channels"][event_type]
        assert channel["address"] == event_type
        assert channel["bindings"]["amqp"]["exchange"] == {
            "name": "events",
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        }
        (message_ref,) = channel["messages"].values()
        message = _resolve(document, message_ref["$ref"])
        payload = message["payload"]
        assert payload["properties"]["type"]["const"] == event_type
        assert payload["properties"]["version"]["const"] == model.VERSION
        data = _resolve(document, payload["properties"]["data"]["$ref"])
        assert set(data["properties"]) == set(model.model_fields)
    # A version 2 payload says so, and documents the field version 2 added.
    updated = document["components"]["messages"]["UserUpdated"]
    assert updated["payload"]["properties"]["version"]["const"] == UserUpdated.VERSION == 2
    assert "active" in document["components"]["schemas"]["UserUpdated"]["properties"]


def test_every_subscription_receives_what_the_topology_binds_and_producers_send() -> None:
    operations = asyncapi_document()["operations"]
    received = {
        (op["channel"]["$ref"].removeprefix("#/channels/"), key.rsplit(".", 1)[1])
        for key, op in operations.items()
        if op["action"] == "receive"
    }
    bound = {(event_type, sub.name) for sub in installed_subscriptions().values() for event_type in sub.types}
    assert received == bound
    sends = [op for op in operations.values() if op["action"] == "send"]
    sent = {op["channel"]["$ref"].removeprefix("#/channels/") for op in sends}
    assert sent == set(EVENT_TYPES)
