"""An OTLP/HTTP trace receiver on a loopback port, for the test suites and the bench (never a service).

What the stack's processes export, decoded with ``opentelemetry-proto`` (which the OTLP exporter brings
in). The end-to-end suite keeps every span to inspect it; the bench only counts them, so that decoding
costs it little CPU (``keep_spans=False``).
"""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

__all__ = ["OtlpReceiver"]


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: _value(kv.value) for kv in value.kvlist_value.values}
    return getattr(value, kind) if kind else None


class OtlpReceiver:
    """Receives ``POST /v1/traces`` (protobuf, plain or gzip, with a length or chunked).

    With ``keep_spans`` each span is kept as a dict: ``service``, ``name``, ``kind`` (the proto's
    number: 2 server, 3 client, 4 producer, 5 consumer), ``trace_id``, ``span_id``,
    ``parent_span_id`` (hex, "" for a root), ``attributes``, ``links`` (``(trace_id, span_id)``
    pairs) and ``resource`` (its attributes). Either way ``counts()`` gives the spans and trace ids
    received per ``service.name``, the export requests and the CPU time spent receiving them.
    """

    def __init__(self, *, keep_spans: bool = True) -> None:
        self.spans: list[dict[str, Any]] = []
        self.keep_spans = keep_spans
        self._span_counts: Counter[str] = Counter()
        self._trace_ids: dict[str, set[bytes]] = {}
        self._requests = 0
        self._cpu_s = 0.0
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                started = time.thread_time()  # each request has a thread of its own
                body = self._body()
                if self.path != "/v1/traces" or "protobuf" not in self.headers.get("Content-Type", ""):
                    self.send_response(415)
                    self.end_headers()
                    return
                receiver._add(ExportTraceServiceRequest.FromString(body))
                answer = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                with receiver._lock:
                    receiver._cpu_s += time.thread_time() - started

            def _body(self) -> bytes:
                """Traefik's exporter (Go) sends gzip in chunks; Python's, plain with a length."""
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = b""
                    while size := int(self.rfile.readline().strip() or b"0", 16):
                        body += self.rfile.read(size)
                        self.rfile.readline()  # the chunk's CRLF
                    self.rfile.readline()  # the last (empty) chunk's CRLF
                else:
                    body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                gzipped = self.headers.get("Content-Encoding", "").lower() == "gzip"
                return gzip.decompress(body) if gzipped else body

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _add(self, request: ExportTraceServiceRequest) -> None:
        decoded = []
        counts: Counter[str] = Counter()
        trace_ids: dict[str, set[bytes]] = {}
        for resource_spans in request.resource_spans:
            resource = {kv.key: _value(kv.value) for kv in resource_spans.resource.attributes}
            service = str(resource.get("service.name"))
            for scope_spans in resource_spans.scope_spans:
                counts[service] += len(scope_spans.spans)
                trace_ids.setdefault(service, set()).update(span.trace_id for span in scope_spans.spans)
                if not self.keep_spans:
                    continue
                for span in scope_spans.spans:
                    decoded.append(
                        {
                            "service": resource.get("service.name"),
                            "resource": resource,
                            "name": span.name,
                            "kind": int(span.kind),
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent_span_id": span.parent_span_id.hex(),
                            "attributes": {kv.key: _value(kv.value) for kv in span.attributes},
                            "links": [(link.trace_id.hex(), link.span_id.hex()) for link in span.links],
                        }
                    )
        with self._lock:
            self.spans.extend(decoded)
            self._span_counts.update(counts)
            for service, ids in trace_ids.items():
                self._trace_ids.setdefault(service, set()).update(ids)
            self._requests += 1

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.spans)

    def counts(self) -> dict[str, Any]:
        """``{"requests": n, "spans": {service: n}, "traces": {service: n}, "cpu_s": s}`` since the start.

        ``cpu_s``: the CPU time the receiver's request threads used (reading, decoding, answering).
        """
        with self._lock:
            return {
                "requests": self._requests,
                "cpu_s": round(self._cpu_s, 4),
                "spans": dict(self._span_counts),
                "traces": {service: len(ids) for service, ids in self._trace_ids.items()},
            }

    def __enter__(self) -> OtlpReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()
