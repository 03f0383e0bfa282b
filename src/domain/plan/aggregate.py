"""The HouseholdPlan aggregate: one household, one plan, one regisseur.

Each public method is a command. It checks the rules (`_check_*`), raising a
named domain error before anything changes, and then triggers past-tense
events from `domain.plan.events`. Directory facts (does this professional
exist, which organisation is theirs) are resolved by the application and passed
in, so the aggregate does no I/O.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

from eventsourcing.domain import Aggregate

from domain import errors
from domain.commands import (
    Address,
    Member,
    MemberResponsible,
    OpenPlan,
    OrganisationResponsible,
)
from domain.context import Actor, CommandContext, ProfessionalRef
from domain.plan import events as ev
from domain.values import LIFE_DOMAIN_CATEGORY, DataCategory, LifeDomain, RiskLevel

REGISSEUR, CARE_TEAM, MANDATE, TEAM_LEAD = "regisseur", "care_team", "mandate", "team_lead"
ACTING_RELATIONS = frozenset({REGISSEUR, CARE_TEAM, MANDATE, TEAM_LEAD})


def new_id() -> str:
    return str(uuid4())


def member_record(member: Member) -> dict[str, Any]:
    record = member.model_dump(mode="json")
    record["member_id"] = member.member_id or new_id()
    return record


class HouseholdPlan(Aggregate):
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

    def __init__(self) -> None:
        """State comes from `Opened.apply`; see `open`."""

    @classmethod
    def open(cls, ctx: CommandContext, cmd: OpenPlan, help_request_id: str | None = None) -> HouseholdPlan:
        members = [member_record(m) for m in cmd.household.members]
        if len({m["member_id"] for m in members}) != len(members):
            raise errors.MemberError("member ids must be unique within the household")
        return cls._create(
            ev.Opened,
            meta=ctx.meta(),
            tenant=cmd.tenant,
            team_id=cmd.team_id,
            legal_basis=cmd.legal_basis.value,
            members=members,
            address=cmd.household.address.model_dump(mode="json"),
            reason=cmd.reason,
            help_request_id=help_request_id,
        )

    # --- relations -------------------------------------------------------------------

    def relation_of(self, actor: Actor, today: date, team_lead: bool = False) -> str | None:
        """The caller's closest working relation to this plan, or None."""
        person = actor.professional_id
        if person == self.regisseur_id and person in self.care_team:
            return REGISSEUR
        if person in self.care_team and self.care_team[person]["organisation_id"] == actor.org:
            return CARE_TEAM
        if any(self._mandate_covers(m, actor, today) for m in self.mandates.values()):
            return MANDATE
        if team_lead:
            return TEAM_LEAD
        return None

    @staticmethod
    def _mandate_covers(mandate: dict[str, Any], actor: Actor, today: date) -> bool:
        if mandate["status"] != "active" or mandate["organisation_id"] != actor.org:
            return False
        if mandate["valid_until"] and date.fromisoformat(mandate["valid_until"]) < today:
            return False
        return mandate["scope"] == "all" or actor.professional_id in mandate["scope"]

    def organisations_on_care_team(self) -> set[str]:
        return {p["organisation_id"] for p in self.care_team.values()}

    # --- household -------------------------------------------------------------------

    def add_member(self, ctx: CommandContext, member: Member) -> None:
        record = member_record(member)
        if record["member_id"] in self.members:
            raise errors.MemberError(f"member {record['member_id']} is already in the household")
        self._emit(ctx, ev.MemberAdded, member=record)

    def remove_member(self, ctx: CommandContext, member_id: str, reason: str) -> None:
        self._check_member(member_id)
        if len(self.members) == 1:
            raise errors.MemberError("a household keeps at least one member")
        self._emit(ctx, ev.MemberRemoved, member_id=member_id, reason=reason)

    def correct_member(
        self, ctx: CommandContext, member_id: str, corrections: dict[str, Any], reason: str
    ) -> None:
        self._check_member(member_id)
        if not corrections:
            raise errors.MemberError("a correction names at least one field to correct")
        self._emit(ctx, ev.MemberCorrected, member_id=member_id, corrections=corrections, reason=reason)

    def change_address(self, ctx: CommandContext, address: Address) -> None:
        self._emit(ctx, ev.AddressChanged, address=address.model_dump(mode="json"))

    # --- care team and regisseur -----------------------------------------------------

    def join_care_team(self, ctx: CommandContext, professional: ProfessionalRef, role: str) -> None:
        if professional.professional_id in self.care_team:
            raise errors.NotOnCareTeamError(
                f"professional {professional.professional_id} is already on the care team"
            )
        self._emit(
            ctx,
            ev.CareTeamJoined,
            professional_id=professional.professional_id,
            organisation_id=professional.organisation_id,
            role=role,
        )

    def leave_care_team(self, ctx: CommandContext, professional_id: str, reason: str) -> None:
        self._check_on_care_team(professional_id)
        if professional_id == self.regisseur_id:
            raise errors.RegisseurRequiredError("the regisseur cannot leave the care team; hand over first")
        if self.handover and self.handover["to_professional_id"] == professional_id:
            raise errors.HandoverError("decline the pending handover to this professional first")
        self._emit(ctx, ev.CareTeamLeft, professional_id=professional_id, reason=reason)

    def assign_regisseur(self, ctx: CommandContext, professional_id: str) -> None:
        if self.regisseur_id is not None:
            raise errors.RegisseurAlreadyAssignedError(self.regisseur_id)
        self._check_on_care_team(professional_id)
        self._emit(ctx, ev.RegisseurAssigned, professional_id=professional_id)

    def propose_handover(
        self, ctx: CommandContext, to_professional_id: str, note: str, team_lead: bool
    ) -> None:
        if self.regisseur_id is None:
            raise errors.RegisseurRequiredError("there is no regisseur to hand over from")
        if ctx.actor.professional_id != self.regisseur_id and not team_lead:
            raise errors.NotAllowedError("only the current regisseur or a team lead proposes a handover")
        if self.handover is not None:
            raise errors.HandoverError("a handover is already pending")
        if to_professional_id == self.regisseur_id:
            raise errors.HandoverError("the professional is already the regisseur")
        self._check_on_care_team(to_professional_id)
        self._emit(
            ctx,
            ev.HandoverProposed,
            from_professional_id=self.regisseur_id,
            to_professional_id=to_professional_id,
            note=note,
        )

    def accept_handover(self, ctx: CommandContext) -> None:
        handover = self._pending_handover()
        if ctx.actor.professional_id != handover["to_professional_id"]:
            raise errors.NotAllowedError("only the proposed professional accepts a handover")
        self._check_on_care_team(handover["to_professional_id"])
        self._emit(
            ctx,
            ev.RegisseurHandedOver,
            from_professional_id=self.regisseur_id,
            to_professional_id=handover["to_professional_id"],
        )

    def decline_handover(self, ctx: CommandContext, reason: str, team_lead: bool) -> None:
        handover = self._pending_handover()
        deciders = {handover["to_professional_id"], handover["proposed_by"], self.regisseur_id}
        if ctx.actor.professional_id not in deciders and not team_lead:
            raise errors.NotAllowedError(
                "only the proposed professional, the proposer, the regisseur or a team lead "
                "declines a handover"
            )
        self._emit(
            ctx,
            ev.HandoverDeclined,
            to_professional_id=handover["to_professional_id"],
            reason=reason,
        )

    # --- mandates --------------------------------------------------------------------

    def grant_mandate(
        self,
        ctx: CommandContext,
        organisation_id: str,
        scope: str | list[str],
        valid_until: date | None,
    ) -> str:
        if organisation_id != ctx.actor.org:
            raise errors.MandateError("an organisation grants a mandate over its own workers only")
        if organisation_id not in self.organisations_on_care_team():
            raise errors.MandateError("only an organisation on the care team grants a mandate")
        if self.regisseur_id is None:
            raise errors.RegisseurRequiredError("a mandate is granted to the plan's regisseur")
        mandate_id = new_id()
        self._emit(
            ctx,
            ev.MandateGranted,
            mandate_id=mandate_id,
            organisation_id=organisation_id,
            scope=scope,
            valid_until=valid_until.isoformat() if valid_until else None,
            regisseur_id=self.regisseur_id,
        )
        return mandate_id

    def revoke_mandate(self, ctx: CommandContext, mandate_id: str, reason: str) -> None:
        mandate = self.mandates.get(mandate_id)
        if mandate is None or mandate["status"] != "active":
            raise errors.MandateError(f"no active mandate {mandate_id}")
        if mandate["organisation_id"] != ctx.actor.org:
            raise errors.MandateError("only the organisation that granted a mandate revokes it")
        self._emit(ctx, ev.MandateRevoked, mandate_id=mandate_id, reason=reason)

    # --- goals, agreements, risk -----------------------------------------------------

    def set_goal(
        self,
        ctx: CommandContext,
        goal_id: str | None,
        life_domain: LifeDomain,
        description: str,
        target_date: date | None,
    ) -> str:
        goal_id = goal_id or new_id()
        if goal_id in self.goals:
            raise errors.GoalError(f"goal {goal_id} already exists")
        self._emit(
            ctx,
            ev.GoalSet,
            goal_id=goal_id,
            life_domain=LifeDomain(life_domain).value,
            category=LIFE_DOMAIN_CATEGORY[LifeDomain(life_domain)].value,
            description=description,
            target_date=target_date.isoformat() if target_date else None,
        )
        return goal_id

    def record_progress(self, ctx: CommandContext, goal_id: str, score: int, note: str | None) -> None:
        goal = self._open_goal(goal_id)
        if not 1 <= score <= 5:
            raise errors.GoalError("a ZRM score is 1 to 5")
        self._emit(
            ctx,
            ev.ProgressRecorded,
            goal_id=goal_id,
            category=goal["category"],
            score=score,
            note=note,
        )

    def close_goal(self, ctx: CommandContext, goal_id: str, outcome: str, note: str | None) -> None:
        goal = self._open_goal(goal_id)
        self._emit(
            ctx,
            ev.GoalClosed,
            goal_id=goal_id,
            category=goal["category"],
            outcome=str(outcome),
            note=note,
        )

    def make_agreement(
        self,
        ctx: CommandContext,
        agreement_id: str | None,
        goal_id: str | None,
        responsible: OrganisationResponsible | MemberResponsible,
        action: str,
        due_date: date,
    ) -> str:
        agreement_id = agreement_id or new_id()
        if agreement_id in self.agreements:
            raise errors.AgreementError(f"agreement {agreement_id} already exists")
        category = self._open_goal(goal_id)["category"] if goal_id else DataCategory.GENERAL.value
        self._check_responsible(responsible)
        self._emit(
            ctx,
            ev.AgreementMade,
            agreement_id=agreement_id,
            goal_id=goal_id,
            category=category,
            responsible=responsible.model_dump(exclude_none=True),
            action=action,
            due_date=due_date.isoformat(),
        )
        return agreement_id

    def complete_agreement(self, ctx: CommandContext, agreement_id: str, note: str | None) -> None:
        agreement = self._open_agreement(agreement_id)
        self._emit(
            ctx,
            ev.AgreementCompleted,
            agreement_id=agreement_id,
            category=agreement["category"],
            note=note,
        )

    def revise_agreement(
        self,
        ctx: CommandContext,
        agreement_id: str,
        action: str | None,
        due_date: date | None,
        reason: str,
    ) -> None:
        agreement = self._open_agreement(agreement_id)
        if action is None and due_date is None:
            raise errors.AgreementError("a revision changes the action, the due date, or both")
        self._emit(
            ctx,
            ev.AgreementRevised,
            agreement_id=agreement_id,
            category=agreement["category"],
            action=action,
            due_date=due_date.isoformat() if due_date else None,
            reason=reason,
        )

    def cancel_agreement(self, ctx: CommandContext, agreement_id: str, reason: str) -> None:
        agreement = self._open_agreement(agreement_id)
        self._emit(
            ctx,
            ev.AgreementCancelled,
            agreement_id=agreement_id,
            category=agreement["category"],
            reason=reason,
        )

    def assess_risk(
        self, ctx: CommandContext, level: RiskLevel, instrument: str | None, rationale: str
    ) -> None:
        if RiskLevel(level).needs_regisseur and self.regisseur_id is None:
            raise errors.RegisseurRequiredError(
                f"a {RiskLevel(level).value} risk needs a regisseur; assign one first"
            )
        self._emit(
            ctx,
            ev.RiskAssessed,
            level=RiskLevel(level).value,
            instrument=instrument,
            rationale=rationale,
        )

    # --- consent, notes, conferences, closing ----------------------------------------

    def record_consent(
        self,
        ctx: CommandContext,
        organisation_id: str,
        categories: list[str],
        purpose: str,
        given_by: str,
        valid_until: date | None,
    ) -> str:
        self._check_member(given_by)
        consent_id = new_id()
        self._emit(
            ctx,
            ev.ConsentRecorded,
            consent_id=consent_id,
            organisation_id=organisation_id,
            categories=sorted({str(c) for c in categories}),
            purpose=purpose,
            given_by=given_by,
            valid_until=valid_until.isoformat() if valid_until else None,
        )
        return consent_id

    def withdraw_consent(self, ctx: CommandContext, consent_id: str) -> None:
        consent = self.consents.get(consent_id)
        if consent is None or consent["status"] != "active":
            raise errors.ConsentError(f"no active consent {consent_id}")
        self._emit(ctx, ev.ConsentWithdrawn, consent_id=consent_id)

    def add_note(self, ctx: CommandContext, category: DataCategory, text: str) -> str:
        note_id = new_id()
        self._emit(ctx, ev.NoteAdded, note_id=note_id, category=DataCategory(category).value, text=text)
        return note_id

    def hold_case_conference(
        self, ctx: CommandContext, held_on: date, attendees: list[str], decisions: list[str]
    ) -> None:
        unknown = [a for a in attendees if a not in self.care_team and a not in self.members]
        if unknown:
            raise errors.ConferenceError(
                f"attendees must be on the care team or in the household: {', '.join(unknown)}"
            )
        self._emit(
            ctx,
            ev.CaseConferenceHeld,
            conference_id=new_id(),
            held_on=held_on.isoformat(),
            attendees=list(attendees),
            decisions=list(decisions),
        )

    def close_plan(self, ctx: CommandContext, reason: str) -> None:
        self._emit(ctx, ev.PlanClosed, reason=reason)

    def reopen_plan(self, ctx: CommandContext, reason: str) -> None:
        if self.status != "closed":
            raise errors.PlanNotClosedError()
        self._trigger(ctx, ev.PlanReopened, reason=reason)

    # --- reorganisation --------------------------------------------------------------

    def move_to_team(
        self,
        ctx: CommandContext,
        reorganisation_id: str,
        to_team_id: str,
        new_regisseur: ProfessionalRef | None = None,
    ) -> None:
        """Move to another team; closed plans move too, so their history stays with the team."""
        if to_team_id == self.team_id:
            raise errors.ReorganisationError(f"the plan is already in team {to_team_id}")
        regisseur = None
        if new_regisseur is not None and new_regisseur.professional_id != self.regisseur_id:
            regisseur = {
                "professional_id": new_regisseur.professional_id,
                "organisation_id": new_regisseur.organisation_id,
            }
        self._trigger(
            ctx,
            ev.PlanMovedToTeam,
            reorganisation_id=reorganisation_id,
            from_team_id=self.team_id,
            to_team_id=to_team_id,
            regisseur=regisseur,
        )

    def record_erasure(
        self, ctx: CommandContext, receipt_id: str, member_ids: list[str], household: bool, legal_ground: str
    ) -> None:
        """Erasure applies to closed plans too: retention runs on closed plans."""
        self._trigger(
            ctx,
            ev.PersonalDataErased,
            receipt_id=receipt_id,
            member_ids=sorted(member_ids),
            household=household,
            legal_ground=legal_ground,
        )

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

    def _pending_handover(self) -> dict[str, Any]:
        if self.handover is None:
            raise errors.HandoverError("no handover is pending")
        return self.handover

    def _open_goal(self, goal_id: str) -> dict[str, Any]:
        goal = self.goals.get(goal_id)
        if goal is None:
            raise errors.GoalError(f"goal {goal_id} does not exist")
        if goal["status"] != "open":
            raise errors.GoalError(f"goal {goal_id} is closed ({goal['status']})")
        return goal

    def _open_agreement(self, agreement_id: str) -> dict[str, Any]:
        agreement = self.agreements.get(agreement_id)
        if agreement is None:
            raise errors.AgreementError(f"agreement {agreement_id} does not exist")
        if agreement["status"] != "open":
            raise errors.AgreementError(f"agreement {agreement_id} is {agreement['status']}")
        return agreement

    def _check_responsible(self, responsible: OrganisationResponsible | MemberResponsible) -> None:
        if isinstance(responsible, MemberResponsible):
            self._check_member(responsible.member_id)
            return
        if responsible.organisation_id not in self.organisations_on_care_team():
            raise errors.AgreementError(f"organisation {responsible.organisation_id} is not on the care team")
        professional_id = responsible.professional_id
        if professional_id is not None and (
            self.care_team.get(professional_id, {}).get("organisation_id") != responsible.organisation_id
        ):
            raise errors.AgreementError(
                f"professional {professional_id} is not on the care team for {responsible.organisation_id}"
            )
