"""Privacy and data subject rights: processing log, export, erasure (break the glass: `emergency`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from eenplan.api.http import replies
from eenplan.api.http.commanding import JSON, PrivacyOfficerCommand, ok
from eenplan.api.http.deps import (
    CallerDep,
    ContainerDep,
    PrivacyOfficerDep,
    PrivacyReaderDep,
)
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.privacy import (
    ActivityRegister,
    ActivityRegisterVersion,
    ErasureReceipt,
    PolicyVersions,
    ProcessingActivity,
    ProcessingLogPage,
    SubjectExport,
)
from eenplan.api.http.services import Services
from eenplan.api.store.idempotency_keys import Reply
from eenplan.domain.errors import NotFoundError
from eenplan.privacy import erasure_jobs, rights
from eenplan.privacy.processing import note_nothing, note_processing

router = APIRouter(tags=["privacy"], route_class=LoggedRoute)


class ErasureRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)
    # A code, not prose: it is kept on the erasure receipt, which must hold no personal data.
    legal_ground: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9_.:-]+$")


@router.get(
    "/plans/{plan_id}/processing-log", response_model=ProcessingLogPage, openapi_extra=activity("audit")
)
def read_processing_log(
    plan_id: str,
    caller: PrivacyReaderDep,
    container: ContainerDep,
    after: Annotated[int, Query(ge=0, le=2**63 - 1)] = 0,  # the store's positions are 64-bit
    limit: Annotated[int, Query(ge=1, le=1000)] = 1000,
) -> ProcessingLogPage:
    """LDV / NEN 7513 processing-log lines of this plan (privacy officers and auditors)."""
    plan = container.eenplan.plans.plan(caller, plan_id)
    note_processing(caller, str(plan.id), list(plan.members))
    entries = container.privacy.log.for_plan(str(plan.id), limit, after)
    return ProcessingLogPage(plan_id=str(plan.id), entries=entries)


@router.get("/subjects/{member_id}/export", openapi_extra=activity("export"))
def export_subject(member_id: str, caller: PrivacyOfficerDep, container: ContainerDep) -> SubjectExport:
    """Art. 15: everything held on the person, with the processing log."""
    return SubjectExport.model_validate(rights.export_subject(container.privacy, caller, member_id))


@router.post(
    "/subjects/{member_id}/erasure",
    response_model=ErasureReceipt,
    responses={
        202: {"model": ErasureReceipt, "description": "erased; old row versions still being scrubbed"}
    },
    openapi_extra=activity("erasure"),
)
def erase_subject(
    member_id: str, body: ErasureRequest, call: PrivacyOfficerCommand, container: ContainerDep
) -> Response:
    """Art. 17: crypto-shred the person's data; the receipt holds no personal data.

    200 with a complete receipt; 202 with a pending one (and its `Location`) when a reader
    kept the old row versions in the store's files: it completes by itself.
    """
    response = call.run(
        body,
        lambda c: ErasureReceipt.model_validate(
            rights.erase_subject(container.privacy, c, member_id, body.legal_ground)
        ),
        _receipt_reply,
        replies.UNLESS_RECORDED,  # the receipt is not rebuilt from the erasure event
    )
    note_nothing()  # a repeat processed nothing; a first run noted the erasure itself
    return response


def _receipt_reply(receipt: ErasureReceipt) -> Reply:
    if receipt.status == "complete":
        return ok(receipt)
    headers = {"content-type": JSON, "location": f"/privacy/erasures/{receipt.receipt_id}"}
    return Reply(202, headers, receipt.model_dump_json().encode())


@router.get("/privacy/erasures/{receipt_id}", response_model=ErasureReceipt)
def read_erasure(receipt_id: str, caller: PrivacyOfficerDep, container: ContainerDep) -> ErasureReceipt:
    """An erasure receipt and whether it is complete (privacy officers of the plan's tenant)."""
    found = erasure_jobs.receipt(container.privacy.store, receipt_id)
    if found is None:
        raise NotFoundError(f"erasure receipt {receipt_id} not found")
    container.eenplan.plans.plan(caller, found["plan_id"])  # 404 outside the caller's tenants
    return ErasureReceipt.model_validate(found)


@router.get("/privacy/policies")
def read_policies(caller: PrivacyReaderDep, container: ContainerDep) -> PolicyVersions:
    """Which visibility policy versions were in force since when (auditors, privacy officers)."""
    current = container.privacy.policy.version
    return PolicyVersions.model_validate({"current": current, "policies": container.privacy.policies()})


@router.get("/privacy/activities", response_model=ActivityRegister)
def read_activities(caller: CallerDep, container: ContainerDep) -> ActivityRegister:
    """The register of processing activities that `dpl.core.processing_activity_id` points into:
    the current version (each activity with its URI), and every version recorded."""
    register = container.privacy.register
    current = register.describe(register.current)
    return ActivityRegister.model_validate(
        {**current, "current": register.current.version, "versions": register.versions()}
    )


@router.get("/privacy/activities/{version}", response_model=ActivityRegisterVersion)
def read_activity_register(
    version: str, caller: CallerDep, container: ContainerDep
) -> ActivityRegisterVersion:
    """One version of the register, as it was recorded; it never changes."""
    return ActivityRegisterVersion.model_validate(_register_version(container, version))


@router.get("/privacy/activities/{version}/{activity_id}", response_model=ProcessingActivity)
def read_activity(
    version: str, activity_id: str, caller: CallerDep, container: ContainerDep
) -> ProcessingActivity:
    """One processing activity as a version of the register describes it: what a log line names."""
    described = _register_version(container, version)["activities"].get(activity_id)
    if described is None:
        raise NotFoundError(f"no processing activity {activity_id} in version {version} of the register")
    return ProcessingActivity.model_validate({**described, "version": version})


def _register_version(container: Services, version: str) -> dict[str, Any]:
    register = container.privacy.register
    found = register.at(version)
    if found is None:
        raise NotFoundError(f"no version {version} of the register of processing activities")
    return register.describe(found)
