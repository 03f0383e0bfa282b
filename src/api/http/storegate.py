"""The store gate at the HTTP edge: while the event store is down, new requests get a 503 at once."""

from __future__ import annotations

from typing import Any

import anyio

from eenplan.api.http.problems import problem
from eenplan.api.store.gate import StoreGate

# Service endpoints answer without the store (liveness, metrics, the API's own description).
OPEN_PATHS = ("/health", "/metrics", "/docs", "/openapi.json")


class StoreGateMiddleware:
    """Answers 503 at once while the gate is shut; everything else passes through untouched."""

    def __init__(self, app: Any, gate: StoreGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"].startswith(OPEN_PATHS) or not self.gate.down:
            await self.app(scope, receive, send)
            return
        if await anyio.to_thread.run_sync(self.gate.may_pass):
            await self.app(scope, receive, send)
            return
        response = problem(
            503,
            "the event store is unavailable; retry with the same Idempotency-Key",
            kind="store-unavailable",
            headers={"Retry-After": "2"},
        )
        await response(scope, receive, send)
