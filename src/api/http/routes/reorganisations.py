"""Team reorganisations: merge and split teams, reassign areas, move every affected plan once."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from eenplan.api.http import replies
from eenplan.api.http.commanding import ok, once
from eenplan.api.http.deps import CommandContextDep, ContainerDep, require_role
from eenplan.api.http.schemas.intake import ReorganisationResult
from eenplan.domain.reorganisation import Reorganisation
from eenplan.domain.values import Role

router = APIRouter(prefix="/teams", tags=["directory"])


@router.post("/reorganisations", response_model=ReorganisationResult)
def create_reorganisation(
    body: Reorganisation, ctx: CommandContextDep, container: ContainerDep, request: Request
) -> Response:
    """Apply a reorganisation (role admin); `dry_run` shows what would move. Safe to re-run."""
    require_role(ctx.actor, Role.ADMIN)
    return once(
        request,
        container,
        ctx,
        body,
        lambda c: ReorganisationResult.model_validate(container.eenplan.reorganise(c, body)),
        ok,
        replies.RERUN,  # each plan moves once, whatever moved before
    )
