"""Break the glass: emergency access to a plan, and the privacy officers' review queue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from pydantic.json_schema import JsonDict

from eenplan.api.http import replies
from eenplan.api.http.commanding import EmergencyCommand, ok
from eenplan.api.http.deps import (
    ContainerDep,
    PrivacyOfficerDep,
)
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.privacy import EmergencyGrant, EmergencyReview, EmergencyReviewed
from eenplan.privacy.emergency import REASON_RULE
from eenplan.privacy.emergency_queue import QueueFilter
from eenplan.privacy.processing import note_nothing, note_processing

router = APIRouter(tags=["privacy"], route_class=LoggedRoute)


# The rule is checked by the privacy module, whose 422 states it; the schema bounds the size and
# states the part JSON Schema can say (at least 20 characters) without checking it a second time.
REASON_SCHEMA: JsonDict = {"minLength": 20}


class EmergencyRequest(BaseModel):
    reason: str = Field(max_length=2000, description=REASON_RULE, json_schema_extra=REASON_SCHEMA)


class EmergencyReviewRequest(BaseModel):
    decision: Literal["approved", "rejected"]
    reason: str = Field(max_length=2000, description=REASON_RULE, json_schema_extra=REASON_SCHEMA)


@router.post("/plans/{plan_id}/emergency-access", openapi_extra=activity("emergency_access"))
def break_the_glass(
    plan_id: str,
    body: EmergencyRequest,
    call: EmergencyCommand,
    container: ContainerDep,
) -> Response:
    """Emergency reads, as the policy allows the caller's organisation kind, for a limited time; reviewed."""
    response = call.run(
        body,
        lambda c: EmergencyGrant.model_validate(
            container.privacy.emergency.request(c.actor, plan_id, body.reason, c.command_id, c.trace_id)
        ),
        ok,
        replies.RERUN,  # a run again finds the grant its command id wrote, and makes no second one
    )
    note_nothing()  # a repeat processed nothing; a first run noted the access itself
    return response


@router.get("/privacy/emergency-access", openapi_extra=activity("emergency_review"))
def read_emergency_access_queue(
    caller: PrivacyOfficerDep,
    container: ContainerDep,
    review: Literal["open", "overdue", "decided", "approved", "rejected"] | None = None,
    plan_id: str | None = None,
    organisation_id: str | None = None,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> EmergencyReview:
    """The review queue of the caller's tenants, newest first (privacy officers)."""
    wanted = QueueFilter(review, plan_id, organisation_id, before, limit)
    grants = container.privacy.review_queue.grants(caller.tenants, wanted, datetime.now(UTC))
    for listed in dict.fromkeys(g["plan_id"] for g in grants):  # reasons are the households' data
        note_processing(caller, listed)
    if not grants:
        note_nothing()
    last = grants[-1]["id"] if len(grants) == limit else None
    return EmergencyReview.model_validate({"grants": grants, "next_before": last})


@router.post("/privacy/emergency-access/{grant_id}/review", openapi_extra=activity("emergency_review"))
def review_emergency_access(
    grant_id: str,
    body: EmergencyReviewRequest,
    call: EmergencyCommand,
    container: ContainerDep,
) -> Response:
    """A privacy officer approves or rejects a grant, with a reason: final; a rejection ends it at once."""
    response = call.run(
        body,
        lambda c: EmergencyReviewed.model_validate(
            container.privacy.emergency.review(
                c.actor, grant_id, body.decision, body.reason, c.command_id, c.trace_id
            )
        ),
        ok,
        replies.RERUN,  # a run again finds the review its command id wrote
    )
    note_nothing()  # a repeat processed nothing; a first run noted the review itself
    return response


@router.get("/privacy/second-plans", openapi_extra=activity("emergency_review"))
def read_second_plans(caller: PrivacyOfficerDep, container: ContainerDep) -> dict[str, Any]:
    """Plans opened on purpose beside an open plan of the same people (one household, one plan's
    override), newest first, with their reasons: reviewed by the privacy officer like break-the-glass."""
    plans = container.eenplan.households.second_plans(caller.tenants)
    for listed in plans:  # reasons are the households' data
        note_processing(caller, listed["plan_id"], listed["member_ids"])
    if not plans:
        note_nothing()
    return {"second_plans": plans}
