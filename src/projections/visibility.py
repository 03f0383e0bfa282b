"""Need to know, in SQL: the caller's relation to each plan row, so lists filter in the database.

Mirrors `HouseholdPlan.relation_of` and `privacy.access.reading_relation`:
regisseur (on the care team), care team member of the caller's organisation,
covered by an active mandate of the caller's organisation, team lead of the
plan's team; auditors and administrators see their tenants' plans for
oversight. Outside the caller's tenants nothing is visible. When the privacy
module's filter lands it replaces this predicate; until then lists show only
plans the caller works on (or oversees).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from eenplan.domain.context import Actor
from eenplan.domain.values import Role
from eenplan.projections.tracking import Tables

OVERSIGHT = (Role.AUDITOR, Role.ADMIN)


@dataclass(frozen=True)
class Scope:
    """The generations a query reads: `plans` and `directory` table names."""

    plans: Tables
    directory: Tables
    plans_version: int = 1  # the plans projection version of the serving generation


def oversight_role(actor: Actor) -> str | None:
    return next((r.value for r in OVERSIGHT if actor.has_role(r)), None)


def relation_sql(actor: Actor, scope: Scope, today: date, alias: str = "p") -> tuple[str, list[Any]]:
    """A SQL expression: the caller's relation to plan row `alias`, or NULL."""
    t, d = scope.plans, scope.directory
    pro, org = actor.professional_id, actor.org
    sql = (
        "CASE"
        f" WHEN {alias}.regisseur_id = ? AND EXISTS (SELECT 1 FROM {t.care_team} c"
        f"  WHERE c.plan_id = {alias}.plan_id AND c.professional_id = ? AND c.organisation_id = ?)"
        " THEN 'regisseur'"
        f" WHEN EXISTS (SELECT 1 FROM {t.care_team} c WHERE c.plan_id = {alias}.plan_id"
        "  AND c.professional_id = ? AND c.organisation_id = ?) THEN 'care_team'"
        f" WHEN EXISTS (SELECT 1 FROM {t.mandates} m WHERE m.plan_id = {alias}.plan_id"
        "  AND m.organisation_id = ? AND m.status = 'active' AND m.professional_id IN ('*', ?)"
        "  AND (m.valid_until IS NULL OR m.valid_until >= ?)) THEN 'mandate'"
        f" WHEN ? = 1 AND EXISTS (SELECT 1 FROM {d.team_members} tm WHERE tm.team_id = {alias}.team_id"
        "  AND tm.professional_id = ?) THEN 'team_lead'"
        " WHEN CAST(? AS TEXT) IS NOT NULL THEN CAST(? AS TEXT)"
        " ELSE NULL END"
    )
    oversight = oversight_role(actor)
    team_lead = 1 if actor.has_role(Role.TEAM_LEAD) else 0
    params = [pro, pro, org, pro, org, org, pro, today.isoformat(), team_lead, pro, oversight, oversight]
    return sql, params


def tenant_sql(actor: Actor, alias: str = "p") -> tuple[str, list[Any]]:
    """`alias.tenant IN (...)`; an actor without tenants matches nothing."""
    tenants = sorted(actor.tenants)
    if not tenants:
        return "1 = 0", []
    return f"{alias}.tenant IN ({', '.join('?' * len(tenants))})", list(tenants)
