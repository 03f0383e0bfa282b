"""What a command already did, found again from the events it recorded.

Every event records `meta.command_id`. When a process stopped between saving a
command's events and storing its answer, the answer is rebuilt from those
events, instead of running the command a second time. Saves are atomic, so a
command that recorded no event saved nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from eventsourcing.application import Application

from eenplan.domain.app.intake import TriageOutcome
from eenplan.domain.app.plans import Outcome
from eenplan.domain.context import Actor
from eenplan.domain.intake.request import HelpRequest
from eenplan.domain.intake.signals import SignalFile, SignalRecorded
from eenplan.domain.plan.events import PLAN_EVENTS
from eenplan.domain.plan.matching import PersonIndex

PAGE = 500
A = TypeVar("A")


@dataclass(frozen=True)
class Recorded:
    """One event a command recorded, with its place in the notification log."""

    position: int
    topic: str
    event: Any


def recorded_events(app: Application[Any], actor: Actor, command_id: str, after: int) -> list[Recorded]:
    """The events of the caller's command `command_id`, recorded after position `after`, in order."""
    found: list[Recorded] = []
    for notification in _notifications_after(app, after):
        event = app.mapper.to_domain_event(notification)
        caused = _caused_by(event, actor, command_id)
        if caused or (_saved_with(event, found) and notification.id == found[-1].position + 1):
            # Without meta: a member registration saved in the same transaction as the plan.
            found.append(Recorded(notification.id, notification.topic, event))
    return found


def recorded_outcome(app: Application[Any], actor: Actor, command_id: str, after: int) -> Outcome | None:
    """The outcome of the caller's plan command `command_id`, recorded after position `after`; else None."""
    return plan_outcome(recorded_events(app, actor, command_id, after))


def plan_outcome(recorded: list[Recorded]) -> Outcome | None:
    """A plan command's outcome, from the events it recorded; None when it recorded no plan event."""
    plan_events = [r.event for r in recorded if isinstance(r.event, PLAN_EVENTS)]
    if not plan_events:
        return None
    opened = [e for e in plan_events if type(e).__name__ == "Opened"]
    return Outcome(
        plan_id=str(plan_events[0].originator_id),
        version=max(e.originator_version for e in plan_events),
        position=recorded[-1].position,
        events=[{"type": type(e).__name__, "version": e.originator_version} for e in plan_events],
        member_ids=[m["member_id"] for m in opened[0].members] if opened else [],
    )


def state_after(app: Application[Any], recorded: list[Recorded], kind: type[A]) -> tuple[A, int] | None:
    """The `kind` aggregate the command changed, as the command left it, and its last position."""
    versions: dict[Any, int] = {}
    for r in recorded:
        if type(r.event).__module__ == kind.__module__:
            versions[r.event.originator_id] = r.event.originator_version
    for originator_id, version in versions.items():
        aggregate: Any = app.repository.get(originator_id, version=version)
        if isinstance(aggregate, kind):
            return aggregate, recorded[-1].position
    return None


def latest(app: Application[Any], recorded: list[Recorded], kind: type[A]) -> A | None:
    """The `kind` aggregate the command changed, as the command left it."""
    found = state_after(app, recorded, kind)
    return found[0] if found else None


def triage_outcome(app: Application[Any], recorded: list[Recorded]) -> TriageOutcome | None:
    """A help request's submission or triage step, from the events it recorded."""
    found = state_after(app, recorded, HelpRequest)
    if found is None:
        return None
    request, position = found
    plan = plan_outcome(recorded)
    plan_id = plan.plan_id if plan else None
    return TriageOutcome(str(request.id), request.version, request.status, position, plan_id, request.tenant)


def signal_posted(app: Application[Any], recorded: list[Recorded]) -> dict[str, Any] | None:
    """A posted signal's answer, from the events it recorded."""
    found = state_after(app, recorded, SignalFile)
    signal_ids = [r.event.signal_id for r in recorded if isinstance(r.event, SignalRecorded)]
    if found is None or not signal_ids:
        return None
    file, position = found
    return {"signal_id": signal_ids[0], "matched": file.match is not None, "position": position}


def _caused_by(event: Any, actor: Actor, command_id: str) -> bool:
    meta = getattr(event, "meta", None) or {}
    return (meta.get("command_id"), meta.get("sub"), meta.get("org")) == (command_id, actor.sub, actor.org)


def _saved_with(event: Any, found: list[Recorded]) -> bool:
    """Saved in the plan's transaction without meta: its member registrations, its household index."""
    plans = [r.event for r in found if isinstance(r.event, PLAN_EVENTS)]
    if plans and isinstance(event, PersonIndex.Started):
        return True
    plan_id = getattr(event, "plan_id", None)
    return bool(plans) and plan_id == str(plans[-1].originator_id)


def _notifications_after(app: Application[Any], after: int) -> Any:
    start = after + 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        start = page[-1].id + 1
