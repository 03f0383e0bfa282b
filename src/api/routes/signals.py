"""Early signals: partners post a type and a person; the area's team sees the match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import CallerDep, CommandContextDep, ContainerDep, OrganisationContextDep, require_role
from api.intake_schemas import MatchPublic, SignalPosted, SignalsErased
from api.processing import LoggedRoute, activity
from domain.intake.commands import PostSignal
from domain.values import Role
from privacy.processing import note_nothing, note_record

router = APIRouter(prefix="/signals", tags=["signals"], route_class=LoggedRoute)


@router.post("", status_code=201, response_model=SignalPosted, openapi_extra=activity("intake"))
def create_signal(body: PostSignal, ctx: OrganisationContextDep, container: ContainerDep) -> SignalPosted:
    """Record a partner's signal; no content beyond its type."""
    require_role(ctx.actor, Role.PARTNER_SYSTEM, Role.PROFESSIONAL, Role.TEAM_LEAD)
    ctx = ctx.with_command_id(body.command_id)
    posted = SignalPosted.model_validate(container.eenplan.post_signal(ctx, body))
    note_record(ctx.actor, body.tenant, f"signal:{posted.signal_id}")
    return posted


@router.get(
    "/matches",
    response_model=list[MatchPublic],
    response_model_exclude_none=True,
    openapi_extra=activity("intake"),
)
def read_matches(
    caller: CallerDep, container: ContainerDep, team_id: Annotated[str, Query(min_length=1)]
) -> list[MatchPublic]:
    """The team's matches: whole for the team, the bare fact for the signalling organisations."""
    matches = [MatchPublic.model_validate(m) for m in container.eenplan.signal_matches(caller, team_id)]
    tenant = container.eenplan.team(team_id).tenant
    for match in matches:
        note_record(caller, tenant, f"signal-match:{match.match_id}")
    if not matches:
        note_nothing()
    return matches


@router.post("/expiry", response_model=SignalsErased, openapi_extra=activity("erasure"))
def erase_expired_signals(
    ctx: CommandContextDep, container: ContainerDep, tenant: Annotated[str, Query(pattern=r"^GM[0-9]{4}$")]
) -> SignalsErased:
    """Erase the tenant's signals past their active term (role admin); run it daily."""
    require_role(ctx.actor, Role.ADMIN)
    erased = container.eenplan.expire_signals(ctx, tenant)
    note_record(ctx.actor, tenant, f"signal-expiry:{tenant}", operation=f"erased:{erased}")
    return SignalsErased(tenant=tenant, erased=erased)
