"""`GET /plans/{plan_id}/fhir`: the caller's view of the plan as a FHIR R4B Bundle."""

from __future__ import annotations

import json

from fastapi import APIRouter, Response

from eenplan.api.http.deps import CallerDep, ContainerDep, known_query
from eenplan.api.http.formats import fhir
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.reads import AsOf, AsSeenBy, Version

router = APIRouter(prefix="/plans", tags=["plans"], route_class=LoggedRoute)
FHIR_JSON = "application/fhir+json"


@router.get(
    "/{plan_id}/fhir",
    response_class=Response,
    responses={200: {"content": {FHIR_JSON: {}}, "description": "a FHIR R4B Bundle (type collection)"}},
    openapi_extra=activity("plan_coordination"),
    dependencies=[known_query("version", "as_of", "as_seen_by")],
)
def read_plan_as_fhir(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    version: Version = None,
    as_of: AsOf = None,
    as_seen_by: AsSeenBy = None,
) -> Response:
    """CarePlan (subject: a Group for the household), CareTeam with `onBehalfOf`, Goals with ZRM progress.

    Takes the read parameters of `GET /plans/{plan_id}`: a version, a moment, or (auditors) an organisation.
    """
    view = container.reader.view(caller, plan_id, version=version, as_of=as_of, as_seen_by=as_seen_by)
    return Response(
        json.dumps(fhir.bundle(view)).encode(),
        media_type=FHIR_JSON,
        headers={"ETag": f'"{view["version"]}"'},
    )
