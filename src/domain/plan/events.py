"""The events of a household plan: immutable facts, past tense, each applying itself.

Events hold plain JSON values (strings, numbers, lists, dicts), so snapshots and
field encryption can treat them uniformly. `meta` on every event records who did
it (`sub`, `org`, `acting_for`), the command id and the trace id.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.domain import Aggregate

from eenplan.domain.plan.categories import STATE_FIELDS
from eenplan.domain.plan.personal import erase


def with_address_kind(state: dict[str, Any]) -> None:
    """Upcast: an address stored before kinds existed was where the household lived."""
    address = state.get("address")
    if isinstance(address, dict):
        address.setdefault("kind", "residential")


class PlanEvent(Aggregate.Event):
    meta: dict[str, Any]

    @property
    def at(self) -> str:
        return self.timestamp.isoformat()


class Opened(Aggregate.Created):
    # v2: the address has a `kind` (residential, postal or none); a plan may open without one.
    class_version = 2
    upcast_v1_v2 = staticmethod(with_address_kind)

    meta: dict[str, Any]
    tenant: str
    team_id: str
    legal_basis: str
    members: list[dict[str, Any]]
    address: dict[str, Any]
    reason: str
    help_request_id: str | None

    def apply(self, plan: Any) -> None:
        plan.tenant = self.tenant
        plan.team_id = self.team_id
        plan.legal_basis = self.legal_basis
        plan.members = {m["member_id"]: dict(m) for m in self.members}
        plan.address = dict(self.address)
        plan.reason = self.reason
        plan.help_request_id = self.help_request_id
        plan.status = "open"
        plan.opened_at = self.timestamp.isoformat()
        plan.closed_at = None
        plan.care_team = {}
        plan.regisseur_id = None
        plan.handover = None
        plan.mandates = {}
        plan.goals = {}
        plan.agreements = {}
        plan.risk = None
        plan.consents = {}
        plan.notes = []
        plan.conferences = []


class MemberAdded(PlanEvent):
    member: dict[str, Any]

    def apply(self, plan: Any) -> None:
        plan.members[self.member["member_id"]] = dict(self.member)


class MemberRemoved(PlanEvent):
    member_id: str
    reason: str

    def apply(self, plan: Any) -> None:
        del plan.members[self.member_id]


class MemberCorrected(PlanEvent):
    member_id: str
    corrections: dict[str, Any]
    reason: str

    def apply(self, plan: Any) -> None:
        plan.members[self.member_id].update(self.corrections)


class AddressChanged(PlanEvent):
    class_version = 2  # v2: the address has a `kind`, and may be `{"kind": "none"}`
    upcast_v1_v2 = staticmethod(with_address_kind)

    address: dict[str, Any]

    def apply(self, plan: Any) -> None:
        plan.address = dict(self.address)


class CareTeamJoined(PlanEvent):
    professional_id: str
    organisation_id: str
    role: str

    def apply(self, plan: Any) -> None:
        plan.care_team[self.professional_id] = {
            "organisation_id": self.organisation_id,
            "role": self.role,
            "joined_at": self.at,
        }


class CareTeamLeft(PlanEvent):
    professional_id: str
    reason: str

    def apply(self, plan: Any) -> None:
        del plan.care_team[self.professional_id]


class RegisseurAssigned(PlanEvent):
    professional_id: str

    def apply(self, plan: Any) -> None:
        plan.regisseur_id = self.professional_id


class HandoverProposed(PlanEvent):
    from_professional_id: str | None
    to_professional_id: str
    note: str

    def apply(self, plan: Any) -> None:
        plan.handover = {
            "from_professional_id": self.from_professional_id,
            "to_professional_id": self.to_professional_id,
            "note": self.note,
            "proposed_by": self.meta.get("acting_for") or self.meta["sub"],
            "proposed_at": self.at,
        }


class RegisseurHandedOver(PlanEvent):
    from_professional_id: str | None
    to_professional_id: str

    def apply(self, plan: Any) -> None:
        plan.regisseur_id = self.to_professional_id
        plan.handover = None


class HandoverDeclined(PlanEvent):
    to_professional_id: str
    reason: str

    def apply(self, plan: Any) -> None:
        plan.handover = None


class MandateGranted(PlanEvent):
    mandate_id: str
    organisation_id: str
    scope: str | list[str]
    valid_until: str | None
    regisseur_id: str | None

    def apply(self, plan: Any) -> None:
        plan.mandates[self.mandate_id] = {
            "organisation_id": self.organisation_id,
            "scope": self.scope,
            "valid_until": self.valid_until,
            "regisseur_id": self.regisseur_id,
            "granted_at": self.at,
            "status": "active",
        }


class MandateRevoked(PlanEvent):
    mandate_id: str
    reason: str

    def apply(self, plan: Any) -> None:
        plan.mandates[self.mandate_id]["status"] = "revoked"


class GoalSet(PlanEvent):
    goal_id: str
    life_domain: str
    category: str
    description: str
    target_date: str | None

    def apply(self, plan: Any) -> None:
        plan.goals[self.goal_id] = {
            "life_domain": self.life_domain,
            "category": self.category,
            "description": self.description,
            "target_date": self.target_date,
            "status": "open",
            "score": None,
            "set_at": self.at,
        }


class ProgressRecorded(PlanEvent):
    goal_id: str
    category: str
    score: int
    note: str | None

    def apply(self, plan: Any) -> None:
        plan.goals[self.goal_id]["score"] = self.score


class GoalClosed(PlanEvent):
    goal_id: str
    category: str
    outcome: str
    note: str | None

    def apply(self, plan: Any) -> None:
        plan.goals[self.goal_id]["status"] = self.outcome


class AgreementMade(PlanEvent):
    agreement_id: str
    goal_id: str | None
    category: str
    responsible: dict[str, Any]
    action: str
    due_date: str

    def apply(self, plan: Any) -> None:
        plan.agreements[self.agreement_id] = {
            "goal_id": self.goal_id,
            "category": self.category,
            "responsible": dict(self.responsible),
            "action": self.action,
            "due_date": self.due_date,
            "status": "open",
            "made_at": self.at,
        }


class AgreementCompleted(PlanEvent):
    agreement_id: str
    category: str
    note: str | None

    def apply(self, plan: Any) -> None:
        plan.agreements[self.agreement_id]["status"] = "completed"
        plan.agreements[self.agreement_id]["completed_at"] = self.at


class AgreementRevised(PlanEvent):
    agreement_id: str
    category: str
    action: str | None
    due_date: str | None
    reason: str

    def apply(self, plan: Any) -> None:
        agreement = plan.agreements[self.agreement_id]
        if self.action is not None:
            agreement["action"] = self.action
        if self.due_date is not None:
            agreement["due_date"] = self.due_date


class AgreementCancelled(PlanEvent):
    agreement_id: str
    category: str
    reason: str

    def apply(self, plan: Any) -> None:
        plan.agreements[self.agreement_id]["status"] = "cancelled"


class RiskAssessed(PlanEvent):
    level: str
    instrument: str | None
    rationale: str

    def apply(self, plan: Any) -> None:
        plan.risk = {
            "level": self.level,
            "instrument": self.instrument,
            "rationale": self.rationale,
            "assessed_at": self.at,
        }


class ConsentRecorded(PlanEvent):
    consent_id: str
    organisation_id: str
    categories: list[str]
    purpose: str
    given_by: str | list[str]  # one member id before 2026-12; since, every member who consented
    valid_until: str | None
    concerning: list[str] | None = None  # the members whose data it opens; None: the household

    def apply(self, plan: Any) -> None:
        plan.consents[self.consent_id] = {
            "organisation_id": self.organisation_id,
            "categories": list(self.categories),
            "purpose": self.purpose,
            "given_by": self.given_by if isinstance(self.given_by, list) else [self.given_by],
            "concerning": list(self.concerning) if self.concerning is not None else None,
            "valid_until": self.valid_until,
            "recorded_at": self.at,
            "status": "active",
        }


class ConsentWithdrawn(PlanEvent):
    consent_id: str

    def apply(self, plan: Any) -> None:
        plan.consents[self.consent_id]["status"] = "withdrawn"
        plan.consents[self.consent_id]["withdrawn_at"] = self.at


class NoteAdded(PlanEvent):
    note_id: str
    category: str
    text: str

    def apply(self, plan: Any) -> None:
        plan.notes.append(
            {
                "note_id": self.note_id,
                "category": self.category,
                "text": self.text,
                "author": self.meta.get("acting_for") or self.meta["sub"],
                "organisation_id": self.meta["org"],
                "at": self.at,
            }
        )


class CaseConferenceHeld(PlanEvent):
    conference_id: str
    held_on: str
    attendees: list[str]
    decisions: list[str]

    def apply(self, plan: Any) -> None:
        plan.conferences.append(
            {
                "conference_id": self.conference_id,
                "held_on": self.held_on,
                "attendees": list(self.attendees),
                "decisions": list(self.decisions),
            }
        )


class PlanClosed(PlanEvent):
    reason: str

    def apply(self, plan: Any) -> None:
        plan.status = "closed"
        plan.closed_at = self.at


class PlanReopened(PlanEvent):
    reason: str

    def apply(self, plan: Any) -> None:
        plan.status = "open"
        plan.closed_at = None


class PlanMovedToTeam(PlanEvent):
    """A reorganisation moved the plan to another team; the regisseur changes only if it says so."""

    reorganisation_id: str
    from_team_id: str
    to_team_id: str
    regisseur: dict[str, Any] | None

    def apply(self, plan: Any) -> None:
        plan.team_id = self.to_team_id
        if self.regisseur is None:
            return
        new_id = self.regisseur["professional_id"]
        plan.care_team.setdefault(
            new_id,
            {"organisation_id": self.regisseur["organisation_id"], "role": "regisseur", "joined_at": self.at},
        )
        plan.regisseur_id = new_id
        plan.handover = None


class PersonalDataErased(PlanEvent):
    """Art. 17: the keys of these members (and maybe the household) were destroyed.

    The receipt holds ids only. Applying it blanks the erased values in the
    state, so a copy of the plan cached in any process stops showing them.
    """

    receipt_id: str
    member_ids: list[str]
    household: bool
    legal_ground: str

    def apply(self, plan: Any) -> None:
        erase(plan.__dict__, STATE_FIELDS, set(self.member_ids), self.household)
        # Remembered so replays of earlier versions and history can be blanked the same way.
        plan.erased_members = sorted({*getattr(plan, "erased_members", []), *self.member_ids})
        plan.household_erased = getattr(plan, "household_erased", False) or self.household


# --- proposals: directing another organisation's worker without a mandate that covers them ---


def _proposals(plan: Any) -> dict[str, dict[str, Any]]:
    """Pending and decided proposals by id (plans opened before proposals existed have none yet)."""
    found: dict[str, dict[str, Any]] = plan.__dict__.setdefault("proposals", {})
    return found


class CareTeamProposed(PlanEvent):
    """The regisseur (or a team lead) asks a professional of another organisation to join."""

    proposal_id: str
    professional_id: str
    organisation_id: str
    role: str

    def apply(self, plan: Any) -> None:
        _proposals(plan)[self.proposal_id] = {
            "kind": "care_team",
            "professional_id": self.professional_id,
            "organisation_id": self.organisation_id,
            "role": self.role,
            "proposed_by": self.meta.get("acting_for") or self.meta.get("sub"),
            "proposed_at": self.at,
            "status": "pending",
        }


class AgreementProposed(PlanEvent):
    """An agreement for another organisation (or its worker), until they or it accept it."""

    agreement_id: str
    goal_id: str | None
    category: str
    responsible: dict[str, Any]
    action: str
    due_date: str

    def apply(self, plan: Any) -> None:
        _proposals(plan)[self.agreement_id] = {
            "kind": "agreement",
            "professional_id": self.responsible.get("professional_id"),
            "organisation_id": self.responsible.get("organisation_id"),
            "agreement": {
                "goal_id": self.goal_id,
                "category": self.category,
                "responsible": dict(self.responsible),
                "action": self.action,
                "due_date": self.due_date,
            },
            "proposed_by": self.meta.get("acting_for") or self.meta.get("sub"),
            "proposed_at": self.at,
            "status": "pending",
        }


class ProposalAccepted(PlanEvent):
    """Accepted; the join or the agreement itself follows as its own event, in the same save."""

    proposal_id: str

    def apply(self, plan: Any) -> None:
        proposal = _proposals(plan)[self.proposal_id]
        proposal["status"] = "accepted"
        proposal.pop("agreement", None)  # it lives on as the agreement itself
        proposal["decided_at"] = self.at


class ProposalDeclined(PlanEvent):
    proposal_id: str
    reason: str

    def apply(self, plan: Any) -> None:
        proposal = _proposals(plan)[self.proposal_id]
        proposal["status"] = "declined"
        proposal.pop("agreement", None)
        proposal["decided_at"] = self.at


# Every event of the household plan, the first (`Opened`) included: for topic filters on the log.
PLAN_EVENTS: tuple[type[Any], ...] = tuple(
    cls
    for cls in list(globals().values())
    if isinstance(cls, type) and issubclass(cls, Aggregate.Event) and cls.__module__ == __name__
)
