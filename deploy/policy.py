"""Checks on the rendered manifests beyond their schemas: hardening, probes, scaling, network paths.

Each check returns a list of human-readable problems (empty when all is well), so ``make k8s`` can
print them all at once and the tests can assert on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = [
    "APP_SERVICES",
    "EXPECTED_APP_PATHS",
    "SERVED",
    "Pod",
    "allowed",
    "app_port_paths",
    "hardening_problems",
    "network_problems",
    "pods",
    "reference_problems",
    "service_problems",
]

Manifest = dict[str, Any]

#: The application's services (each has a migration Job) and everything served over HTTP.
APP_SERVICES = ("auth", "posts", "votes", "worker")
SERVED = (*APP_SERVICES, "gateway")
APP_PORT = 8000
#: (client, server) pairs allowed on the services' port 8000 inside the namespace; nothing else.
EXPECTED_APP_PATHS = frozenset(
    {
        ("gateway", "auth"),
        ("gateway", "posts"),
        ("gateway", "votes"),
        ("votes", "posts"),  # fallback lookups
        ("posts", "auth"),  # JWKS
        ("votes", "auth"),  # JWKS
        ("worker", "auth"),  # JWKS and the token-cleanup call
    }
)
_WORKLOADS = ("Deployment", "StatefulSet", "Job", "DaemonSet")


def _by_kind(manifests: Iterable[Manifest], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m.get("kind") == kind}


def _pod_spec(workload: Manifest) -> Manifest:
    spec: Manifest = workload["spec"]["template"]["spec"]
    return spec


class Pod:
    """The pods a workload makes: its name, labels and spec."""

    def __init__(self, workload: Manifest) -> None:
        self.workload = f"{workload['kind']}/{workload['metadata']['name']}"
        self.labels: dict[str, str] = workload["spec"]["template"]["metadata"].get("labels", {})
        self.spec = _pod_spec(workload)

    @property
    def name(self) -> str:
        return self.labels.get("app.kubernetes.io/name", self.workload)

    @property
    def is_server(self) -> bool:
        return self.labels.get("app.kubernetes.io/component") == "server"

    def containers(self) -> list[Manifest]:
        return [*self.spec.get("initContainers", []), *self.spec["containers"]]


def pods(manifests: Iterable[Manifest]) -> list[Pod]:
    return [Pod(m) for m in manifests if m.get("kind") in _WORKLOADS]


# ---------------------------------------------------------------- hardening


def _container_problems(pod: Pod, container: Manifest) -> Iterator[str]:
    where = f"{pod.workload} container {container['name']}"
    context = container.get("securityContext", {})
    if context.get("allowPrivilegeEscalation") is not False:
        yield f"{where}: allowPrivilegeEscalation is not false"
    if context.get("readOnlyRootFilesystem") is not True:
        yield f"{where}: readOnlyRootFilesystem is not true"
    if "ALL" not in context.get("capabilities", {}).get("drop", []):
        yield f"{where}: capabilities do not drop ALL"
    if context.get("capabilities", {}).get("add"):
        yield f"{where}: adds capabilities"
    if context.get("privileged"):
        yield f"{where}: privileged"
    resources = container.get("resources", {})
    for bound in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in resources.get(bound, {}):
                yield f"{where}: no {bound}.{resource}"
    image = str(container.get("image", ""))
    if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
        yield f"{where}: image {image!r} has no pinned tag"


def hardening_problems(manifests: Iterable[Manifest]) -> list[str]:
    """Every pod: non-root, RuntimeDefault seccomp, no API token, read-only root, no privileges."""
    problems: list[str] = []
    for pod in pods(manifests):
        context = pod.spec.get("securityContext", {})
        if context.get("runAsNonRoot") is not True:
            problems.append(f"{pod.workload}: runAsNonRoot is not true")
        if context.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{pod.workload}: seccompProfile is not RuntimeDefault")
        if pod.spec.get("automountServiceAccountToken") is not False:
            problems.append(f"{pod.workload}: automountServiceAccountToken is not false")
        if pod.spec.get("hostNetwork") or pod.spec.get("hostPID") or pod.spec.get("hostIPC"):
            problems.append(f"{pod.workload}: shares a host namespace")
        for container in pod.containers():
            problems.extend(_container_problems(pod, container))
    return problems


# ---------------------------------------------------------------- per-service objects


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Kubernetes label-selector semantics (matchLabels and matchExpressions)."""
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _probe_problems(name: str, container: Manifest) -> Iterator[str]:
    wanted = {"readinessProbe": "/health/ready", "livenessProbe": "/health/live", "startupProbe": None}
    if name == "gateway":
        wanted = {"readinessProbe": "/ping", "livenessProbe": "/ping", "startupProbe": None}
    for probe, path in wanted.items():
        if probe not in container:
            yield f"Deployment/{name}: no {probe}"
        elif path and container[probe].get("httpGet", {}).get("path") != path:
            yield f"Deployment/{name}: {probe} does not GET {path}"


