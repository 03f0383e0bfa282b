"""Plan commands of the eenplan application: load, authorise, decide, save.

A conflict with another writer raises `Conflict`; the `plan_writes` port decides whether
to try again (the store adapter serialises a plan's writers and retries).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Recording

from eenplan.domain import commands as c
from eenplan.domain import errors
from eenplan.domain.app.area import Area
from eenplan.domain.app.directory import Directory
from eenplan.domain.app.households import Households, Touched
from eenplan.domain.app.ports import Conflict, Ports
from eenplan.domain.app.repository import OwningRepository
from eenplan.domain.app.scan import LogScans
from eenplan.domain.audit import replay as audit_replay
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan.events import Opened
from eenplan.domain.plan.matching import Match
from eenplan.domain.plan.registry import MemberRegistration
from eenplan.domain.values import Role

# What an If-Match allows: one version, any of a set of versions (none, if empty), or (None) any.
Expected = int | Set[int] | None


@dataclass(frozen=True)
class Outcome:
    """What a command did: the plan's new version, the last position, the events."""

    plan_id: str
    version: int
    position: int | None
    events: list[dict[str, Any]]
    member_ids: list[str] = field(default_factory=list)
    # Whose data it processed: the plan's tenant and its members after the command, so that the
    # processing log need not load the plan again.
    tenant: str = ""
    subjects: list[str] = field(default_factory=list)


# The commands that write to a plan besides their own (see `Plans.other_plans_touched`).
OTHER_PLAN_COMMANDS = frozenset({"propose_merge", "accept_merge", "decline_merge", "split_household"})


class Matched(Exception):
    """A change would give a person a second open plan; raised inside an attempt, answered outside
    it (the answer may record a join request on the other plan, which takes that plan's turn)."""

    def __init__(self, matches: list[Match]) -> None:
        super().__init__(f"{len(matches)} match(es)")
        self.matches = matches


