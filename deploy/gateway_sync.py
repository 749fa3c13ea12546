"""Keep every copy of the Traefik configuration in step with ``gateway/traefik``.

kustomize refuses files outside a kustomization's folder, and ``kubectl apply -k`` cannot lift that
restriction, so ``deploy/k8s/base/gateway/traefik`` holds byte-identical copies of ``gateway/traefik``
(the source of truth). ``make k8s`` and the tests fail on any drift.

The modes that trace write a static file of their own (``traced_files``): Traefik reads its static
configuration from one source only (a file, or flags, or the environment), so the ``tracing`` section
cannot be added beside the file at start. Each is ``gateway/traefik/traefik.yml`` unchanged followed
by the section that ``deploy/native/traefik.py`` adds natively, made from the OTEL_* settings that
mode gives its services: compose's defaults (``deploy/compose/traefik/traefik.yml``), and each overlay
whose ``common-config`` names an OTLP endpoint (``deploy/k8s/overlays/<name>/traefik/traefik.yml``,
replacing the base's ``traefik-static`` ConfigMap).

    python -m deploy.gateway_sync          # rewrite the copies and the traced static files
    python -m deploy.gateway_sync --check  # exit 1 and list the differences
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from deploy import generated
from deploy.native import traefik
from deploy.render import COMPOSE_FILE, K8S_DIR, OVERLAYS, REPO_ROOT, load_compose

__all__ = [
    "COMPOSE_TRACED",
    "COPY_DIR",
    "OVERLAY_TRACED",
    "SOURCE_DIR",
    "compose_environ",
    "drift",
    "overlay_environ",
    "source_files",
    "sync",
    "traced_files",
    "wanted",
]

SOURCE_DIR = REPO_ROOT / "gateway" / "traefik"
COPY_DIR = K8S_DIR / "base" / "gateway" / "traefik"
KUSTOMIZATION = COPY_DIR.parent / "kustomization.yaml"
#: The static file compose mounts: gateway/traefik/traefik.yml with compose's tracing section.
COMPOSE_TRACED = COMPOSE_FILE.parent / "traefik" / "traefik.yml"
#: Where an overlay that traces keeps its static file (kustomize reads only inside its folder).
OVERLAY_TRACED = Path("traefik") / "traefik.yml"
_WRITER = "deploy/gateway_sync.py (make k8s-sync)"


_show = generated.show


def source_files() -> list[Path]:
    """traefik.yml and every dynamic file, relative to ``gateway/traefik``."""
    files = [Path("traefik.yml")]
    files += sorted(p.relative_to(SOURCE_DIR) for p in (SOURCE_DIR / "dynamic").glob("*.y*ml"))
    return files


def _copied_files() -> list[Path]:
    return sorted(p.relative_to(COPY_DIR) for p in COPY_DIR.rglob("*") if p.is_file())


def wanted() -> generated.Wanted:
    """The kustomize copies of gateway/traefik and the traced static files, and what is stale."""
    sources = [rel for rel in source_files() if (SOURCE_DIR / rel).is_file()]
    files = {
        COPY_DIR / rel: generated.File((SOURCE_DIR / rel).read_bytes(), f"gateway/traefik/{rel}")
        for rel in sources
    }
    stale = [COPY_DIR / rel for rel in _copied_files() if rel not in sources]
    traced = traced_files()
    for path, text in traced.items():
        files[path] = generated.File(text, "gateway/traefik/traefik.yml + its tracing section")
    # An overlay that no longer names an endpoint keeps no traced file.
    stale += [K8S_DIR / "overlays" / o / OVERLAY_TRACED for o in OVERLAYS]
    return generated.Wanted(files, [path for path in stale if path not in traced])


def drift() -> list[str]:
    """What differs between gateway/traefik and the kustomize copies (empty when identical)."""
    return generated.differences(wanted()) + _unfixable()


def _unfixable() -> list[str]:
    """What writing the files cannot repair: a missing source, the kustomizations' lists of files."""
    sources = source_files()
    problems = [f"missing source gateway/traefik/{rel}" for rel in sources if not (SOURCE_DIR / rel).exists()]
    listed = set(_generator_files())
    expected = {f"traefik/{rel}" for rel in sources}
    problems += [f"{_show(KUSTOMIZATION)} does not list {f}" for f in sorted(expected - listed)]
    problems += [f"{_show(KUSTOMIZATION)} lists unknown {f}" for f in sorted(listed - expected)]
    return problems + _overlay_problems()


