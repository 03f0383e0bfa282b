"""Team dashboards and municipal monitoring: aggregates over the `plans` and `directory` views.

Access: a team's dashboard is for its members, team leads, auditors and
administrators of the team's tenant. Monitoring is for auditors, administrators
and municipality staff (callers whose organisation is a municipality) of the
tenant. Monitoring is anonymised by rounding (see `monitoring`).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

from eenplan.domain.context import Actor
from eenplan.domain.errors import NotAllowedError, NotFoundError
from eenplan.domain.values import Role
from eenplan.projections.db import Tx, ViewDB
from eenplan.projections.queries import scope_of
from eenplan.projections.visibility import Scope, relation_sql

SUPPRESS_BELOW = 5
OVERDUE_LISTED = 100
RISK_LEVELS = ("none", "low", "medium", "high", "unassessed")


def _days(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds() / 86400


def waiting(days: list[float]) -> dict[str, Any]:
    """Median and 90th percentile of waiting times in days."""
    if not days:
        return {"count": 0, "median_days": None, "p90_days": None}
    p90 = statistics.quantiles(days, n=10, method="inclusive")[-1] if len(days) > 1 else days[0]
    return {"count": len(days), "median_days": round(statistics.median(days), 2), "p90_days": round(p90, 2)}


def _team(tx: Tx, scope: Scope, actor: Actor, team_id: str) -> tuple[str, list[str]]:
    rows = tx.rows(f"SELECT tenant, areas FROM {scope.directory.teams} WHERE team_id = ?", (team_id,))
    if not rows or rows[0][0] not in actor.tenants:
        raise NotFoundError(f"team {team_id} not found")
    return str(rows[0][0]), list(json.loads(rows[0][1]))


def _may_see_dashboard(tx: Tx, scope: Scope, actor: Actor, team_id: str) -> None:
    if any(actor.has_role(r) for r in (Role.TEAM_LEAD, Role.AUDITOR, Role.ADMIN)):
        return
    member = tx.rows(
        f"SELECT 1 FROM {scope.directory.team_members} WHERE team_id = ? AND professional_id = ?",
        (team_id, actor.professional_id),
    )
    if not member:
        raise NotAllowedError("a team's dashboard is for its members, team leads, auditors and admins")


def dashboard(db: ViewDB, actor: Actor, team_id: str, today: date) -> dict[str, Any]:
    with db.read() as tx:
        scope = scope_of(tx)
        tenant, areas = _team(tx, scope, actor, team_id)
        _may_see_dashboard(tx, scope, actor, team_id)
        plans = scope.plans.plans
        counts = tx.rows(
            f"SELECT status, COALESCE(risk_level, 'unassessed'), COUNT(*) FROM {plans}"
            " WHERE team_id = ? GROUP BY status, COALESCE(risk_level, 'unassessed')",
            (team_id,),
        )
        return {
            "team_id": team_id,
            "tenant": tenant,
            "areas": areas,
            "plans_by_status": _sum_by(counts, 0),
            "open_plans_by_risk": {level: 0 for level in RISK_LEVELS}
            | _sum_by([r for r in counts if r[0] == "open"], 1),
            "regisseur_load": _regisseur_load(tx, scope, team_id),
            "overdue_agreements": _overdue(tx, scope, actor, team_id, today),
            "waiting_times": _waiting_times(tx, scope, team_id),
        }


def _sum_by(rows: list[tuple[Any, ...]], column: int) -> dict[str, int]:
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[str(row[column])] += int(row[-1])
    return dict(totals)


def _regisseur_load(tx: Tx, scope: Scope, team_id: str) -> list[dict[str, Any]]:
    d, p = scope.directory, scope.plans
    rows = tx.rows(
        f"SELECT tm.professional_id, pr.capacity, (SELECT COUNT(*) FROM {p.plans} x"
        "  WHERE x.regisseur_id = tm.professional_id AND x.status = 'open')"
        f" FROM {d.team_members} tm JOIN {d.professionals} pr ON pr.professional_id = tm.professional_id"
        " WHERE tm.team_id = ? ORDER BY tm.professional_id",
        (team_id,),
    )
    return [
        {
            "professional_id": str(r[0]),
            "capacity": int(r[1]),
            "open_plans": int(r[2]),
            "utilisation": round(int(r[2]) / int(r[1]), 2) if int(r[1]) else None,
        }
        for r in rows
    ]


def _overdue(tx: Tx, scope: Scope, actor: Actor, team_id: str, today: date) -> dict[str, Any]:
    """All overdue agreements are counted; only those on plans the caller may see are listed."""
    p = scope.plans
    relation, params = relation_sql(actor, scope, today)
    rows = tx.rows(
        f"SELECT a.plan_id, a.agreement_id, a.due_date, {relation} FROM {p.agreements} a"
        f" JOIN {p.plans} p ON p.plan_id = a.plan_id"
        " WHERE p.team_id = ? AND p.status = 'open' AND a.status = 'open' AND a.due_date < ?"
        " ORDER BY a.due_date, a.plan_id, a.agreement_id",
        (*params, team_id, today.isoformat()),
    )
    listed = [
        {
            "plan_id": str(r[0]),
            "agreement_id": str(r[1]),
            "due_date": str(r[2]),
            "days_overdue": (today - date.fromisoformat(str(r[2]))).days,
        }
        for r in rows
        if r[3] is not None
    ]
    return {"count": len(rows), "items": listed[:OVERDUE_LISTED]}


def _waiting_times(tx: Tx, scope: Scope, team_id: str) -> dict[str, Any]:
    p = scope.plans
    first = tx.rows(
        f"SELECT opened_at, first_agreement_at FROM {p.plans}"
        " WHERE team_id = ? AND first_agreement_at IS NOT NULL",
        (team_id,),
    )
    handovers = tx.rows(
        f"SELECT h.proposed_at, h.accepted_at FROM {p.handovers} h JOIN {p.plans} x ON x.plan_id = h.plan_id"
        " WHERE x.team_id = ? AND h.accepted_at IS NOT NULL",
        (team_id,),
    )
    return {
        "opening_to_first_agreement": waiting([_days(a, b) for a, b in first]),
        "handover_proposal_to_acceptance": waiting([_days(a, b) for a, b in handovers]),
    }


def may_monitor(tx: Tx, scope: Scope, actor: Actor, tenant: str) -> None:
    if not actor.serves(tenant):
        raise NotAllowedError(f"the caller does not serve tenant {tenant}")
    if any(actor.has_role(r) for r in (Role.AUDITOR, Role.ADMIN)):
        return
    organisations = scope.directory.organisations
    kind = tx.rows(f"SELECT kind FROM {organisations} WHERE organisation_id = ?", (actor.org,))
    if not kind or kind[0][0] != "municipality":
        raise NotAllowedError("monitoring is for auditors, administrators and municipality staff")


def period(start: date, end: date) -> tuple[str, str]:
    """ISO bounds for timestamps in [start, end] (whole days, UTC)."""
    return start.isoformat(), (end + timedelta(days=1)).isoformat()
