"""Plans: open one, send it commands, read it now or as it was, read its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Header, Query, Request, Response
from pydantic import AwareDatetime

from api.commanding import command_reply, once, opened_reply
from api.deps import CallerDep, CommandContextDep, ContainerDep, raise_validation
from api.schemas import CommandResult, PlanHistory, PlanOpened, PlanPublic
from domain.commands import CommandBatch, OpenPlan, PlanCommand

router = APIRouter(prefix="/plans", tags=["plans"])


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
    body: OpenPlan, ctx: CommandContextDep, container: ContainerDep, request: Request
) -> Response:
    """Open a household plan; the caller and the regisseur join its care team."""
    return once(request, container, ctx, body, lambda c: container.eenplan.open_plan(c, body), opened_reply)


@router.post("/{plan_id}/commands", response_model=CommandResult)
def run_command(
    plan_id: str,
    command: Annotated[PlanCommand, Body()],
    ctx: CommandContextDep,
    container: ContainerDep,
    request: Request,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Run one command against the plan."""
    version = _if_match(if_match)
    return once(
        request,
        container,
        ctx,
        command,
        lambda c: container.eenplan.execute(c, plan_id, command, version),
        command_reply,
    )


@router.post("/{plan_id}/commands:batch", response_model=CommandResult)
def run_batch(
    plan_id: str,
    batch: CommandBatch,
    ctx: CommandContextDep,
    container: ContainerDep,
    request: Request,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Run up to 100 commands in order as one save: all or nothing, one version per event.

    A failing command's problem names its `index`. The events all record the batch's command id.
    """
    version = _if_match(if_match)
    return once(
        request,
        container,
        ctx,
        batch,
        lambda c: container.eenplan.execute_batch(c, plan_id, list(batch.commands), version),
        command_reply,
    )


@router.get("/{plan_id}", response_model=PlanPublic, response_model_exclude_unset=True)
def read_plan(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    response: Response,
    version: Annotated[int | None, Query(ge=1)] = None,
    as_of: Annotated[AwareDatetime | None, Query()] = None,
) -> PlanPublic:
    """The plan as the caller may see it, now or replayed to a version or moment."""
    view = container.reader.plan(caller, plan_id, version=version, as_of=as_of)
    response.headers["ETag"] = _etag(view["version"])
    return PlanPublic.model_validate(view)


@router.get("/{plan_id}/history", response_model=PlanHistory)
def read_history(
    plan_id: str,
    caller: CallerDep,
    container: ContainerDep,
    as_of: Annotated[AwareDatetime | None, Query()] = None,
) -> PlanHistory:
    """The plan's events, with type, version, time, actor and data."""
    entries = container.reader.history(caller, plan_id, as_of=as_of)
    return PlanHistory.model_validate({"plan_id": plan_id, "events": entries})
