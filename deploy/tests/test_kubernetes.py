"""The kustomize overlays: they render, validate, and keep the properties production relies on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import yaml

from deploy import policy
from deploy.gateway_sync import SOURCE_DIR
from deploy.render import OVERLAYS
from deploy.schemas import kubernetes_errors

Manifest = dict[str, Any]
Rendered = dict[str, list[Manifest]]
Breakable = Callable[[str], list[Manifest]]


def find(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    matches = [m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} found"
    return matches[0]


def container(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    spec: Manifest = find(manifests, kind, name)["spec"]["template"]["spec"]["containers"][0]
    return spec


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_for_the_pinned_kubernetes_version(rendered: Rendered, overlay: str) -> None:
    assert rendered[overlay], "the overlay rendered nothing"
    assert [e for m in rendered[overlay] for e in kubernetes_errors(m)] == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lands_in_the_overlay_namespace(rendered: Rendered, overlay: str) -> None:
    namespaces = [m for m in rendered[overlay] if m["kind"] == "Namespace"]
    assert len(namespaces) == 1
    name = namespaces[0]["metadata"]["name"]
    assert namespaces[0]["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert {m["metadata"].get("namespace") for m in rendered[overlay] if m["kind"] != "Namespace"} == {name}


@pytest.mark.parametrize("overlay", OVERLAYS)
@pytest.mark.parametrize(
    "check",
    [policy.hardening_problems, policy.service_problems, policy.reference_problems, policy.network_problems],
)
def test_policy_checks_pass(
    rendered: Rendered, overlay: str, check: Callable[[list[Manifest]], list[str]]
) -> None:
    assert check(rendered[overlay]) == []


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_is_rendered(rendered: Rendered, overlay: str) -> None:
    assert [m["metadata"]["name"] for m in rendered[overlay] if m["kind"] == "Secret"] == []


def test_each_service_has_probes_resources_and_a_locked_down_container(rendered: Rendered) -> None:
    for overlay in OVERLAYS:
        for name in policy.APP_SERVICES:
            app = container(rendered[overlay], "Deployment", name)
            assert app["readinessProbe"]["httpGet"] == {"path": "/health/ready", "port": "http"}
            assert app["livenessProbe"]["httpGet"] == {"path": "/health/live", "port": "http"}
            assert app["startupProbe"]["httpGet"]["path"] == "/health/live"
            assert set(app["resources"]["requests"]) == set(app["resources"]["limits"]) == {"cpu", "memory"}
            assert app["securityContext"] == {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
            }
            assert {"name": "tmp", "mountPath": "/tmp"} in app["volumeMounts"]  # noqa: S108 (an emptyDir)
            pod = find(rendered[overlay], "Deployment", name)["spec"]["template"]["spec"]
            assert pod["securityContext"]["runAsNonRoot"] is True
            assert pod["securityContext"]["runAsUser"] == 10001  # the image's USER


def test_prod_scales_wider_than_dev_and_the_worker_on_its_own(rendered: Rendered) -> None:
    def bounds(overlay: str, name: str) -> tuple[int, int]:
        spec = find(rendered[overlay], "HorizontalPodAutoscaler", name)["spec"]
        return spec["minReplicas"], spec["maxReplicas"]

    for name in policy.SERVED:
        dev_min, dev_max = bounds("dev", name)
        prod_min, prod_max = bounds("prod", name)
        assert prod_min >= 2, name
        assert prod_min > dev_min, name
        assert prod_max > dev_max, name
    worker = find(rendered["prod"], "HorizontalPodAutoscaler", "worker")
    assert worker["spec"]["scaleTargetRef"]["name"] == "worker"
    assert bounds("prod", "worker") != bounds("prod", "posts")


def test_dev_brings_its_backing_services_and_prod_does_not(rendered: Rendered) -> None:
    backing = {("StatefulSet", "postgres"), ("StatefulSet", "rabbitmq"), ("Deployment", "redis")}
    present = {(m["kind"], m["metadata"]["name"]) for m in rendered["dev"]}
    assert backing <= present
    assert not backing & {(m["kind"], m["metadata"]["name"]) for m in rendered["prod"]}
    prod_images = {c["image"] for p in policy.pods(rendered["prod"]) for c in p.containers()}
    assert all(image.startswith(("registry.example.com/", "traefik:")) for image in prod_images)


def test_migrations_run_as_one_job_per_service(rendered: Rendered) -> None:
    for overlay in OVERLAYS:
        for name in policy.APP_SERVICES:
            job = find(rendered[overlay], "Job", f"{name}-migrate")
            pod = job["spec"]["template"]
            assert pod["spec"]["restartPolicy"] == "Never"
            assert pod["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"
            # The Job's pods must not receive the Service's traffic.
            service = find(rendered[overlay], "Service", name)
            assert service["spec"]["selector"]["app.kubernetes.io/component"] == "server"
            app = container(rendered[overlay], "Deployment", name)
            migrate = pod["spec"]["containers"][0]
            assert migrate["image"] == app["image"]
            # Least privilege: the migration gets its database and nothing else.
            assert "envFrom" not in migrate
            [database] = [e for e in app["env"] if e["name"] == "DATABASE_URL"]
            assert migrate["env"] == [database]


# ---------------------------------------------------------------- network


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_expected_paths_reach_the_services(rendered: Rendered, overlay: str) -> None:
    assert policy.app_port_paths(rendered[overlay]) == policy.EXPECTED_APP_PATHS


def test_dev_services_reach_their_backing_services_and_the_gateway_does_not(rendered: Rendered) -> None:
    manifests = rendered["dev"]
    by_name = {
        p.name: p
        for p in policy.pods(manifests)
        if p.is_server or "app.kubernetes.io/component" not in p.labels
    }
    for name in policy.APP_SERVICES:
        for backing, port in (("postgres", 5432), ("redis", 6379), ("rabbitmq", 5672)):
            assert policy.allowed(manifests, by_name[name], by_name[backing], port), (name, backing)
        migrate = next(p for p in policy.pods(manifests) if p.workload == f"Job/{name}-migrate")
        assert policy.allowed(manifests, migrate, by_name["postgres"], 5432)
    for backing, port in (("postgres", 5432), ("redis", 6379), ("rabbitmq", 5672), ("minio", 9000)):
        assert not policy.allowed(manifests, by_name["gateway"], by_name[backing], port), backing
    assert policy.allowed(manifests, by_name["worker"], by_name["mailpit"], 1025)
    assert not policy.allowed(manifests, by_name["votes"], by_name["minio"], 9000)


def test_prod_reaches_managed_services_only_on_their_ports(rendered: Rendered) -> None:
    policies = [m for m in rendered["prod"] if m["kind"] == "NetworkPolicy"]
    ip_rules = [
        (rule, p)
        for p in policies
        for rule in p["spec"].get("egress", [])
        if any("ipBlock" in peer for peer in rule["to"])
    ]
    assert ip_rules
    for rule, p in ip_rules:
        assert rule.get("ports"), f"{p['metadata']['name']}: ipBlock egress without port restriction"
    database = [p for rule, p in ip_rules if any(port["port"] == 5432 for port in rule["ports"])]
    assert len(database) == 1
    selector = database[0]["spec"]["podSelector"]
    for name in policy.APP_SERVICES:
        assert policy._selects(selector, {"app.kubernetes.io/name": name})
    assert not policy._selects(selector, {"app.kubernetes.io/name": "gateway"})


# ---------------------------------------------------------------- the checks catch what they claim to


def _break_first(
    manifests: list[Manifest], kind: str, name: str, breaker: Callable[[Manifest], None]
) -> None:
    breaker(find(manifests, kind, name))


@pytest.mark.parametrize(
    ("kind", "name", "breaker", "expected"),
    [
        (
            "Deployment",
            "posts",
            lambda m: m["spec"]["template"]["spec"]["containers"][0].pop("readinessProbe"),
            "Deployment/posts: no readinessProbe",
        ),
        (
            "Deployment",
            "votes",
            lambda m: m["spec"]["template"]["spec"]["containers"][0]["securityContext"].update(
                readOnlyRootFilesystem=False
            ),
            "readOnlyRootFilesystem is not true",
        ),
        (
            "Job",
            "worker-migrate",
            lambda m: m["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot"),
            "Job/worker-migrate: runAsNonRoot is not true",
        ),
        (
            "Deployment",
            "auth",
            lambda m: m["spec"]["template"]["spec"]["containers"][0]["resources"].pop("limits"),
            "no limits.memory",
        ),
        ("Deployment", "worker", lambda m: m["spec"].update(replicas=3), "fights its HPA"),
        (
            "HorizontalPodAutoscaler",
            "worker",
            lambda m: m["spec"]["scaleTargetRef"].update(name="posts"),
            "does not target Deployment/worker",
        ),
        (
            "PodDisruptionBudget",
            "votes",
            lambda m: m["spec"]["selector"]["matchLabels"].update({"app.kubernetes.io/name": "nobody"}),
            "no PodDisruptionBudget selects Deployment/votes",
        ),
        (
            "ServiceAccount",
            "posts",
            lambda m: m.pop("automountServiceAccountToken"),
            "Deployment/posts: no own ServiceAccount",
        ),
    ],
)
def test_checks_catch_a_broken_manifest(
    overlay_copy: Breakable, kind: str, name: str, breaker: Callable[[Manifest], None], expected: str
) -> None:
    manifests = overlay_copy("prod")
    _break_first(manifests, kind, name, breaker)
    problems = policy.hardening_problems(manifests) + policy.service_problems(manifests)
    assert any(expected in p for p in problems), problems


def test_network_checks_catch_an_open_door_and_a_missing_default_deny(overlay_copy: Breakable) -> None:
    manifests = overlay_copy("dev")
    manifests.append(
        yaml.safe_load(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: oops}
            spec:
              podSelector: {matchLabels: {app.kubernetes.io/name: worker}}
              policyTypes: [Ingress]
              ingress: [{}]
            """
        )
    )
    manifests.append(
        yaml.safe_load(
            """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: gateway-to-worker}
            spec:
              podSelector: {matchLabels: {app.kubernetes.io/name: gateway}}
              policyTypes: [Egress]
              egress: [{to: [{podSelector: {matchLabels: {app.kubernetes.io/name: worker}}}]}]
            """
        )
    )
    manifests = [m for m in manifests if m["metadata"]["name"] != "default-deny-all"]
    problems = policy.network_problems(manifests)
    assert any("no default-deny" in p for p in problems)
    assert "NetworkPolicy/oops admits anyone to Deployment/worker, Job/worker-migrate" in problems
    assert "gateway may reach worker:8000, which it should not" in problems


