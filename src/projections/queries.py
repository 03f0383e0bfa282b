"""Plan lists and caseloads from the `plans` view: filtered for the caller in SQL, paged by cursor.

Order is stable: by opening time, then plan id (both never change), and the
cursor is the last row's pair, so pages neither repeat nor skip a plan while
others are written. Agreement counts and overdue are computed against `today`.

A page also carries the member ids of its plans, read in the same snapshot, for
the processing log (one line per data subject) without loading each plan.

A page is one SQL statement: the serving generations and the views' position, the page of
plans with the caller's relation and agreement counts, and their members. The table names
of the generations this process last saw are kept; the statement answers which generations
serve, and when a swap made the kept names stale it runs again with the new ones.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg

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
    # The lowest position of the projections the read was asked to check, in the page's snapshot.
    position: int = 0


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


def _select(
    scope: Scope, actor: Actor, today: date, f: Filters, after: tuple[str, str] | None, limit: int
) -> tuple[str, list[Any]]:
    """The page of plans the caller may see, in order, as a subquery with its parameters."""
    relation, relation_params = relation_sql(actor, scope, today)
    tenants, tenant_params = tenant_sql(actor)
    where, params = _where(scope, f, today)
    more, more_params = _membership(scope, f)
    if after is not None:
        more.append("(v.opened_at > ? OR (v.opened_at = ? AND v.plan_id > ?))")
        more_params += [after[0], after[0], after[1]]
    a = f"FROM {scope.plans.agreements} a WHERE a.plan_id = v.plan_id AND a.status = 'open'"
    sql = (
        "SELECT v.plan_id, v.tenant, v.team_id, v.legal_basis, v.status, v.risk_level, v.regisseur_id,"
        " v.relation, v.opened_at, v.closed_at, v.last_activity, v.version,"
        # Per-row subqueries on the agreements' primary key: cheap for one page of plans.
        f" (SELECT COUNT(*) {a}) AS open_agreements, (SELECT COUNT(*) {a} AND a.due_date < ?)"
        f" AS overdue_agreements, (SELECT MIN(a.due_date) {a}) AS next_due_date"
        f" FROM (SELECT p.*, {relation} AS relation FROM {scope.plans.plans} p WHERE {tenants}) v"
        " WHERE v.relation IS NOT NULL" + "".join(f" AND {w}" for w in where + more)
    )
    sql += " ORDER BY v.opened_at, v.plan_id LIMIT ?"
    return sql, [today.isoformat(), *relation_params, *tenant_params, *params, *more_params, limit]


def _status(names: Sequence[str]) -> tuple[str, list[Any]]:
    """One row: the serving generations, the plans view's version, and how far the named
    projections are (how many of them are tracked, and the lowest position)."""
    active = (
        "FROM eenplan_projections p JOIN eenplan_projection_tracking t"
        " ON t.name = p.name AND t.generation = p.generation WHERE p.name IN "
        f"({', '.join('?' * len(names)) or 'NULL'})"
    )
    sql = (
        "SELECT (SELECT generation FROM eenplan_projections WHERE name = 'plans') AS plans_generation,"
        " (SELECT generation FROM eenplan_projections WHERE name = 'directory') AS directory_generation,"
        " (SELECT v.version FROM eenplan_projections p JOIN eenplan_projection_versions v"
        "  ON v.name = p.name AND v.generation = p.generation WHERE p.name = 'plans') AS plans_version,"
        f" (SELECT COUNT(*) {active}) AS tracked, (SELECT MIN(t.position) {active}) AS position"
    )
    return sql, [*names, *names]


# The scope each view database served from at its last read, for the next read's table names.
_scopes: weakref.WeakKeyDictionary[ViewDB, Scope] = weakref.WeakKeyDictionary()
_scopes_lock = threading.Lock()


def _scope_from(row: tuple[Any, ...]) -> Scope:
    plans_generation, directory_generation, plans_version = row[:3]
    return Scope(
        plans=Tables(list(PlansProjection.tables), int(plans_generation)),
        directory=Tables(
            ["organisations", "teams", "professionals", "team_members"], int(directory_generation)
        ),
        plans_version=int(plans_version or 1),
    )


def _same(a: Scope, b: Scope) -> bool:
    return (a.plans.generation, a.directory.generation, a.plans_version) == (
        b.plans.generation,
        b.directory.generation,
        b.plans_version,
    )


def _page_rows(
    db: ViewDB,
    scope: Scope,
    actor: Actor,
    today: date,
    f: Filters,
    after: tuple[str, str] | None,
    limit: int,
    names: Sequence[str],
) -> list[tuple[Any, ...]]:
    """The one statement of a page: a status row joined to the page's plans and their members."""
    status, status_params = _status(names)
    page, page_params = _select(scope, actor, today, f, after, limit)
    with_members = scope.plans_version >= MEMBERS_SINCE
    members = f"LEFT JOIN {scope.plans.members} m ON m.plan_id = pg.plan_id" if with_members else ""
    sql = (
        f"SELECT s.*, pg.*, {'m.member_id' if with_members else 'NULL'} AS member_id"
        f" FROM ({status}) s LEFT JOIN ({page}) pg ON 1 = 1 {members}"
        " ORDER BY pg.opened_at, pg.plan_id, member_id"
    )
    with db.read() as tx:
        return tx.rows(sql, [*status_params, *page_params])


