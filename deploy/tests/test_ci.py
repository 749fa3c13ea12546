"""The GitHub Actions workflow: valid, and running every check the issue asks for."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from deploy.render import REPO_ROOT
from deploy.schemas import workflow_errors


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    data = yaml.safe_load((REPO_ROOT / ".github/workflows/ci.yml").read_text())
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    assert isinstance(data, dict)
    return data


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_matches_the_github_workflow_schema(workflow: dict[str, Any]) -> None:
    assert workflow_errors(workflow) == []


def test_lint_tests_and_manifests_run_the_make_verbs(workflow: dict[str, Any]) -> None:
    jobs = workflow["jobs"]
    assert "make lint" in _runs(jobs["lint"])
    assert "make test" in _runs(jobs["test"])
    assert "make k8s" in _runs(jobs["manifests"])
    for job in jobs.values():
        assert job.get("timeout-minutes"), "every job has a time limit"


def test_tests_get_postgres_redis_and_rabbitmq_on_localhost(workflow: dict[str, Any]) -> None:
    services = workflow["jobs"]["test"]["services"]
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["postgres"]["ports"] == ["5432:5432"]
    assert services["redis"]["ports"] == ["6379:6379"]
    assert services["rabbitmq"]["ports"] == ["5672:5672"]
    for service in services.values():
        assert "--health-cmd" in service["options"]


def test_every_service_image_is_built_without_pushing(workflow: dict[str, Any]) -> None:
    job = workflow["jobs"]["images"]
    assert job["strategy"]["matrix"]["service"] == ["auth", "posts", "votes", "worker"]
    [build] = [s for s in job["steps"] if str(s.get("uses", "")).startswith("docker/build-push-action@")]
    assert build["with"]["push"] is False
    assert build["with"]["context"] == "."
    assert build["with"]["file"] == "Dockerfile"
    assert build["with"]["build-args"] == "SERVICE=${{ matrix.service }}"
    assert (REPO_ROOT / "Dockerfile").is_file()
    for name in job["strategy"]["matrix"]["service"]:
        assert (REPO_ROOT / f"services/{name}/pyproject.toml").is_file()
