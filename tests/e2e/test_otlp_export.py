"""With the otlp exporter set, the server pushes traces and metrics over OTLP/HTTP.

A tiny collector on 127.0.0.1 records which OTLP paths were posted to; nothing leaves loopback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.e2e.conftest import Server


class Collector(BaseHTTPRequestHandler):
    received: list[str] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        Collector.received.append(self.path)
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.end_headers()

    def log_message(self, *args: object) -> None:  # quiet
        pass


@pytest.fixture
def collector() -> Iterator[str]:
    Collector.received = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def test_the_otlp_exporter_pushes_traces_and_metrics_to_the_configured_endpoint(
    settings: Settings, collector: str
) -> None:
    env = {
        "EENPLAN_TELEMETRY_EXPORTERS": "otlp",
        "EENPLAN_OTLP_ENDPOINT": collector,
        "OTEL_BSP_SCHEDULE_DELAY": "100",  # export spans after 0.1 s, metrics every 0.5 s
        "OTEL_METRIC_EXPORT_INTERVAL": "500",
    }
    server = Server(settings, extra_env=env)
    try:
        assert httpx.get(f"{server.url}/health").status_code == 200
        assert httpx.get(f"{server.url}/metrics").status_code == 404  # prometheus is not configured
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not {"/v1/traces", "/v1/metrics"} <= set(Collector.received):
            time.sleep(0.1)
    finally:
        server.stop()
    assert {"/v1/traces", "/v1/metrics"} <= set(Collector.received), Collector.received
