"""Run a command once per idempotency key and answer with the stored reply, byte for byte.

A route that changes something takes a `Command` dependency, which has already checked the
caller's role and built the command context; `command.run(body, execute, render, recovery)`
does the rest. The aliases below name the callers each kind of command is for.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, TypeVar, cast

from fastapi import Depends, Request, Response
from pydantic import BaseModel

from eenplan.api.http.deps import (
    INTAKE_ROLES,
    CommandContextDep,
    ContainerDep,
    OrganisationContextDep,
    require_role,
)
from eenplan.api.http.idempotency import PLAN_RECOVERY, Recovery, fingerprint
from eenplan.api.http.schemas.public import CommandResult, PlanOpened
from eenplan.api.http.services import Services
from eenplan.api.store import unit as units
from eenplan.api.store.idempotency_keys import Reply
from eenplan.domain.app import Outcome
from eenplan.domain.context import CommandContext
from eenplan.domain.errors import HouseholdHasPlanError
from eenplan.domain.values import Role
from eenplan.privacy.processing import note_match

JSON = "application/json"
T = TypeVar("T")


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


def created(body: BaseModel, location: str | None = None) -> Reply:
    """A 201, with the new resource's address when it has one."""
    headers = {"content-type": JSON, **({"location": location} if location else {})}
    return Reply(201, headers, body.model_dump_json().encode())


def ok(body: BaseModel) -> Reply:
    return Reply(200, {"content-type": JSON}, body.model_dump_json().encode())


def answered(response: Response) -> Any:
    """The JSON body of a reply, first or repeated: what the route notes in the processing log."""
    return json.loads(bytes(response.body))


@dataclass(frozen=True)
class Command:
    """A route's command: the caller's context, and the means to run it once per idempotency key."""

    request: Request
    container: Services
    ctx: CommandContext
    # What `execute` returned, when this request ran it (not a repeat answered from its key).
    _ran: list[Any] = field(default_factory=list, compare=False, repr=False)

    def result(self) -> Any | None:
        """The result of `execute` when this request ran the command; None for a repeat, whose
        answer is the stored reply (then read what is needed from the reply, `answered`)."""
        return self._ran[-1] if self._ran else None

    def run(
        self,
        body: BaseModel | None,
        execute: Callable[[CommandContext], T],
        render: Callable[[T], Reply],
        recovery: Recovery[T] = PLAN_RECOVERY,
    ) -> Response:
        """Run `execute` under the request's idempotency key (body `command_id` wins over the header).

        `render` makes the stored reply, so a repeat answers byte for byte as the first did;
        `recovery` says how a claim left unanswered by a dead process is settled.
        """

        def ran(ctx: CommandContext) -> T:
            result = execute(ctx)
            self._ran.append(result)
            return result

        unit = units.current()
        if unit is not None:
            unit.begin()  # in this thread: see api/store/unit.py
        try:
            return _once(self.request, self.container, self.ctx, body, ran, render, recovery)
        except HouseholdHasPlanError as found:
            note_match(self.ctx.actor, found)  # the match processed the other plan's members
            raise


def command_by(*roles: Role, acting_for: bool = True, one_transaction: bool = False) -> Any:
    """A dependency: the route's `Command`, for a caller with one of `roles` (any role when none).

    With `acting_for`, a partner system must name the professional it acts for (work on a plan,
    intake); without it, an organisation acts as itself (a signal, break-the-glass).
    With `one_transaction`, the request's unit of work (opened by its `LoggedRoute`) is activated:
    the key's claim and reply, the events and chain links, and the processing-log lines commit
    together (api/store/unit.py). Only for commands that record nothing when they refuse.
    """

    def checked(request: Request, container: Services, ctx: CommandContext) -> Command:
        if roles:
            require_role(ctx.actor, *roles)
        if one_transaction:
            _activate(container)
        return Command(request, container, ctx)

    def for_professional(request: Request, container: ContainerDep, ctx: CommandContextDep) -> Command:
        return checked(request, container, ctx)

    def for_organisation(request: Request, container: ContainerDep, ctx: OrganisationContextDep) -> Command:
        return checked(request, container, ctx)

    return Depends(for_professional if acting_for else for_organisation)


def _activate(container: Services) -> units.Unit | None:
    unit = units.opened()
    if unit is not None:
        unit.activate(cast(Any, container.eenplan.factory).datastore)
    return unit


def in_one_transaction(container: Services) -> None:
    """For a route that runs one plan command without a `Command` (a single CloudEvent): the rest
    of the request goes through its unit of work, activated and begun here, in the thread that
    runs the command, as `Command.run` begins it."""
    unit = _activate(container)
    if unit is not None:
        unit.begin()


# Work on a plan: who may do what is the write policy's to say, per command. A plan's commands
# commit in one transaction; opening a plan may record a join request on the household's
# existing plan and still answer 409, so it keeps its own commits.
PlanCommandDep = Annotated[Command, command_by(one_transaction=True)]
OpenPlanCommand = Annotated[Command, command_by()]
AdminCommand = Annotated[Command, command_by(Role.ADMIN)]
IntakeCommand = Annotated[Command, command_by(*INTAKE_ROLES)]
# A new help request: its events, the key's claim and reply, and its log line commit together.
# (Triage keeps its own commits: opening a plan from it may record a join request and still refuse.)
HelpRequestSubmission = Annotated[Command, command_by(*INTAKE_ROLES, one_transaction=True)]
PrivacyOfficerCommand = Annotated[Command, command_by(Role.PRIVACY_OFFICER)]
# Break-the-glass and its review: an organisation acting as itself, and the privacy module judges
# who may. The grant or the review, the key's claim and reply, and the processing-log line commit
# together, so no emergency access is ever kept without its line; they write nothing when refused.
EmergencyCommand = Annotated[Command, command_by(acting_for=False, one_transaction=True)]


def _once(
    request: Request,
    container: Services,
    ctx: CommandContext,
    body: BaseModel | None,
    execute: Callable[[CommandContext], T],
    render: Callable[[T], Reply],
    recovery: Recovery[T] = PLAN_RECOVERY,
) -> Response:
    ctx = ctx.with_command_id(getattr(body, "command_id", None))
    keyed = bool(getattr(body, "command_id", None) or request.headers.get("idempotency-key"))
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    content = body.model_dump(mode="json") if body is not None else None
    print_ = fingerprint(target, content, ctx.actor.acting_for)
    reply = container.idempotency.run(ctx, keyed, print_, lambda: execute(ctx), render, recovery)
    return as_response(reply)
