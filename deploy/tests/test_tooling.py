"""The helpers behind `make k8s`: gateway copies, renderer discovery."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from deploy import gateway_sync, generated, render


def test_the_kustomize_copy_of_gateway_traefik_is_identical() -> None:
    assert gateway_sync.drift() == []


def test_drift_is_detected_and_sync_repairs_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy_dir = tmp_path / "gateway" / "traefik"
    shutil.copytree(gateway_sync.COPY_DIR, copy_dir)
    shutil.copy(gateway_sync.KUSTOMIZATION, tmp_path / "gateway" / "kustomization.yaml")
    monkeypatch.setattr(gateway_sync, "COPY_DIR", copy_dir)
    monkeypatch.setattr(gateway_sync, "KUSTOMIZATION", tmp_path / "gateway" / "kustomization.yaml")
    (copy_dir / "dynamic" / "routes.yml").write_text("# edited by hand\n")
    (copy_dir / "dynamic" / "old.yml").write_text("http: {}\n")
    problems = gateway_sync.drift()
    assert any("routes.yml differs" in p for p in problems)
    assert any("stale copy" in p and "old.yml" in p for p in problems)
    gateway_sync.sync()
    assert gateway_sync.drift() == []


def test_a_stale_traced_static_file_is_detected_and_sync_rewrites_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    traced = tmp_path / "compose" / "traefik" / "traefik.yml"
    traced.parent.mkdir(parents=True)
    traced.write_text(gateway_sync.COMPOSE_TRACED.read_text().replace("sampleRate: 0.1", "sampleRate: 1.0"))
    monkeypatch.setattr(gateway_sync, "COMPOSE_TRACED", traced)
    assert any("compose/traefik/traefik.yml differs" in p for p in gateway_sync.drift())
    gateway_sync.sync()
    assert gateway_sync.drift() == []
    assert "sampleRate: 0.1" in traced.read_text()


def test_a_dynamic_file_missing_from_the_kustomization_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kustomization = tmp_path / "kustomization.yaml"
    kustomization.write_text("configMapGenerator:\n- name: traefik-static\n  files: [traefik/traefik.yml]\n")
    monkeypatch.setattr(gateway_sync, "KUSTOMIZATION", kustomization)
    assert any("does not list traefik/dynamic/" in p for p in gateway_sync.drift())


@pytest.mark.parametrize(
    ("text", "major"),
    [("v5.5.0", 5), ("{Version:kustomize/v4.5.7 GitCommit:...}", 4), ("v2.0.3", 2), ("", None)],
)
def test_kustomize_version_parsing(text: str, major: int | None) -> None:
    assert render._major(text) == major


def test_a_renderer_is_found_and_renders_kustomize_v5_features() -> None:
    renderer = render.find_renderer()
    manifests = render.render_overlay("prod", renderer)
    # `labels` (kustomize v5 syntax) reached pod templates and patches by regex name applied.
    deployment = next(m for m in manifests if m["kind"] == "Deployment" and m["metadata"]["name"] == "auth")
    assert deployment["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/part-of"] == "social-posts"
    hpa = next(
        m for m in manifests if m["kind"] == "HorizontalPodAutoscaler" and m["metadata"]["name"] == "votes"
    )
    assert hpa["spec"]["minReplicas"] == 3


def test_the_pykustomize_fallback_renders_the_same(rendered: dict[str, list[dict[str, object]]]) -> None:
    library = render._pykustomize_library()
    if library is None:
        pytest.skip("pykustomize not installed (deploy/scripts/install-pykustomize.sh)")
    fallback = render.Renderer(name="pykustomize", library=library)
    assert render.render_overlay("dev", fallback) == rendered["dev"]


def test_generated_files_are_written_checked_and_stale_ones_removed(tmp_path: Path) -> None:
    made, old = tmp_path / "out" / "made.txt", tmp_path / "out" / "old.txt"
    wanted = generated.Wanted({made: generated.File("new\n", "the source")}, [old])
    assert generated.differences(wanted) == [f"missing {made} (made from the source)"]
    old.parent.mkdir()
    old.write_text("left over\n")
    assert generated.main(["--check"], description="", wanted=lambda: wanted, fix="make it") == 1
    assert not made.exists()  # --check writes nothing
    assert generated.write(wanted) == [made, old]
    assert generated.differences(wanted) == []
    assert not old.exists()
    made.write_text("edited\n")
    assert generated.differences(wanted) == [f"{made} differs from the source"]
    assert generated.main([], description="", wanted=lambda: wanted, fix="make it") == 0
    assert made.read_text() == "new\n"
    assert generated.main(["--check"], description="", wanted=lambda: wanted, fix="make it") == 0
