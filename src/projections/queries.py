"""Plan lists and caseloads from the `plans` view: filtered for the caller in SQL, paged by cursor.

Order is stable: by opening time, then plan id (both never change), and the
cursor is the last row's pair, so pages neither repeat nor skip a plan while
others are written. Agreement counts and overdue are computed against `today`.

A page also carries the member ids of its plans, read in the same snapshot, for
the processing log (one line per data subject) without loading each plan.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from eenplan.domain.context import Actor
from eenplan.domain.errors import NotAllowedError
from eenplan.domain.values import Role
from eenplan.projections.db import Tx, ViewDB
from eenplan.projections.plans import MEMBERS_SINCE, PlansProjection
from eenplan.projections.tracking import Tables
from eenplan.projections.visibility import Scope, relation_sql, tenant_sql

COLUMNS = [
    "plan_id",
    "tenant",
    "team_id",
    "legal_basis",
    "status",
    "risk_level",
    "regisseur_id",
    "relation",
    "opened_at",
    "closed_at",
    "last_activity",
    "version",
    "open_agreements",
    "overdue_agreements",
    "next_due_date",
]


class InvalidCursorError(ValueError):
    """The cursor was not made by this API."""


@dataclass(frozen=True)
class Filters:
    team_id: str | None = None
    status: str | None = None
    risk_level: str | None = None
    overdue: bool | None = None
    professional_id: str | None = None  # on the care team
    organisation_id: str | None = None  # a care team member works for it


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None
    # plan id -> its member ids now; None when the serving view predates them (the log then loads).
    subjects: dict[str, list[str]] | None = None


def scope_of(tx: Tx) -> Scope:
    """The generations that serve reads now (read in the same snapshot as the rows)."""
    rows = tx.rows(
        "SELECT p.name, p.generation, v.version FROM eenplan_projections p"
        " LEFT JOIN eenplan_projection_versions v ON v.name = p.name AND v.generation = p.generation"
    )
    active = {name: int(generation) for name, generation, _ in rows}
    versions = {name: int(version or 1) for name, _, version in rows}
    return Scope(
        plans=Tables(list(PlansProjection.tables), active["plans"]),
        directory=Tables(["organisations", "teams", "professionals", "team_members"], active["directory"]),
        plans_version=versions["plans"],
    )


def subjects(tx: Tx, scope: Scope, plan_ids: list[str]) -> dict[str, list[str]] | None:
    """The member ids of these plans, in one query; None if the serving generation has no members."""
    if scope.plans_version < MEMBERS_SINCE:
        return None
    found: dict[str, list[str]] = {plan_id: [] for plan_id in plan_ids}
    if plan_ids:
        marks = ", ".join("?" * len(plan_ids))
        sql = f"SELECT plan_id, member_id FROM {scope.plans.members} WHERE plan_id IN ({marks})"
        for plan_id, member_id in tx.rows(sql, plan_ids):
            found[plan_id].append(member_id)
    return found


def encode_cursor(row: dict[str, Any]) -> str:
    raw = json.dumps([row["opened_at"], row["plan_id"]]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        opened_at, plan_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, TypeError, binascii.Error):
        raise InvalidCursorError("the cursor is not one this API gave out") from None
    if not (isinstance(opened_at, str) and isinstance(plan_id, str)):
        raise InvalidCursorError("the cursor is not one this API gave out")
    return opened_at, plan_id


def _where(scope: Scope, f: Filters, today: date) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("team_id", f.team_id), ("status", f.status), ("risk_level", f.risk_level)):
        if value is not None:
            where.append(f"v.{column} = ?")
            params.append(value)
    if f.overdue is not None:
        overdue = (
            f"EXISTS (SELECT 1 FROM {scope.plans.agreements} a WHERE a.plan_id = v.plan_id"
            " AND a.status = 'open' AND a.due_date < ?)"
        )
        where.append(overdue if f.overdue else f"NOT {overdue}")
        params.append(today.isoformat())
    return where, params


def _membership(scope: Scope, f: Filters) -> tuple[list[str], list[Any]]:
    care_team = scope.plans.care_team
    if f.professional_id is not None:
        sql = f"EXISTS (SELECT 1 FROM {care_team} c WHERE c.plan_id = v.plan_id AND c.professional_id = ?)"
        return [sql], [f.professional_id]
    if f.organisation_id is not None:
        sql = f"EXISTS (SELECT 1 FROM {care_team} c WHERE c.plan_id = v.plan_id AND c.organisation_id = ?)"
        return [sql], [f.organisation_id]
    return [], []


def _agreement_columns(scope: Scope) -> str:
    """Per-row subqueries on the agreements' primary key: cheap for one page of plans."""
    a = f"FROM {scope.plans.agreements} a WHERE a.plan_id = v.plan_id AND a.status = 'open'"
    return f"(SELECT COUNT(*) {a}), (SELECT COUNT(*) {a} AND a.due_date < ?), (SELECT MIN(a.due_date) {a})"


