"""Intake commands of the eenplan application: help requests, triage, allocation, the welfare offer.

Signals and team reorganisations have rooms of their own (signals.py, reorganise.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain.app.area import Area
from eenplan.domain.app.directory import Directory
from eenplan.domain.app.plans import Plans
from eenplan.domain.app.ports import Conflict, Ports
from eenplan.domain.app.scan import LogScans
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.intake import allocation
from eenplan.domain.intake import commands as ic
from eenplan.domain.intake.activity import Activity
from eenplan.domain.intake.request import HelpRequest


@dataclass(frozen=True)
class TriageOutcome:
    request_id: str
    version: int
    status: str
    position: int | None
    plan_id: str | None = None
    # The request's tenant: the processing-log line names it, without loading the request again.
    tenant: str = ""


@dataclass(frozen=True)
class Ranking:
    """A help request's candidates, best first, and the request's tenant."""

    tenant: str
    candidates: list[allocation.Candidate]


class Intake(Area):
    """Help requests from first question to plan, allocation, and the welfare offer."""

    def __init__(
        self, store: Application[UUID], directory: Directory, scans: LogScans, ports: Ports, plans: Plans
    ) -> None:
        super().__init__(store, directory, scans, ports)
        self.plans = plans  # a request concluded by opening a plan

    def loads(self, tenant: str) -> dict[str, int]:
        return (self.ports.regisseur_load or self.scans.regisseur_load_from_log)(tenant)

    # --- help requests ----------------------------------------------------------------

    def submit_help_request(self, ctx: CommandContext, cmd: ic.SubmitHelpRequest) -> TriageOutcome:
        if not ctx.actor.serves(cmd.tenant):
            raise errors.NotAllowedError(f"the caller does not serve tenant {cmd.tenant}")
        request = HelpRequest.submit(ctx, cmd)
        recordings = self.store.save(request)
        return _outcome(request, recordings)

    def help_request(self, actor: Actor, request_id: str | UUID) -> HelpRequest:
        try:
            request: object = self.repository.get(_uuid(request_id))
        except AggregateNotFoundError:
            raise errors.HelpRequestNotFoundError(request_id) from None
        if not isinstance(request, HelpRequest) or not request.visible_to(
            actor, self.directory.teams_of(actor)
        ):
            raise errors.HelpRequestNotFoundError(request_id)
        return request

    def help_request_record(self, request_id: str | UUID) -> HelpRequest | None:
        """The request as held, without a caller's need to know: for the data subject's rights
        (export, erasure), which the privacy officer's role authorises. None: no such request."""
        try:
            request: object = self.repository.get(_uuid(request_id))
        except (AggregateNotFoundError, errors.HelpRequestNotFoundError):
            return None
        return request if isinstance(request, HelpRequest) else None

    def referrals_of(self, *source_ids: str) -> list[dict[str, Any]]:
        """Referrals to the welfare offer recorded for these plans or help requests, oldest first."""
        wanted = set(source_ids)
        found = []
        for event in self.scans.scan(Activity.ReferralRecorded):  # type: ignore[attr-defined]
            if event.source_id in wanted:
                activity: Activity = self.repository.get(event.originator_id)
                found.append(
                    {
                        "activity_id": activity.key,
                        "activity_name": activity.name,
                        "source": event.source,
                        "source_id": event.source_id,
                        "at": event.timestamp.isoformat(),
                    }
                )
        return found

    def candidates(self, actor: Actor, request_id: str) -> list[allocation.Candidate]:
        """Professionals of all the tenant's teams, best first, with the parts of their score."""
        return self.ranking(actor, request_id).candidates

    def ranking(self, actor: Actor, request_id: str) -> Ranking:
        """The candidates, with the request's tenant, from one load of the request."""
        request = self.help_request(actor, request_id)
        teams = self.active_teams(request.tenant)
        requests = self.scans.request_facts(request.tenant)
        now = datetime.now(UTC)
        waiting = {t.key: allocation.team_waiting_days(requests, t.key, now) for t in teams}
        area = (request.area or "").casefold()
        near = {t.key for t in teams if area and area in {a.casefold() for a in t.areas}}
        candidacies = []
        for p in self.directory.list_entries("professional"):
            if p.left:
                continue  # no longer works here: not a candidate for new work
            works_in = tuple(sorted(self.directory.current_team_ids(p.team_ids) & set(waiting)))
            if works_in:
                candidacies.append(allocation.Candidacy(p.key, works_in, frozenset(p.expertise), p.capacity))
        ranked = allocation.rank(request.topics, candidacies, self.loads(request.tenant), waiting, near)
        return Ranking(request.tenant, ranked)

    def active_teams(self, tenant: str) -> list[Any]:
        return [t for t in self.directory.list_entries("team") if t.tenant == tenant and not t.dissolved_into]

    def triage(self, ctx: CommandContext, request_id: str, cmd: Any) -> TriageOutcome:
        if isinstance(cmd, ic.OpenPlanFromRequest):
            return self._open_plan_from(ctx, request_id, cmd)
        step = getattr(self, f"_{cmd.type}")(ctx, request_id, cmd)
        return self._with_retries(ctx, request_id, step)

    def _with_retries(
        self, ctx: CommandContext, request_id: str, step: Callable[[HelpRequest], Any]
    ) -> TriageOutcome:
        """Load, decide, save (with what the step returns, atomically); reload when another won."""

        def attempt() -> TriageOutcome:
            request = self.help_request(ctx.actor, request_id)
            also = step(request) or []
            try:
                recordings = self.store.save(request, *also)
            except IntegrityError:
                raise Conflict(f"help request {request_id} kept changing; try again") from None
            return _outcome(request, recordings)

        return self.ports.writes.run(f"help-request:{request_id}", attempt)

    def _assign(self, ctx: CommandContext, request_id: str, cmd: ic.Assign) -> Callable[[HelpRequest], None]:
        ranking = self.ranking(ctx.actor, request_id)
        ranked, tenant = ranking.candidates, ranking.tenant
        top = ranked[0].professional_id if ranked else None
        self.directory.professional_ref(cmd.professional_id, tenant)
        team_id = next((c.team_id for c in ranked if c.professional_id == cmd.professional_id), None)
        teams = self.directory.current_team_ids(self.directory.professional(cmd.professional_id).team_ids)
        team_id = team_id or next((t.key for t in self.active_teams(tenant) if t.key in teams), None)
        return lambda r: r.assign(ctx, cmd.professional_id, team_id, top, cmd.reason)

    def _record_first_contact(
        self, ctx: CommandContext, request_id: str, cmd: ic.RecordFirstContact
    ) -> Callable[[HelpRequest], None]:
        return lambda r: r.record_first_contact(ctx)

    def _resolve_simple(
        self, ctx: CommandContext, request_id: str, cmd: ic.ResolveSimple
    ) -> Callable[[HelpRequest], None]:
        return lambda r: r.resolve_simple(ctx, cmd.what_was_done)

    def _refer(self, ctx: CommandContext, request_id: str, cmd: ic.Refer) -> Callable[[HelpRequest], Any]:
        tenant = self.help_request(ctx.actor, request_id).tenant
        if cmd.organisation_id is not None:
            if tenant not in self.directory.organisation(cmd.organisation_id).tenants:
                # Said as for an unknown one: other tenants' directories are not the caller's to probe.
                raise errors.UnknownReferenceError(f"unknown organisation {cmd.organisation_id}")
            return lambda r: r.refer(ctx, None, cmd.organisation_id)

        def to_activity(request: HelpRequest) -> list[Activity]:
            activity = self.activity(ctx.actor, str(cmd.activity_id), tenant)
            request.refer(ctx, cmd.activity_id, None)
            activity.record_referral(source="help_request", source_id=str(request.id), meta=ctx.meta())
            return [activity]

        return to_activity

    def _open_plan_from(
        self, ctx: CommandContext, request_id: str, cmd: ic.OpenPlanFromRequest
    ) -> TriageOutcome:
        """Open the plan (its history names the request) and conclude the request, in one save."""

        def attempt() -> TriageOutcome:
            request = self.help_request(ctx.actor, request_id)
            request.check_can_open_plan()
            if cmd.tenant != request.tenant:
                raise errors.IncompleteCommandError("the plan is opened in the help request's tenant")

            def conclude(plan: Any) -> list[HelpRequest]:
                request.plan_opened(ctx, str(plan.id), cmd.team_id)
                return [request]

            # A request that changed meanwhile raises Conflict: the next attempt looks again.
            plan = self.plans.open_plan(ctx, cmd, help_request_id=str(request.id), also=conclude)
            return TriageOutcome(
                str(request.id), request.version, request.status, plan.position, plan.plan_id, request.tenant
            )

        return self.ports.writes.run(f"help-request:{request_id}", attempt)

    def waiting_times(
        self, actor: Actor, tenant: str, team_id: str | None = None, topic: str | None = None
    ) -> list[dict[str, Any]]:
        """Waiting times per team and topic: request to first contact, to assignment, to plan."""
        if not actor.serves(tenant):
            raise errors.NotFoundError(f"tenant {tenant} not found")
        rows = allocation.waiting_times(self.scans.request_facts(tenant), datetime.now(UTC))
        return [r for r in rows if team_id in (None, r["team_id"]) and topic in (None, r["topic"])]

    # --- the welfare offer ------------------------------------------------------------

    def register_activity(self, ctx: CommandContext, cmd: ic.RegisterActivity) -> Activity:
        tenant = cmd.tenant or _only_tenant(ctx.actor)
        if not ctx.actor.serves(tenant):
            raise errors.NotAllowedError(f"the caller does not serve tenant {tenant}")
        activity = Activity(
            key=cmd.id,
            tenant=tenant,
            name=cmd.name,
            provider=cmd.provider,
            topics=[t.value for t in cmd.topics],
            location=cmd.location,
            times=cmd.times,
            meta=ctx.meta(),
        )
        try:
            self.store.save(activity)
        except IntegrityError:
            raise errors.AlreadyExistsError(f"activity {cmd.id} already exists") from None
        return activity

    def activity(self, actor: Actor, key: str, tenant: str | None = None) -> Activity:
        try:
            activity: Activity = self.repository.get(Activity.create_id(key))
        except AggregateNotFoundError:
            raise errors.UnknownReferenceError(f"unknown activity {key}") from None
        if not actor.serves(activity.tenant) or tenant not in (None, activity.tenant):
            raise errors.UnknownReferenceError(f"unknown activity {key}")
        return activity

    def refer_plan(self, ctx: CommandContext, plan_id: str, activity_id: str) -> Activity:
        """Record that a plan's household was referred to an activity (the makelaar's work)."""
        plan = self.plans.working_plan(ctx.actor, plan_id, ctx.today)

        def attempt() -> Activity:
            try:
                activity = self.activity(ctx.actor, activity_id, plan.tenant)
            except errors.UnknownReferenceError:  # here the activity is the resource addressed
                raise errors.NotFoundError(f"activity {activity_id} not found") from None
            activity.record_referral(source="plan", source_id=str(plan.id), meta=ctx.meta())
            try:
                self.store.save(activity)
            except IntegrityError:
                raise Conflict(f"activity {activity_id} kept changing; try again") from None
            return activity

        return self.ports.writes.run(f"activity:{activity_id}", attempt)

    def activities(self, actor: Actor, topic: str | None = None) -> list[Activity]:
        found: list[Activity] = []
        for event in self.scans.scan(Activity.Registered):  # type: ignore[attr-defined]
            if event.tenant in actor.tenants and topic in (None, *event.topics):
                found.append(self.repository.get(event.originator_id))
        return found


def _only_tenant(actor: Actor) -> str:
    if len(actor.tenants) != 1:
        raise errors.IncompleteCommandError("name the tenant of the activity; the caller serves several")
    return next(iter(actor.tenants))


def _uuid(value: str | UUID) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(value)
    except ValueError:
        raise errors.HelpRequestNotFoundError(value) from None


def _outcome(request: HelpRequest, recordings: list[Any]) -> TriageOutcome:
    position = max((r.notification.id for r in recordings), default=None)
    return TriageOutcome(str(request.id), request.version, request.status, position, tenant=request.tenant)
