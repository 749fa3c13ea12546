"""Fixtures: each overlay rendered once per session (rendering shells out to kustomize)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from deploy.render import OVERLAYS, render_overlay

Manifest = dict[str, Any]


@pytest.fixture(scope="session")
def rendered() -> dict[str, list[Manifest]]:
    return {overlay: render_overlay(overlay) for overlay in OVERLAYS}


@pytest.fixture
def overlay_copy(rendered: dict[str, list[Manifest]]) -> Callable[[str], list[Manifest]]:
    """A deep copy of a rendered overlay that a test may break on purpose."""

    def make(overlay: str) -> list[Manifest]:
        return copy.deepcopy(rendered[overlay])

    return make
