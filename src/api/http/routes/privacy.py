"""Privacy and data subject rights: processing log, export, erasure, break the glass."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from eenplan.api.http import replies
from eenplan.api.http.commanding import ok, once
from eenplan.api.http.deps import (
    CallerDep,
    CommandContextDep,
    ContainerDep,
    OrganisationContextDep,
    require_role,
)
from eenplan.api.http.idempotency import Recovery
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.privacy import (
    EmergencyGrant,
    EmergencyReview,
    ErasureReceipt,
    PolicyVersions,
    ProcessingLogPage,
    SubjectExport,
)
from eenplan.domain.values import Role
from eenplan.privacy import rights
from eenplan.privacy.policy import activities
from eenplan.privacy.processing import note_nothing, note_processing

router = APIRouter(tags=["privacy"], route_class=LoggedRoute)


class ErasureRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    # A code, not prose: it is kept on the erasure receipt, which must hold no personal data.
    legal_ground: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.:-]+$")


class EmergencyRequest(BaseModel):
    reason: str = Field(min_length=3, max_length=2000)


@router.get(
    "/plans/{plan_id}/processing-log", response_model=ProcessingLogPage, openapi_extra=activity("audit")
)
def read_processing_log(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # the store's positions are 64-bit
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> ProcessingLogPage:
    """LDV / NEN 7513 processing-log lines of this plan (privacy officers and auditors)."""
    require_role(caller, Role.PRIVACY_OFFICER, Role.AUDITOR)
    plan = container.eenplan.plan(caller, plan_id)
    note_processing(caller, str(plan.id), list(plan.members))
    entries = container.privacy.log.for_plan(str(plan.id), limit, after)
    return ProcessingLogPage(plan_id=str(plan.id), entries=entries)


@router.get("/subjects/{member_id}/export", openapi_extra=activity("export"))
def export_subject(member_id: str, caller: CallerDep, container: ContainerDep) -> SubjectExport:
    """Art. 15: everything held on the person, with the processing log."""
    require_role(caller, Role.PRIVACY_OFFICER)
    return SubjectExport.model_validate(rights.export_subject(container.privacy, caller, member_id))


@router.post("/subjects/{member_id}/erasure", openapi_extra=activity("erasure"))
def erase_subject(
    member_id: str, body: ErasureRequest, ctx: CommandContextDep, container: ContainerDep, request: Request
) -> Response:
    """Art. 17: crypto-shred the person's data; the receipt holds no personal data."""
    require_role(ctx.actor, Role.PRIVACY_OFFICER)
    response = once(
        request,
        container,
        ctx,
        body,
        lambda c: ErasureReceipt.model_validate(
            rights.erase_subject(container.privacy, c, member_id, body.legal_ground)
        ),
        ok,
        replies.UNLESS_RECORDED,  # the receipt is not rebuilt from the erasure event
    )
    note_nothing()  # a repeat processed nothing; a first run noted the erasure itself
    return response


@router.post("/plans/{plan_id}/emergency-access", openapi_extra=activity("emergency_access"))
def break_the_glass(
    plan_id: str,
    body: EmergencyRequest,
    request: Request,
    ctx: OrganisationContextDep,
    container: ContainerDep,
) -> Response:
    """Regisseur-level reads for a limited time, with a stated reason; logged and reviewed."""
    response = once(
        request,
        container,
        ctx,
        body,
        lambda c: EmergencyGrant.model_validate(
            container.privacy.grant_emergency(c.actor, plan_id, body.reason, c.trace_id)
        ),
        ok,
        # The grant is kept outside the event store: what a dead process did there is not known.
        Recovery(),
    )
    note_nothing()  # a repeat processed nothing; a first run noted the access itself
    return response


@router.get("/privacy/emergency-access")
def review_emergency_access(caller: CallerDep, container: ContainerDep) -> EmergencyReview:
    """The review queue of emergency accesses, newest first (privacy officers)."""
    require_role(caller, Role.PRIVACY_OFFICER)
    return EmergencyReview.model_validate({"grants": container.privacy.emergency_review(caller.tenants)})


@router.get("/privacy/policies")
def read_policies(caller: CallerDep, container: ContainerDep) -> PolicyVersions:
    """Which visibility policy versions were in force since when (auditors, privacy officers)."""
    require_role(caller, Role.PRIVACY_OFFICER, Role.AUDITOR)
    current = container.privacy.policy.version
    return PolicyVersions.model_validate({"current": current, "policies": container.privacy.policies()})


@router.get("/privacy/activities")
def read_activities(caller: CallerDep) -> dict[str, Any]:
    """The register of processing activities that `dpl.core.processing_activity_id` points into."""
    return {"activities": activities()}
