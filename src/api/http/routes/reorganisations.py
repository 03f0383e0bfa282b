"""Team reorganisations: merge and split teams, reassign areas, move every affected plan once."""

from __future__ import annotations

from fastapi import APIRouter, Response

from eenplan.api.http import replies
from eenplan.api.http.commanding import AdminCommand, ok
from eenplan.api.http.deps import ContainerDep
from eenplan.api.http.schemas.intake import ReorganisationResult
from eenplan.domain.reorganisation import Reorganisation

router = APIRouter(prefix="/teams", tags=["directory"])


@router.post("/reorganisations", response_model=ReorganisationResult)
def create_reorganisation(body: Reorganisation, call: AdminCommand, container: ContainerDep) -> Response:
    """Apply a reorganisation (role admin); `dry_run` shows what would move. Safe to re-run."""
    return call.run(
        body,
        lambda c: ReorganisationResult.model_validate(container.eenplan.reorganisations.reorganise(c, body)),
        ok,
        replies.RERUN,  # each plan moves once, whatever moved before
    )
