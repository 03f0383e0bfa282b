"""Run a command once per idempotency key and answer with the stored reply, byte for byte."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fastapi import Request, Response
from pydantic import BaseModel

from api.bootstrap import Container
from api.idempotency import fingerprint
from api.keystore import Reply
from api.schemas import CommandResult, PlanOpened
from domain.app import Outcome
from domain.context import CommandContext

JSON = "application/json"


def etag(version: int) -> str:
    return f'"{version}"'


def opened_reply(outcome: Outcome) -> Reply:
    body = PlanOpened(
        plan_id=outcome.plan_id,
        version=outcome.version,
        position=outcome.position,
        member_ids=outcome.member_ids,
    )
    headers = {"content-type": JSON, "location": f"/plans/{outcome.plan_id}", "etag": etag(outcome.version)}
    return Reply(201, headers, body.model_dump_json().encode())


def command_reply(outcome: Outcome) -> Reply:
    body = CommandResult.model_validate(outcome, from_attributes=True)
    return Reply(200, {"content-type": JSON, "etag": etag(outcome.version)}, body.model_dump_json().encode())


def as_response(reply: Reply) -> Response:
    return Response(reply.body, status_code=reply.status, headers=reply.headers)


def once(
    request: Request,
    container: Container,
    ctx: CommandContext,
    body: BaseModel,
    execute: Callable[[CommandContext], Outcome],
    render: Callable[[Outcome], Reply],
) -> Response:
    """Run `execute` under the request's idempotency key (body `command_id` wins over the header)."""
    command_id = getattr(body, "command_id", None)
    if command_id:
        ctx = replace(ctx, command_id=command_id)
    keyed = bool(command_id or request.headers.get("idempotency-key"))
    print_ = fingerprint(request.url.path, body.model_dump(mode="json"), ctx.actor.acting_for)
    reply = container.idempotency.run(ctx, keyed, print_, lambda: execute(ctx), render)
    return as_response(reply)
