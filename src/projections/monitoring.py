"""Municipal monitoring: anonymised aggregates per team (with its areas) and for the tenant.

Plans opened and closed (by risk and by legal basis), the median duration of
closed plans, goals achieved per life domain, and agreements completed on time
or late, all within a period. One plan is one household; a cell that counts
fewer than `SUPPRESS_BELOW` distinct households is null, so no cell points at
a household. No ids leave this module.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import date
from typing import Any

from eenplan.domain.context import Actor
from eenplan.projections.aggregates import SUPPRESS_BELOW, _days, may_monitor, period
from eenplan.projections.db import Tx, ViewDB
from eenplan.projections.queries import scope_of
from eenplan.projections.visibility import Scope


class Cells:
    """Counts with the households behind them; reading a cell suppresses small ones."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)
        self.households: dict[str, set[str]] = defaultdict(set)
        self.durations: list[float] = []

    def add(self, key: str, plan_id: str) -> None:
        self.counts[key] += 1
        self.households[key].add(plan_id)

    def value(self, key: str) -> int | None:
        return self.counts[key] if len(self.households.get(key, ())) >= SUPPRESS_BELOW else None

    def group(self, prefix: str) -> dict[str, int | None]:
        return {k.removeprefix(prefix): self.value(k) for k in sorted(self.counts) if k.startswith(prefix)}

    def report(self) -> dict[str, Any]:
        median = statistics.median(self.durations) if len(self.durations) >= SUPPRESS_BELOW else None
        return {
            "plans_opened": self._plans("opened"),
            "plans_closed": self._plans("closed"),
            "median_duration_days": round(median, 1) if median is not None else None,
            "goals_achieved": self.group("goal:"),
            "agreements_completed": {
                "on_time": self.value("agreement:on_time"),
                "late": self.value("agreement:late"),
            },
        }

    def _plans(self, what: str) -> dict[str, Any]:
        return {
            "total": self.value(what),
            "by_risk": self.group(f"{what}:risk:"),
            "by_legal_basis": self.group(f"{what}:basis:"),
        }


def _plans(tx: Tx, scope: Scope, tenant: str, lo: str, hi: str, cells: dict[str, Cells]) -> None:
    rows = tx.rows(
        f"SELECT team_id, plan_id, COALESCE(risk_level, 'unassessed'), legal_basis, opened_at, closed_at"
        f" FROM {scope.plans.plans} WHERE tenant = ?"
        " AND ((opened_at >= ? AND opened_at < ?) OR (closed_at >= ? AND closed_at < ?))",
        (tenant, lo, hi, lo, hi),
    )
    for team_id, plan_id, risk, basis, opened_at, closed_at in rows:
        for c in (cells[team_id], cells[""]):
            for what, at in (("opened", opened_at), ("closed", closed_at)):
                if at is not None and lo <= at < hi:
                    for key in (what, f"{what}:risk:{risk}", f"{what}:basis:{basis}"):
                        c.add(key, plan_id)
            if closed_at is not None and lo <= closed_at < hi:
                c.durations.append(_days(opened_at, closed_at))


def _outcomes(tx: Tx, scope: Scope, tenant: str, lo: str, hi: str, cells: dict[str, Cells]) -> None:
    p = scope.plans
    goals = tx.rows(
        f"SELECT x.team_id, g.plan_id, g.life_domain FROM {p.goals} g"
        f" JOIN {p.plans} x ON x.plan_id = g.plan_id"
        " WHERE x.tenant = ? AND g.status = 'achieved' AND g.closed_at >= ? AND g.closed_at < ?",
        (tenant, lo, hi),
    )
    for team_id, plan_id, domain in goals:
        for c in (cells[team_id], cells[""]):
            c.add(f"goal:{domain}", plan_id)
    agreements = tx.rows(
        f"SELECT x.team_id, a.plan_id, a.completed_at, a.due_date FROM {p.agreements} a"
        f" JOIN {p.plans} x ON x.plan_id = a.plan_id WHERE x.tenant = ? AND a.status = 'completed'"
        " AND a.completed_at >= ? AND a.completed_at < ?",
        (tenant, lo, hi),
    )
    for team_id, plan_id, completed_at, due_date in agreements:
        key = "agreement:on_time" if str(completed_at)[:10] <= str(due_date) else "agreement:late"
        for c in (cells[team_id], cells[""]):
            c.add(key, plan_id)


def monitoring(db: ViewDB, actor: Actor, tenant: str, start: date, end: date) -> dict[str, Any]:
    lo, hi = period(start, end)
    cells: dict[str, Cells] = defaultdict(Cells)
    with db.read() as tx:
        scope = scope_of(tx)
        may_monitor(tx, scope, actor, tenant)
        teams = tx.rows(
            f"SELECT team_id, areas FROM {scope.directory.teams} WHERE tenant = ? ORDER BY team_id", (tenant,)
        )
        _plans(tx, scope, tenant, lo, hi, cells)
        _outcomes(tx, scope, tenant, lo, hi, cells)
    return {
        "tenant": tenant,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "suppressed_below": SUPPRESS_BELOW,
        "total": cells[""].report(),
        "teams": [
            {"team_id": team_id, "areas": json.loads(areas), **cells[team_id].report()}
            for team_id, areas in teams
        ],
    }
