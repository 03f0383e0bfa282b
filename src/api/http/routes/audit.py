"""Audit: verify the tamper-evident hash chain over the stored events (role auditor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from eenplan.api.http.deps import CallerDep, ContainerDep, require_role
from eenplan.api.http.schemas.public import AuditVerdict
from eenplan.domain.values import Role

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify", response_model=AuditVerdict)
def verify_chain(
    caller: CallerDep,
    container: ContainerDep,
    plan_id: Annotated[str | None, Query(description="one plan; without it, the whole store")] = None,
) -> AuditVerdict:
    """ "intact" with the number of records checked, or the first broken link."""
    require_role(caller, Role.AUDITOR)
    verdict = container.audit.verify(caller, plan_id)
    return AuditVerdict.model_validate(verdict.as_dict())
