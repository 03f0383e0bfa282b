"""Directing another organisation's workers: at once under a mandate, otherwise a proposal.

Seed 001: the organisations give the team the mandate over their workers in a household. So
the regisseur (or a team lead) puts a worker of their own organisation on the care team, or
gives them an agreement, at once; a worker of another organisation only under an active
mandate of that organisation that covers them (its scope and validity). Without one, the same
command records a proposal, which the worker or their organisation accepts or declines. A
revoked or expired mandate stops covering, so later directions become proposals again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eenplan.domain import errors
from eenplan.domain.context import CommandContext, ProfessionalRef
from eenplan.domain.plan import events as ev
from eenplan.domain.plan.state import PlanState


class ProposalCommands(PlanState):
    join_care_team: Any  # from CareTeamCommands

    @property
    def proposals(self) -> dict[str, dict[str, Any]]:
        """Proposals by id; plans from before proposals existed start with none.

        Read only: reading leaves the plan as it was (the events add the dict when they need it),
        so a plan a command read and did not change still equals the plan as stored.
        """
        found: dict[str, dict[str, Any]] = self.__dict__.get("proposals", {})
        return found

    def directs(self, ctx: CommandContext, organisation_id: str, professional_id: str | None) -> bool:
        """May the caller direct this organisation's worker (or the organisation) at once?"""
        if organisation_id == ctx.actor.org:
            return True
        return any(_covers(m, organisation_id, professional_id, ctx.today) for m in self.mandates.values())

    def join_or_propose(self, ctx: CommandContext, professional: ProfessionalRef, role: str) -> None:
        """Join at once when the caller directs this worker; otherwise ask them (or their organisation)."""
        if self.directs(ctx, professional.organisation_id, professional.professional_id):
            self.join_care_team(ctx, professional, role)
        else:
            self.propose_care_team(ctx, professional, role)

    def propose_care_team(self, ctx: CommandContext, professional: ProfessionalRef, role: str) -> str:
        if professional.professional_id in self.care_team:
            raise errors.NotOnCareTeamError(
                f"professional {professional.professional_id} is already on the care team"
            )
        # Predictable, so the worker (or their system) can answer without reading the plan first.
        proposal_id = care_team_proposal_id(professional.professional_id)
        if self.pending_proposal(proposal_id):
            raise errors.ProposalError(
                f"professional {professional.professional_id} was already asked to join"
            )
        self._emit(
            ctx,
            ev.CareTeamProposed,
            proposal_id=proposal_id,
            professional_id=professional.professional_id,
            organisation_id=professional.organisation_id,
            role=role,
        )
        return proposal_id

    def accept_proposal(self, ctx: CommandContext, proposal_id: str) -> None:
        proposal = dict(self._answerable(proposal_id))  # a copy: accepting moves the agreement out of it
        if proposal["kind"] == "care_team" and proposal["professional_id"] in self.care_team:
            raise errors.NotOnCareTeamError(f"professional {proposal['professional_id']} already joined")
        self._emit(ctx, ev.ProposalAccepted, proposal_id=proposal_id)
        if proposal["kind"] == "care_team":
            self._emit(
                ctx,
                ev.CareTeamJoined,
                professional_id=proposal["professional_id"],
                organisation_id=proposal["organisation_id"],
                role=proposal["role"],
            )
        else:
            agreement = dict(proposal["agreement"])
            self._emit(ctx, ev.AgreementMade, agreement_id=proposal_id, **agreement)

    def decline_proposal(self, ctx: CommandContext, proposal_id: str, reason: str) -> None:
        self._answerable(proposal_id)
        self._emit(ctx, ev.ProposalDeclined, proposal_id=proposal_id, reason=reason)

    def pending_proposal(self, proposal_id: str) -> dict[str, Any] | None:
        proposal = self.proposals.get(proposal_id)
        return proposal if proposal and proposal["status"] == "pending" else None

    def _answerable(self, proposal_id: str) -> dict[str, Any]:
        """A pending proposal to a worker or their organisation (joining, an agreement)."""
        proposal = self._pending(proposal_id)
        if proposal["kind"] == "join_request":
            raise errors.ProposalError(f"{proposal_id} is a join request: the regisseur answers it")
        if proposal["kind"] == "merge":
            raise errors.ProposalError(f"{proposal_id} is a merge proposal: the other regisseur answers it")
        return proposal

    def _pending(self, proposal_id: str) -> dict[str, Any]:
        proposal = self.pending_proposal(proposal_id)
        if proposal is None:
            raise errors.ProposalError(f"no pending proposal {proposal_id}")
        return proposal


def care_team_proposal_id(professional_id: str) -> str:
    """The id of the proposal that asks this professional to join: `careteam-<professional id>`."""
    return f"careteam-{professional_id}"


def _covers(mandate: dict[str, Any], organisation_id: str, professional_id: str | None, today: date) -> bool:
    if mandate["status"] != "active" or mandate["organisation_id"] != organisation_id:
        return False
    if mandate["valid_until"] and date.fromisoformat(mandate["valid_until"]) < today:
        return False
    # An agreement with the organisation itself needs a mandate over all its workers.
    return mandate["scope"] == "all" or (professional_id is not None and professional_id in mandate["scope"])
