"""Team reorganisations: merge and split teams, reassign areas, move every affected plan once."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CommandContextDep, ContainerDep, require_role
from api.intake_schemas import ReorganisationResult
from domain.reorganisation import Reorganisation
from domain.values import Role

router = APIRouter(prefix="/teams", tags=["directory"])


@router.post("/reorganisations", response_model=ReorganisationResult)
def create_reorganisation(
    body: Reorganisation, ctx: CommandContextDep, container: ContainerDep
) -> ReorganisationResult:
    """Apply a reorganisation (role admin); `dry_run` shows what would move. Safe to re-run."""
    require_role(ctx.actor, Role.ADMIN)
    return ReorganisationResult.model_validate(container.eenplan.reorganise(ctx, body))
