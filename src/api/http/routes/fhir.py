"""`GET /plans/{plan_id}/fhir`: the caller's view of the plan as a FHIR R4B Bundle."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from fastapi import APIRouter, Request, Response

from eenplan.api.http.deps import CallerDep, ContainerDep, known_query
from eenplan.api.http.formats import fhir
from eenplan.api.http.problems import ProblemError
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.reads import AsOf, AsSeenBy, Version
from eenplan.api.http.services import Services
from eenplan.domain.errors import DomainError

router = APIRouter(prefix="/plans", tags=["plans"], route_class=LoggedRoute)
FHIR_JSON = "application/fhir+json"
FHIR_VERSION = re.compile(r"fhirversion\s*=\s*\"?([0-9.]+)", re.IGNORECASE)


@router.get(
    "/{plan_id}/fhir",
    response_class=Response,
    responses={
        200: {
            "content": {FHIR_JSON: {"schema": {"type": "object"}}},
            "description": f"a FHIR R4B Bundle (type collection), as `{fhir.MEDIA_TYPE}`",
        }
    },
    openapi_extra=activity("plan_coordination"),
    dependencies=[known_query("version", "as_of", "as_seen_by")],
)
def read_plan_as_fhir(
    plan_id: str,
    request: Request,
    caller: CallerDep,
    container: ContainerDep,
    version: Version = None,
    as_of: AsOf = None,
    as_seen_by: AsSeenBy = None,
) -> Response:
    """CarePlan (subject: a Group for the household), CareTeam with `onBehalfOf`, Goals with ZRM progress.

    Takes the read parameters of `GET /plans/{plan_id}`: a version, a moment, or (auditors) an organisation.
    Served as FHIR 4.3 (R4B): an `Accept` whose `fhirVersion` names only other versions gets 406.
    """
    _check_version(request.headers.get("accept", ""))
    view = container.reader.view(caller, plan_id, version=version, as_of=as_of, as_seen_by=as_seen_by)
    return Response(
        json.dumps(fhir.bundle(view, _names(container, view))).encode(),
        headers={"ETag": f'"{view["version"]}"', "Content-Type": fhir.MEDIA_TYPE},
    )


def _check_version(accept: str) -> None:
    asked = FHIR_VERSION.findall(accept)
    if asked and fhir.FHIR_VERSION not in {".".join(v.split(".")[:2]) for v in asked}:
        raise ProblemError(
            406,
            "not-acceptable",
            f"this server serves FHIR {fhir.FHIR_VERSION} (R4B); Accept asks for {', '.join(asked)}",
            accepted=[fhir.MEDIA_TYPE],
        )


def _names(container: Services, view: dict[str, Any]) -> dict[str, str]:
    """The directory's names of the professionals and organisations the bundle names."""
    pros, orgs = fhir.people(view)
    directory = container.eenplan.directory
    names: dict[str, str] = {}
    for kind, keys, look_up in (
        ("professional", pros, directory.professional),
        ("organisation", orgs, directory.organisation),
    ):
        for key in keys:
            with contextlib.suppress(DomainError):  # a name the directory no longer has is left out
                names[f"{kind}:{key}"] = look_up(key).name
    return names
