"""JSON-schema validation of Kubernetes objects, the compose file and the CI workflow.

Kubernetes: the strict schemas (unknown fields are errors) of :data:`KUBERNETES_VERSION` shipped in the
``kubernetes-validate`` wheel, loaded once per kind. Compose and GitHub Actions: the schemas vendored by
``check-jsonschema`` (compose-spec and SchemaStore's github-workflow).
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

__all__ = [
    "KUBERNETES_VERSION",
    "compose_errors",
    "kubernetes_errors",
    "workflow_errors",
]

#: The Kubernetes API version every manifest must be valid for.
KUBERNETES_VERSION = "1.32.0"

_SCHEMA_DIR = f"kubernetes-json-schema/v{KUBERNETES_VERSION}-local-strict"


def _kubernetes_file(name: str) -> Any:
    path = resources.files("kubernetes_validate").joinpath(f"{_SCHEMA_DIR}/{name}")
    return json.loads(path.read_text())


@cache
def _definitions() -> Registry[Any]:
    return Resource.from_contents(_kubernetes_file("_definitions.json")) @ Registry()


@cache
def _kubernetes_validator(kind: str, api_version: str) -> jsonschema.protocols.Validator | None:
    # apps/v1 -> apps-v1, rbac.authorization.k8s.io/v1 -> rbac-v1, v1 -> v1
    suffix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    try:
        schema = _kubernetes_file(f"{kind.lower()}-{suffix}.json")
    except FileNotFoundError:
        return None
    registry = Resource.from_contents(schema) @ _definitions()
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _messages(validator: jsonschema.protocols.Validator, instance: Any, label: str) -> list[str]:
    return [
        f"{label}: {'.'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path)))
    ]


def kubernetes_errors(manifest: dict[str, Any]) -> list[str]:
    """Schema errors of one object; an unknown kind (a CRD) is an error too: we use none."""
    kind = str(manifest.get("kind", "?"))
    api_version = str(manifest.get("apiVersion", "?"))
    name = manifest.get("metadata", {}).get("name", "?")
    label = f"{kind}/{name}"
    validator = _kubernetes_validator(kind, api_version)
    if validator is None:
        return [f"{label}: no schema for {api_version} {kind} in Kubernetes {KUBERNETES_VERSION}"]
    return _messages(validator, manifest, label)


def _vendored(name: str) -> Any:
    path = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath(name)
    return json.loads(path.read_text())


@cache
def _vendored_validator(name: str) -> jsonschema.protocols.Validator:
    schema = _vendored(name)
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


def compose_errors(compose: dict[str, Any]) -> list[str]:
    """compose-spec schema errors of a compose file as written (before interpolation)."""
    return _messages(_vendored_validator("compose-spec.json"), compose, "compose")


def workflow_errors(workflow: dict[str, Any]) -> list[str]:
    """SchemaStore github-workflow schema errors."""
    return _messages(_vendored_validator("github-workflows.json"), workflow, "workflow")