def _one_statement(
    db: ViewDB,
    actor: Actor,
    today: date,
    f: Filters,
    after: tuple[str, str] | None,
    limit: int,
    names: Sequence[str],
) -> tuple[Scope, list[tuple[Any, ...]]]:
    """The page's rows, read with the table names of the generations serving in their snapshot."""
    with _scopes_lock:
        scope = _scopes.get(db)
    for _ in range(3):
        if scope is None:
            with db.read() as tx:
                scope = scope_of(tx)
        try:
            rows = _page_rows(db, scope, actor, today, f, after, limit, names)
        except (sqlite3.OperationalError, psycopg.errors.UndefinedTable):
            scope = None  # kept names of a generation dropped since: ask which serve now
            continue
        serving = _scope_from(rows[0])
        if _same(serving, scope):
            with _scopes_lock:
                _scopes[db] = scope
            return scope, rows
        scope = serving  # a swap since the names were kept: again, with the serving generation's
    raise RuntimeError("the serving generation of the views kept changing during one read")


def list_plans(
    db: ViewDB,
    actor: Actor,
    today: date,
    f: Filters,
    cursor: str | None = None,
    limit: int = 50,
    *,
    positions_of: Sequence[str] = (),
) -> Page:
    """Plans the caller works on (or oversees), filtered, in a stable order, one page.

    `positions_of`: projections whose lowest position the page reports (0 if one is untracked).
    """
    after = decode_cursor(cursor) if cursor else None
    scope, rows = _one_statement(db, actor, today, f, after, limit + 1, positions_of)
    tracked, position = rows[0][3], rows[0][4]
    found: dict[str, dict[str, Any]] = {}
    members: dict[str, list[str]] = {}
    for row in rows:
        plan = row[5:-1]
        if plan[0] is None:
            continue  # the status row alone: no plan on this page
        plan_id = str(plan[0])
        if plan_id not in found:
            found[plan_id] = dict(zip(COLUMNS, plan, strict=True))
            members[plan_id] = []
        if row[-1] is not None:
            members[plan_id].append(str(row[-1]))
    items = list(found.values())[:limit]
    for item in items:
        item["version"] = int(item["version"])
        for key in ("open_agreements", "overdue_agreements"):
            item[key] = int(item[key])
    subjects_ = (
        {i["plan_id"]: members[i["plan_id"]] for i in items} if scope.plans_version >= MEMBERS_SINCE else None
    )
    return Page(
        items,
        encode_cursor(items[-1]) if len(found) > limit else None,
        subjects_,
        int(position or 0) if int(tracked) == len(positions_of) else 0,
    )


def caseload(
    db: ViewDB,
    actor: Actor,
    today: date,
    f: Filters,
    cursor: str | None = None,
    limit: int = 100,
    *,
    positions_of: Sequence[str] = (),
) -> Page:
    """Active plans of a professional (default: the caller), a team or an organisation."""
    if f.team_id is None and f.organisation_id is None:
        professional = f.professional_id or actor.professional_id
        if professional != actor.professional_id and not _oversees(actor):
            raise NotAllowedError("another professional's caseload needs a team_lead, auditor or admin role")
        f = Filters(professional_id=professional, risk_level=f.risk_level, overdue=f.overdue)
    only_open = Filters(**{**f.__dict__, "status": "open"})
    page = list_plans(db, actor, today, only_open, cursor, limit, positions_of=positions_of)
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