def _select(
    tx: Tx, scope: Scope, actor: Actor, today: date, f: Filters, after: tuple[str, str] | None, limit: int
) -> list[Any]:
    relation, relation_params = relation_sql(actor, scope, today)
    tenants, tenant_params = tenant_sql(actor)
    where, params = _where(scope, f, today)
    more, more_params = _membership(scope, f)
    if after is not None:
        more.append("(v.opened_at > ? OR (v.opened_at = ? AND v.plan_id > ?))")
        more_params += [after[0], after[0], after[1]]
    sql = (
        "SELECT v.plan_id, v.tenant, v.team_id, v.legal_basis, v.status, v.risk_level, v.regisseur_id,"
        f" v.relation, v.opened_at, v.closed_at, v.last_activity, v.version, {_agreement_columns(scope)}"
        f" FROM (SELECT p.*, {relation} AS relation FROM {scope.plans.plans} p WHERE {tenants}) v"
        " WHERE v.relation IS NOT NULL" + "".join(f" AND {w}" for w in where + more)
    )
    sql += " ORDER BY v.opened_at, v.plan_id LIMIT ?"
    return tx.rows(sql, [today.isoformat(), *relation_params, *tenant_params, *params, *more_params, limit])


def list_plans(
    db: ViewDB, actor: Actor, today: date, f: Filters, cursor: str | None = None, limit: int = 50
) -> Page:
    """Plans the caller works on (or oversees), filtered, in a stable order, one page."""
    after = decode_cursor(cursor) if cursor else None
    with db.read() as tx:
        scope = scope_of(tx)
        rows = _select(tx, scope, actor, today, f, after, limit + 1)
        members = subjects(tx, scope, [str(r[0]) for r in rows[:limit]])
    items = [dict(zip(COLUMNS, r, strict=True)) for r in rows[:limit]]
    for item in items:
        item["version"] = int(item["version"])
        for key in ("open_agreements", "overdue_agreements"):
            item[key] = int(item[key])
    return Page(items, encode_cursor(items[-1]) if len(rows) > limit else None, members)


def caseload(
    db: ViewDB, actor: Actor, today: date, f: Filters, cursor: str | None = None, limit: int = 100
) -> Page:
    """Active plans of a professional (default: the caller), a team or an organisation."""
    if f.team_id is None and f.organisation_id is None:
        professional = f.professional_id or actor.professional_id
        if professional != actor.professional_id and not _oversees(actor):
            raise NotAllowedError("another professional's caseload needs a team_lead, auditor or admin role")
        f = Filters(professional_id=professional, risk_level=f.risk_level, overdue=f.overdue)
    page = list_plans(db, actor, today, Filters(**{**f.__dict__, "status": "open"}), cursor, limit)
    for item in page.items:
        if f.professional_id is not None:
            item["relation"] = "regisseur" if item["regisseur_id"] == f.professional_id else "member"
        elif item["relation"] == "care_team":
            item["relation"] = "member"
    return page


def _oversees(actor: Actor) -> bool:
    return any(actor.has_role(r) for r in (Role.TEAM_LEAD, Role.AUDITOR, Role.ADMIN))


def regisseur_load(db: ViewDB, tenant: str) -> dict[str, int]:
    """Open plans per regisseur in the tenant (for allocation by free capacity)."""
    with db.read() as tx:
        plans = scope_of(tx).plans.plans
        rows = tx.rows(
            f"SELECT regisseur_id, COUNT(*) FROM {plans} WHERE tenant = ? AND status = 'open'"
            " AND regisseur_id IS NOT NULL GROUP BY regisseur_id",
            (tenant,),
        )
    return {str(r[0]): int(r[1]) for r in rows}
