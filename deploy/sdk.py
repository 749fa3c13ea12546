"""``make sdk``: the API clients in ``sdk/``, generated from the merged OpenAPI documents.

The documents are built offline from the apps (``create_app().openapi()``, no service started), cut
to what the gateway routes (``common.app.routed_document``, what ``/api/v1/<service>/openapi.json``
serves) and merged as the gateway's ``/docs`` page merges them (``auth_service/docs/static/docs.js``):
paths side by side, a component two services define differently renamed ``<service>.<name>`` in
the second, operations without a tag given the service's name. Then:

- ``sdk/openapi.json``: the merged document (what the generators read);
- ``sdk/python/``: the Python client, by openapi-python-client (root dev group, pinned);
- ``sdk/typescript/src/schema.d.ts``: the TypeScript types of openapi-typescript, used by the
  client of ``sdk/typescript/src/index.ts`` (openapi-fetch); both pinned in
  ``sdk/typescript/package-lock.json`` and installed with ``npm ci``;
- ``docs/asyncapi.yaml``: the events' contract (``common.events.asyncapi``).
- ``libs/common/src/common/events/bindings.py``: every subscription's bindings, from the services'
  handler registries, which each service's bus declares at start (``common.events.topology``).

Everything is a function of the repository (the generators' versions are locked, and their
formatter is the workspace's ruff), so both modes generate into a temporary folder: ``make sdk``
copies what differs into place and removes what is made no more; ``--check`` lists it
(``deploy.generated``, the command line ``deploy.gateway_sync`` shares).

    python -m deploy.sdk            # write sdk/openapi.json, sdk/python, sdk/typescript/src/schema.d.ts
    python -m deploy.sdk --check    # exit 1 and list the files that differ from a fresh generation
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from common.events import asyncapi, topology
from deploy import generated
from deploy.render import REPO_ROOT

__all__ = [
    "SDK_DIR",
    "SERVICES",
    "documents",
    "drift",
    "generate",
    "install_typescript_tools",
    "merge",
    "merged_document",
    "wanted",
]

SDK_DIR = REPO_ROOT / "sdk"
PYTHON_DIR = SDK_DIR / "python"
TYPESCRIPT_DIR = SDK_DIR / "typescript"
SCHEMA_TS = Path("src") / "schema.d.ts"
DOCUMENT = "openapi.json"
ASYNCAPI = REPO_ROOT / "docs" / "asyncapi.yaml"
#: The services the gateway routes, in the docs page's order (the worker has no public route).
SERVICES = ("auth", "posts", "votes")
TITLE = "Social posts API"
DESCRIPTION = (
    "Every service's API, reached through the gateway (auth, posts, votes), merged as the gateway's "
    "/docs page merges them. Sign in with POST /api/v1/auth/login and send the access token as "
    "`Authorization: Bearer <token>`."
)
_COMPONENT_KINDS = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
)
_VENV_BIN = Path(sys.executable).parent


def _apps(keys_dir: Path) -> dict[str, Callable[[], FastAPI]]:
    from auth_service.main import create_app as auth_app
    from auth_service.settings import AuthSettings
    from posts_service.main import create_app as posts_app
    from votes_service.main import create_app as votes_app

    # Development settings (the docs router included) and a throw-away signing key.
    auth_settings = AuthSettings(environment="development", jwt_private_keys_dir=str(keys_dir))
    return {"auth": lambda: auth_app(auth_settings), "posts": posts_app, "votes": votes_app}


def documents() -> dict[str, dict[str, Any]]:
    """Each routed service's document, as ``/api/v1/<service>/openapi.json`` serves it."""
    from common.app import routed_document

    with tempfile.TemporaryDirectory() as keys_dir:
        apps = _apps(Path(keys_dir))
        return {name: routed_document(apps[name]()) for name in SERVICES}


def _rewrite_refs(node: Any, renamed: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_rewrite_refs(item, renamed) for item in node]
    if isinstance(node, dict):
        return {
            key: (
                renamed.get(value, value)
                if key == "$ref" and isinstance(value, str)
                else _rewrite_refs(value, renamed)
            )
            for key, value in node.items()
        }
    return node


def _merge_components(merged: dict[str, Any], document: dict[str, Any], service: str) -> dict[str, Any]:
    """Add ``document``'s components; returns the document with its refs to renamed ones rewritten."""
    components = document.get("components", {})
    renamed = {}
    for kind in _COMPONENT_KINDS:
        for name, value in components.get(kind, {}).items():
            existing = merged["components"].get(kind, {}).get(name)
            if existing is not None and existing != value:
                renamed[f"#/components/{kind}/{name}"] = f"#/components/{kind}/{service}.{name}"
    document = _rewrite_refs(document, renamed)
    for kind in _COMPONENT_KINDS:
        for name, value in document.get("components", {}).get(kind, {}).items():
            target = renamed.get(f"#/components/{kind}/{name}", name).rsplit("/", 1)[-1]
            merged["components"].setdefault(kind, {})[target] = value
    return document


