"""The console on the API's app: its routes, its error pages, its static files and its headers."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eenplan.api.http.console import oversight, plans, signin
from eenplan.api.http.console.web import (
    HERE,
    SECURITY_HEADERS,
    ConsoleError,
    SignInNeededError,
    console_error,
    sign_in_needed,
)
from eenplan.api.http.problems import describe
from eenplan.domain.errors import DomainError

Handler = Callable[[Request, Any], Response | Awaitable[Response]]
STATIC = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
}
HEADERS = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]
static = APIRouter(prefix="/console/static", include_in_schema=False)


@static.get("/{name}")
def static_file(name: str) -> Response:
    """The console's own style sheet and script; nothing is loaded from elsewhere."""
    if name not in STATIC:
        return Response("Niet gevonden", status_code=404, media_type="text/plain")
    body = (HERE / "static" / name).read_bytes()
    return Response(body, media_type=STATIC[name], headers={"Cache-Control": "max-age=3600"})


class ConsoleHeaders:
    """Every answer under /console carries the console's Content-Security-Policy and friends."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith("/console"):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Added where missing: the static files keep their own Cache-Control.
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in HEADERS if k not in present),
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


# What the API answers as problem+json, the console shows as a page, with the same status.
AS_PAGES = (RequestValidationError, DomainError, HTTPException)
PAGE_LINES = {
    404: "Deze pagina bestaat niet.",
    405: "Deze pagina kan zo niet worden opgevraagd.",
    422: "Deze invoer klopt niet; kijk de velden na.",
    500: "Een opgeslagen record klopt niet meer of er ging iets mis; de fout is gelogd. Zie Integriteit.",
}


def _as_page(api_handler: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, error: Exception) -> Response:
        # The API's handler runs either way: what it logs (a record failing its integrity check) is
        # logged for the console too.
        answer = api_handler(request, error)
        api_answer = await answer if inspect.isawaitable(answer) else answer
        if not request.url.path.startswith("/console"):
            return api_answer
        found = describe(error)
        line = (
            str(error)
            if isinstance(error, DomainError) and found.status < 500
            else PAGE_LINES.get(found.status)
        )
        shown = ConsoleError(found.status, found.reason, line or "Dit verzoek kan niet worden beantwoord.")
        return await console_error(request, shown)

    return handle


def install(app: FastAPI) -> None:
    """After `problems.install`: the console's pages take over its errors under /console."""
    for kind in AS_PAGES:
        app.add_exception_handler(kind, _as_page(app.exception_handlers[kind]))
    app.add_exception_handler(SignInNeededError, sign_in_needed)
    app.add_exception_handler(ConsoleError, console_error)
    for router in (signin.router, plans.router, oversight.router, static):
        app.include_router(router)
    app.add_middleware(ConsoleHeaders)
