"""As seen by: what one organisation was allowed to see of a plan at a moment (role auditor).

The auditor's question is "was this access lawful when it happened?". The answer is the
plan replayed to that moment, read under the relation the organisation had then
(regisseur, care team or mandate, from the plan's own state at that moment), and
filtered by the visibility policy that held then.

The category filter is one call, `self.view_filter(...)` / `self.history_filter(...)`,
given everything that held at the moment: the plan state (its consents, mandates and
legal basis), the organisation's kind, its relation, and the moment (to pick the policy
version). Until a policy filter is passed in, the view is the relation's whole view.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID

from domain.app import Eenplan
from domain.audit.replay import timestamp_of
from domain.context import Actor
from domain.errors import PlanNotFoundError
from domain.plan import HouseholdPlan
from domain.plan.aggregate import CARE_TEAM, MANDATE, REGISSEUR
from domain.values import OrganisationKind
from privacy.views import history_entry, plan_view

CLOSEST_FIRST = (REGISSEUR, CARE_TEAM, MANDATE)


class ViewFilter(Protocol):
    def __call__(
        self,
        view: dict[str, Any],
        *,
        plan: HouseholdPlan,
        organisation_kind: str,
        relation: str,
        moment: datetime,
    ) -> dict[str, Any]: ...


class HistoryFilter(Protocol):
    def __call__(
        self,
        entries: list[dict[str, Any]],
        *,
        plan: HouseholdPlan,
        organisation_kind: str,
        relation: str,
        moment: datetime,
    ) -> list[dict[str, Any]]: ...


def whole_view(view: dict[str, Any], **_: Any) -> dict[str, Any]:
    return view


def whole_history(entries: list[dict[str, Any]], **_: Any) -> list[dict[str, Any]]:
    return entries


def organisation_relation(plan: HouseholdPlan, organisation_id: str, day: date) -> str | None:
    """The closest relation any of the organisation's people had to the plan on `day`."""
    people = [p for p, member in plan.care_team.items() if member["organisation_id"] == organisation_id]
    for mandate in plan.mandates.values():
        if mandate["organisation_id"] == organisation_id and mandate["scope"] != "all":
            people.extend(mandate["scope"])
    # A worker not named anywhere still falls under a mandate over "all" its workers.
    actors = [Actor(sub, organisation_id) for sub in [*people, f"organisation:{organisation_id}"]]
    found = {plan.relation_of(actor, day) for actor in actors}
    return next((relation for relation in CLOSEST_FIRST if relation in found), None)


class AsSeenBy:
    def __init__(
        self,
        eenplan: Eenplan,
        view_filter: ViewFilter = whole_view,
        history_filter: HistoryFilter = whole_history,
    ) -> None:
        self.eenplan = eenplan
        self.view_filter = view_filter
        self.history_filter = history_filter

    def plan(
        self,
        auditor: Actor,
        plan_id: str,
        organisation_id: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> dict[str, Any]:
        """The plan at a version or moment, as the organisation was allowed to see it then."""
        version, moment = self._moment(auditor, plan_id, version, as_of)
        plan = self.eenplan.plan(auditor, plan_id, version=version)
        if version is not None and plan.version != version:
            raise PlanNotFoundError(f"{plan_id} at version {version}")
        kind, relation = self._standing(plan, organisation_id, moment)
        view = plan_view(plan, relation, moment.astimezone().date())
        return self.view_filter(view, plan=plan, organisation_kind=kind, relation=relation, moment=moment)

    def history(
        self, auditor: Actor, plan_id: str, organisation_id: str, *, as_of: datetime | None = None
    ) -> list[dict[str, Any]]:
        """The plan's events up to a moment, as the organisation was allowed to see them then."""
        version, moment = self._moment(auditor, plan_id, None, as_of)
        events = self.eenplan.plan_events(auditor, plan_id, version=version)
        plan = self.eenplan.plan(auditor, plan_id, version=version)
        kind, relation = self._standing(plan, organisation_id, moment)
        entries = [history_entry(e) for e in events]
        return self.history_filter(
            entries, plan=plan, organisation_kind=kind, relation=relation, moment=moment
        )

    def _moment(
        self, auditor: Actor, plan_id: str, version: int | None, as_of: datetime | None
    ) -> tuple[int | None, datetime]:
        if as_of is not None:
            return self.eenplan.version_at(auditor, plan_id, as_of), as_of
        if version is not None:
            self.eenplan.plan(auditor, plan_id)
            try:
                return version, timestamp_of(self.eenplan.repository.event_store, UUID(plan_id), version)
            except ValueError:
                raise PlanNotFoundError(f"{plan_id} at version {version}") from None
        return None, datetime.now(UTC)

    def _standing(self, plan: HouseholdPlan, organisation_id: str, moment: datetime) -> tuple[str, str]:
        kind = OrganisationKind(self.eenplan.organisation(organisation_id).kind).value
        # The day as the server judged commands then (`CommandContext.today`: local date).
        relation = organisation_relation(plan, organisation_id, moment.astimezone().date())
        if relation is None:
            raise PlanNotFoundError(
                f"{plan.id} as seen by {organisation_id} at {moment.isoformat()}: "
                "that organisation had no relation to the plan then, so it could not see it"
            )
        return kind, relation
