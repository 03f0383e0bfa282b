"""Processing-log writing for routes: declare the activity, and every success is logged.

A route that touches personal data declares its processing activity with
`openapi_extra=activity("plan_coordination")` on a router whose route class is
`LoggedRoute`. After the endpoint succeeds, and before the response is sent,
the route writes one processing-log line per data subject that the endpoint
noted (`privacy.processing.note_processing`); a success with nothing noted is
refused (500), because it would answer without its log line. The OpenAPI
document shows the declaration (`x-processing-activity`), and a test walks it.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import structlog
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from eenplan.privacy import processing
from eenplan.privacy.processing import Noted, Operation

ACTIVITY = "x-processing-activity"
log = structlog.get_logger("eenplan.processing")


class ProcessingNotNotedError(RuntimeError):
    """A route declared a processing activity, succeeded, and noted nothing to log."""


def activity(activity_id: str) -> dict[str, Any]:
    return {ACTIVITY: activity_id}


class LoggedRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        activity_id = (self.openapi_extra or {}).get(ACTIVITY)
        if activity_id is None:
            return handler
        name = self.name

        async def logged(request: Request) -> Response:
            started = processing.now()
            notes = processing.begin()
            response = await handler(request)
            if response.status_code < 400:
                await run_in_threadpool(_write, request, activity_id, name, notes, started)
            return response

        return logged


def _write(request: Request, activity_id: str, name: str, notes: list[Noted], started: Any) -> None:
    container = request.app.state.container
    trace = getattr(request.state, "trace", None) or {}
    if not notes:
        # Fail closed: a personal-data route that answers without a processing-log line is a bug.
        log.error("processing not noted", route=name)
        raise ProcessingNotNotedError(f"route {name} declares a processing activity but noted no processing")
    entries = []
    for note in notes:
        if note is processing.NOTHING:
            continue
        op = _operation(name, activity_id, note, trace, started)
        if note.tenant is not None and note.member_ids is not None:
            # Tenant and subjects known: a record outside a plan (its id stands for the data subject,
            # in `also`), a listed plan (members from the view) or a plan the route already loaded.
            entries.append((op, note.actor, note.tenant, note.plan_id, [*note.member_ids, *note.also]))
            continue
        plan = container.eenplan.plan(note.actor, note.plan_id)
        members = [*(note.member_ids if note.member_ids is not None else plan.members), *note.also]
        entries.append((op, note.actor, plan.tenant, note.plan_id, members))
    if entries:
        container.privacy.log.write_all(entries)


def _operation(name: str, activity_id: str, note: Noted, trace: dict[str, Any], started: Any) -> Operation:
    return Operation(
        trace_id=trace.get("trace_id") or "0" * 32,
        parent_span_id=trace.get("span_id"),
        name=f"{name}:{note.operation}" if note.operation else name,
        activity_id=note.activity or activity_id,
        started=started,
        ended=processing.now(),
        foreign_operation=trace.get("foreign_operation"),
        extra={"eenplan.relation": note.relation} if note.relation else {},
    )
