"""Early signals: partners post a type and a person; the area's team sees the match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CallerDep, CommandContextDep, ContainerDep, require_role
from api.intake_schemas import MatchPublic, SignalPosted, SignalsErased
from domain.intake.commands import PostSignal
from domain.values import Role

router = APIRouter(prefix="/signals", tags=["signals"])


@router.post("", status_code=201, response_model=SignalPosted)
def create_signal(body: PostSignal, ctx: CommandContextDep, container: ContainerDep) -> SignalPosted:
    """Record a partner's signal; no content beyond its type."""
    require_role(ctx.actor, Role.PARTNER_SYSTEM, Role.PROFESSIONAL, Role.TEAM_LEAD)
    if body.command_id:
        ctx = ctx.__class__(ctx.actor, body.command_id, ctx.trace_id, ctx.today)
    return SignalPosted.model_validate(container.eenplan.post_signal(ctx, body))


@router.get("/matches", response_model=list[MatchPublic], response_model_exclude_none=True)
def read_matches(
    caller: CallerDep, container: ContainerDep, team_id: Annotated[str, Query(min_length=1)]
) -> list[MatchPublic]:
    """The team's matches: whole for the team, the bare fact for the signalling organisations."""
    return [MatchPublic.model_validate(m) for m in container.eenplan.signal_matches(caller, team_id)]


@router.post("/expiry", response_model=SignalsErased)
def erase_expired_signals(
    ctx: CommandContextDep, container: ContainerDep, tenant: Annotated[str, Query(pattern=r"^GM\d{4}$")]
) -> SignalsErased:
    """Erase the tenant's signals past their active term (role admin); run it daily."""
    require_role(ctx.actor, Role.ADMIN)
    return SignalsErased(tenant=tenant, erased=container.eenplan.expire_signals(ctx, tenant))