def _compose_default(value: object) -> str:
    """``${VAR:-default}`` -> ``default``; a plain value as it is (what compose uses with no .env entry)."""
    text = str(value)
    match = re.fullmatch(r"\$\{\w+:?-(.*)\}", text)
    return match.group(1) if match else text


def compose_environ() -> dict[str, str]:
    """The settings every compose service gets (``x-common-env``), with .env left at its defaults."""
    common: dict[str, Any] = load_compose()["x-common-env"]
    return {key: _compose_default(value) for key, value in common.items()}


def _literals(kustomization: Path, name: str) -> dict[str, str]:
    data = yaml.safe_load(kustomization.read_text())
    found: dict[str, str] = {}
    for generator in data.get("configMapGenerator", []):
        if generator.get("name") == name:
            found.update(literal.split("=", 1) for literal in generator.get("literals", []))
    return found


def overlay_environ(overlay: str) -> dict[str, str]:
    """``common-config`` as an overlay renders it: the base's literals, merged with the overlay's."""
    base = _literals(K8S_DIR / "base" / "kustomization.yaml", "common-config")
    return base | _literals(K8S_DIR / "overlays" / overlay / "kustomization.yaml", "common-config")


def traced_files() -> dict[Path, str]:
    """Each traced static file and what it must hold (modes with no OTLP endpoint have none)."""
    wanted = {COMPOSE_TRACED: traefik.traced_static_text(compose_environ(), written_by=_WRITER)}
    for overlay in OVERLAYS:
        environ = overlay_environ(overlay)
        if traefik.tracing_section(environ) is not None:
            path = K8S_DIR / "overlays" / overlay / OVERLAY_TRACED
            wanted[path] = traefik.traced_static_text(environ, written_by=_WRITER)
    return wanted


def _overlay_problems() -> list[str]:
    """Each overlay's kustomization replaces traefik-static with its traced file exactly when it has one."""
    problems: list[str] = []
    wanted = traced_files()
    for overlay in OVERLAYS:
        path = K8S_DIR / "overlays" / overlay / OVERLAY_TRACED
        kustomization = path.parents[1] / "kustomization.yaml"
        generators = yaml.safe_load(kustomization.read_text()).get("configMapGenerator", [])
        replaces = any(
            g.get("name") == "traefik-static"
            and g.get("behavior") == "replace"
            and g.get("files") == [str(OVERLAY_TRACED)]
            for g in generators
        )
        if path in wanted and not replaces:
            problems.append(f"{_show(kustomization)} does not replace traefik-static with {OVERLAY_TRACED}")
        if path not in wanted and replaces:
            problems.append(
                f"{_show(kustomization)} replaces traefik-static; overlays/{overlay} names no OTLP endpoint"
            )
    return problems


def _generator_files() -> list[str]:
    """Files named by the gateway kustomization's configMapGenerators."""
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    return [
        f for generator in kustomization.get("configMapGenerator", []) for f in generator.get("files", [])
    ]


def sync() -> list[Path]:
    """Make the copies identical to the sources; returns the files written or removed."""
    return generated.write(wanted())


def main(argv: list[str] | None = None) -> int:
    return generated.main(
        argv,
        description=__doc__ or "",
        wanted=wanted,
        fix="uv run python -m deploy.gateway_sync (make k8s-sync)",
        unfixable=_unfixable,
    )


if __name__ == "__main__":
    raise SystemExit(main())
