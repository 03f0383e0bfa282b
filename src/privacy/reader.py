"""The one read path for plans: visibility first, then the filtered view, current or replayed.

Every answer goes through `privacy.filter`, and every answer notes the plan and
its members for the processing log. The relation and categories come from the
plan as it is now (a caller who may not see the plan now sees none of its past);
values erased since are blanked in replays and history too.

Visibility is judged before anything else is looked at, so a plan the caller may not
see answers exactly as one that does not exist, whatever else the request asks.
Then the point in the plan's history: `version` or `as_of` (not both: each picks the
point), or now. Auditors add `as_seen_by`: the plan at that point as the organisation
was allowed to see it then (at `as_of`, or when that version was written), never more
than the auditor's own organisation may see.

The plan as it is now is read from this process's copy, unfiltered, when the store holds no
later version of it: one query asks the plan's latest version, the caller's emergency grant and
the key generation together (`Current`). Every change to a plan is an event, an erasure too, so a
copy at the latest version is the plan now, whichever process wrote it; keys destroyed without
an event on the plan (data an erasure's member carried over from it) move the key generation,
and the copies go.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import LRUCache

from eenplan.domain.app import Eenplan
from eenplan.domain.context import Actor
from eenplan.domain.errors import (
    NotAllowedError,
    NotFoundError,
    PlanNotFoundError,
    UnanswerableQueryError,
    UnknownReferenceError,
)
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan.categories import PERSONAL_FIELDS
from eenplan.domain.plan.personal import erase
from eenplan.domain.values import Role
from eenplan.privacy.emergency import OPEN_GRANT_UNTIL
from eenplan.privacy.filter import Caller, allowed_categories, can_see, filter_history, filter_plan
from eenplan.privacy.processing import note_processing
from eenplan.privacy.service import Privacy
from eenplan.privacy.views import history_entry

OVERSIGHT_ACTIVITY = {"auditor": "audit", "admin": "audit", "emergency": "emergency_access"}
CURRENT_PLANS = 2000  # plans kept unfiltered per process, as many as the application's aggregate cache


@dataclass(frozen=True)
class Current:
    """A plan as it is at one version, unfiltered, on one day: all a read of it now needs.

    `state` is shared by the reads of this version: the filter copies it, nothing changes it.
    """

    plan_id: str
    version: int
    tenant: str
    team_id: str | None
    today: date
    state: dict[str, Any]


@dataclass(frozen=True)
class Point:
    """Where in the plan's history a read looks, judged on the plan as it is now."""

    current: HouseholdPlan
    caller: Caller
    basis: dict[str, Any]  # the plan now, unfiltered: what relations are judged on
    version: int
    as_of: datetime | None


