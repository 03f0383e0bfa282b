"""`GET /plans/{plan_id}/fhir`: the caller's view of the plan as a FHIR R4B Bundle."""

from __future__ import annotations

import json

from fastapi import APIRouter, Response

from eenplan.api.http.deps import CallerDep, ContainerDep
from eenplan.api.http.formats import fhir
from eenplan.api.http.processing import LoggedRoute, activity

router = APIRouter(prefix="/plans", tags=["plans"], route_class=LoggedRoute)
FHIR_JSON = "application/fhir+json"


@router.get(
    "/{plan_id}/fhir",
    response_class=Response,
    responses={200: {"content": {FHIR_JSON: {}}, "description": "a FHIR R4B Bundle (type collection)"}},
    openapi_extra=activity("plan_coordination"),
)
def read_plan_as_fhir(plan_id: str, caller: CallerDep, container: ContainerDep) -> Response:
    """CarePlan (subject: a Group for the household), CareTeam with `onBehalfOf`, Goals with ZRM progress."""
    view = container.reader.plan(caller, plan_id)
    return Response(
        json.dumps(fhir.bundle(view)).encode(),
        media_type=FHIR_JSON,
        headers={"ETag": f'"{view["version"]}"'},
    )
