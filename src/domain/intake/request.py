"""The HelpRequest aggregate (hulpvraag): one request, from any channel, and its triage.

A request is open until triage concludes it: resolved simply (seed 004: a
wheelchair, transport, with as few hands as possible), referred on (to a welfare
activity or another organisation: the makelaar of seed 003), or turned into a
household plan. Assignment and first contact happen while it is open. The
times of these steps are the waiting times teams are measured on.

The contact is personal data, so a request is shown only to who needs to know
(`visible_to`): in its tenant, the one who took it in, the assigned professional,
the members and leads of the team it is allocated to (by assignment, or the team
of the plan it became), any team lead while it is still open and unassigned (team
leads allocate), and administrators and auditors. Everyone else is told it does
not exist.

A request that opened a household plan is part of that household's record: it is
erased with the household, or with the member who is its contact (art. 17). The
`HelpRequestErased` event holds ids only; its key is destroyed beside it.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from eenplan.domain import errors
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.intake.commands import SubmitHelpRequest
from eenplan.domain.intake.signals import normalised
from eenplan.domain.plan.personal import ERASED
from eenplan.domain.values import Role

OPEN = "open"


class RequestEvent(Aggregate.Event):
    meta: dict[str, Any]


class HelpRequestSubmitted(Aggregate.Created):
    meta: dict[str, Any]
    tenant: str
    channel: str
    location: str | None
    area: str | None
    topics: list[str]
    summary: str
    contact: dict[str, Any]

    def apply(self, request: Any) -> None:
        for name in ("tenant", "channel", "location", "area", "summary"):
            setattr(request, name, getattr(self, name))
        request.topics = list(self.topics)
        request.contact = dict(self.contact)
        request.status = OPEN
        request.submitted_by = self.meta.get("sub")
        request.submitted_at = self.timestamp.isoformat()
        request.first_contact_at = None
        request.assigned_at = None
        request.assignment = None
        request.outcome = None


class FirstContactMade(RequestEvent):
    professional_id: str

    def apply(self, request: Any) -> None:
        request.first_contact_at = self.timestamp.isoformat()


class HelpRequestAssigned(RequestEvent):
    professional_id: str
    team_id: str | None
    chosen_by: str
    top_candidate_id: str | None
    differs_from_top: bool
    reason: str | None

    def apply(self, request: Any) -> None:
        request.assigned_at = request.assigned_at or self.timestamp.isoformat()
        request.assignment = {
            "professional_id": self.professional_id,
            "team_id": self.team_id,
            "chosen_by": self.chosen_by,
            "top_candidate_id": self.top_candidate_id,
            "differs_from_top": self.differs_from_top,
            "reason": self.reason,
            "at": self.timestamp.isoformat(),
        }


class Concluded(RequestEvent):
    """Triage ended; the first contact, if not recorded, happened now at the latest."""

    def apply(self, request: Any) -> None:
        request.first_contact_at = request.first_contact_at or self.timestamp.isoformat()
        request.status = self.status
        request.outcome = {"type": self.status, "at": self.timestamp.isoformat(), **self.details()}

    status = "concluded"

    def details(self) -> dict[str, Any]:
        return {}


class ResolvedSimply(Concluded):
    what_was_done: str
    status = "resolved"

    def details(self) -> dict[str, Any]:
        return {"what_was_done": self.what_was_done}


class ReferredOn(Concluded):
    activity_id: str | None
    organisation_id: str | None
    status = "referred"

    def details(self) -> dict[str, Any]:
        return {"activity_id": self.activity_id, "organisation_id": self.organisation_id}


class PlanOpenedFromRequest(Concluded):
    plan_id: str
    team_id: str
    status = "planned"

    def details(self) -> dict[str, Any]:
        return {"plan_id": self.plan_id, "team_id": self.team_id}


class HelpRequestErased(RequestEvent):
    """Art. 17 or retention: the request's key was destroyed; its values read as erased."""

    receipt_id: str

    def apply(self, request: Any) -> None:
        request.contact = dict.fromkeys(request.contact, ERASED)
        request.summary = ERASED
        request.location = ERASED if request.location is not None else None
        if request.assignment is not None and request.assignment.get("reason") is not None:
            request.assignment["reason"] = ERASED
        if request.outcome is not None and "what_was_done" in request.outcome:
            request.outcome["what_was_done"] = ERASED
        request.erased = True


