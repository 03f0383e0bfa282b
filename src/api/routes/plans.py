"""Plans: open one, send it commands, read it now or as it was, read its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Response
from pydantic import AwareDatetime

from api.deps import CallerDep, CommandContextDep, ContainerDep, raise_validation, require_role
from api.schemas import CommandResult, PlanHistory, PlanOpened, PlanPublic
from domain.commands import OpenPlan, PlanCommand
from domain.values import Role

router = APIRouter(prefix="/plans", tags=["plans"])
AsSeenByQuery = Annotated[
    str | None,
    Query(min_length=1, max_length=100, description="auditor: what this organisation could see then"),
]


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    if not tag.isdigit():
        raise_validation("If-Match", 'use the ETag of the plan, e.g. "7"')
    return int(tag)


@router.post("", status_code=201, response_model=PlanOpened)
def create_plan(
    body: OpenPlan, ctx: CommandContextDep, container: ContainerDep, response: Response
) -> PlanOpened:
    """Open a household plan; the caller and the regisseur join its care team."""
    if body.command_id:
        ctx = ctx.__class__(ctx.actor, body.command_id, ctx.trace_id, ctx.today)
    outcome = container.eenplan.open_plan(ctx, body)
    response.headers["Location"] = f"/plans/{outcome.plan_id}"
    response.headers["ETag"] = _etag(outcome.version)
    return PlanOpened(
        plan_id=outcome.plan_id,
        version=outcome.version,
        position=outcome.position,
        member_ids=outcome.member_ids,
    )


@router.post("/{plan_id}/commands", response_model=CommandResult)
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
    response.headers["ETag"] = _etag(outcome.version)
    return CommandResult.model_validate(outcome, from_attributes=True)


@router.get("/{plan_id}", response_model=PlanPublic, response_model_exclude_unset=True)
def read_plan(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    response: Response,
    version: Annotated[int | None, Query(ge=1)] = None,
    as_of: Annotated[AwareDatetime | None, Query()] = None,
    as_seen_by: AsSeenByQuery = None,
) -> PlanPublic:
    """The plan as the caller may see it, now or replayed to a version or moment."""
    if as_seen_by is not None:
        require_role(caller, Role.AUDITOR)
        view = container.as_seen_by.plan(caller, plan_id, as_seen_by, version=version, as_of=as_of)
    else:
        view = container.reader.plan(caller, plan_id, version=version, as_of=as_of)
    response.headers["ETag"] = _etag(view["version"])
    return PlanPublic.model_validate(view)


@router.get("/{plan_id}/history", response_model=PlanHistory)
def read_history(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    as_of: Annotated[AwareDatetime | None, Query()] = None,
    as_seen_by: AsSeenByQuery = None,
) -> PlanHistory:
    """The plan's events, with type, version, time, actor and data."""
    if as_seen_by is not None:
        require_role(caller, Role.AUDITOR)
        entries = container.as_seen_by.history(caller, plan_id, as_seen_by, as_of=as_of)
    else:
        entries = container.reader.history(caller, plan_id, as_of=as_of)
    return PlanHistory.model_validate({"plan_id": plan_id, "events": entries})
