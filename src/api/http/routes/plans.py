"""Plans: open one, send it commands, read it now or as it was, read its history."""

from __future__ import annotations

from collections.abc import Set
from operator import itemgetter
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Request, Response

from eenplan.api.http.commanding import (
    Command,
    OpenPlanCommand,
    PlanCommandDep,
    answered,
    command_reply,
    etag,
    opened_reply,
)
from eenplan.api.http.conditions import expected_versions, none_match
from eenplan.api.http.deps import CallerDep, ContainerDep, known_query
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.public import CommandResult, PlanHistory, PlanOpened, PlanPublic
from eenplan.api.http.schemas.reads import AsOf, AsSeenBy, Version
from eenplan.domain.app import Outcome
from eenplan.domain.commands import CommandBatch, OpenPlan, PlanCommand
from eenplan.privacy.processing import note_processing

router = APIRouter(prefix="/plans", tags=["plans"], route_class=LoggedRoute)
ExpectedDep = Annotated[Set[int] | None, Depends(expected_versions)]
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not Modified: the plan is still at the version If-None-Match names"}
}


@router.post("", status_code=201, response_model=PlanOpened, openapi_extra=activity("intake"))
def create_plan(body: OpenPlan, call: OpenPlanCommand, container: ContainerDep) -> Response:
    """Open a household plan; the caller and the regisseur join its care team."""
    response = call.run(body, lambda c: container.eenplan.plans.open_plan(c, body), opened_reply)
    opened: Outcome | None = call.result()
    plan_id, member_ids = (
        (opened.plan_id, opened.member_ids)
        if opened
        else itemgetter("plan_id", "member_ids")(answered(response))
    )
    note_processing(call.ctx.actor, plan_id, member_ids, tenant=body.tenant)
    return response


@router.post("/{plan_id}/commands", response_model=CommandResult, openapi_extra=activity("plan_coordination"))
def run_command(
    plan_id: str,
    command: Annotated[PlanCommand, Body()],
    call: PlanCommandDep,
    container: ContainerDep,
    expected: ExpectedDep,
) -> Response:
    """Run one command against the plan."""
    response = call.run(
        command,
        lambda c: container.eenplan.plans.execute(c, plan_id, command, expected),
        command_reply,
    )
    _note_commands(call, container, plan_id, [command])
    return response


@router.post(
    "/{plan_id}/commands:batch", response_model=CommandResult, openapi_extra=activity("plan_coordination")
)
def run_batch(
    plan_id: str,
    batch: CommandBatch,
    call: PlanCommandDep,
    container: ContainerDep,
    expected: ExpectedDep,
) -> Response:
    """Run up to 100 commands in order as one save: all or nothing, one version per event.

    A failing command's problem names its `index`. The events all record the batch's command id.
    """
    response = call.run(
        batch,
        lambda c: container.eenplan.plans.execute_batch(c, plan_id, list(batch.commands), expected),
        command_reply,
    )
    _note_commands(call, container, plan_id, list(batch.commands))
    return response


def _note_commands(call: Command, container: ContainerDep, plan_id: str, commands: list[Any]) -> None:
    """Log the processing, also for a repeat: the caller received the plan's data again."""
    ctx = call.ctx
    # A removed member is no longer in the plan, yet the command processed their data.
    subjects = [m for m in (getattr(c, "member_id", None) for c in commands) if m]
    operation = commands[0].type if len(commands) == 1 else "batch"
    done: Outcome | None = call.result()
    if done is not None:  # the outcome names the tenant and members: no second load of the plan
        note_processing(
            ctx.actor, plan_id, done.subjects, tenant=done.tenant, operation=operation, also=subjects
        )
    else:  # a repeat: the processing log looks the plan up
        note_processing(ctx.actor, plan_id, operation=operation, also=subjects)
    # A merge or a split wrote to another plan too: its members are logged under it.
    for other in container.eenplan.plans.other_plans_touched(plan_id, commands):
        note_processing(ctx.actor, other, operation=operation)


@router.get(
    "/{plan_id}",
    response_model=PlanPublic,
    response_model_exclude_unset=True,
    responses=NOT_MODIFIED,
    openapi_extra=activity("plan_coordination"),
    dependencies=[known_query("version", "as_of", "as_seen_by")],
)
def read_plan(
    plan_id: str,
    request: Request,
    caller: CallerDep,
    container: ContainerDep,
    response: Response,
    version: Version = None,
    as_of: AsOf = None,
    as_seen_by: AsSeenBy = None,
    if_none_match: Annotated[
        str | None, Header(alias="If-None-Match", description="ETags the caller holds: 304 if one is current")
    ] = None,
) -> PlanPublic | Response:
    """The plan as the caller may see it, now or replayed; auditors: as an organisation saw it."""
    view = container.reader.view(caller, plan_id, version=version, as_of=as_of, as_seen_by=as_seen_by)
    if none_match(request, view["version"]):
        return Response(status_code=304, headers={"ETag": etag(view["version"])})
    response.headers["ETag"] = etag(view["version"])
    return PlanPublic.model_validate(view)


@router.get(
    "/{plan_id}/history",
    response_model=PlanHistory,
    openapi_extra=activity("plan_coordination"),
    dependencies=[known_query("version", "as_of", "as_seen_by")],
)
def read_history(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    version: Version = None,
    as_of: AsOf = None,
    as_seen_by: AsSeenBy = None,
) -> PlanHistory:
    """The plan's events up to now, a version or a moment; auditors: as an organisation saw them."""
    entries = container.reader.entries(caller, plan_id, version=version, as_of=as_of, as_seen_by=as_seen_by)
    return PlanHistory.model_validate({"plan_id": plan_id, "events": entries})
