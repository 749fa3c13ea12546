"""Every event a service publishes is consumed by some subscription, and only known events are bound.

``EVENT_TYPES`` (``common.events.schemas``) is the registry of what the services publish;
the services' handler registries say which queue receives which type (each service package names
them in the entry point group ``common.subscriptions``: ``topology.installed_subscriptions``). An event in
the first and in no subscription would be routed to nobody (and the relay refuses to mark it sent).
"""

from __future__ import annotations

import ast
from pathlib import Path

from common.events import schemas
from common.events.envelope import Event
from common.events.schemas import EVENT_TYPES
from common.events.topology import BINDINGS_FILE, installed_subscriptions, render_bindings

ROOT = Path(__file__).resolve().parents[4]


def _bound() -> set[str]:
    return {t for sub in installed_subscriptions().values() for t in sub.types}


def test_every_service_declares_its_subscriptions_as_entry_points() -> None:
    assert sorted(installed_subscriptions()) == ["auth", "posts", "votes", "worker-mail", "worker-media"]


def test_the_system_bindings_every_bus_declares_are_the_handler_registries() -> None:
    """``bindings.py`` is generated from the registries (``make sdk``): a handler added without
    regenerating it would wait for its consumer's first start instead of being declared by every bus."""
    assert BINDINGS_FILE.read_text() == render_bindings(), "run make sdk and commit common/events/bindings.py"


def test_every_published_event_type_is_bound_to_a_queue() -> None:
    unbound = sorted(set(EVENT_TYPES) - _bound())
    assert unbound == [], f"published but consumed by no subscription: {unbound}"


def test_every_bound_type_is_a_registered_event() -> None:
    assert sorted(_bound() - set(EVENT_TYPES)) == []


def test_services_publish_only_registered_event_classes() -> None:
    """Each ``add_event(..., SomeEvent(...))`` in a service names a class of the registry."""
    registered = {cls.__name__ for cls in EVENT_TYPES.values()}
    defined = {  # the event classes of the schemas module (not its helpers, such as TokenSeal)
        name for name, obj in vars(schemas).items() if isinstance(obj, type) and issubclass(obj, Event)
    }
    published: set[str] = set()
    for path in (ROOT / "services").glob("*/src/**/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in defined:
                published.add(node.func.id)
    assert published, "no event construction found in the services"
    assert sorted(published - registered) == []
