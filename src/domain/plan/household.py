"""One household, one plan: join requests after a match, a second plan on purpose, merge and split.

The plan commands here keep the promise in the product's name. Finding the match is the
application's (`domain.plan.matching`, `domain.app.households`); what a plan records about it is
here: a professional asks to join the plan that already holds the household, and the regisseur
answers; a plan opened on purpose beside another says why; two plans of one household merge,
proposed by one regisseur and accepted by the other; a household that becomes two splits.
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from eenplan.domain import errors
from eenplan.domain.context import CommandContext, ProfessionalRef
from eenplan.domain.plan import events as ev
from eenplan.domain.plan.proposals import ProposalCommands

# What a merge carries over, in this order: members first, so consents can name them.
CARRIED = ("members", "care_team", "mandates", "goals", "agreements", "consents")


class HouseholdCommands(ProposalCommands):
    # --- a match: asking to join --------------------------------------------------------------

    def request_to_join(self, ctx: CommandContext, requester: ProfessionalRef, reason: str) -> str:
        """Ask the regisseur to let `requester` join; the same request again gives the same id."""
        for proposal_id, proposal in self.proposals.items():
            pending = proposal["status"] == "pending" and proposal["kind"] == "join_request"
            if pending and proposal["professional_id"] == requester.professional_id:
                return proposal_id
        proposal_id = f"join-{uuid4()}"
        self._emit(
            ctx,
            ev.JoinRequested,
            proposal_id=proposal_id,
            professional_id=requester.professional_id,
            organisation_id=requester.organisation_id,
            reason=reason,
        )
        return proposal_id

    def accept_join_request(self, ctx: CommandContext, proposal_id: str) -> None:
        request = self._join_request(proposal_id)
        self._emit(ctx, ev.ProposalAccepted, proposal_id=proposal_id)
        if request["professional_id"] not in self.care_team:
            self._emit(
                ctx,
                ev.CareTeamJoined,
                professional_id=request["professional_id"],
                organisation_id=request["organisation_id"],
                role=request["role"],
            )

    def decline_join_request(self, ctx: CommandContext, proposal_id: str, reason: str) -> None:
        self._join_request(proposal_id)
        self._emit(ctx, ev.ProposalDeclined, proposal_id=proposal_id, reason=reason)

    def _join_request(self, proposal_id: str) -> dict[str, Any]:
        proposal: dict[str, Any] = self._pending(proposal_id)
        if proposal["kind"] != "join_request":
            raise errors.ProposalError(f"{proposal_id} is not a join request")
        return proposal

    # --- a second plan on purpose ------------------------------------------------------------------

    def open_beside(
        self, ctx: CommandContext, reason: str, plan_ids: list[str], member_ids: list[str]
    ) -> None:
        self._emit(
            ctx,
            ev.SecondPlanOpened,
            reason=reason,
            beside_plan_ids=sorted(set(plan_ids)),
            member_ids=sorted(set(member_ids)),
        )

    @property
    def beside_plans(self) -> set[str]:
        """Plans this one was opened beside on purpose: their shared members are no duplicate."""
        return set(self.__dict__.get("beside", []))

    # --- merge ---------------------------------------------------------------------------------------

    def propose_merge(self, ctx: CommandContext, other: HouseholdCommands, into: str, reason: str) -> str:
        """Record on both plans that they should become one; `into` names the plan that stays."""
        if other is self or str(other.id) == str(self.id):  # type: ignore[attr-defined]
            raise errors.MergeError("a plan does not merge with itself")
        ids = {str(self.id), str(other.id)}  # type: ignore[attr-defined]
        if into not in ids:
            raise errors.MergeError("the plan that stays is one of the two plans")
        for plan in (self, other):
            if plan.status != "open":
                raise errors.MergeError(f"plan {plan.id} is closed; only open plans merge")  # type: ignore[attr-defined]
            for proposal in plan.proposals.values():
                if proposal["kind"] == "merge" and proposal["status"] == "pending":
                    raise errors.MergeError(f"plan {plan.id} already has a merge proposal pending")  # type: ignore[attr-defined]
        proposal_id = f"merge-{uuid4()}"
        (from_id,) = ids - {into}
        for plan in (self, other):
            plan._emit(
                ctx,
                ev.MergeProposed,
                proposal_id=proposal_id,
                into_plan_id=into,
                from_plan_id=from_id,
                proposed_on=str(self.id),  # type: ignore[attr-defined]
                reason=reason,
            )
        return proposal_id

    def merge_proposal(self, proposal_id: str) -> dict[str, Any]:
        proposal: dict[str, Any] = self._pending(proposal_id)
        if proposal["kind"] != "merge":
            raise errors.ProposalError(f"{proposal_id} is not a merge proposal")
        return proposal

    def decline_merge(
        self, ctx: CommandContext, other: HouseholdCommands, proposal_id: str, reason: str
    ) -> None:
        for plan in (self, other):
            plan.merge_proposal(proposal_id)
            plan._emit(ctx, ev.ProposalDeclined, proposal_id=proposal_id, reason=reason)

    def accept_merge(
        self, ctx: CommandContext, other: HouseholdCommands, proposal_id: str, same: dict[str, str]
    ) -> None:
        """Carry the other plan's items into the one that stays and close the other as merged.

        `same` maps members of the plan that goes to the members of the plan that stays who are
        the same person (the match): they are not carried twice, and what names them (consents,
        a care team's conference) names the member who stays.
        """
        proposal = self.merge_proposal(proposal_id)
        other.merge_proposal(proposal_id)
        if proposal["proposed_on"] == str(self.id):  # type: ignore[attr-defined]
            raise errors.MergeError(
                "the other plan's regisseur answers a merge proposal; send it to that plan"
            )
        stays, goes = (self, other) if proposal["into_plan_id"] == str(self.id) else (other, self)  # type: ignore[attr-defined]
        for plan in (stays, goes):
            plan._emit(ctx, ev.ProposalAccepted, proposal_id=proposal_id)
        from_id = str(goes.id)  # type: ignore[attr-defined]
        for kind, items in carried(goes, stays, same).items():
            if items:
                stays._emit(ctx, ev.CarriedOver, from_plan_id=from_id, kind=kind, items=items)
        goes._emit(ctx, ev.PlanMerged, into_plan_id=str(stays.id), proposal_id=proposal_id)  # type: ignore[attr-defined]

    # --- split ---------------------------------------------------------------------------------------

    def split_off(
        self,
        ctx: CommandContext,
        new_plan: HouseholdCommands,
        member_ids: list[str],
        goal_ids: list[str],
        agreement_ids: list[str],
        reason: str,
    ) -> None:
        """Move these members, and the goals and agreements that are theirs, to `new_plan`."""
        for member_id in member_ids:
            self._check_member(member_id)
        if not set(self.members) - set(member_ids):
            raise errors.MemberError("a split leaves at least one member in the household")
        unknown = [g for g in goal_ids if g not in self.goals] + [
            a for a in agreement_ids if a not in self.agreements
        ]
        if unknown:
            raise errors.RuleViolationError(f"not goals or agreements of this plan: {', '.join(unknown)}")
        from_id = str(self.id)  # type: ignore[attr-defined]
        moved = {
            "goals": {g: dict(self.goals[g]) for g in goal_ids},
            "agreements": {a: dict(self.agreements[a]) for a in agreement_ids},
        }
        self._emit(
            ctx,
            ev.HouseholdSplit,
            new_plan_id=str(new_plan.id),  # type: ignore[attr-defined]
            member_ids=sorted(member_ids),
            goal_ids=sorted(goal_ids),
            agreement_ids=sorted(agreement_ids),
            reason=reason,
        )
        for kind, items in moved.items():
            if items:
                new_plan._emit(ctx, ev.CarriedOver, from_plan_id=from_id, kind=kind, items=items)


def carried(
    goes: HouseholdCommands, stays: HouseholdCommands, same: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """The items of the plan that goes, as the plan that stays will hold them.

    Ids that clash with the staying plan's get the other plan's id as a suffix; agreements follow
    their goal's new id. Consents keep their organisation, categories and purpose, and concern
    exactly the members they concerned (a consent for "the household" concerned that household's
    members, not the merged one's). The other plan's regisseur joins the care team as a member.
    """
    suffix = str(goes.id)[:8]  # type: ignore[attr-defined]

    def new_key(key: str, taken: dict[str, Any]) -> str:
        return key if key not in taken else f"{key}-{suffix}"

    def member(m: str) -> str:
        return same.get(m, m)

    goal_ids = {g: new_key(g, stays.goals) for g in goes.goals}
    members = {m: dict(v) for m, v in goes.members.items() if m not in same and m not in stays.members}
    care_team = {
        p: {**v, "role": "care_team" if p == goes.regisseur_id else v["role"]}
        for p, v in goes.care_team.items()
        if p not in stays.care_team
    }
    agreements = {}
    for key, agreement in goes.agreements.items():
        moved = dict(agreement)
        if moved.get("goal_id") in goal_ids:
            moved["goal_id"] = goal_ids[moved["goal_id"]]
        agreements[new_key(key, stays.agreements)] = moved
    consents = {}
    for key, consent in goes.consents.items():
        moved = dict(consent)
        moved["concerning"] = sorted({member(m) for m in (consent["concerning"] or goes.members)})
        moved["given_by"] = sorted({member(m) for m in consent["given_by"]})
        consents[new_key(key, stays.consents)] = moved
    return {
        "members": members,
        "care_team": care_team,
        "mandates": {new_key(k, stays.mandates): dict(v) for k, v in goes.mandates.items()},
        "goals": {goal_ids[k]: dict(v) for k, v in goes.goals.items()},
        "agreements": agreements,
        "consents": consents,
    }
