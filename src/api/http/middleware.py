"""Per-request context: trace (W3C traceparent in and out), request id, size limit, access log."""

from __future__ import annotations

import re
import time
from typing import Any
from uuid import uuid4

import structlog
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from eenplan.api.telemetry.logs import tracer
from eenplan.privacy.keys import fresh_keys

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
log = structlog.get_logger("eenplan.http")


SUBJECT_PATH = re.compile(r"^/subjects/[^/]+")


def loggable_path(path: str) -> str:
    """Member ids are chosen by clients and may identify a person: logs show the route, not the id."""
    return SUBJECT_PATH.sub("/subjects/{member_id}", path)


class BodyTooLargeError(Exception):
    """The request body is larger than the configured limit (HTTP 413)."""


class RequestContext:
    """A pure ASGI middleware, so streaming responses pass through untouched."""

    def __init__(self, app: Any, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        server_span = trace.get_current_span()
        if server_span.get_span_context().is_valid:
            # The FastAPI instrumentation (outermost) already opened the server span from
            # the caller's traceparent: log lines, responses and events use that one.
            await self._handle(scope, receive, send, headers, server_span, own_span=False)
            return
        parent = propagate.extract({k: v for k, v in headers.items() if k in ("traceparent", "tracestate")})
        name = f"{scope['method']} {scope['path']}"
        with tracer().start_as_current_span(name, context=parent, kind=SpanKind.SERVER) as span:
            await self._handle(scope, receive, send, headers, span, own_span=True)

    async def _handle(
        self, scope: Any, receive: Any, send: Any, headers: dict[str, str], span: Any, own_span: bool
    ) -> None:
        context = span.get_span_context()
        trace_id, span_id = f"{context.trace_id:032x}", f"{context.span_id:016x}"
        incoming = headers.get("x-request-id", "")
        request_id = incoming if REQUEST_ID.match(incoming) else uuid4().hex
        foreign = trace.get_current_span(propagate.extract(headers)).get_span_context()
        scope.setdefault("state", {})["trace"] = {
            "trace_id": trace_id,
            "span_id": span_id,
            "foreign_operation": headers.get("traceparent") if foreign.is_valid else None,
        }
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id, trace_id=trace_id, span_id=span_id)
        started, status = time.perf_counter(), 500
        extra = [
            (b"traceparent", f"00-{trace_id}-{span_id}-01".encode()),
            (b"x-request-id", request_id.encode()),
        ]

        async def send_with_context(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        try:
            # One read of the key generation for the whole request (privacy.keys), not one per value.
            with fresh_keys():
                await self.app(scope, self._limited(receive, headers), send_with_context)
        finally:
            if own_span:  # the instrumentation records status on its own span
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(Status(StatusCode.ERROR))
            log.info(
                "request",
                method=scope["method"],
                path=loggable_path(scope["path"]),
                status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
            )

    def _limited(self, receive: Any, headers: dict[str, str]) -> Any:
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:

            async def refuse() -> Any:
                raise BodyTooLargeError(f"the request body exceeds {self.max_body_bytes} bytes")

            return refuse
        seen = 0

        async def counting() -> Any:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_body_bytes:
                raise BodyTooLargeError(f"the request body exceeds {self.max_body_bytes} bytes")
            return message

        return counting
