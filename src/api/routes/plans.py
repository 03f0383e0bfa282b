"""Plans: open one, send it commands, read it now or as it was, read its history."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response
from pydantic import AwareDatetime

from api.deps import CallerDep, CommandContextDep, ContainerDep, raise_validation
from api.processing import LoggedRoute, activity
from api.schemas import CommandResult, PlanHistory, PlanOpened, PlanPublic
from domain.commands import OpenPlan, PlanCommand
from privacy.processing import note_processing

router = APIRouter(prefix="/plans", tags=["plans"], route_class=LoggedRoute)


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise_validation("If-Match", 'use the ETag of the plan, e.g. "7"')
    return int(tag)


@router.post("", status_code=201, response_model=PlanOpened, openapi_extra=activity("intake"))
def create_plan(
    body: OpenPlan, ctx: CommandContextDep, container: ContainerDep, response: Response
) -> PlanOpened:
    """Open a household plan; the caller and the regisseur join its care team."""
    if body.command_id:
        ctx = ctx.__class__(ctx.actor, body.command_id, ctx.trace_id, ctx.today)
    outcome = container.eenplan.open_plan(ctx, body)
    note_processing(ctx.actor, outcome.plan_id, outcome.member_ids)
    response.headers["Location"] = f"/plans/{outcome.plan_id}"
    response.headers["ETag"] = _etag(outcome.version)
    return PlanOpened(
        plan_id=outcome.plan_id,
        version=outcome.version,
        position=outcome.position,
        member_ids=outcome.member_ids,
    )


@router.post("/{plan_id}/commands", response_model=CommandResult, openapi_extra=activity("plan_coordination"))
def run_command(
    plan_id: str,
    command: Annotated[PlanCommand, Body()],
    ctx: CommandContextDep,
    container: ContainerDep,
    response: Response,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> CommandResult:
    """Run one command against the plan."""
    if command.command_id:
        ctx = ctx.__class__(ctx.actor, command.command_id, ctx.trace_id, ctx.today)
    outcome = container.eenplan.execute(ctx, plan_id, command, _if_match(if_match))
    # A removed member is no longer in the plan, yet the command processed their data.
    subject = getattr(command, "member_id", None)
    note_processing(ctx.actor, outcome.plan_id, operation=command.type, also=[subject] if subject else [])
    response.headers["ETag"] = _etag(outcome.version)
    return CommandResult.model_validate(outcome, from_attributes=True)


@router.get(
    "/{plan_id}",
    response_model=PlanPublic,
    response_model_exclude_unset=True,
    openapi_extra=activity("plan_coordination"),
)
def read_plan(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    response: Response,
    version: Annotated[int | None, Query(ge=1)] = None,
    as_of: Annotated[AwareDatetime | None, Query()] = None,
    as_seen_by: Annotated[
        str | None, Query(max_length=200, description="auditors: an organisation id")
    ] = None,
) -> PlanPublic:
    """The plan as the caller may see it, now or replayed; auditors: as an organisation saw it."""
    if as_seen_by is not None:
        moment = as_of or datetime.now(UTC)
        view = container.reader.plan_as_seen_by(caller, plan_id, as_seen_by, moment)
    else:
        view = container.reader.plan(caller, plan_id, version=version, as_of=as_of)
    response.headers["ETag"] = _etag(view["version"])
    return PlanPublic.model_validate(view)


@router.get("/{plan_id}/history", response_model=PlanHistory, openapi_extra=activity("plan_coordination"))
def read_history(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    as_of: Annotated[AwareDatetime | None, Query()] = None,
    as_seen_by: Annotated[
        str | None, Query(max_length=200, description="auditors: an organisation id")
    ] = None,
) -> PlanHistory:
    """The plan's events with type, version, time, actor and data; auditors: as an organisation saw them."""
    if as_seen_by is not None:
        moment = as_of or datetime.now(UTC)
        entries = container.reader.history_as_seen_by(caller, plan_id, as_seen_by, moment)
        return PlanHistory.model_validate({"plan_id": plan_id, "events": entries})
    entries = container.reader.history(caller, plan_id, as_of=as_of)
    return PlanHistory.model_validate({"plan_id": plan_id, "events": entries})
