"""The peer: a plain `eventsourcing` Application with the library's default PostgreSQL recorder.

The same command (add a note to a plan) with nothing of eenplan: no rules, no access checks,
no member registrations, no telemetry. What eenplan's own application adds is the ratio.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Plan(Aggregate):
    @event("Opened")
    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.notes: list[dict[str, Any]] = []

    @event("NoteAdded")
    def add_note(self, category: str, text: str) -> None:
        self.notes.append({"category": category, "text": text})


class PeerApp(Application[UUID]):
    name = "peer"

    def open_plan(self) -> UUID:
        plan = Plan("GM0687")
        self.save(plan)
        return plan.id

    def add_note(self, plan_id: UUID, text: str) -> None:
        plan: Plan = self.repository.get(plan_id)
        plan.add_note("general", text)
        self.save(plan)
