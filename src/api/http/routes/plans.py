"""Plans: open one, send it commands, read it now or as it was, read its history."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response

from eenplan.api.http.commanding import PlanCommandDep, command_reply, opened_reply
from eenplan.api.http.deps import CallerDep, ContainerDep, known_query, raise_validation
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.public import CommandResult, PlanHistory, PlanOpened, PlanPublic
from eenplan.api.http.schemas.reads import MAX_INT64, AsOf, AsSeenBy, Version
from eenplan.domain.commands import CommandBatch, OpenPlan, PlanCommand
from eenplan.domain.context import CommandContext
from eenplan.privacy.processing import note_processing

router = APIRouter(prefix="/plans", tags=["plans"], route_class=LoggedRoute)
MAX_VERSION_DIGITS = len(str(MAX_INT64))


def _etag(version: int) -> str:
    return f'"{version}"'


def _if_match(value: str | None) -> int | None:
    if value is None or value.strip() == "*":
        return None
    tag = value.strip().removeprefix("W/").strip('"')
    # ASCII digits only, and no more than a 64-bit version has: int() of "²" or of
    # thousands of digits raises, and that must be a 422, not a 500.
    if not (tag.isascii() and tag.isdigit() and len(tag) <= MAX_VERSION_DIGITS and int(tag) <= MAX_INT64):
        raise_validation("If-Match", 'use the ETag of the plan, e.g. "7"')
    return int(tag)


@router.post("", status_code=201, response_model=PlanOpened, openapi_extra=activity("intake"))
def create_plan(body: OpenPlan, call: PlanCommandDep, container: ContainerDep) -> Response:
    """Open a household plan; the caller and the regisseur join its care team."""
    response = call.run(body, lambda c: container.eenplan.plans.open_plan(c, body), opened_reply)
    opened = json.loads(bytes(response.body))
    note_processing(call.ctx.actor, opened["plan_id"], opened["member_ids"])
    return response


@router.post("/{plan_id}/commands", response_model=CommandResult, openapi_extra=activity("plan_coordination"))
def run_command(
    plan_id: str,
    command: Annotated[PlanCommand, Body()],
    call: PlanCommandDep,
    container: ContainerDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Run one command against the plan."""
    version = _if_match(if_match)
    response = call.run(
        command,
        lambda c: container.eenplan.plans.execute(c, plan_id, command, version),
        command_reply,
    )
    _note_commands(call.ctx, plan_id, [command])
    return response


@router.post(
    "/{plan_id}/commands:batch", response_model=CommandResult, openapi_extra=activity("plan_coordination")
)
def run_batch(
    plan_id: str,
    batch: CommandBatch,
    call: PlanCommandDep,
    container: ContainerDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Run up to 100 commands in order as one save: all or nothing, one version per event.

    A failing command's problem names its `index`. The events all record the batch's command id.
    """
    version = _if_match(if_match)
    response = call.run(
        batch,
        lambda c: container.eenplan.plans.execute_batch(c, plan_id, list(batch.commands), version),
        command_reply,
    )
    _note_commands(call.ctx, plan_id, list(batch.commands))
    return response


def _note_commands(ctx: CommandContext, plan_id: str, commands: list[Any]) -> None:
    """Log the processing, also for a repeat: the caller received the plan's data again."""
    # A removed member is no longer in the plan, yet the command processed their data.
    subjects = [m for m in (getattr(c, "member_id", None) for c in commands) if m]
    operation = commands[0].type if len(commands) == 1 else "batch"
    note_processing(ctx.actor, plan_id, operation=operation, also=subjects)


@router.get(
    "/{plan_id}",
    response_model=PlanPublic,
    response_model_exclude_unset=True,
    openapi_extra=activity("plan_coordination"),
    dependencies=[known_query("version", "as_of", "as_seen_by")],
)
def read_plan(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    response: Response,
    version: Version = None,
    as_of: AsOf = None,
    as_seen_by: AsSeenBy = None,
) -> PlanPublic:
    """The plan as the caller may see it, now or replayed; auditors: as an organisation saw it."""
    view = container.reader.view(caller, plan_id, version=version, as_of=as_of, as_seen_by=as_seen_by)
    response.headers["ETag"] = _etag(view["version"])
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