def service_problems(manifests: list[Manifest]) -> list[str]:
    """Each served component: Deployment with probes, Service, HPA (v2, CPU), PDB, ServiceAccount."""
    problems: list[str] = []
    deployments = _by_kind(manifests, "Deployment")
    hpas = _by_kind(manifests, "HorizontalPodAutoscaler")
    pdbs = list(_by_kind(manifests, "PodDisruptionBudget").values())
    accounts = _by_kind(manifests, "ServiceAccount")
    services = _by_kind(manifests, "Service")
    jobs = _by_kind(manifests, "Job")
    for name in SERVED:
        deployment = deployments.get(name)
        if deployment is None:
            problems.append(f"no Deployment/{name}")
            continue
        if "replicas" in deployment["spec"]:
            problems.append(f"Deployment/{name}: sets replicas, which fights its HPA")
        main = _pod_spec(deployment)["containers"][0]
        problems.extend(_probe_problems(name, main))
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        hpa = hpas.get(name)
        if hpa is None or hpa["apiVersion"] != "autoscaling/v2":
            problems.append(f"no autoscaling/v2 HorizontalPodAutoscaler/{name}")
        else:
            if hpa["spec"]["scaleTargetRef"] != {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}:
                problems.append(f"HorizontalPodAutoscaler/{name} does not target Deployment/{name}")
            if not any(m.get("resource", {}).get("name") == "cpu" for m in hpa["spec"].get("metrics", [])):
                problems.append(f"HorizontalPodAutoscaler/{name} does not scale on CPU")
            if hpa["spec"].get("minReplicas", 1) > hpa["spec"]["maxReplicas"]:
                problems.append(f"HorizontalPodAutoscaler/{name}: minReplicas > maxReplicas")
        if not any(_selects(pdb["spec"]["selector"], labels) for pdb in pdbs):
            problems.append(f"no PodDisruptionBudget selects Deployment/{name}")
        account = accounts.get(_pod_spec(deployment).get("serviceAccountName", "default"))
        if account is None or account.get("automountServiceAccountToken") is not False:
            problems.append(
                f"Deployment/{name}: no own ServiceAccount with automountServiceAccountToken false"
            )
        service = services.get(name)
        if service is None or not _selects({"matchLabels": service["spec"]["selector"]}, labels):
            problems.append(f"no Service/{name} selecting its pods")
        if name in APP_SERVICES:
            job = jobs.get(f"{name}-migrate")
            command = job and _pod_spec(job)["containers"][0].get("command")
            if command != ["alembic", "-c", f"services/{name}/alembic.ini", "upgrade", "head"]:
                problems.append(f"no Job/{name}-migrate running its Alembic migrations")
    return problems


def reference_problems(manifests: list[Manifest], secrets: Iterable[Manifest] = ()) -> list[str]:
    """ConfigMaps (and, when given, Secrets) that pods refer to exist and hold the referenced keys."""
    stores: dict[tuple[str, str], set[str]] = {}
    for m in [*manifests, *secrets]:
        if m.get("kind") in ("ConfigMap", "Secret"):
            keys = {*m.get("data", {}), *m.get("stringData", {})}
            stores[(m["kind"], m["metadata"]["name"])] = keys
    check_secrets = any(kind == "Secret" for kind, _ in stores)
    problems: list[str] = []

    def need(where: str, kind: str, name: str, key: str | None = None) -> None:
        if kind == "Secret" and not check_secrets:
            return
        if (kind, name) not in stores:
            problems.append(f"{where}: no {kind}/{name}")
        elif key is not None and key not in stores[(kind, name)]:
            problems.append(f"{where}: {kind}/{name} has no key {key}")

    for pod in pods(manifests):
        for volume in pod.spec.get("volumes", []):
            if "configMap" in volume:
                need(pod.workload, "ConfigMap", volume["configMap"]["name"])
            if "secret" in volume:
                need(pod.workload, "Secret", volume["secret"]["secretName"])
        for container in pod.containers():
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    need(pod.workload, "ConfigMap", source["configMapRef"]["name"])
                if "secretRef" in source:
                    need(pod.workload, "Secret", source["secretRef"]["name"])
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {})
                if "configMapKeyRef" in ref:
                    need(
                        pod.workload,
                        "ConfigMap",
                        ref["configMapKeyRef"]["name"],
                        ref["configMapKeyRef"]["key"],
                    )
                if "secretKeyRef" in ref:
                    need(pod.workload, "Secret", ref["secretKeyRef"]["name"], ref["secretKeyRef"]["key"])
    return problems


