"""The FastAPI application: routers, error map and request middleware on one container."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware

from eenplan.api.http import openapi, problems
from eenplan.api.http.console import mount as console
from eenplan.api.http.housekeeping import keep_house
from eenplan.api.http.idempotency import purge_periodically
from eenplan.api.http.methods import MethodSemantics
from eenplan.api.http.middleware import RequestContext
from eenplan.api.http.negotiation import Negotiation
from eenplan.api.http.routes import (
    audit,
    changes,
    directory,
    docs,
    emergency,
    events,
    fhir,
    intake,
    plans,
    privacy,
    reorganisations,
    service,
    signals,
    views,
)
from eenplan.api.http.services import Services
from eenplan.api.http.storegate import StoreGateMiddleware
from eenplan.api.telemetry import providers as telemetry

log = structlog.get_logger("eenplan.http")
# What a browser frontend may send and read across origins.
CORS_REQUEST_HEADERS = [
    "Authorization",
    "Content-Type",
    "Idempotency-Key",
    "If-Match",
    "If-None-Match",
    "Last-Event-ID",
    "X-Acting-For",
    "X-Request-ID",
    "traceparent",
    "tracestate",
]
CORS_EXPOSED_HEADERS = ["ETag", "Location", "Retry-After", "traceparent", "X-Request-ID"]


def create_app(container: Services) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        every = container.settings.idempotency_purge_interval_seconds
        purger = asyncio.create_task(purge_periodically(container.keys, every))
        # Retention terms and pending erasures apply by themselves (api/http/housekeeping.py).
        keeper = asyncio.create_task(keep_house(container, container.housekeeping))
        runner = container.projections.runner() if container.settings.projections_in_process else None
        if runner is not None:
            runner.start()
        log.info(
            "started",
            store="postgresql" if container.settings.is_postgres else "sqlite",
            postgres_driver=service.postgres_driver(container),
            projections_in_process=runner is not None,
        )
        yield
        if runner is not None:
            runner.stop()
        purger.cancel()
        keeper.cancel()
        container.close()

    app = FastAPI(
        title="eenplan",
        version="1.0.0",
        summary="One household, one plan, one regisseur.",
        lifespan=lifespan,
        # Swagger UI from the package, not a CDN (routes/docs.py); ReDoc has no offline bundle here.
        docs_url=None,
        redoc_url=None,
    )
    app.state.container = container
    problems.install(app)
    openapi.describe(app)  # every error as problem+json, headers, enforced rules (api/http/openapi.py)
    # Innermost: 406 and 415 before a route runs (api/http/negotiation.py); it sees a HEAD as its GET.
    app.add_middleware(Negotiation, routes=app.router.routes)
    # Large answers gzipped when asked; the event stream is never buffered (Starlette leaves it out).
    # Inside MethodSemantics, so a HEAD has the headers of its gzipped GET (Content-Length too).
    app.add_middleware(GZipMiddleware, minimum_size=container.settings.gzip_minimum_bytes)
    # HEAD and OPTIONS for every path, from the routes included below (api/http/methods.py).
    app.add_middleware(MethodSemantics, routes=app.router.routes)
    # Fail fast (503) while the store is down; inside RequestContext, so 503s carry traceparent.
    app.state.store_gate = container.store_gate
    app.add_middleware(StoreGateMiddleware, gate=app.state.store_gate)
    app.add_middleware(RequestContext, max_body_bytes=container.settings.max_body_bytes)
    settings = container.settings
    if settings.allowed_origins:  # none by default: then no CORS headers, and preflights are OPTIONS
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=600,
        )
    for router in (
        service.router,
        docs.router,
        directory.router,
        plans.router,
        views.router,
        privacy.router,
        emergency.router,
        events.router,
        changes.router,
        fhir.router,
        intake.router,
        signals.router,
        reorganisations.router,
    ):
        app.include_router(router)
    app.include_router(audit.router)
    console.install(app)  # the auditors' and privacy officers' console at /console (HTML)
    telemetry.instrument(app)  # HTTP server spans and GET /metrics
    return app
