"""Early signals: partners post a type and a person; the area's team sees the match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from eenplan.api.http import replies
from eenplan.api.http.commanding import AdminCommand, Command, answered, command_by, ok
from eenplan.api.http.deps import (
    CallerDep,
    ContainerDep,
)
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.intake import MatchPublic, SignalPosted, SignalsErased
from eenplan.domain.app.effects import signal_posted
from eenplan.domain.intake.commands import PostSignal
from eenplan.domain.values import Role
from eenplan.privacy.processing import note_nothing, note_record

# Partners report signals as themselves; professionals too. The signal's events, the key's claim
# and reply, and its log line commit together (api/store/unit.py); a refusal records nothing.
SignallerCommand = Annotated[
    Command,
    command_by(
        Role.PARTNER_SYSTEM, Role.PROFESSIONAL, Role.TEAM_LEAD, acting_for=False, one_transaction=True
    ),
]
router = APIRouter(prefix="/signals", tags=["signals"], route_class=LoggedRoute)


@router.post("", status_code=201, response_model=SignalPosted, openapi_extra=activity("intake"))
def create_signal(body: PostSignal, call: SignallerCommand, container: ContainerDep) -> Response:
    """Record a partner's signal, once per idempotency key; no content beyond its type."""
    response = call.run(
        body,
        lambda c: container.eenplan.signals.post_signal(c, body),
        replies.signal_posted,
        replies.recall(container, signal_posted),
    )
    note_record(call.ctx.actor, body.tenant, f"signal:{answered(response)['signal_id']}")
    return response


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
    matches = [
        MatchPublic.model_validate(m) for m in container.eenplan.signals.signal_matches(caller, team_id)
    ]
    tenant = container.eenplan.directory.team(team_id).tenant
    for match in matches:
        note_record(caller, tenant, f"signal-match:{match.match_id}")
    if not matches:
        note_nothing()
    return matches


@router.post("/expiry", response_model=SignalsErased, openapi_extra=activity("erasure"))
def erase_expired_signals(
    call: AdminCommand,
    container: ContainerDep,
    tenant: Annotated[str, Query(pattern=r"^GM[0-9]{4}$")],
) -> Response:
    """Erase the tenant's signals past their active term (role admin); run it daily."""
    response = call.run(
        None,
        lambda c: SignalsErased(tenant=tenant, erased=container.eenplan.signals.expire_signals(c, tenant)),
        ok,
        replies.RERUN,  # it erases only what is still there
    )
    erased = answered(response)["erased"]
    note_record(call.ctx.actor, tenant, f"signal-expiry:{tenant}", operation=f"erased:{erased}")
    return response
