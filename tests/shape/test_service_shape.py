"""Every service is built the same way, so a newcomer finds any behaviour in the same place.

The shape is written down in ``docs/adding-a-service.md``: the same top-level modules in every
service package, everything else in feature packages with the same file names, one typed state
reached through one dependency, and event handlers declared once in a registry.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from deploy.native.stack import SERVICES

ROOT = Path(__file__).resolve().parents[2]

#: The top-level modules of every service package (``docs/adding-a-service.md``).
TOP_LEVEL = {"__init__", "main", "settings", "state", "dependencies", "handlers", "models", "cli"}
#: Only where a service has a measured exception to the house style, each with its bench figure.
OPTIONAL = {"hotpath"}
#: The file names of a feature package (``posts_service/media`` is the model); a feature may add
#: modules of its own, but these names mean the same thing everywhere.
FEATURE_FILES = {"router", "service", "repository", "schemas", "models"}


def _package(service: str) -> Path:
    return ROOT / "services" / service / "src" / f"{service}_service"


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_top_level_modules(service: str) -> None:
    package = _package(service)
    modules = {p.stem for p in package.glob("*.py")}
    assert modules >= TOP_LEVEL, f"{service} lacks {sorted(TOP_LEVEL - modules)}"
    assert modules <= TOP_LEVEL | OPTIONAL, (
        f"{service} has loose modules {sorted(modules - TOP_LEVEL - OPTIONAL)}"
    )


@pytest.mark.parametrize("service", SERVICES)
def test_everything_else_lives_in_feature_packages_with_the_standard_file_names(service: str) -> None:
    features = [p for p in _package(service).iterdir() if p.is_dir() and p.name != "__pycache__"]
    assert features, f"{service} has no feature package"
    for feature in features:
        modules = {p.stem for p in feature.glob("*.py")}
        assert "__init__" in modules, f"{feature} is not a package"
        assert modules & FEATURE_FILES, f"{feature} has none of {sorted(FEATURE_FILES)}"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_state_is_one_typed_object_reached_through_the_generic_dependency(service: str) -> None:
    state = (_package(service) / "state.py").read_text()
    assert re.search(r"class \w+State\(ServiceState\)", state), (
        f"{service}'s state.py defines no ServiceState"
    )
    assert re.search(r"State = Annotated\[\w+State, Depends\(get_state\)\]", state)


def _python_files() -> list[Path]:
    files = [p for s in SERVICES for p in (ROOT / "services" / s / "src").rglob("*.py")]
    return files + list((ROOT / "libs" / "common" / "src").rglob("*.py"))


def test_nothing_is_hung_on_app_state_but_the_service_state() -> None:
    """``app.state.<name>`` was a bag of untyped names; now it holds ``service`` (and, for a bare
    app in tests of common, nothing a service reads)."""
    offenders = []
    for path in _python_files():
        for lineno, line in enumerate(path.read_text().splitlines(), 1):
            for name in re.findall(r"\bapp\.state\.(\w+)", line):
                if name != "service":
                    offenders.append(f"{path.relative_to(ROOT)}:{lineno}: app.state.{name}")
    allowed = {"libs/common/src/common/identity.py"}  # a bare app's verifier (tests of common)
    assert [o for o in offenders if o.split(":")[0] not in allowed] == []


def test_no_service_names_its_producer_or_lists_its_bindings_by_hand() -> None:
    """The producer is the event type's first word; a queue's bindings are its handler registry."""
    for path in _python_files():
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.keyword):
                assert node.arg != "producer" or "common/events" in str(path), f"{path}: producer="
            if isinstance(node, ast.Name):
                assert node.id not in {"PRODUCER", "SUBSCRIPTIONS"}, f"{path}: {node.id}"
