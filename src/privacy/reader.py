"""The one read path for plans: visibility first, then the filtered view, current or replayed.

Every answer goes through `privacy.filter`, and every answer notes the plan and
its members for the processing log. The relation and categories come from the
plan as it is now (a caller who may not see the plan now sees none of its past);
values erased since are blanked in replays and history too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eenplan.domain.app import Eenplan
from eenplan.domain.context import Actor
from eenplan.domain.errors import NotAllowedError, PlanNotFoundError
from eenplan.domain.plan.categories import PERSONAL_FIELDS
from eenplan.domain.plan.personal import erase
from eenplan.domain.values import Role
from eenplan.privacy.filter import Caller, can_see, filter_history, filter_plan
from eenplan.privacy.processing import note_processing
from eenplan.privacy.service import Privacy
from eenplan.privacy.views import history_entry

OVERSIGHT_ACTIVITY = {"auditor": "audit", "admin": "audit", "emergency": "emergency_access"}


class PlanReader:
    def __init__(self, eenplan: Eenplan, privacy: Privacy) -> None:
        self.eenplan = eenplan
        self.privacy = privacy

    def may_see(self, actor: Actor, plan_id: str, now: datetime | None = None) -> bool:
        """Whether the caller may see the plan at all, without reading its fields (change feeds)."""
        now = now or datetime.now(UTC)
        try:
            current = self.eenplan.plan(actor, plan_id)
        except PlanNotFoundError:
            return False
        caller = self.privacy.caller(actor, current, now)
        return can_see(caller, self.privacy.state(current, now.date()), now)

    def plan(
        self,
        actor: Actor,
        plan_id: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        now: datetime | None = None,
    ) -> dict[str, Any]:
        now = now or datetime.now(UTC)
        current = self.eenplan.plan(actor, plan_id)
        caller = self.privacy.caller(actor, current, now)
        if as_of is not None:
            version = self.eenplan.version_at(actor, plan_id, as_of)
        plan = current if version is None else self.eenplan.plan(actor, plan_id, version=version)
        if version is not None and plan.version != version:
            raise PlanNotFoundError(f"{plan_id} at version {version}")
        state = self.privacy.state(plan, now.date(), current)
        basis = self.privacy.state(current, now.date())
        view = filter_plan(caller, state, self.privacy.policy, now, basis=basis)
        if view is None:
            raise PlanNotFoundError(plan_id)
        note_processing(
            actor,
            str(current.id),
            [m["member_id"] for m in state["members"]],
            tenant=current.tenant,  # the plan is loaded: the log needs no second load
            relation=view["relation"],
            activity=OVERSIGHT_ACTIVITY.get(view["relation"]),
        )
        return view

    def history(
        self,
        actor: Actor,
        plan_id: str,
        *,
        as_of: datetime | None = None,
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        now = now or datetime.now(UTC)
        current = self.eenplan.plan(actor, plan_id)
        caller = self.privacy.caller(actor, current, now)
        entries = self._entries(actor, plan_id, current, as_of)
        state = self.privacy.state(current, now.date())
        visible = filter_history(caller, state, entries, self.privacy.policy, now)
        if visible is None:
            raise PlanNotFoundError(plan_id)
        note_processing(actor, str(current.id), list(current.members), tenant=current.tenant)
        return visible

    def _entries(
        self, actor: Actor, plan_id: str, current: Any, until: datetime | None
    ) -> list[dict[str, Any]]:
        """History entries up to a moment, with values erased since blanked."""
        events = self.eenplan.plan_events(actor, plan_id, until=until)
        if not events:
            raise PlanNotFoundError(plan_id)
        erased = set(getattr(current, "erased_members", []))
        household = bool(getattr(current, "household_erased", False))
        entries = [history_entry(e) for e in events]
        if erased or household:
            for entry in entries:
                erase(entry["data"], PERSONAL_FIELDS.get(entry["type"], {}), erased, household)
        return entries

    def history_as_seen_by(
        self, actor: Actor, plan_id: str, organisation_id: str, as_of: datetime
    ) -> list[dict[str, Any]]:
        """Audit: the history up to `as_of` as that organisation was allowed to see it then."""
        current, state, seen_by, policy = self._as_seen(actor, plan_id, organisation_id, as_of)
        entries = self._entries(actor, plan_id, current, as_of)
        visible = filter_history(seen_by, state, entries, policy, as_of)
        if visible is None:
            raise PlanNotFoundError(f"{plan_id} as seen by {organisation_id}: no relation then")
        return visible

    def plan_as_seen_by(
        self, actor: Actor, plan_id: str, organisation_id: str, as_of: datetime
    ) -> dict[str, Any]:
        """Audit: the plan at `as_of` as that organisation was allowed to see it then (404: not at all)."""
        _current, state, seen_by, policy = self._as_seen(actor, plan_id, organisation_id, as_of)
        view = filter_plan(seen_by, state, policy, as_of)
        if view is None:
            raise PlanNotFoundError(f"{plan_id} as seen by {organisation_id}")
        return view

    def _as_seen(
        self, actor: Actor, plan_id: str, organisation_id: str, as_of: datetime
    ) -> tuple[Any, dict[str, Any], Caller, Any]:
        """The plan then, the organisation as a caller, and the policy in force then."""
        if not actor.has_role(Role.AUDITOR):
            raise NotAllowedError("only auditors see a plan as another organisation saw it")
        current = self.eenplan.plan(actor, plan_id)
        then = self.eenplan.plan(actor, plan_id, version=self.eenplan.version_at(actor, plan_id, as_of))
        seen_by = Caller(
            Actor(sub="", org=organisation_id, tenants=frozenset({current.tenant})),
            self.privacy.organisation_kind(organisation_id),
            whole_organisation=True,
        )
        note_processing(
            actor, str(current.id), list(current.members), tenant=current.tenant, activity="audit"
        )
        return (
            current,
            self.privacy.state(then, as_of.date(), current),
            seen_by,
            self.privacy.policy_at(as_of),
        )