class HelpRequest(Aggregate):
    tenant: str
    channel: str
    location: str | None
    area: str | None
    topics: list[str]
    summary: str
    contact: dict[str, Any]
    status: str
    submitted_by: str | None
    submitted_at: str
    first_contact_at: str | None
    assigned_at: str | None
    assignment: dict[str, Any] | None
    outcome: dict[str, Any] | None
    erased: bool = False

    def __init__(self) -> None:
        """State comes from `HelpRequestSubmitted.apply`; see `submit`."""

    @classmethod
    def submit(cls, ctx: CommandContext, cmd: SubmitHelpRequest) -> HelpRequest:
        return cls._create(
            HelpRequestSubmitted,
            meta=ctx.meta(),
            tenant=cmd.tenant,
            channel=cmd.channel.value,
            location=cmd.location,
            area=cmd.area,
            topics=sorted({t.value for t in cmd.topics}),
            summary=cmd.summary,
            contact=cmd.contact.model_dump(mode="json", exclude_none=True),
        )

    def assign(
        self,
        ctx: CommandContext,
        professional_id: str,
        team_id: str | None,
        top_candidate_id: str | None,
        reason: str | None,
    ) -> None:
        """Record who will help, who chose, and why when it is not the top candidate."""
        self._check_open()
        differs = professional_id != top_candidate_id
        if differs and not reason:
            raise errors.TriageError(
                "the chosen professional is not the top candidate; give a reason for the choice"
            )
        self._trigger(
            ctx,
            HelpRequestAssigned,
            professional_id=professional_id,
            team_id=team_id,
            chosen_by=ctx.actor.professional_id,
            top_candidate_id=top_candidate_id,
            differs_from_top=differs,
            reason=reason,
        )

    def record_first_contact(self, ctx: CommandContext) -> None:
        self._check_open()
        if self.first_contact_at is not None:
            raise errors.TriageError("the first contact is already recorded")
        self._trigger(ctx, FirstContactMade, professional_id=ctx.actor.professional_id)

    def resolve_simple(self, ctx: CommandContext, what_was_done: str) -> None:
        self._check_open()
        self._trigger(ctx, ResolvedSimply, what_was_done=what_was_done)

    def refer(self, ctx: CommandContext, activity_id: str | None, organisation_id: str | None) -> None:
        self._check_open()
        self._trigger(ctx, ReferredOn, activity_id=activity_id, organisation_id=organisation_id)

    def check_can_open_plan(self) -> None:
        self._check_open()

    def plan_opened(self, ctx: CommandContext, plan_id: str, team_id: str) -> None:
        self._check_open()
        self._trigger(ctx, PlanOpenedFromRequest, plan_id=plan_id, team_id=team_id)

    def record_erasure(self, ctx: CommandContext, receipt_id: str) -> None:
        """Erasure applies in any status: a concluded request is still held."""
        self._trigger(ctx, HelpRequestErased, receipt_id=receipt_id)

    def contact_is(self, given_name: str, family_name: str) -> bool:
        """Whether the contact is this person, by normalised name (the request has no member id)."""
        contact = self.contact or {}
        theirs = (
            normalised(str(contact.get("given_name", ""))),
            normalised(str(contact.get("family_name", ""))),
        )
        return theirs == (normalised(given_name), normalised(family_name)) and ERASED not in contact.values()

    def visible_to(self, actor: Actor, actor_team_ids: set[str]) -> bool:
        """Need to know: see the module docstring. `actor_team_ids` are the caller's teams."""
        if not actor.serves(self.tenant):
            return False
        if actor.has_role(Role.ADMIN) or actor.has_role(Role.AUDITOR) or actor.sub == self.submitted_by:
            return True
        teams = {(self.assignment or {}).get("team_id"), (self.outcome or {}).get("team_id")} - {None}
        if self.assignment is not None and self.assignment["professional_id"] == actor.professional_id:
            return True
        if teams & actor_team_ids:
            return True
        return self.status == OPEN and self.assignment is None and actor.has_role(Role.TEAM_LEAD)

    def _check_open(self) -> None:
        if self.status != OPEN:
            raise errors.TriageError(f"the help request is already {self.status}")

    def _trigger(self, ctx: CommandContext, event_class: type[RequestEvent], **data: Any) -> None:
        self.trigger_event(event_class, meta=ctx.meta(), **data)
