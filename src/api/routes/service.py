"""Service endpoints for operators and load balancers: liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import ContainerDep
from api.errors import STORE_OUTAGES
from api.schemas import Health, Ready
from api.view_schemas import ProjectionLag

router = APIRouter(tags=["service"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """The process is up."""
    return Health(status="ok")


@router.get("/ready", response_model=Ready, responses={503: {"model": Ready}})
def ready(container: ContainerDep, response: Response) -> Ready:
    """The store answers; reports the head of the notification log."""
    try:
        position = container.eenplan.recorder.max_notification_id()
    except STORE_OUTAGES:
        response.status_code = 503
        return Ready(status="unavailable", detail="the event store does not answer")
    try:
        lags = [ProjectionLag(**s.as_dict()) for s in container.projections.status()]
    except STORE_OUTAGES:
        lags = None
    return Ready(status="ready", position=position, projections=lags)
