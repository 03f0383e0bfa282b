"""Goals per ZRM life domain, agreements on who does what by when, and risk assessments.

The rules: progress only on open goals, scores 1 to 5; an agreement's
responsible organisation is on the care team, or the responsible party is a
household member; a medium or high risk needs a regisseur.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eenplan.domain import errors
from eenplan.domain.commands import MemberResponsible, OrganisationResponsible
from eenplan.domain.context import CommandContext
from eenplan.domain.plan import events as ev
from eenplan.domain.plan.state import PlanState, new_id
from eenplan.domain.values import LIFE_DOMAIN_CATEGORY, DataCategory, LifeDomain, RiskLevel


class WorkCommands(PlanState):
    organisations_on_care_team: Any  # from CareTeamCommands
    directs: Any  # from ProposalCommands
    proposals: Any  # from ProposalCommands

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
        if agreement_id in self.agreements or agreement_id in self.proposals:
            raise errors.AgreementError(f"agreement {agreement_id} already exists")
        category = self._open_goal(goal_id)["category"] if goal_id else DataCategory.GENERAL.value
        self._check_responsible(responsible)
        directed = isinstance(responsible, MemberResponsible) or self.directs(
            ctx, responsible.organisation_id, responsible.professional_id
        )
        self._emit(
            ctx,
            ev.AgreementMade if directed else ev.AgreementProposed,
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
