"""Content negotiation at the edge (RFC 9110 §12, §15.5.7, §15.5.16): 406 and 415, before a route runs.

- `Accept`: a route serves the media types its OpenAPI responses name (JSON by default; FHIR JSON,
  an event stream, Prometheus text). When `Accept` names none of them with a q above 0, the answer
  is 406, problem+json (the problem is sent whatever `Accept` says: RFC 9110 allows an answer
  outside `Accept` and a client must be able to read why). No `Accept` accepts anything.
- `Content-Type`: a route that reads a JSON body takes `application/json` and any `+json` type.
  Another type is 415, not the 422 FastAPI would give once it failed to parse it as JSON.
  A request without `Content-Type` is read as JSON, as before. An empty `Accept` is no `Accept`.

A pure ASGI middleware, inside `MethodSemantics` (a HEAD arrives here as its GET), so the refusal
comes before the route does anything: a command is never run for an answer the client cannot take.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Match

from eenplan.api.http.problems import problem

JSON = "application/json"
FHIR_JSON = "application/fhir+json"


class Negotiation:
    def __init__(self, app: Any, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes  # the router's own list: routers included after this count too
        self.served: dict[int, tuple[str, ...]] = {}

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = next((r for r in api_routes(self.routes) if r.matches(scope)[0] is Match.FULL), None)
        refusal = self._refusal(route, scope) if route is not None and route.include_in_schema else None
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    def _refusal(self, route: APIRoute, scope: Any) -> Any:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        served = self._served(route)
        accept = headers.get("accept")
        if accept and accept.strip() and not any(acceptable(accept, media) for media in served):
            return problem(
                406,
                f"this resource is served as {', '.join(served)}; none of them is in Accept",
                kind="not-acceptable",
                accepted=list(served),
            )
        content_type = headers.get("content-type")
        if route.body_field is not None and content_type is not None and not is_json(content_type):
            return problem(
                415,
                f"send the body as {JSON} (Content-Type); {media_type(content_type)!r} is not read here",
                kind="unsupported-media-type",
            )
        return None

    def _served(self, route: APIRoute) -> tuple[str, ...]:
        found = self.served.get(id(route))
        if found is None:
            types = [
                media
                for code, response in route.responses.items()
                if str(code).startswith("2")
                for media in (response.get("content") or {})
            ]
            found = tuple(dict.fromkeys(types)) or (JSON,)
            # FHIR: a server reads `Accept: application/json` as asking for FHIR JSON.
            found += (JSON,) if FHIR_JSON in found and JSON not in found else ()
            self.served[id(route)] = found
        return found


def api_routes(routes: Sequence[BaseRoute]) -> list[APIRoute]:
    """The API routes, also those of included routers (FastAPI keeps an included router whole).

    The routers are included without a prefix of their own (`api/http/app.py`): each route's
    path is the full path.
    """
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found.extend(api_routes(inner.routes))
    return found


def media_type(value: str) -> str:
    return value.split(";", 1)[0].strip().lower()


def is_json(content_type: str) -> bool:
    media = media_type(content_type)
    return media == JSON or (media.startswith("application/") and media.endswith("+json"))


def acceptable(accept: str, media: str) -> bool:
    """Whether `media` matches a range of `accept` that has a q above 0 (RFC 9110 §12.5.1)."""
    kind, _, sub = media.partition("/")
    best: tuple[int, float] | None = None  # (specificity, q) of the most specific matching range
    for element in accept.split(","):
        parts = [p.strip() for p in element.split(";")]
        wanted = parts[0].lower()
        if not wanted:
            continue
        q = 1.0
        for parameter in parts[1:]:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        w_kind, _, w_sub = wanted.partition("/")
        if wanted == "*/*":
            specificity = 0
        elif w_kind == kind and w_sub == "*":
            specificity = 1
        elif w_kind == kind and w_sub == sub:
            specificity = 2
        else:
            continue
        if best is None or specificity > best[0]:
            best = (specificity, q)
    return best is not None and best[1] > 0