class PlanReader:
    def __init__(self, eenplan: Eenplan, privacy: Privacy) -> None:
        self.eenplan = eenplan
        self.privacy = privacy
        self._current: LRUCache[str, Current] = LRUCache(maxsize=CURRENT_PLANS)
        # The plan's latest version and the caller's open emergency grant, in one statement;
        # None on the in-memory store of unit tests (no SQL: every read loads the plan).
        events = getattr(eenplan.recorder, "events_table_name", None)
        self._latest_sql = (
            f"SELECT (SELECT MAX(originator_version) FROM {events} WHERE originator_id = ?) AS version,"  # noqa: S608 - the recorder's table
            f" ({OPEN_GRANT_UNTIL}) AS emergency_until,"
            " (SELECT generation FROM privacy_key_generation WHERE id = 1) AS key_generation"
            if events and getattr(eenplan.recorder, "datastore", None) is not None
            else None
        )

    def may_see(self, actor: Actor, plan_id: str, now: datetime | None = None) -> bool:
        """Whether the caller may see the plan at all, without reading its fields (change feeds)."""
        now = now or datetime.now(UTC)
        try:
            current = self.eenplan.plans.plan(actor, plan_id)
        except PlanNotFoundError:
            return False
        caller = self.privacy.caller(actor, current, now)
        return can_see(caller, self.privacy.state(current, now.date()), now)

    def view(
        self,
        actor: Actor,
        plan_id: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        as_seen_by: str | None = None,
    ) -> dict[str, Any]:
        """The plan view any combination of the read parameters asks for."""
        if as_seen_by is not None:
            return self.plan_as_seen_by(actor, plan_id, as_seen_by, as_of, version=version)
        return self.plan(actor, plan_id, version=version, as_of=as_of)

    def entries(
        self,
        actor: Actor,
        plan_id: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        as_seen_by: str | None = None,
    ) -> list[dict[str, Any]]:
        """The history any combination of the read parameters asks for."""
        if as_seen_by is not None:
            return self.history_as_seen_by(actor, plan_id, as_seen_by, as_of, version=version)
        return self.history(actor, plan_id, version=version, as_of=as_of)

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
        if as_of is None:
            found = self._now(actor, plan_id, now)
            if found is not None and (version is None or version == found[0].version):
                return self._current_view(actor, *found, now)
        at = self._point(actor, plan_id, version, as_of, now)
        plan = self._plan_at(actor, plan_id, at)
        state = self.privacy.state(plan, now.date(), at.current)
        view = filter_plan(at.caller, state, self.privacy.policy, now, basis=at.basis)
        if view is None:
            raise PlanNotFoundError(plan_id)
        note_processing(
            actor,
            str(at.current.id),
            [m["member_id"] for m in state["members"]],
            tenant=at.current.tenant,  # the plan is loaded: the log needs no second load
            relation=view["relation"],
            activity=OVERSIGHT_ACTIVITY.get(view["relation"]),
        )
        return view

    def _now(self, actor: Actor, plan_id: str, now: datetime) -> tuple[Current, Caller] | None:
        """The plan now and the caller, in one query when this process has the latest version;
        None where there is no SQL store."""
        if self._latest_sql is None:
            return None
        try:
            uuid = UUID(plan_id)
        except ValueError:
            raise PlanNotFoundError(plan_id) from None
        key = str(uuid)
        stored_id = uuid if self.privacy.store.dialect == "postgres" else uuid.hex
        params = (stored_id, *self.privacy.emergency.open_grant_params(actor, key, now))
        latest = self.privacy.store.query(self._latest_sql, params)[0]
        if latest["version"] is None:
            raise PlanNotFoundError(plan_id)
        # Keys destroyed without an event on this plan (an erasure's carried-over data): the
        # keyring then empties this cache and the application's (`forget_decrypted`).
        self.privacy.keyring.observe(int(latest["key_generation"] or 0))
        try:
            current = self._current.get(key)
        except KeyError:
            current = None
        if current is None or current.version != latest["version"] or current.today != now.date():
            current = self._load(actor, plan_id, now.date())
        if not actor.serves(current.tenant):
            raise PlanNotFoundError(plan_id)  # outside the caller's tenants the plan does not exist
        until = latest["emergency_until"]
        if current.version != latest["version"]:  # written since the query: its grant is asked anew
            return current, self.privacy.caller_for(actor, current.team_id, key, now)
        grant = datetime.fromisoformat(until) if until is not None else None
        return current, self.privacy.caller_with(actor, current.team_id, grant)

    def forget_decrypted(self) -> None:
        """Drop every plan state kept: keys were destroyed, and a state may hold what they opened."""
        self._current = LRUCache(maxsize=CURRENT_PLANS)

    def _load(self, actor: Actor, plan_id: str, today: date) -> Current:
        """The plan from the application (its cache, brought up to date), kept for the next read."""
        plan = self.eenplan.plans.plan(actor, plan_id)
        # A copy of its own: the state must not share lists with an aggregate that changes later.
        state = copy.deepcopy(self.privacy.state(plan, today))
        current = Current(str(plan.id), plan.version, plan.tenant, plan.team_id, today, state)
        self._current.put(current.plan_id, current)
        return current

    def _current_view(self, actor: Actor, current: Current, caller: Caller, now: datetime) -> dict[str, Any]:
        """`plan` at the latest version: no second view of the plan to judge the relations on."""
        view = filter_plan(caller, current.state, self.privacy.policy, now)
        if view is None:
            raise PlanNotFoundError(current.plan_id)  # the very answer a plan that does not exist gets
        note_processing(
            actor,
            current.plan_id,
            [m["member_id"] for m in current.state["members"]],
            tenant=current.tenant,
            relation=view["relation"],
            activity=OVERSIGHT_ACTIVITY.get(view["relation"]),
        )
        return view

    def history(
        self,
        actor: Actor,
        plan_id: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        now = now or datetime.now(UTC)
        at = self._point(actor, plan_id, version, as_of, now)
        entries = self._entries(actor, plan_id, at)
        visible = filter_history(at.caller, at.basis, entries, self.privacy.policy, now)
        if visible is None:
            raise PlanNotFoundError(plan_id)
        note_processing(actor, str(at.current.id), list(at.current.members), tenant=at.current.tenant)
        return visible

    def _point(
        self, actor: Actor, plan_id: str, version: int | None, as_of: datetime | None, now: datetime
    ) -> Point:
        """The plan now, if the caller may see it (else 404, as for none), and the point asked for."""
        current = self.eenplan.plans.plan(actor, plan_id)
        caller = self.privacy.caller(actor, current, now)
        basis = self.privacy.state(current, now.date())
        if not can_see(caller, basis, now):
            raise PlanNotFoundError(plan_id)  # the very answer a plan that does not exist gets
        if version is not None and as_of is not None:
            raise UnanswerableQueryError("give version or as_of, not both: each picks the point to show")
        if as_of is not None:
            return Point(current, caller, basis, self._version_at(actor, plan_id, as_of, now), as_of)
        if version is not None and version > current.version:
            raise NotFoundError(f"plan {plan_id} has no version {version}; its latest is {current.version}")
        return Point(current, caller, basis, version or current.version, None)

    def _version_at(self, actor: Actor, plan_id: str, as_of: datetime, now: datetime) -> int:
        if as_of > now:
            raise UnanswerableQueryError(
                "as_of is in the future: a plan is shown as it was, not as it will be"
            )
        try:
            return self.eenplan.plans.version_at(actor, plan_id, as_of)
        except PlanNotFoundError:
            raise NotFoundError(f"plan {plan_id} did not exist yet at {as_of.isoformat()}") from None

    def _plan_at(self, actor: Actor, plan_id: str, at: Point) -> HouseholdPlan:
        if at.version == at.current.version:
            return at.current
        return self.eenplan.plans.plan(actor, plan_id, version=at.version)

    def _entries(self, actor: Actor, plan_id: str, at: Point) -> list[dict[str, Any]]:
        """History entries up to the point, with values erased since blanked."""
        events = self.eenplan.plans.plan_events(actor, plan_id, version=at.version)
        erased = set(getattr(at.current, "erased_members", []))
        household = bool(getattr(at.current, "household_erased", False))
        entries = [history_entry(e) for e in events]
        if erased or household:
            for entry in entries:
                erase(entry["data"], PERSONAL_FIELDS.get(entry["type"], {}), erased, household)
        return entries

    # --- auditors: as an organisation saw it ------------------------------------------

    def history_as_seen_by(
        self,
        actor: Actor,
        plan_id: str,
        organisation_id: str,
        as_of: datetime | None = None,
        *,
        version: int | None = None,
    ) -> list[dict[str, Any]]:
        """Audit: the history up to the point as that organisation was allowed to see it then."""
        at, state, seen_by, policy, moment = self._as_seen(actor, plan_id, organisation_id, as_of, version)
        entries = self._entries(actor, plan_id, at)
        visible = filter_history(seen_by, state, entries, policy, moment)
        if visible is None:
            raise PlanNotFoundError(f"{plan_id} as seen by {organisation_id}: no relation then")
        return visible

    def plan_as_seen_by(
        self,
        actor: Actor,
        plan_id: str,
        organisation_id: str,
        as_of: datetime | None = None,
        *,
        version: int | None = None,
    ) -> dict[str, Any]:
        """Audit: the plan at the point as that organisation was allowed to see it then (404: not at all)."""
        _at, state, seen_by, policy, moment = self._as_seen(actor, plan_id, organisation_id, as_of, version)
        view = filter_plan(seen_by, state, policy, moment)
        if view is None:
            raise PlanNotFoundError(f"{plan_id} as seen by {organisation_id}: no relation then")
        return view

    def _as_seen(
        self, actor: Actor, plan_id: str, organisation_id: str, as_of: datetime | None, version: int | None
    ) -> tuple[Point, dict[str, Any], Caller, Any, datetime]:
        """The point, the plan then, the organisation as a caller, the policy then, and the moment."""
        if not actor.has_role(Role.AUDITOR):
            raise NotAllowedError("only auditors see a plan as another organisation saw it")
        now = datetime.now(UTC)
        at = self._point(actor, plan_id, version, as_of, now)
        then = self._plan_at(actor, plan_id, at)
        # At a version: as things stood when it was written.
        moment = as_of or (then.modified_on if version is not None else now)
        seen_by = Caller(
            Actor(sub="", org=organisation_id, tenants=frozenset({at.current.tenant})),
            self._kind_in(organisation_id, at.current.tenant),
            whole_organisation=True,
            cap=allowed_categories(at.caller, at.basis, self.privacy.policy, now),
        )
        note_processing(
            actor, str(at.current.id), list(at.current.members), tenant=at.current.tenant, activity="audit"
        )
        state = self.privacy.state(then, moment.date(), at.current)
        return at, state, seen_by, self.privacy.policy_at(moment), moment

    def _kind_in(self, organisation_id: str, tenant: str) -> str:
        """The kind of an organisation of the plan's tenant; another tenant's is unknown here."""
        try:
            return self.eenplan.directory.organisation_in(organisation_id, tenant).kind
        except UnknownReferenceError:
            raise UnknownReferenceError(f"as_seen_by: unknown organisation {organisation_id}") from None
