"""Processing-log writing for routes: declare the activity, and every attempt is logged.

A route that touches personal data declares its processing activity with
`openapi_extra=activity("plan_coordination")` on a router whose route class is
`LoggedRoute`. After the endpoint succeeds, and before the response is sent,
the route writes one processing-log line per data subject that the endpoint
noted (`privacy.processing.note_processing`); a success with nothing noted is
refused (500), because it would answer without its log line. The OpenAPI
document shows the declaration (`x-processing-activity`), and a test walks it.

A refused (4xx) or failed (5xx) request is logged too, with its outcome and the
reason the caller got (`privacy.outcome`), for the data subjects it concerned
where they are known: the plan or member in its path, or the plan it named
before acting (`note_attempt`). Its lines go under that plan, read only by the
plan tenant's privacy officers and auditors; the caller's answer is unchanged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from functools import partial
from typing import Any

import anyio
import structlog
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from eenplan.api.http.problems import describe
from eenplan.api.store import unit as units
from eenplan.domain.context import Actor
from eenplan.privacy import attempts, processing
from eenplan.privacy.attempts import Concerned
from eenplan.privacy.outcome import SUCCESS, Outcome
from eenplan.privacy.processing import Noted, Operation

ACTIVITY = "x-processing-activity"
COMMAND_TYPE = re.compile(r"^[a-z][a-z_]{0,63}$")
# Who asked, when the token did not say (a 401): the line records no user rather than a made-up one.
UNAUTHENTICATED = Actor(sub="", org="")
log = structlog.get_logger("eenplan.processing")

Entry = tuple[Operation, Actor, str, str, list[str]]


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
            # A command that activates it commits its lines with its changes (api/store/unit.py).
            with units.open_unit() as unit:
                try:
                    response = await handler(request)
                    if response.status_code < 400:
                        if unit.active:  # on the units' own threads: it holds its locks till then
                            await anyio.to_thread.run_sync(
                                partial(_write_and_commit, unit, request, activity_id, name, notes, started),
                                limiter=units.ending_threads(),
                            )
                        else:
                            await run_in_threadpool(_write, request, activity_id, name, notes, started)
                        return response
                except Exception as error:
                    await _end(unit)  # before the attempt's line is written
                    await _log_attempt(request, activity_id, name, notes, started, describe(error))
                    raise
                await _end(unit)
            await _log_attempt(request, activity_id, name, notes, started, _answered(response))
            return response

        return logged


async def _end(unit: units.Unit) -> None:
    """Roll back a command's unit of work; a request that activated none has nothing to end."""
    if unit.active:
        await anyio.to_thread.run_sync(unit.rollback, limiter=units.ending_threads())


def _write_and_commit(
    unit: units.Unit, request: Request, activity_id: str, name: str, notes: list[Noted], started: Any
) -> None:
    """The lines, in the command's unit of work, then its commit: one hand-off to a thread."""
    _write(request, activity_id, name, notes, started)
    unit.commit()


def _write(request: Request, activity_id: str, name: str, notes: list[Noted], started: Any) -> None:
    container = request.app.state.container
    trace = getattr(request.state, "trace", None) or {}
    done = [note for note in notes if not note.attempt]
    if not done:
        # Fail closed: a personal-data route that answers without a processing-log line is a bug.
        log.error("processing not noted", route=name)
        raise ProcessingNotNotedError(f"route {name} declares a processing activity but noted no processing")
    entries = []
    ended = processing.now()  # one end for the request's lines, so lines alike share a template
    for note in done:
        if note is processing.NOTHING:
            continue
        op = _operation(name, activity_id, note, trace, started, ended, note.outcome or SUCCESS)
        if note.outcome is not None:  # refused in-band: the caller may not see the plan
            entries += _entries(op, note.actor, attempts.plan_subjects(container.eenplan, note.plan_id), note)
        elif note.tenant is not None and note.member_ids is not None:
            # Tenant and subjects known: a record outside a plan (its id stands for the data subject,
            # in `also`), a listed plan (members from the view) or a plan the route already loaded.
            entries.append((op, note.actor, note.tenant, note.plan_id, [*note.member_ids, *note.also]))
        else:
            plan = container.eenplan.plans.plan(note.actor, note.plan_id)
            members = [*(note.member_ids if note.member_ids is not None else plan.members), *note.also]
            entries.append((op, note.actor, plan.tenant, note.plan_id, members))
    if not entries:
        return
    if units.current() is not None:
        container.privacy.log.write_all(entries)  # in the command's own transaction
    else:
        container.log_lines.write_all(entries)  # with concurrent requests' lines; durable on return


