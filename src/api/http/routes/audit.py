"""Audit: verify the tamper-evident hash chain and the integrity of stored values (role auditor)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from eenplan.api.http.deps import AuditorDep, ContainerDep, raise_validation
from eenplan.api.http.schemas.public import AuditVerdict
from eenplan.domain.audit.verify import Anchor

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify", response_model=AuditVerdict)
def verify_chain(
    caller: AuditorDep,
    container: ContainerDep,
    plan_id: Annotated[str | None, Query(description="one plan; without it, the whole store")] = None,
    against: Annotated[
        str | None,
        Query(max_length=100, description="a published head, POSITION:HASH as `eenplan audit anchor` prints"),
    ] = None,
) -> AuditVerdict:
    """ "intact" with the number of records checked, or the first broken link or altered value."""
    verdict = container.audit.verify(caller, plan_id, _anchor(against))
    return AuditVerdict.model_validate(verdict.as_dict())


def _anchor(text: str | None) -> Anchor | None:
    try:
        return None if text is None else Anchor.parse(text)
    except ValueError as e:
        raise_validation("against", str(e), part="query")
        raise  # raise_validation always raises; this keeps the type checker sure of it
