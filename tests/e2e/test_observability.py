"""Over HTTP against the real server: log lines join traces, and /metrics speaks Prometheus."""

from __future__ import annotations

import json
import secrets
import time

import httpx

from tests.e2e.conftest import Server

# New each run: other tests on the shared server send traceparents too, some with a fixed trace id.
TRACE_ID = secrets.token_hex(16)


def test_the_access_log_line_carries_the_trace_and_span_of_the_response(
    shared_client: httpx.Client, shared_server: Server
) -> None:
    response = shared_client.get("/health", headers={"traceparent": f"00-{TRACE_ID}-b7ad6b7169203331-01"})
    _, trace_id, span_id, _ = response.headers["traceparent"].split("-")
    assert trace_id == TRACE_ID
    assert span_id != "b7ad6b7169203331"  # the shared_server's own span, child of the caller's
    lines = _log_lines(shared_server, trace_id)
    assert any(line.get("span_id") == span_id and line.get("event") == "request" for line in lines), lines


def test_metrics_are_prometheus_text_without_authentication(shared_client: httpx.Client) -> None:
    shared_client.get("/health")
    response = shared_client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# TYPE" in response.text
    assert "http_server" in response.text  # the FastAPI instrumentation's request metrics


def _log_lines(server: Server, trace_id: str) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        found = []
        for raw in server.log.read_text().splitlines():
            if raw.startswith("{") and trace_id in raw:
                found.append(json.loads(raw))
        if found:
            return found
        time.sleep(0.1)
    return []
