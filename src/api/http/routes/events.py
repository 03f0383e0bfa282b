"""`POST /events`: CloudEvents 1.0 from partner systems, each run as its plan command, once."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from eenplan.api.http.commanding import as_response, command_reply, in_one_transaction
from eenplan.api.http.deps import CallerDep, ContainerDep, trace_id
from eenplan.api.http.formats import cloudevents, cloudevents_binary
from eenplan.api.http.idempotency import fingerprint
from eenplan.api.http.partners import acting_for, require_acting_for
from eenplan.api.http.problems import ProblemError, describe, domain_problem, problem
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.public import CommandResult
from eenplan.api.http.services import Services
from eenplan.api.store.idempotency_keys import Reply
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.errors import DomainError, HouseholdHasPlanError
from eenplan.privacy import ldv
from eenplan.privacy.processing import note_attempt, note_match, note_nothing, note_processing, note_refused

router = APIRouter(tags=["events"], route_class=LoggedRoute)
BINARY_HEADERS = [
    {
        "name": cloudevents_binary.header(attribute),
        "in": "header",
        "required": False,
        "description": f"binary mode: the `{attribute}` attribute",
        "schema": {"type": "string"},
    }
    for attribute in cloudevents_binary.READ
]
BODY = {
    "parameters": BINARY_HEADERS,
    "requestBody": {
        "required": False,
        "content": {
            cloudevents.STRUCTURED: {"schema": {"type": "object"}},
            cloudevents.BATCH: {"schema": {"type": "array", "items": {"type": "object"}}},
            cloudevents_binary.JSON: {"schema": {"type": "object", "description": "binary mode: the data"}},
        },
    },
}


async def raw_body(request: Request) -> bytes:
    return await request.body()


@router.post("/events", response_model=CommandResult, openapi_extra={**BODY, **activity("plan_coordination")})
def receive_events(
    request: Request,
    caller: CallerDep,
    container: ContainerDep,
    body: Annotated[bytes, Depends(raw_body)],
) -> Response:
    """Run CloudEvents as commands (structured, batched or binary mode). One event answers as
    `POST /plans/{id}/commands` does; a batch answers 200 with `{"results": [{source, id, status,
    body}]}`, one per event, in order."""
    is_batch, events = cloudevents.parse(request.headers.items(), body)
    if not is_batch:
        # One event is one plan command, and commits as one (api/store/unit.py). A batch's events
        # stand alone: one refused must not undo the others, so each commits its own steps.
        in_one_transaction(container)
        return as_response(_run(request, container, caller, events[0]))
    results = [_result(request, container, caller, event) for event in events]
    note_nothing()  # every event may have been refused: then no personal data was processed
    return Response(json.dumps({"results": results}).encode(), media_type="application/json")


def _run(request: Request, container: Services, caller: Actor, event: cloudevents.InboundEvent) -> Reply:
    # Named before acting: a refused or failed event is logged for the plan's members too.
    note_attempt(caller, event.plan_id, event.command.type)
    actor = acting_for(container.claims, caller, event.acting_for) if event.acting_for else caller
    require_acting_for(actor)
    ctx = CommandContext(actor=actor, command_id=event.key, trace_id=trace_id(request))
    print_ = fingerprint(request.url.path, event.request, actor.acting_for)
    sent = [] if event.document is None else [fingerprint(request.url.path, event.document, actor.acting_for)]
    try:
        reply = container.idempotency.run(
            ctx,
            True,
            print_,
            lambda: container.eenplan.plans.execute(ctx, event.plan_id, event.command),
            command_reply,
            earlier=sent,
        )
    except HouseholdHasPlanError as found:
        note_match(actor, found)  # a member.added event matched another plan's members
        raise
    subject = getattr(event.command, "member_id", None)
    operation, cause = event.command.type, _cause(request, event)
    note_processing(
        actor, event.plan_id, operation=operation, also=[subject] if subject else [], foreign=cause
    )
    for other in container.eenplan.plans.other_plans_touched(event.plan_id, [event.command]):
        note_processing(actor, other, operation=operation, foreign=cause)  # a merge's or a split's other plan
    return reply


def _cause(request: Request, event: cloudevents.InboundEvent) -> dict[str, str] | None:
    """LDV `foreign_operation`: the partner's operation that sent the event, from its Distributed
    Tracing `traceparent` (structured: an attribute; binary: `ce-traceparent`), else the request's,
    with the event's `source` as the entity. No trace context: none (its ids would be made up)."""
    traceparent = (event.document or {}).get("traceparent") or request.headers.get(
        "ce-traceparent", request.headers.get("traceparent")
    )
    return ldv.foreign(traceparent if isinstance(traceparent, str) else None, event.source)


def _result(
    request: Request, container: Services, caller: Actor, event: cloudevents.InboundEvent
) -> dict[str, Any]:
    """One event of a batch: its reply, or its problem; the other events run regardless."""
    try:
        reply = _run(request, container, caller, event)
    except DomainError as e:
        reply = _problem_reply(domain_problem(e))
        note_refused(caller, event.plan_id, describe(e), event.command.type)
    except ProblemError as e:
        reply = _problem_reply(problem(e.status, e.detail, kind=e.kind, **e.extra))
        note_refused(caller, event.plan_id, describe(e), event.command.type)
    return {"source": event.source, "id": event.id, "status": reply.status, "body": json.loads(reply.body)}


def _problem_reply(response: Response) -> Reply:
    return Reply(response.status_code, {}, bytes(response.body))