def _merge_paths(merged: dict[str, Any], document: dict[str, Any], service: str) -> None:
    for path, item in document.get("paths", {}).items():
        if path in merged["paths"]:
            raise ValueError(f"{path} of {service} is already described by another service")
        for operation in item.values():
            if isinstance(operation, dict) and "responses" in operation and not operation.get("tags"):
                operation["tags"] = [service]
        merged["paths"][path] = item
    for tag in document.get("tags", []):
        if all(known["name"] != tag["name"] for known in merged["tags"]):
            merged["tags"].append(tag)


def merge(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One document of every service's (``docs.js``'s merge, with a fixed description)."""
    merged: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": "v1", "description": DESCRIPTION},
        "paths": {},
        "components": {},
        "tags": [],
    }
    for service, document in docs.items():
        merged["openapi"] = document.get("openapi", merged["openapi"])
        _merge_paths(merged, _merge_components(merged, document, service), service)
    if not merged["tags"]:
        del merged["tags"]
    return merged


def merged_document() -> dict[str, Any]:
    return merge(documents())


def _run(command: list[str], cwd: Path) -> None:
    # The generators' formatter (openapi-python-client runs ruff) is the workspace's own.
    env = {**os.environ, "PATH": f"{_VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(  # noqa: S603 (our own fixed commands)
        command, cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")


def install_typescript_tools() -> None:
    """``npm ci`` in ``sdk/typescript`` unless its installed tree matches the lock file."""
    installed = TYPESCRIPT_DIR / "node_modules" / ".package-lock.json"
    lock = TYPESCRIPT_DIR / "package-lock.json"
    if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    _run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], TYPESCRIPT_DIR)


def _write_document(document: dict[str, Any], target: Path) -> None:
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def generate(out: Path = SDK_DIR) -> None:
    """Write the merged document and both clients under ``out`` (``sdk/`` or a scratch copy)."""
    out.mkdir(parents=True, exist_ok=True)
    _write_document(merged_document(), out / DOCUMENT)
    _run(
        [
            str(_VENV_BIN / "openapi-python-client"),
            "generate",
            "--path",
            str(out / DOCUMENT),
            "--output-path",
            str(out / "python"),
            "--config",
            str(SDK_DIR / "python-client.yaml"),
            "--meta",
            "uv",
            "--overwrite",
            "--fail-on-warning",
        ],
        REPO_ROOT,
    )
    install_typescript_tools()
    (out / "typescript" / SCHEMA_TS).parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            str(TYPESCRIPT_DIR / "node_modules" / ".bin" / "openapi-typescript"),
            str(out / DOCUMENT),
            "--output",
            str(out / "typescript" / SCHEMA_TS),
        ],
        TYPESCRIPT_DIR,
    )


def _generated_files(root: Path) -> Iterator[Path]:
    yield Path(DOCUMENT)
    yield from sorted(
        path.relative_to(root)
        for path in (root / "python").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and ".ruff_cache" not in path.parts
    )
    yield Path("typescript") / SCHEMA_TS


def wanted() -> generated.Wanted:
    """Everything ``make sdk`` writes, from a fresh generation in a scratch folder, and what is stale."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        generate(fresh)
        files = {
            SDK_DIR / rel: generated.File((fresh / rel).read_bytes(), "a fresh generation")
            for rel in _generated_files(fresh)
        }
    # The events' contract, beside the HTTP one.
    files[ASYNCAPI] = generated.File(asyncapi.render(), "common.events.asyncapi")
    files[topology.BINDINGS_FILE] = generated.File(topology.render_bindings(), "the services' Handlers")
    stale = [SDK_DIR / rel for rel in _generated_files(SDK_DIR) if SDK_DIR / rel not in files]
    return generated.Wanted(files, stale)


def drift() -> list[str]:
    """The files of ``sdk/`` (and docs/asyncapi.yaml) that differ from a fresh generation, or that one
    lacks or adds."""
    return generated.differences(wanted())


def main(argv: list[str] | None = None) -> int:
    return generated.main(
        argv,
        description=__doc__ or "",
        wanted=wanted,
        fix="make sdk, and commit sdk/, docs/asyncapi.yaml and common/events/bindings.py",
    )


if __name__ == "__main__":
    sys.exit(main())
