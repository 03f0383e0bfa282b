"""The console on the API's app: its routes, its error pages, its static files and its headers."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import Response
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


def install(app: FastAPI) -> None:
    app.add_exception_handler(SignInNeededError, sign_in_needed)
    app.add_exception_handler(ConsoleError, console_error)
    for router in (signin.router, plans.router, oversight.router, static):
        app.include_router(router)
    app.add_middleware(ConsoleHeaders)
