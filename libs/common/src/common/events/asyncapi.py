"""The events as a contract: an AsyncAPI 3.0 document built from ``schemas`` and ``topology``.

One channel per routing key (the event type, on the topic exchange ``events``), carrying one
message: the envelope every event travels in (``envelope.Envelope``) with that event's ``type`` and
``version`` fixed and its ``data`` described by the payload's pydantic JSON schema. The producer
(the type's first word) sends it; every installed subscription that handles it receives it, from
its queue ``<name>.events`` (the services' handler registries, found through the entry point group
``common.subscriptions``: ``topology.installed_subscriptions``).

The document is checked in (``docs/asyncapi.yaml``, kept current by ``tests/sdk``):

    python -m common.events.asyncapi docs/asyncapi.yaml    # or `make sdk`, which writes it too
"""

from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from typing import Any

import yaml
from pydantic.json_schema import models_json_schema

from common.events.envelope import Envelope, Event
from common.events.schemas import EVENT_TYPES
from common.events.topology import EXCHANGE, Subscription, installed_subscriptions

__all__ = ["asyncapi_document", "render"]

_SCHEMAS = "#/components/schemas/{model}"
_AMQP_CHANNEL = {
    "is": "routingKey",
    "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"},
    "bindingVersion": "0.3.0",
}
_DESCRIPTION = """\
The events the services publish on RabbitMQ: one durable topic exchange `events`, the routing key is
the event type. Every message is an envelope (`id`, `type`, `version`, `occurred_at`, `producer`,
`correlation_id`, `data`); `data` is the event's payload, described per channel. A producer writes
an event to its outbox in the same transaction as the change, and a relay publishes it (at least
once: consumers drop duplicates by `id`). See docs/events.md."""


def _doc(model: type[Event]) -> str:
    """The payload's docstring (a subclass's, or what it inherits)."""
    return inspect.getdoc(model) or model.__name__


class _Dumper(yaml.SafeDumper):
    """No anchors (each channel spells its bindings out) and text of several lines as a block."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _text)


def _envelope(model: type[Event]) -> dict[str, Any]:
    """The envelope's schema with this event's type, version and payload."""
    envelope = Envelope.model_json_schema(mode="serialization")
    properties = dict(envelope["properties"])
    properties["type"] = {**properties["type"], "const": model.TYPE}
    properties["version"] = {**properties["version"], "const": model.VERSION, "default": model.VERSION}
    properties["data"] = {"$ref": _SCHEMAS.format(model=model.__name__)}
    return {
        "type": "object",
        "title": f"{model.__name__}Envelope",
        "required": sorted({*envelope.get("required", []), "type", "version", "producer", "data"}),
        "properties": properties,
    }


def _receivers(subscriptions: dict[str, Subscription], event_type: str) -> list[str]:
    return [sub.name for sub in subscriptions.values() if event_type in sub.types]


def asyncapi_document() -> dict[str, Any]:
    subscriptions = installed_subscriptions()
    models = sorted(EVENT_TYPES.values(), key=lambda model: model.TYPE)
    _, definitions = models_json_schema([(model, "serialization") for model in models], ref_template=_SCHEMAS)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for model in models:
        name = model.__name__
        messages[name] = {
            "name": model.TYPE,
            "title": f"{name} (version {model.VERSION})",
            "summary": _doc(model).split("\n\n", 1)[0],
            "contentType": "application/json",
            "payload": _envelope(model),
            "x-version": model.VERSION,
        }
        channel = {
            "address": model.TYPE,
            "description": _doc(model),
            "messages": {name: {"$ref": f"#/components/messages/{name}"}},
            "bindings": {"amqp": _AMQP_CHANNEL},
        }
        channels[model.TYPE] = channel
        ref = {"$ref": f"#/channels/{model.TYPE.replace('~', '~0').replace('/', '~1')}"}
        producer = model.TYPE.split(".", 1)[0]
        operations[f"{model.TYPE}.send"] = {
            "action": "send",
            "channel": ref,
            "summary": f"{producer} publishes {model.TYPE}",
        }
        for receiver in _receivers(subscriptions, model.TYPE):
            operations[f"{model.TYPE}.{receiver}"] = {
                "action": "receive",
                "channel": ref,
                "summary": f"{receiver} consumes {model.TYPE} from its queue {receiver}.events",
                "bindings": {"amqp": {"ack": True, "bindingVersion": "0.3.0"}},
            }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Social posts events", "version": "1.0.0", "description": _DESCRIPTION},
        "defaultContentType": "application/json",
        "servers": {
            "rabbitmq": {
                "host": "rabbitmq:5672",
                "protocol": "amqp",
                "protocolVersion": "0.9.1",
                "description": "the broker (AMQP_URL; natively 127.0.0.1:5672)",
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"schemas": definitions.get("$defs", {}), "messages": messages},
    }


def render() -> str:
    """The document as YAML (keys in the order built, no line wrapping: stable across runs)."""
    header = "# Made by `python -m common.events.asyncapi docs/asyncapi.yaml` (`make sdk`): do not edit.\n"
    body = yaml.dump(
        asyncapi_document(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=1_000_000
    )
    return header + body


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the AsyncAPI document of the events.")
    parser.add_argument("output", type=Path, help="where to write it, e.g. docs/asyncapi.yaml")
    args = parser.parse_args(argv)
    args.output.write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
