"""The one read path for plans: visibility first, then the view, current or replayed."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from domain.app import Eenplan
from domain.context import Actor
from domain.errors import PlanNotFoundError
from privacy.access import reading_relation
from privacy.views import history_entry, plan_view


class PlanReader:
    def __init__(self, eenplan: Eenplan) -> None:
        self.eenplan = eenplan

    def relation(self, actor: Actor, plan_id: str, today: date) -> str:
        plan = self.eenplan.plan(actor, plan_id)
        return reading_relation(actor, plan, self.eenplan.relation(actor, plan, today))

    def plan(
        self,
        actor: Actor,
        plan_id: str,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
        today: date | None = None,
    ) -> dict[str, Any]:
        today = today or date.today()
        relation = self.relation(actor, plan_id, today)
        if as_of is not None:
            version = self.eenplan.version_at(actor, plan_id, as_of)
        plan = self.eenplan.plan(actor, plan_id, version=version)
        if version is not None and plan.version != version:
            raise PlanNotFoundError(f"{plan_id} at version {version}")
        return plan_view(plan, relation, today)

    def history(
        self,
        actor: Actor,
        plan_id: str,
        *,
        as_of: datetime | None = None,
        today: date | None = None,
    ) -> list[dict[str, Any]]:
        self.relation(actor, plan_id, today or date.today())
        events = self.eenplan.plan_events(actor, plan_id, until=as_of)
        if not events:
            raise PlanNotFoundError(plan_id)
        return [history_entry(e) for e in events]