def test_network_checks_catch_a_missing_path(overlay_copy: Breakable) -> None:
    manifests = [m for m in overlay_copy("prod") if m["metadata"]["name"] != "votes-egress"]
    problems = policy.network_problems(manifests)
    # votes' egress is now unrestricted, except by default deny: it can reach neither posts nor auth.
    assert "votes cannot reach posts:8000, which it needs" in problems


# ---------------------------------------------------------------- the gateway runs gateway/traefik


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_traefik_runs_the_repository_configuration(rendered: Rendered, overlay: str) -> None:
    manifests = rendered[overlay]
    deployment = find(manifests, "Deployment", "gateway")
    traefik = deployment["spec"]["template"]["spec"]["containers"][0]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m for m in traefik["volumeMounts"]}
    static = SOURCE_DIR / "traefik.yml"
    config = yaml.safe_load(static.read_text())

    # Static file: exactly gateway/traefik/traefik.yml, at the path given to --configFile; followed by a
    # tracing section to the collector where the overlay names one (prod).
    assert traefik["args"] == ["--configFile=/etc/traefik/traefik.yml"]
    static_mount = mounts["/etc/traefik/traefik.yml"]
    static_map = find(manifests, "ConfigMap", volumes[static_mount["name"]]["configMap"]["name"])
    assert static_map["data"].keys() == {"traefik.yml"}
    mounted = static_map["data"]["traefik.yml"]
    [common] = [
        m["data"]
        for m in manifests
        if m["kind"] == "ConfigMap" and m["metadata"]["name"].rsplit("-", 1)[0] == "common-config"
    ]
    if common["OTEL_EXPORTER_OTLP_ENDPOINT"]:
        assert mounted.startswith("# Written by deploy/gateway_sync.py")
        assert static.read_text() in mounted
        tracing = yaml.safe_load(mounted)["tracing"]
        endpoint = common["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
        assert tracing["otlp"] == {"http": {"endpoint": endpoint}}
        assert tracing["sampleRate"] == float(common["OTEL_TRACES_SAMPLER_ARG"])
        assert tracing["resourceAttributes"] == {"deployment.environment": common["ENVIRONMENT"]}
    else:
        assert mounted == static.read_text()

    # Dynamic files: exactly gateway/traefik/dynamic/*, where the file provider looks.
    dynamic_dir = config["providers"]["file"]["directory"]
    dynamic_map = find(manifests, "ConfigMap", volumes[mounts[dynamic_dir]["name"]]["configMap"]["name"])
    sources = {p.name: p.read_text() for p in sorted((SOURCE_DIR / "dynamic").glob("*.y*ml"))}
    assert sources
    assert dynamic_map["data"] == sources

    # Ports: the entry points of traefik.yml (but the loopback-only one, Traefik's own hops, which no
    # other pod can reach); probes on the ping entry point.
    entry_ports = {
        name: int(ep["address"].rsplit(":", 1)[1])
        for name, ep in config["entryPoints"].items()
        if not ep["address"].startswith("127.0.0.1:")
    }
    assert set(config["entryPoints"]) - set(entry_ports) == {"internal"}
    container_ports = {p["containerPort"] for p in traefik["ports"]}
    assert container_ports == set(entry_ports.values())
    ping_port = entry_ports[config["ping"]["entryPoint"]]
    named = {p["name"]: p["containerPort"] for p in traefik["ports"]}
    assert named[traefik["readinessProbe"]["httpGet"]["port"]] == ping_port
    service = find(manifests, "Service", "gateway")
    assert [named[p["targetPort"]] for p in service["spec"]["ports"]] == [entry_ports["web"]]

    # The upstreams the dynamic file reads with {{ env "..." }}.
    env = {e["name"]: e["value"] for e in traefik["env"]}
    assert env == {
        "AUTH_URL": "http://auth:8000",
        "POSTS_URL": "http://posts:8000",
        "VOTES_URL": "http://votes:8000",
    }
