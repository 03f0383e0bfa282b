"""The household plan's state, and the checks every group of commands shares.

State attributes are set by `events.Opened.apply` and changed only by events;
they are declared here for readers and mypy. The command groups (`team.py`,
`work.py`, and the household commands in `aggregate.py`) build on this.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eenplan.domain import errors
from eenplan.domain.context import CommandContext
from eenplan.domain.plan import events as ev


def new_id() -> str:
    return str(uuid4())


class PlanState:
    # State attributes are set by events.Opened.apply; declared here for readers and mypy.
    tenant: str
    team_id: str
    legal_basis: str
    status: str
    reason: str
    help_request_id: str | None
    opened_at: str
    closed_at: str | None
    members: dict[str, dict[str, Any]]
    address: dict[str, Any]
    care_team: dict[str, dict[str, Any]]
    regisseur_id: str | None
    handover: dict[str, Any] | None
    mandates: dict[str, dict[str, Any]]
    goals: dict[str, dict[str, Any]]
    agreements: dict[str, dict[str, Any]]
    risk: dict[str, Any] | None
    consents: dict[str, dict[str, Any]]
    notes: list[dict[str, Any]]
    conferences: list[dict[str, Any]]
    trigger_event: Any  # from eventsourcing's Aggregate, which HouseholdPlan also is

    # --- checks ----------------------------------------------------------------------

    def _emit(self, ctx: CommandContext, event_class: type[ev.PlanEvent], **data: Any) -> None:
        """Trigger an event, after the rule that binds every command but reopen."""
        if self.status == "closed":
            raise errors.PlanClosedError()
        self._trigger(ctx, event_class, **data)

    def _trigger(self, ctx: CommandContext, event_class: type[ev.PlanEvent], **data: Any) -> None:
        self.trigger_event(event_class, meta=ctx.meta(), **data)

    def _check_member(self, member_id: str) -> None:
        if member_id not in self.members:
            raise errors.MemberError(f"member {member_id} is not in the household")

    def _check_on_care_team(self, professional_id: str) -> None:
        if professional_id not in self.care_team:
            raise errors.NotOnCareTeamError(f"professional {professional_id} is not on the care team")
