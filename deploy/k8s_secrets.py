"""Print the Kubernetes Secrets the overlays refer to; nothing secret is ever written to the repository.

    # dev: random passwords for the in-cluster backing services (create once: a rerun would rotate them)
    uv run python -m deploy.k8s_secrets dev --jwt-keys-dir .dev/jwt-keys | kubectl create -f -
    # prod: the managed services' URLs and credentials, from an env file kept outside the repository
    uv run python -m deploy.k8s_secrets prod --env-file /secure/prod.env --jwt-keys-dir /secure/jwt \\
        | kubectl apply -f -

The prod env file holds the keys in :data:`PROD_ENV_KEYS`
(template: ``deploy/k8s/overlays/prod/secrets.env.example``).
"""

from __future__ import annotations

import argparse
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "DEFAULT_NAMESPACES",
    "PROD_ENV_KEYS",
    "SERVICE_SECRET_KEYS",
    "dev_secrets",
    "main",
    "prod_secrets",
    "read_env_file",
]

SERVICES = ("auth", "posts", "votes", "worker")
_CONNECTIONS = ("DATABASE_URL", "REDIS_URL", "AMQP_URL")
_S3 = ("S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")
#: Shared by auth and the worker: seals the single-use tokens in auth's mail events.
_MAIL = ("MAIL_TOKEN_KEY",)

#: Keys of each ``<service>-secrets`` Secret: what the service's Deployment and Job read.
SERVICE_SECRET_KEYS: dict[str, tuple[str, ...]] = {
    "auth": _CONNECTIONS + _MAIL,
    "posts": _CONNECTIONS + _S3,
    "votes": _CONNECTIONS,
    "worker": _CONNECTIONS + _S3 + _MAIL,
}
#: Keys the prod env file must define (each service's DATABASE_URL is prefixed with its name).
PROD_ENV_KEYS = (
    *(f"{svc.upper()}_DATABASE_URL" for svc in SERVICES),
    "REDIS_URL",
    "AMQP_URL",
    *_S3,
    *_MAIL,
)
DEFAULT_NAMESPACES = {"dev": "social-posts-dev", "prod": "social-posts"}
#: The marker every placeholder secret carries (common.settings refuses it outside development).
PLACEHOLDER = "change-me"

Manifest = dict[str, Any]


def _secret(name: str, namespace: str, data: Mapping[str, str]) -> Manifest:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/part-of": "social-posts"},
        },
        "stringData": dict(data),
    }


def _jwt_keys(directory: Path) -> dict[str, str]:
    keys = {path.name: path.read_text() for path in sorted(directory.glob("*.pem"))}
    if not keys:
        raise SystemExit(f"no <kid>.pem in {directory}: run deploy/scripts/gen-jwt-key.sh {directory}")
    for name, text in keys.items():
        if "PRIVATE KEY-----" not in text:
            raise SystemExit(f"{directory / name} is not a PEM private key")
    return keys


def _service_secrets(namespace: str, values: Mapping[str, str], jwt_keys_dir: Path) -> list[Manifest]:
    manifests = [
        _secret(f"{svc}-secrets", namespace, {key: values[f"{svc}:{key}"] for key in keys})
        for svc, keys in SERVICE_SECRET_KEYS.items()
    ]
    manifests.append(_secret("auth-jwt-keys", namespace, _jwt_keys(jwt_keys_dir)))
    return manifests


def dev_secrets(namespace: str, jwt_keys_dir: Path) -> list[Manifest]:
    """Fresh random credentials for the dev overlay's Postgres, RabbitMQ, Redis and MinIO."""

    def token() -> str:
        return secrets.token_hex(24)

    db_passwords = {svc: token() for svc in SERVICES}
    rabbit_user, rabbit_password, redis_password = "social", token(), token()
    s3_key, s3_secret = "social-posts", token()
    mail_token_key = token()
    values: dict[str, str] = {}
    for svc in SERVICES:
        values[f"{svc}:DATABASE_URL"] = f"postgresql+asyncpg://{svc}:{db_passwords[svc]}@postgres:5432/{svc}"
        values[f"{svc}:REDIS_URL"] = f"redis://:{redis_password}@redis:6379/0"
        values[f"{svc}:AMQP_URL"] = f"amqp://{rabbit_user}:{rabbit_password}@rabbitmq:5672/"
        values[f"{svc}:S3_ACCESS_KEY_ID"] = s3_key
        values[f"{svc}:S3_SECRET_ACCESS_KEY"] = s3_secret
        values[f"{svc}:MAIL_TOKEN_KEY"] = mail_token_key
    backing = [
        _secret(
            "postgres-secrets",
            namespace,
            {"POSTGRES_PASSWORD": token()}
            | {f"{svc.upper()}_DB_PASSWORD": password for svc, password in db_passwords.items()},
        ),
        _secret(
            "rabbitmq-secrets",
            namespace,
            {"RABBITMQ_DEFAULT_USER": rabbit_user, "RABBITMQ_DEFAULT_PASS": rabbit_password},
        ),
        _secret("redis-secrets", namespace, {"REDIS_PASSWORD": redis_password}),
        _secret(
            "minio-secrets",
            namespace,
            {
                "MINIO_ROOT_USER": "minio-root",
                "MINIO_ROOT_PASSWORD": token(),
                "S3_ACCESS_KEY_ID": s3_key,
                "S3_SECRET_ACCESS_KEY": s3_secret,
            },
        ),
    ]
    return _service_secrets(namespace, values, jwt_keys_dir) + backing


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines; blank lines and ``#`` comments skipped, one level of quotes removed."""
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise SystemExit(f"{path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def prod_secrets(namespace: str, env: Mapping[str, str], jwt_keys_dir: Path) -> list[Manifest]:
    """The services' Secrets from the operator's env file (managed services' URLs and keys)."""
    missing = [key for key in PROD_ENV_KEYS if not env.get(key)]
    if missing:
        raise SystemExit(f"missing in the env file: {', '.join(missing)}")
    placeholders = [key for key in PROD_ENV_KEYS if PLACEHOLDER in env[key]]
    if placeholders:
        raise SystemExit(f"placeholder values left in the env file: {', '.join(placeholders)}")
    values: dict[str, str] = {}
    for svc in SERVICES:
        values[f"{svc}:DATABASE_URL"] = env[f"{svc.upper()}_DATABASE_URL"]
        for key in ("REDIS_URL", "AMQP_URL", *_S3, *_MAIL):
            values[f"{svc}:{key}"] = env[key]
    return _service_secrets(namespace, values, jwt_keys_dir)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("overlay", choices=sorted(DEFAULT_NAMESPACES))
    parser.add_argument("--jwt-keys-dir", type=Path, required=True, help="folder of <kid>.pem signing keys")
    parser.add_argument("--env-file", type=Path, help="prod only: the managed services' URLs and keys")
    parser.add_argument("--namespace", help="defaults to the overlay's namespace")
    args = parser.parse_args(argv)
    namespace = args.namespace or DEFAULT_NAMESPACES[args.overlay]
    if args.overlay == "dev":
        manifests = dev_secrets(namespace, args.jwt_keys_dir)
    else:
        if args.env_file is None:
            parser.error("prod needs --env-file")
        manifests = prod_secrets(namespace, read_env_file(args.env_file), args.jwt_keys_dir)
    yaml.safe_dump_all(manifests, sys.stdout, sort_keys=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