class Plans(Area):
    """Household plans: open, read in the caller's tenant, and change by command."""

    def __init__(
        self,
        store: Application[UUID],
        directory: Directory,
        scans: LogScans,
        ports: Ports,
        households: Households,
    ) -> None:
        super().__init__(store, directory, scans, ports)
        self.households = households  # one household, one plan: the index changes with the plans
        if not isinstance(store.repository, OwningRepository):
            raise TypeError("plan commands take their plan from an OwningRepository (Eenplan's)")
        self.owning = store.repository

    # --- queries -----------------------------------------------------------------------

    def plan(self, actor: Actor, plan_id: str | UUID, version: int | None = None) -> HouseholdPlan:
        """The plan in the caller's tenant; outside it the plan does not exist."""
        try:
            plan: HouseholdPlan = self.repository.get(_uuid(plan_id), version=version)
        except AggregateNotFoundError:
            raise errors.PlanNotFoundError(plan_id) from None
        if not isinstance(plan, HouseholdPlan) or not actor.serves(plan.tenant):
            raise errors.PlanNotFoundError(plan_id)
        return plan

    @contextmanager
    def _taken(self, actor: Actor, plan_id: str | UUID) -> Iterator[HouseholdPlan]:
        """The cached plan itself, not a copy, for one command attempt to change (see `repository`).

        It goes back to the cache when the attempt saved it, or failed before changing it; a plan
        changed and not saved (a rule broken mid-batch, a conflict, a store outage) is left out,
        and the next load comes from the store.
        """
        try:
            plan = self.owning.take(_uuid(plan_id))
        except AggregateNotFoundError:
            raise errors.PlanNotFoundError(plan_id) from None
        if not isinstance(plan, HouseholdPlan) or not actor.serves(plan.tenant):
            self.owning.give_back(plan)
            raise errors.PlanNotFoundError(plan_id)
        taken_at = plan.version
        saved = False
        try:
            yield plan
            saved = True
        finally:
            if saved or plan.version == taken_at:
                self.owning.give_back(plan)

    def plan_events(
        self,
        actor: Actor,
        plan_id: str | UUID,
        *,
        until: datetime | None = None,
        version: int | None = None,
    ) -> list[Any]:
        """The plan's events in order, up to a moment or a version."""
        if until is not None:
            at = self.version_at(actor, plan_id, until)
            version = at if version is None else min(version, at)
        else:
            self.plan(actor, plan_id)
        return list(self.repository.event_store.get(_uuid(plan_id), lte=version))

    def version_at(self, actor: Actor, plan_id: str | UUID, moment: datetime) -> int:
        """The version of the last event at or before `moment`; before the plan existed, 404."""
        self._check_tenant(actor, plan_id)
        version = audit_replay.version_at(self.repository.event_store, _uuid(plan_id), moment)
        if version is None:
            raise errors.PlanNotFoundError(f"{plan_id} at {moment.isoformat()}")
        return version

    def _check_tenant(self, actor: Actor, plan_id: str | UUID) -> None:
        """As `plan()` checks, from the first event alone: a plan's tenant is fixed when it opens."""
        first = next(iter(self.repository.event_store.get(_uuid(plan_id), lte=1)), None)
        if not isinstance(first, Opened) or not actor.serves(first.tenant):
            raise errors.PlanNotFoundError(plan_id)

    def relation(self, actor: Actor, plan: HouseholdPlan, today: Any) -> str | None:
        return plan.relation_of(actor, today, team_lead=self.leads_team(actor, plan))

    def leads_team(self, actor: Actor, plan: HouseholdPlan) -> bool:
        if not actor.has_role(Role.TEAM_LEAD):
            return False
        try:
            return plan.team_id in self.directory.current_team_ids(
                self.directory.professional(actor.professional_id).team_ids
            )
        except errors.UnknownReferenceError:
            return False

    # --- commands ----------------------------------------------------------------------

    def open_plan(
        self,
        ctx: CommandContext,
        cmd: c.OpenPlan,
        help_request_id: str | None = None,
        also: Callable[[HouseholdPlan], list[Any]] | None = None,
    ) -> Outcome:
        """Open a plan, unless the household already has one (HouseholdHasPlanError, 409).

        `also` returns aggregates to save with it, atomically (a concluded request); when one of
        those changed meanwhile this raises `Conflict`, for the caller's attempt to retry.
        """
        try:
            if also is not None:
                return self._open(ctx, cmd, help_request_id, also)
            # Another writer who claimed the same person first: look again, and find them.
            return self.ports.writes.run(f"open:{cmd.tenant}", lambda: self._open(ctx, cmd, None, None))
        except Matched as matched:
            raise self._answer_match(ctx, matched.matches) from None

    def _open(
        self,
        ctx: CommandContext,
        cmd: c.OpenPlan,
        help_request_id: str | None,
        also: Callable[[HouseholdPlan], list[Any]] | None,
    ) -> Outcome:
        actor = ctx.actor
        if not actor.serves(cmd.tenant):
            raise errors.NotAllowedError(f"the caller does not serve tenant {cmd.tenant}")
        team = self.directory.team(cmd.team_id)
        if team.tenant != cmd.tenant:
            # Said as for an unknown team: other tenants' directories are not the caller's to probe.
            raise errors.UnknownReferenceError(f"unknown team {cmd.team_id}")
        plan = HouseholdPlan.open(ctx, cmd, help_request_id)
        joiners = [actor.professional_id] if not actor.has_role(Role.PARTNER_SYSTEM) else []
        regisseur_id = cmd.regisseur_id or (joiners[0] if joiners else None)
        if regisseur_id and regisseur_id not in joiners:
            joiners.append(regisseur_id)
        for professional_id in joiners:
            ref = self.directory.professional_ref(professional_id, cmd.tenant)
            plan.join_care_team(ctx, ref, "regisseur" if professional_id == regisseur_id else "opener")
        if regisseur_id:
            plan.assign_regisseur(ctx, regisseur_id)
        if cmd.risk_level is not None:
            plan.assess_risk(ctx, cmd.risk_level, None, "risk level given when the plan was opened")
        if cmd.second_plan is not None:
            self._open_beside(ctx, plan, cmd.second_plan.reason)
        indexes, matches = self.households.changes([Touched(plan)])
        if matches:
            raise Matched(matches)
        registrations = [
            MemberRegistration(tenant=cmd.tenant, member_id=m, plan_id=str(plan.id)) for m in plan.members
        ]
        recordings = self._save_new(plan, [*registrations, *indexes, *(also(plan) if also else [])])
        return _outcome(plan, recordings, member_ids=list(plan.members))

    def _open_beside(self, ctx: CommandContext, plan: HouseholdPlan, reason: str) -> None:
        """A second plan on purpose: allowed by the write policy on each plan it is opened beside."""
        matches = self.households.matches_for(plan)
        if not matches:
            return  # nothing to open beside: an ordinary plan
        for plan_id in sorted({m.plan_id for m in matches}):
            beside: HouseholdPlan = self.repository.get(UUID(plan_id))
            self._authorise(beside, ctx, SimpleNamespace(type="open_second_plan"))
        plan.open_beside(ctx, reason, [m.plan_id for m in matches], [m.asked_for for m in matches])

    def _answer_match(self, ctx: CommandContext, matches: list[Match]) -> errors.HouseholdHasPlanError:
        """What the caller learns of the plan that already holds the household, the Verwijsindex way.

        Who may see that plan gets its id. Who may not learns that it exists, who its regisseur is
        and for which organisation, and the id of the join request made to that regisseur.
        """
        match = matches[0]
        plan: HouseholdPlan = self.repository.get(UUID(match.plan_id))
        regisseur = plan.care_team.get(plan.regisseur_id or "", {})
        facts: dict[str, Any] = {
            "match": match.strength,
            "regisseur": {
                "professional_id": plan.regisseur_id,
                "organisation_id": regisseur.get("organisation_id"),
            },
        }
        policy = self.ports.write_policy
        if policy is not None and policy.may_see(ctx.actor, plan):
            facts["plan_id"] = match.plan_id
            detail = f"the household already has an open plan, {match.plan_id}; work on there"
        else:
            join_request = self._ask_to_join(ctx, match.plan_id)
            if join_request is not None:
                facts["join_request_id"] = join_request
            detail = (
                "the household already has an open plan in this tenant; its regisseur has been asked "
                "to let you join its care team"
                if join_request
                else "the household already has an open plan in this tenant; ask its regisseur"
            )
        error = errors.HouseholdHasPlanError(detail, **facts)
        error.concerned = (
            plan.tenant,
            match.plan_id,
            sorted({m.member_id for m in matches if m.plan_id == match.plan_id}),
        )
        return error

    def _ask_to_join(self, ctx: CommandContext, plan_id: str) -> str | None:
        """Record the caller's request to join the plan's care team; None for a caller without a
        professional (a partner system acting for nobody) or one the directory does not know."""
        try:
            requester = self.directory.professional_ref(ctx.actor.professional_id)
        except errors.UnknownReferenceError:
            return None

        def attempt() -> str:
            plan: HouseholdPlan = self.repository.get(UUID(plan_id))
            if requester.professional_id in plan.care_team:
                return ""
            proposal_id = plan.request_to_join(ctx, requester, "household-has-plan")
            try:
                self.store.save(plan)
            except IntegrityError:
                raise Conflict(f"plan {plan_id} kept changing; try again") from None
            return proposal_id

        return self.ports.plan_writes.run(f"plan:{plan_id}", attempt) or None

    def execute(
        self, ctx: CommandContext, plan_id: str | UUID, cmd: Any, if_match: Expected = None
    ) -> Outcome:
        """Run one command against the plan; reload and retry when another writer won.

        `if_match`: the version the plan must be at, or the versions it may be at (an empty set
        matches none); None: any.
        """
        return self.execute_batch(ctx, plan_id, [cmd], if_match, numbered=False)

    def execute_batch(
        self,
        ctx: CommandContext,
        plan_id: str | UUID,
        cmds: list[Any],
        if_match: Expected = None,
        *,
        numbered: bool = True,
    ) -> Outcome:
        """Run commands in order on one loaded plan and save them in one go: all or nothing.

        A failing command's error carries its `index` (when `numbered`), and nothing is saved.
        """
        expected = {if_match} if isinstance(if_match, int) else if_match

        def attempt() -> Outcome:
            with self._taken(ctx.actor, plan_id) as plan:
                # Who may not see the plan learns nothing from its version: judge them first.
                self._decide_all(plan, ctx, cmds[:1], numbered=False, authorise_only=True)
                if expected is not None and plan.version not in expected:
                    raise errors.VersionMismatchError(expected, plan.version)
                before = self.households.touched(plan)
                others = self._decide_all(plan, ctx, cmds, numbered)
                touched = [before, *(o for o in others if isinstance(o, Touched))]
                indexes, matches = self.households.changes(touched)
                if matches:
                    raise Matched(matches)
                saved = [o.plan if isinstance(o, Touched) else o for o in others]
                try:
                    recordings = self.store.save(plan, *saved, *indexes)
                except IntegrityError:
                    self._raise_if_member_taken(saved)
                    if expected is not None:
                        raise errors.VersionMismatchError(expected, plan.version) from None
                    raise Conflict(f"plan {plan_id} kept changing; try again") from None
                return _outcome(plan, recordings)

        try:
            return self.ports.plan_writes.run(f"plan:{_uuid(plan_id)}", attempt)
        except Matched as matched:
            raise self._answer_match(ctx, matched.matches) from None

    def other_plans_touched(self, plan_id: str | UUID, cmds: list[Any]) -> list[str]:
        """The other plans these commands (now done) wrote to: a merge's other plan, a split's new
        one; their members' data was processed too, so the processing log names them."""
        if not any(cmd.type in OTHER_PLAN_COMMANDS for cmd in cmds):
            return []  # the common case: no need to load the plan
        plan: HouseholdPlan = self.repository.get(_uuid(plan_id))
        found: list[str] = []
        for cmd in cmds:
            if cmd.type == "propose_merge":
                found.append(str(cmd.other_plan_id))
            elif cmd.type in ("accept_merge", "decline_merge"):
                proposal = plan.proposals.get(cmd.proposal_id, {})
                found += [p for p in (proposal.get("into_plan_id"), proposal.get("from_plan_id")) if p]
            elif cmd.type == "split_household":
                found += list(plan.__dict__.get("split_into", []))[-1:]
        return [p for p in dict.fromkeys(found) if p != str(plan.id)]

    def working_plan(self, actor: Actor, plan_id: str | UUID, today: Any) -> HouseholdPlan:
        """The plan, for a caller who works on it (regisseur, care team, mandate, team lead); else 404.

        For what is done about a plan outside its own commands, such as a referral to an activity.
        """
        plan = self.plan(actor, plan_id)
        if self.relation(actor, plan, today) is None:
            if actor.has_role(Role.AUDITOR) or actor.has_role(Role.ADMIN):
                raise errors.NotAllowedError("auditors and administrators do not change plans")
            raise errors.PlanNotFoundError(plan_id)
        return plan

    def _save_new(self, plan: HouseholdPlan, others: list[Any]) -> list[Recording[UUID]]:
        try:
            recordings: list[Recording[UUID]] = self.store.save(plan, *others)
        except IntegrityError:
            self._raise_if_member_taken([o for o in others if isinstance(o, MemberRegistration)])
            raise Conflict("what the plan was opened with changed meanwhile; try again") from None
        return recordings

    def _raise_if_member_taken(self, saved: list[Any]) -> None:
        for registration in saved:
            new = isinstance(registration, MemberRegistration) and registration.version == 1
            if new and registration.id in self.repository:
                # Said without where it is used: another plan's members are not the caller's to probe.
                raise errors.AlreadyExistsError(
                    f"member id {registration.member_id} is not available; choose another, or leave "
                    "member_id out and the server picks one"
                ) from None

    def _decide_all(
        self,
        plan: HouseholdPlan,
        ctx: CommandContext,
        cmds: list[Any],
        numbered: bool,
        authorise_only: bool = False,
    ) -> list[Any]:
        """Authorise and decide each command; what else to save with the plan (registrations,
        other plans a merge or split touches, as `Touched` when their members change)."""
        others: list[Any] = []
        for index, cmd in enumerate(cmds):
            try:
                if authorise_only:
                    self._authorise(plan, ctx, cmd)
                else:
                    others += self._decide(plan, ctx, cmd)
            except errors.DomainError as error:
                # A plan the caller may not see answers as a missing one: no place in the batch.
                if numbered and not isinstance(error, errors.NotFoundError):
                    error.index = index
                raise
        return others

    def _decide(self, plan: HouseholdPlan, ctx: CommandContext, cmd: Any) -> list[Any]:
        """Authorise, then apply the command to the plan; returns what else to save with it."""
        self._authorise(plan, ctx, cmd)
        handler = getattr(self, f"_{cmd.type}")
        result: list[Any] | None = handler(plan, ctx, cmd)
        return result or []

    def _authorise(self, plan: HouseholdPlan, ctx: CommandContext, cmd: Any) -> None:
        policy = self.ports.write_policy
        if policy is None:
            raise errors.NotAllowedError("no write policy is configured: plan commands are refused")
        policy.authorise(ctx, plan, cmd, self.leads_team(ctx.actor, plan))

    # One method per command ------------------------------------------------------------

    def _add_member(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.AddMember) -> list[Any]:
        before = set(plan.members)
        plan.add_member(ctx, cmd.member)
        (member_id,) = set(plan.members) - before
        return [MemberRegistration(tenant=plan.tenant, member_id=member_id, plan_id=str(plan.id))]

    def _remove_member(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.RemoveMember) -> None:
        plan.remove_member(ctx, cmd.member_id, cmd.reason)

    def _correct_member(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.CorrectMember) -> None:
        corrections = cmd.model_dump(
            mode="json", exclude_none=True, exclude={"type", "command_id", "member_id", "reason"}
        )
        plan.correct_member(ctx, cmd.member_id, corrections, cmd.reason)

    def _change_address(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.ChangeAddress) -> None:
        plan.change_address(ctx, cmd.address)

    def _assign_regisseur(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.AssignRegisseur) -> None:
        self.directory.professional_ref(cmd.professional_id, plan.tenant)
        plan.assign_regisseur(ctx, cmd.professional_id)

    def _propose_handover(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.ProposeHandover) -> None:
        self.directory.professional_ref(cmd.to_professional_id, plan.tenant)
        plan.propose_handover(ctx, cmd.to_professional_id, cmd.note, self.leads_team(ctx.actor, plan))

    def _accept_handover(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.AcceptHandover) -> None:
        plan.accept_handover(ctx)

    def _decline_handover(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.DeclineHandover) -> None:
        plan.decline_handover(ctx, cmd.reason, self.leads_team(ctx.actor, plan))

    def _join_care_team(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.JoinCareTeam) -> None:
        plan.join_or_propose(ctx, self.directory.professional_ref(cmd.professional_id, plan.tenant), cmd.role)

    def _accept_proposal(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.AcceptProposal) -> None:
        plan.accept_proposal(ctx, cmd.proposal_id)

    def _decline_proposal(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.DeclineProposal) -> None:
        plan.decline_proposal(ctx, cmd.proposal_id, cmd.reason)

    def _accept_join_request(
        self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.AcceptJoinRequest
    ) -> None:
        plan.accept_join_request(ctx, cmd.proposal_id)

    def _decline_join_request(
        self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.DeclineJoinRequest
    ) -> None:
        plan.decline_join_request(ctx, cmd.proposal_id, cmd.reason)

    def _propose_merge(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.ProposeMerge) -> list[Any]:
        other = self._other_plan(plan, cmd.other_plan_id)
        if not self.households.shared_people(plan, other):
            raise errors.MergeError("the two plans share no member: they are not one household")
        into = str(plan.id) if cmd.into == "this" else str(other.id)
        plan.propose_merge(ctx, other, into, cmd.reason)
        return [other]

    def _accept_merge(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.AcceptMerge) -> list[Any]:
        proposal = plan.merge_proposal(cmd.proposal_id)
        other_id = (
            proposal["from_plan_id"] if proposal["into_plan_id"] == str(plan.id) else proposal["into_plan_id"]
        )
        other = self._other_plan(plan, other_id)
        before = self.households.touched(other)
        stays, goes = (plan, other) if proposal["into_plan_id"] == str(plan.id) else (other, plan)
        same = self.households.shared_people(goes, stays)
        plan.accept_merge(ctx, other, cmd.proposal_id, same)
        carried = [m for m in goes.members if m not in same and m in stays.members]
        return [before, *self._move_registrations(stays, carried)]

    def _decline_merge(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.DeclineMerge) -> list[Any]:
        proposal = plan.merge_proposal(cmd.proposal_id)
        other_id = (
            proposal["from_plan_id"] if proposal["into_plan_id"] == str(plan.id) else proposal["into_plan_id"]
        )
        other = self._other_plan(plan, other_id)
        plan.decline_merge(ctx, other, cmd.proposal_id, cmd.reason)
        return [other]

    def _split_household(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.SplitHousehold) -> list[Any]:
        team_id = cmd.team_id or plan.team_id
        if self.directory.team(team_id).tenant != plan.tenant:
            raise errors.UnknownReferenceError(f"unknown team {team_id}")
        regisseur = self.directory.professional_ref(
            cmd.regisseur_id or ctx.actor.professional_id, plan.tenant
        )
        new_plan = HouseholdPlan.split_from(ctx, plan, cmd.member_ids, team_id, cmd.address, cmd.reason)
        new_plan.join_care_team(ctx, regisseur, "regisseur")
        new_plan.assign_regisseur(ctx, regisseur.professional_id)
        plan.split_off(ctx, new_plan, cmd.member_ids, cmd.goal_ids, cmd.agreement_ids, cmd.reason)
        return [Touched(new_plan), *self._move_registrations(new_plan, cmd.member_ids)]

    def _other_plan(self, plan: HouseholdPlan, other_id: str) -> HouseholdPlan:
        """The other plan of a merge, in the same tenant; said as unknown otherwise."""
        try:
            other: object = self.repository.get(_uuid(other_id))
        except AggregateNotFoundError:
            raise errors.MergeError(f"no open plan {other_id} in this tenant") from None
        if not isinstance(other, HouseholdPlan) or other.tenant != plan.tenant or other.id == plan.id:
            raise errors.MergeError(f"no open plan {other_id} in this tenant")
        return other

    def _move_registrations(self, plan: HouseholdPlan, member_ids: list[str]) -> list[MemberRegistration]:
        """Members who now live in `plan`: `/subjects/{member_id}` finds them there."""
        moved = []
        for member_id in member_ids:
            try:
                registration: MemberRegistration = self.repository.get(
                    MemberRegistration.create_id(plan.tenant, member_id)
                )
            except AggregateNotFoundError:
                continue
            registration.move(str(plan.id))
            moved.append(registration)
        return moved

    def _leave_care_team(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.LeaveCareTeam) -> None:
        plan.leave_care_team(ctx, cmd.professional_id, cmd.reason)

    def _grant_mandate(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.GrantMandate) -> None:
        self.directory.organisation_in(cmd.organisation_id, plan.tenant)
        if cmd.scope != "all":
            for professional_id in cmd.scope:
                if (
                    self.directory.professional_ref(professional_id, plan.tenant).organisation_id
                    != cmd.organisation_id
                ):
                    raise errors.MandateError(
                        f"professional {professional_id} does not work for {cmd.organisation_id}"
                    )
        plan.grant_mandate(ctx, cmd.organisation_id, cmd.scope, cmd.valid_until)

    def _revoke_mandate(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.RevokeMandate) -> None:
        plan.revoke_mandate(ctx, cmd.mandate_id, cmd.reason)

    def _set_goal(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.SetGoal) -> None:
        plan.set_goal(ctx, cmd.goal_id, cmd.life_domain, cmd.description, cmd.target_date)

    def _record_progress(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.RecordProgress) -> None:
        plan.record_progress(ctx, cmd.goal_id, cmd.score, cmd.note)

    def _close_goal(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.CloseGoal) -> None:
        plan.close_goal(ctx, cmd.goal_id, cmd.outcome, cmd.note)

    def _make_agreement(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.MakeAgreement) -> None:
        if isinstance(cmd.responsible, c.OrganisationResponsible):
            self.directory.organisation_in(cmd.responsible.organisation_id, plan.tenant)
        plan.make_agreement(ctx, cmd.agreement_id, cmd.goal_id, cmd.responsible, cmd.action, cmd.due_date)

    def _complete_agreement(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.CompleteAgreement) -> None:
        plan.complete_agreement(ctx, cmd.agreement_id, cmd.note)

    def _revise_agreement(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.ReviseAgreement) -> None:
        plan.revise_agreement(ctx, cmd.agreement_id, cmd.action, cmd.due_date, cmd.reason)

    def _cancel_agreement(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.CancelAgreement) -> None:
        plan.cancel_agreement(ctx, cmd.agreement_id, cmd.reason)

    def _assess_risk(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.AssessRisk) -> None:
        plan.assess_risk(ctx, cmd.level, cmd.instrument, cmd.rationale)

    def _record_consent(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.RecordConsent) -> None:
        self.directory.organisation_in(cmd.organisation_id, plan.tenant)
        plan.record_consent(
            ctx,
            cmd.organisation_id,
            list(cmd.categories),
            cmd.purpose,
            cmd.given_by,
            cmd.concerning,
            cmd.valid_until,
        )

    def _withdraw_consent(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.WithdrawConsent) -> None:
        plan.withdraw_consent(ctx, cmd.consent_id)

    def _add_note(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.AddNote) -> None:
        plan.add_note(ctx, cmd.category, cmd.text)

    def _hold_case_conference(
        self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.HoldCaseConference
    ) -> None:
        plan.hold_case_conference(ctx, cmd.held_on, cmd.attendees, cmd.decisions)

    def _close_plan(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.ClosePlan) -> None:
        plan.close_plan(ctx, cmd.reason)

    def _reopen_plan(self, plan: HouseholdPlan, ctx: CommandContext, cmd: c.ReopenPlan) -> None:
        plan.reopen_plan(ctx, cmd.reason)


def _uuid(plan_id: str | UUID) -> UUID:
    if isinstance(plan_id, UUID):
        return plan_id
    try:
        return UUID(plan_id)
    except ValueError:
        raise errors.PlanNotFoundError(plan_id) from None


def _outcome(
    plan: HouseholdPlan, recordings: list[Recording[UUID]], member_ids: list[str] | None = None
) -> Outcome:
    plan_events = [r for r in recordings if r.domain_event.originator_id == plan.id]
    return Outcome(
        plan_id=str(plan.id),
        version=plan.version,
        position=max((r.notification.id for r in recordings), default=None),
        events=[
            {"type": type(r.domain_event).__name__, "version": r.domain_event.originator_version}
            for r in plan_events
        ],
        member_ids=member_ids or [],
        tenant=plan.tenant,
        subjects=list(plan.members),
    )