async def _log_attempt(
    request: Request, activity_id: str, name: str, notes: list[Noted], started: Any, outcome: Outcome
) -> None:
    """Log a refused or failed request; the refusal stands whatever happens to its log line."""
    try:
        operation = await _attempted_operation(request)
        await run_in_threadpool(
            _write_attempt, request, activity_id, name, notes, started, outcome, operation
        )
    except Exception as error:  # noqa: BLE001 - whatever broke the write, the caller's answer stands
        # Never turn the caller's 404 into a 503 only where the plan exists: that would reveal it.
        log.error("attempt not logged", route=name, status=outcome.status, error_type=type(error).__name__)


def _write_attempt(
    request: Request,
    activity_id: str,
    name: str,
    notes: list[Noted],
    started: Any,
    outcome: Outcome,
    operation: str | None,
) -> None:
    container = request.app.state.container
    trace = getattr(request.state, "trace", None) or {}
    actor: Actor = getattr(request.state, "caller", None) or UNAUTHENTICATED
    guessed = Noted(actor, "", operation=operation)
    entries: list[Entry] = []
    ended = processing.now()
    for note in [n for n in notes if n is not processing.NOTHING]:
        op = _operation(name, activity_id, note, trace, started, ended, note.outcome or outcome)
        entries += _entries(op, note.actor, _concerned(container, note), note)
    logged = {entry[3] for entry in entries}
    for concerned in _from_path(container, request, actor):
        if concerned.plan_id not in logged:
            op = _operation(name, activity_id, guessed, trace, started, ended, outcome)
            entries += _entries(op, actor, concerned, guessed)
    if entries:
        container.log_lines.write_all(entries)  # with concurrent requests' lines; durable on return


def _entries(op: Operation, actor: Actor, concerned: Concerned | None, note: Noted) -> list[Entry]:
    if concerned is None:
        return []
    return [(op, actor, concerned.tenant, concerned.plan_id, [*concerned.member_ids, *note.also])]


def _concerned(container: Any, note: Noted) -> Concerned | None:
    """The subjects of a note, known to it or looked up (in any tenant: the attempt concerned them)."""
    if note.tenant is not None and note.member_ids is not None:
        return Concerned(note.tenant, note.plan_id, list(note.member_ids))
    found = attempts.plan_subjects(container.eenplan, note.plan_id)
    if found is None or note.member_ids is None:
        return found
    return Concerned(found.tenant, found.plan_id, list(note.member_ids))


def _from_path(container: Any, request: Request, actor: Actor) -> list[Concerned]:
    """The plan or the person the request's path names, if the store knows it."""
    params = request.path_params
    found = []
    if "plan_id" in params:
        found.append(attempts.plan_subjects(container.eenplan, str(params["plan_id"])))
    if "member_id" in params:
        found.append(attempts.member_subject(container.eenplan, actor.tenants, str(params["member_id"])))
    return [concerned for concerned in found if concerned is not None]


async def _attempted_operation(request: Request) -> str | None:
    """The command a refused command request asked for, from its body's `type` (a code, no data)."""
    try:
        body = json.loads(await request.body() or b"null")
    except Exception:  # noqa: BLE001 - an unreadable body names no operation; the refusal is logged anyway
        return None
    if isinstance(body, dict) and isinstance(body.get("commands"), list):
        return "batch"
    kind = body.get("type") if isinstance(body, dict) else None
    return kind if isinstance(kind, str) and COMMAND_TYPE.match(kind) else None


def _answered(response: Response) -> Outcome:
    """The outcome of a refusal the endpoint answered itself: its problem type, if it sent one."""
    try:
        kind = str(json.loads(bytes(response.body))["type"]).rsplit("/", 1)[-1]
    except Exception:  # noqa: BLE001 - not a problem document: the status alone is the reason
        kind = f"http-{response.status_code}"
    return Outcome(response.status_code, kind)


def _operation(
    name: str,
    activity_id: str,
    note: Noted,
    trace: dict[str, Any],
    started: Any,
    ended: Any,
    outcome: Outcome,
) -> Operation:
    return Operation(
        trace_id=trace.get("trace_id") or "0" * 32,
        parent_span_id=trace.get("span_id"),
        name=f"{name}:{note.operation}" if note.operation else name,
        activity_id=note.activity or activity_id,
        started=started,
        ended=ended,
        foreign_operation=note.foreign or trace.get("foreign_operation"),
        outcome=outcome,
        relation=note.relation,
        replay=note.replay,
    )
