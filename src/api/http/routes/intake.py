"""Help requests: submit from any channel, rank candidates, triage; waiting times; the welfare offer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from eenplan.api.http import replies
from eenplan.api.http.commanding import (
    AdminCommand,
    Command,
    HelpRequestSubmission,
    IntakeCommand,
    answered,
    command_by,
)
from eenplan.api.http.deps import CallerDep, ContainerDep, IntakeCallerDep
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.intake import (
    ActivityPublic,
    CandidatePublic,
    HelpRequestCreated,
    HelpRequestPublic,
    TriageResult,
    WaitingTimeRow,
)
from eenplan.api.http.schemas.public import Public
from eenplan.domain.app.effects import triage_outcome
from eenplan.domain.intake.activity import Activity
from eenplan.domain.intake.commands import HelpRequestCommand, ReferPlan, RegisterActivity, SubmitHelpRequest
from eenplan.domain.intake.values import Topic
from eenplan.domain.values import Role
from eenplan.privacy.processing import note_record

ReferrerCommand = Annotated[Command, command_by(Role.PROFESSIONAL, Role.TEAM_LEAD)]
router = APIRouter(tags=["intake"], route_class=LoggedRoute)


@router.post(
    "/help-requests", status_code=201, response_model=HelpRequestCreated, openapi_extra=activity("intake")
)
def create_help_request(
    body: SubmitHelpRequest, call: HelpRequestSubmission, container: ContainerDep
) -> Response:
    """Record a help request from any channel; once per idempotency key."""
    response = call.run(
        body,
        lambda c: container.eenplan.intake.submit_help_request(c, body),
        replies.help_request_created,
        replies.recall(container, triage_outcome),
    )
    note_record(call.ctx.actor, body.tenant, f"help-request:{answered(response)['request_id']}")
    return response


@router.get("/help-requests/waiting-times", response_model=list[WaitingTimeRow])
def read_waiting_times(
    caller: CallerDep,
    container: ContainerDep,
    tenant: Annotated[str, Query(pattern=r"^GM[0-9]{4}$")],
    team_id: str | None = None,
    topic: Topic | None = None,
) -> list[WaitingTimeRow]:
    """Mean days from request to first contact, assignment and plan, per team and topic."""
    rows = container.eenplan.intake.waiting_times(caller, tenant, team_id, topic.value if topic else None)
    return [WaitingTimeRow.model_validate(r) for r in rows]


@router.get("/help-requests/{request_id}", response_model=HelpRequestPublic, openapi_extra=activity("intake"))
def read_help_request(request_id: str, caller: IntakeCallerDep, container: ContainerDep) -> Public:
    """One help request of the caller's tenants, with its triage so far."""
    r = container.eenplan.intake.help_request(caller, request_id)
    note_record(caller, r.tenant, f"help-request:{request_id}")
    state = {k: getattr(r, k) for k in HelpRequestPublic.model_fields if k not in ("request_id", "version")}
    return HelpRequestPublic.model_validate({"request_id": str(r.id), "version": r.version, **state})


@router.get(
    "/help-requests/{request_id}/candidates",
    response_model=list[CandidatePublic],
    openapi_extra=activity("intake"),
)
def read_candidates(
    request_id: str, caller: IntakeCallerDep, container: ContainerDep
) -> list[CandidatePublic]:
    """Professionals of all the tenant's teams, best first, with the parts of their score."""
    ranking = container.eenplan.intake.ranking(caller, request_id)
    note_record(caller, ranking.tenant, f"help-request:{request_id}")
    return [CandidatePublic.model_validate(c, from_attributes=True) for c in ranking.candidates]


@router.post(
    "/help-requests/{request_id}/commands", response_model=TriageResult, openapi_extra=activity("intake")
)
def run_triage(
    request_id: str,
    command: Annotated[HelpRequestCommand, Body()],
    call: IntakeCommand,
    container: ContainerDep,
) -> Response:
    """One triage step: assign, record_first_contact, resolve_simple, refer or open_plan."""
    response = call.run(
        command,
        lambda c: container.eenplan.intake.triage(c, request_id, command),
        replies.triage_result,
        replies.recall(container, triage_outcome),
    )
    tenant = answered(response)["tenant"]
    note_record(call.ctx.actor, tenant, f"help-request:{request_id}", operation=command.type)
    return response


@router.post("/activities", status_code=201, response_model=ActivityPublic)
def create_activity(body: RegisterActivity, call: AdminCommand, container: ContainerDep) -> Response:
    """Add a welfare activity to the sociale kaart (role admin)."""
    return call.run(
        body,
        lambda c: container.eenplan.intake.register_activity(c, body),
        replies.activity_created,
        replies.recall_latest(container, Activity),
    )


@router.get("/activities", response_model=list[ActivityPublic])
def read_activities(
    caller: CallerDep, container: ContainerDep, topic: Topic | None = None
) -> list[ActivityPublic]:
    """The welfare offer of the caller's tenants, optionally for one topic."""
    found = container.eenplan.intake.activities(caller, topic.value if topic else None)
    return [replies.activity_public(a) for a in found]


@router.post("/activities/{activity_id}/referrals", status_code=201, response_model=ActivityPublic)
def create_referral(
    activity_id: str, body: ReferPlan, call: ReferrerCommand, container: ContainerDep
) -> Response:
    """Record that a plan's household was referred to this activity."""
    return call.run(
        body,
        lambda c: container.eenplan.intake.refer_plan(c, body.plan_id, activity_id),
        replies.referral_created,
        replies.recall_latest(container, Activity),
    )
