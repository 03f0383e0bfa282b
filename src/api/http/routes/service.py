"""Service endpoints for operators and load balancers: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from eenplan.api.http.deps import ContainerDep
from eenplan.api.http.problems import PROBLEM, STORE_OUTAGES, problem
from eenplan.api.http.schemas.public import Health, Ready
from eenplan.api.http.services import Services
from eenplan.api.telemetry.providers import prometheus_enabled

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/ready", response_model=Ready, responses={503: {"model": Ready}})
def ready(container: ContainerDep, response: Response) -> Ready:
    """The store answers; reports the head of the notification log, projection lag, and the read
    replica's state when one is set."""
    try:
        position = container.eenplan.recorder.max_notification_id()
    except STORE_OUTAGES:
        response.status_code = 503
        return Ready(status="unavailable", detail="the event store does not answer")
    try:
        lags = container.projections.status()
        replica = container.projections.replica_status()
    except STORE_OUTAGES:
        lags, replica = None, None
    return Ready(
        status="ready",
        position=position,
        projections=lags,
        read_replica=replica,
        postgres_driver=postgres_driver(container),
    )


def postgres_driver(container: Services) -> str | None:
    """Which psycopg implementation talks to PostgreSQL ("binary", "c" or "python"); None on SQLite."""
    if not container.settings.is_postgres:
        return None
    import psycopg

    return str(psycopg.pq.__impl__)


METRICS_TYPES = ("text/plain", "application/openmetrics-text")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {
            "description": "the Prometheus text format (0.0.4), or OpenMetrics 1.0 when Accept asks for it",
            "content": {media: {"schema": {"type": "string"}} for media in METRICS_TYPES},
        },
        404: {
            "description": "the prometheus exporter is not configured",
            "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        },
    },
)
def prometheus_text(request: Request) -> Response:
    """Metrics in the format `Accept` asks for: `application/openmetrics-text` gets OpenMetrics,
    anything else the Prometheus text format (when the prometheus exporter is configured)."""
    if not prometheus_enabled():
        return problem(404, "the prometheus exporter is not configured (EENPLAN_TELEMETRY_EXPORTERS)")
    from prometheus_client import REGISTRY
    from prometheus_client.exposition import choose_encoder

    encode, content_type = choose_encoder(request.headers.get("accept", ""))
    return Response(encode(REGISTRY), headers={"Content-Type": content_type})