# ---------------------------------------------------------------- network policy


def _port_matches(rule: Mapping[str, Any], port: int, server: Pod) -> bool:
    """Does a rule's port list cover ``port`` of ``server`` (by number, or by the container port's name)?"""
    ports = rule.get("ports")
    if not ports:
        return True
    names = {
        p.get("name") for c in server.containers() for p in c.get("ports", []) if p["containerPort"] == port
    }
    return any(p.get("port") == port or p.get("port") in names for p in ports)


def _peer_matches(peer: Mapping[str, Any], pod: Pod) -> bool:
    """Does a policy peer admit a pod of this namespace? (namespaceSelector peers are other namespaces.)"""
    if "namespaceSelector" in peer or "ipBlock" in peer:
        return False
    return _selects(peer.get("podSelector", {}), pod.labels)


def _rules(policy: Manifest, direction: str) -> list[Manifest]:
    rules: list[Manifest] = policy["spec"].get(direction, [])
    return rules


def _side_allows(policies: list[Manifest], subject: Pod, other: Pod, port: int, direction: str) -> bool:
    policy_type, peers = ("Ingress", "from") if direction == "ingress" else ("Egress", "to")
    target = subject if direction == "ingress" else other
    relevant = [
        p
        for p in policies
        if policy_type in p["spec"]["policyTypes"] and _selects(p["spec"]["podSelector"], subject.labels)
    ]
    if not relevant:
        return True  # not isolated in this direction
    return any(
        _port_matches(rule, port, target)
        and (not rule.get(peers) or any(_peer_matches(peer, other) for peer in rule[peers]))
        for policy in relevant
        for rule in _rules(policy, direction)
    )


def allowed(manifests: list[Manifest], client: Pod, server: Pod, port: int) -> bool:
    """Would the namespace's NetworkPolicies let ``client`` open ``port`` on ``server``?"""
    policies = list(_by_kind(manifests, "NetworkPolicy").values())
    return _side_allows(policies, client, server, port, "egress") and _side_allows(
        policies, server, client, port, "ingress"
    )


def app_port_paths(manifests: list[Manifest]) -> set[tuple[str, str]]:
    """Every (client, server) pair of this namespace's pods allowed on a served component's port 8000."""
    all_pods = pods(manifests)
    servers = [p for p in all_pods if p.is_server and p.name in APP_SERVICES]
    return {
        (client.name, server.name)
        for server in servers
        for client in all_pods
        if client is not server and allowed(manifests, client, server, APP_PORT)
    }


def network_problems(manifests: list[Manifest]) -> list[str]:
    """Default deny, DNS egress, and exactly the expected paths to the services' port."""
    problems: list[str] = []
    policies = list(_by_kind(manifests, "NetworkPolicy").values())
    deny = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        and not p["spec"].get("ingress")
        and not p["spec"].get("egress")
    ]
    if not deny:
        problems.append("no default-deny NetworkPolicy (podSelector {}, Ingress and Egress, no rules)")
    dns = [
        p
        for p in policies
        if p["spec"]["podSelector"] == {}
        and any(
            any(port.get("port") == 53 and port.get("protocol") == "UDP" for port in rule.get("ports", []))
            for rule in p["spec"].get("egress", [])
        )
    ]
    if not dns:
        problems.append("no NetworkPolicy lets every pod resolve names (UDP 53 egress)")
    non_gateway = [p for p in pods(manifests) if p.name != "gateway"]
    for policy in policies:
        open_rules = [rule for rule in _rules(policy, "ingress") if not rule.get("from")]
        opened = [p.workload for p in non_gateway if _selects(policy["spec"]["podSelector"], p.labels)]
        if open_rules and opened:
            problems.append(
                f"NetworkPolicy/{policy['metadata']['name']} admits anyone to {', '.join(opened)}"
            )
    paths = app_port_paths(manifests)
    for extra in sorted(paths - EXPECTED_APP_PATHS):
        problems.append(f"{extra[0]} may reach {extra[1]}:{APP_PORT}, which it should not")
    for missing in sorted(EXPECTED_APP_PATHS - paths):
        problems.append(f"{missing[0]} cannot reach {missing[1]}:{APP_PORT}, which it needs")
    return problems
