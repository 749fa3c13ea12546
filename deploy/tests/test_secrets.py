"""No secret is committed; the Secrets created out of band are exactly the ones the manifests read."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from deploy import k8s_secrets, policy, secret_scan
from deploy.render import REPO_ROOT
from deploy.schemas import kubernetes_errors

Manifest = dict[str, Any]
Rendered = dict[str, list[Manifest]]


def test_no_literal_secret_in_deployment_files() -> None:
    files = secret_scan.scanned_files()
    names = {p.relative_to(REPO_ROOT).as_posix() for p in files}
    assert {
        "deploy/compose/compose.yaml",
        ".env.example",
        ".github/workflows/ci.yml",
        "docs/deploy.md",
    } <= names
    assert "Dockerfile" in names
    assert any(n.startswith("deploy/k8s/overlays/prod/") for n in names)
    assert secret_scan.scan(files) == []


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("POSTGRES_PASSWORD: hunter2", "POSTGRES_PASSWORD has a literal value"),
        ("RABBITMQ_PASSWORD=hunter2", "RABBITMQ_PASSWORD has a literal value"),
        ('  "password": "hunter2"', "password has a literal value"),
        ("AMQP_URL: amqp://guest:guest@rabbitmq:5672/", "a URL with a literal password"),
        ("-----BEGIN PRIVATE KEY-----", "a private key"),
        (
            "  token.pem: " + "TUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD",
            "a long base64",
        ),
        (
            "S3_SECRET_ACCESS_KEY=0123456789abcdef0123456789abcdef01234567",
            "S3_SECRET_ACCESS_KEY has a literal",
        ),
    ],
)
def test_the_scan_finds_literal_secrets(line: str, found: str) -> None:
    assert any(found in problem for problem in secret_scan.line_problems(line))


@pytest.mark.parametrize(
    "line",
    [
        "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD in .env}",
        "REDIS_URL: redis://:${REDIS_PASSWORD:?set REDIS_PASSWORD in .env}@redis:6379/0",
        "AUTH_DB_PASSWORD=change-me",
        'args: ["--requirepass", "$(REDIS_PASSWORD)"]',
        "secretKeyRef: {name: postgres-secrets, key: POSTGRES_PASSWORD}",
        "automountServiceAccountToken: false",
    ],
)
def test_the_scan_lets_references_and_placeholders_pass(line: str) -> None:
    assert list(secret_scan.line_problems(line)) == []


def test_the_scan_flags_a_committed_secret_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "secret.yaml"
    manifest.write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  A: ${A}\n")
    assert secret_scan.scan([manifest]) == [f"{manifest}: commits a Secret object"]


@pytest.fixture
def jwt_keys(tmp_path: Path) -> Path:
    directory = tmp_path / "jwt"
    result = subprocess.run(
        ["sh", str(REPO_ROOT / "deploy/scripts/gen-jwt-key.sh"), str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [key] = directory.glob("*.pem")
    assert result.stdout.strip() == str(key)
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    return directory


def _prod_env() -> dict[str, str]:
    env = {key: f"value-of-{key.lower()}" for key in k8s_secrets.PROD_ENV_KEYS}
    for name in ("auth", "posts", "votes", "worker"):
        env[f"{name.upper()}_DATABASE_URL"] = f"postgresql+asyncpg://{name}:x{name}@db:5432/{name}"
    return env


def test_dev_secrets_satisfy_every_reference_of_the_dev_overlay(rendered: Rendered, jwt_keys: Path) -> None:
    secrets = k8s_secrets.dev_secrets("social-posts-dev", jwt_keys)
    assert [e for s in secrets for e in kubernetes_errors(s)] == []
    referenced = {
        ref["name"]
        for pod in policy.pods(rendered["dev"])
        for c in pod.containers()
        for e in c.get("env", [])
        if (ref := e.get("valueFrom", {}).get("secretKeyRef"))
    }
    assert {s["metadata"]["name"] for s in secrets} == referenced | {"auth-jwt-keys"}
    assert policy.reference_problems(rendered["dev"], secrets) == []


def test_dev_secrets_are_random_and_consistent(jwt_keys: Path) -> None:
    first = {s["metadata"]["name"]: s["stringData"] for s in k8s_secrets.dev_secrets("ns", jwt_keys)}
    second = {s["metadata"]["name"]: s["stringData"] for s in k8s_secrets.dev_secrets("ns", jwt_keys)}
    assert first["postgres-secrets"]["POSTGRES_PASSWORD"] != second["postgres-secrets"]["POSTGRES_PASSWORD"]
    password = first["postgres-secrets"]["POSTS_DB_PASSWORD"]
    assert (
        first["posts-secrets"]["DATABASE_URL"] == f"postgresql+asyncpg://posts:{password}@postgres:5432/posts"
    )
    assert first["minio-secrets"]["S3_SECRET_ACCESS_KEY"] == first["worker-secrets"]["S3_SECRET_ACCESS_KEY"]
    rabbit = first["rabbitmq-secrets"]
    assert first["votes-secrets"]["AMQP_URL"] == (
        f"amqp://{rabbit['RABBITMQ_DEFAULT_USER']}:{rabbit['RABBITMQ_DEFAULT_PASS']}@rabbitmq:5672/"
    )
    assert set(first["auth-jwt-keys"]) == {p.name for p in jwt_keys.glob("*.pem")}


def test_prod_secrets_satisfy_every_reference_of_the_prod_overlay(rendered: Rendered, jwt_keys: Path) -> None:
    secrets = k8s_secrets.prod_secrets("social-posts", _prod_env(), jwt_keys)
    assert policy.reference_problems(rendered["prod"], secrets) == []
    by_name = {s["metadata"]["name"]: s["stringData"] for s in secrets}
    assert by_name["votes-secrets"]["DATABASE_URL"].endswith("/votes")
    assert "S3_SECRET_ACCESS_KEY" not in by_name["auth-secrets"]  # each service gets only what it reads


def test_prod_secrets_refuse_missing_or_placeholder_values(jwt_keys: Path) -> None:
    env = _prod_env()
    del env["AMQP_URL"]
    with pytest.raises(SystemExit, match="missing in the env file: AMQP_URL"):
        k8s_secrets.prod_secrets("ns", env, jwt_keys)
    env = _prod_env() | {"REDIS_URL": "redis://:change-me@cache:6379/0"}
    with pytest.raises(SystemExit, match="placeholder values left in the env file: REDIS_URL"):
        k8s_secrets.prod_secrets("ns", env, jwt_keys)


def test_the_prod_env_template_lists_exactly_the_keys_the_script_reads() -> None:
    template = REPO_ROOT / "deploy/k8s/overlays/prod/secrets.env.example"
    assert tuple(k8s_secrets.read_env_file(template)) == k8s_secrets.PROD_ENV_KEYS


def test_the_reference_check_catches_a_missing_secret_key(rendered: Rendered, jwt_keys: Path) -> None:
    secrets = k8s_secrets.prod_secrets("social-posts", _prod_env(), jwt_keys)
    for secret in secrets:
        if secret["metadata"]["name"] == "worker-secrets":
            del secret["stringData"]["AMQP_URL"]
    problems = policy.reference_problems(rendered["prod"], secrets)
    assert "Deployment/worker: Secret/worker-secrets has no key AMQP_URL" in problems


def test_no_jwt_key_no_secrets(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"no <kid>\.pem"):
        k8s_secrets.dev_secrets("ns", tmp_path)
