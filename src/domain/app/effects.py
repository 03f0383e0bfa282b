"""What a command already did, found again from the events it recorded.

Every event records `meta.command_id`. When a process stopped between saving a
command's events and storing its answer, the answer is rebuilt from those
events, instead of running the command a second time.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.application import Application

from domain.app.plans import Outcome
from domain.context import Actor

PLAN_TOPIC = "domain.plan.events:"
PAGE = 500


def recorded_outcome(app: Application[Any], actor: Actor, command_id: str, after: int) -> Outcome | None:
    """The outcome of the caller's command `command_id`, recorded after position `after`; else None."""
    plan_events: list[Any] = []
    last_position = None
    for notification in _notifications_after(app, after):
        event = app.mapper.to_domain_event(notification)
        if _caused_by(event, actor, command_id):
            last_position = notification.id
            if notification.topic.startswith(PLAN_TOPIC):
                plan_events.append(event)
        elif _saved_with(event, plan_events) and notification.id == (last_position or 0) + 1:
            last_position = notification.id  # a member registration saved in the same transaction
    if not plan_events:
        return None
    opened = [e for e in plan_events if type(e).__name__ == "Opened"]
    return Outcome(
        plan_id=str(plan_events[0].originator_id),
        version=max(e.originator_version for e in plan_events),
        position=last_position,
        events=[{"type": type(e).__name__, "version": e.originator_version} for e in plan_events],
        member_ids=[m["member_id"] for m in opened[0].members] if opened else [],
    )


def _caused_by(event: Any, actor: Actor, command_id: str) -> bool:
    meta = getattr(event, "meta", None) or {}
    return (meta.get("command_id"), meta.get("sub"), meta.get("org")) == (command_id, actor.sub, actor.org)


def _saved_with(event: Any, plan_events: list[Any]) -> bool:
    plan_id = getattr(event, "plan_id", None)
    return bool(plan_events) and plan_id == str(plan_events[-1].originator_id)


def _notifications_after(app: Application[Any], after: int) -> Any:
    start = after + 1
    while True:
        page = app.recorder.select_notifications(start=start, limit=PAGE)
        yield from page
        if len(page) < PAGE:
            return
        start = page[-1].id + 1
