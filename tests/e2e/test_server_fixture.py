"""The e2e server fixture never mistakes another process on its port for our server."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.e2e import conftest


class AlwaysHealthy(http.server.BaseHTTPRequestHandler):
    """Someone else's server: healthy, but it knows nothing of our tokens."""

    def do_GET(self) -> None:
        self.send_response(200 if self.path == "/health" else 401)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def stranger() -> Iterator[int]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AlwaysHealthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_a_port_taken_by_another_server_is_skipped_for_a_free_one(
    settings: Settings, stranger: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ports = iter([stranger])
    monkeypatch.setattr(conftest, "free_port", lambda: next(ports, None) or conftest.socket_free_port())
    server = conftest.Server(settings)
    try:
        assert server.port != stranger
        assert httpx.get(f"{server.url}/ready", timeout=10).status_code == 200
    finally:
        server.stop()
