"""The care team and its regisseur: who works on the plan, handovers, and mandates.

The rules: exactly one regisseur once assigned; a handover is proposed by the
regisseur (or a team lead) and accepted by the proposed professional, who is on
the care team; an organisation on the care team grants a mandate over its own
workers, and only it revokes it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eenplan.domain import errors
from eenplan.domain.context import Actor, CommandContext, ProfessionalRef
from eenplan.domain.plan import events as ev
from eenplan.domain.plan.state import PlanState, new_id

REGISSEUR, CARE_TEAM, MANDATE, TEAM_LEAD = "regisseur", "care_team", "mandate", "team_lead"


class CareTeamCommands(PlanState):
    # --- relations -------------------------------------------------------------------

    def relation_of(self, actor: Actor, today: date, team_lead: bool = False) -> str | None:
        """The caller's closest working relation to this plan, or None."""
        person = actor.professional_id
        # On the team for this organisation: one who moved on no longer acts for the plan.
        on_team = person in self.care_team and self.care_team[person]["organisation_id"] == actor.org
        if on_team and person == self.regisseur_id:
            return REGISSEUR
        if on_team:
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

    def _pending_handover(self) -> dict[str, Any]:
        if self.handover is None:
            raise errors.HandoverError("no handover is pending")
        return self.handover
