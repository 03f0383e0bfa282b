"""The methods of a path, per RFC 9110 §9: HEAD wherever GET is, OPTIONS, and a full `Allow`.

FastAPI routes answer only the methods they declare, and one path's methods may sit on
several routes (`GET /plans` and `POST /plans`). This pure ASGI middleware looks at all
of them:

- HEAD runs the path's GET and sends its status and headers without the body (§9.3.2);
- OPTIONS answers 204 with `Allow` naming every method of the path (§9.3.7), without a
  token: it says what the server offers, not what a resource holds, and a path with an
  unknown id gets the same answer as one with a known id;
- a 405 names every method of the path in `Allow` (§15.5.6), not only one route's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from starlette.responses import Response
from starlette.routing import BaseRoute, Match

# The methods a route may declare; OPTIONS is answered here, CONNECT and TRACE are not served.
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


class MethodSemantics:
    def __init__(self, app: Any, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the router's own list: routers included after this count too

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        allowed = self.allowed(scope) if method in ("OPTIONS", "HEAD") else None
        if method == "OPTIONS" and allowed:
            await Response(status_code=204, headers={"Allow": ", ".join(allowed)})(scope, receive, send)
        elif method == "HEAD" and allowed and "GET" in allowed:
            # A copy: the server keeps its own scope, and knows from it that a HEAD has no body.
            await self.app({**scope, "method": "GET"}, receive, _headers_only(send))
        else:
            await self.app(scope, receive, self._complete_allow(scope, send))

    def allowed(self, scope: Any) -> list[str]:
        """Every method a route takes on this path, sorted; none for a path no route has.

        Each method is put to the routes as they match a request, included routers too.
        """
        methods = {
            m for m in METHODS if any(self._takes(route, {**scope, "method": m}) for route in self.routes)
        }
        if not methods:
            return []
        return sorted(methods | {"OPTIONS"} | ({"HEAD"} if "GET" in methods else set()))

    @staticmethod
    def _takes(route: BaseRoute, scope: Any) -> bool:
        return route.matches(scope)[0] is Match.FULL

    def _complete_allow(self, scope: Any, send: Any) -> Any:
        """A 405's `Allow` names the methods of every route on the path, not only the answering one's."""

        async def send_allow(message: Any) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allowed = ", ".join(self.allowed(scope)).encode()
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allowed)]}
            await send(message)

        return send_allow


def _headers_only(send: Any) -> Any:
    """Send the status and headers, then end the response: no body, and not an endless stream's."""
    ended = False

    async def send_head(message: Any) -> None:
        nonlocal ended
        if ended:
            return
        await send(message)
        if message["type"] == "http.response.start":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            ended = True  # the server now tells the app the client is gone, which ends a stream

    return send_head
