"""Projection reads: plan lists, caseloads, team dashboards and municipal monitoring.

Each accepts `min_position` (read-your-writes): the answer waits until the
views have applied that position, or is a 503 after the configured timeout.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from eenplan.api.http.deps import CallerDep, ContainerDep, caller_with, raise_validation
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.reads import DAY_SCHEMA, MAX_INT64, Day
from eenplan.api.http.schemas.views import Dashboard, Monitoring, PlanSummaries, SuspectedDuplicates
from eenplan.domain.commands import Id, TenantCode
from eenplan.domain.context import Actor
from eenplan.domain.errors import NotFoundError
from eenplan.domain.values import RiskLevel, Role
from eenplan.privacy.processing import note_nothing, note_processing
from eenplan.projections.queries import Filters, Page

router = APIRouter(tags=["views"], route_class=LoggedRoute)
DuplicatesReaderDep = Annotated[Actor, caller_with(Role.ADMIN, Role.AUDITOR)]

MinPosition = Annotated[
    int | None,
    Query(ge=0, le=MAX_INT64, description="wait until the views have applied this position (then 503)"),
]
Cursor = Annotated[str | None, Query(max_length=500)]


def listed_page(caller: Actor, page: Page) -> PlanSummaries:
    """The page, with one processing-log note per listed plan: a summary is data about a household.

    The view gives each plan's tenant and members, so the log needs no event-store load per plan.
    """
    if page.subjects is None:  # a view from before members were kept: the log loads each plan
        _note_plans(caller, [item["plan_id"] for item in page.items])
    else:
        for item in page.items:
            plan_id = item["plan_id"]
            note_processing(caller, plan_id, page.subjects[plan_id], tenant=item["tenant"])
        if not page.items:
            note_nothing()
    return PlanSummaries.model_validate({"items": page.items, "next_cursor": page.next_cursor})


def _note_plans(caller: Actor, plan_ids: list[str]) -> None:
    for plan_id in dict.fromkeys(plan_ids):
        note_processing(caller, plan_id)
    if not plan_ids:
        note_nothing()


@router.get("/plans", response_model=PlanSummaries, openapi_extra=activity("plan_coordination"))
def list_plans(
    caller: CallerDep,
    container: ContainerDep,
    team_id: Annotated[Id | None, Query()] = None,
    status: Annotated[Literal["open", "closed"] | None, Query()] = None,
    risk_level: Annotated[RiskLevel | None, Query()] = None,
    overdue: Annotated[bool | None, Query()] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    min_position: MinPosition = None,
) -> PlanSummaries:
    """Plans the caller works on (auditors and admins: all of their tenants'), in a stable order."""
    filters = Filters(team_id=team_id, status=status, risk_level=risk_level, overdue=overdue)
    return listed_page(caller, container.projections.plans(caller, filters, cursor, limit, min_position))


@router.get("/caseload", response_model=PlanSummaries, openapi_extra=activity("plan_coordination"))
def read_caseload(
    caller: CallerDep,
    container: ContainerDep,
    professional_id: Annotated[Id | None, Query()] = None,
    team_id: Annotated[Id | None, Query()] = None,
    organisation_id: Annotated[Id | None, Query()] = None,
    risk_level: Annotated[RiskLevel | None, Query()] = None,
    overdue: Annotated[bool | None, Query()] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    min_position: MinPosition = None,
) -> PlanSummaries:
    """Active plans of a professional (default: the caller), a team or an organisation.

    Give at most one of `professional_id`, `team_id` and `organisation_id` (else 422): OpenAPI
    cannot state a rule across query parameters, so it is stated here.
    """
    if sum(x is not None for x in (professional_id, team_id, organisation_id)) > 1:
        raise_validation("query", "give at most one of professional_id, team_id, organisation_id", "query")
    filters = Filters(
        professional_id=professional_id,
        team_id=team_id,
        organisation_id=organisation_id,
        risk_level=risk_level,
        overdue=overdue,
    )
    return listed_page(caller, container.projections.caseload(caller, filters, cursor, limit, min_position))


@router.get("/teams/{team_id}/dashboard", response_model=Dashboard, openapi_extra=activity("monitoring"))
def read_dashboard(
    team_id: str, caller: CallerDep, container: ContainerDep, min_position: MinPosition = None
) -> Dashboard:
    """Plans by status and risk, regisseur load, overdue agreements and waiting times of a team."""
    dashboard = Dashboard.model_validate(container.projections.dashboard(caller, team_id, min_position))
    _note_plans(caller, [item.plan_id for item in dashboard.overdue_agreements.items])
    return dashboard


@router.get("/monitoring", response_model=Monitoring, response_model_by_alias=True)
def read_monitoring(
    caller: CallerDep,
    container: ContainerDep,
    tenant: Annotated[TenantCode, Query()],
    start: Annotated[
        Day, Query(alias="from", description="first day; default: a year back", json_schema_extra=DAY_SCHEMA)
    ] = None,
    end: Annotated[
        Day, Query(alias="to", description="last day, inclusive; default today", json_schema_extra=DAY_SCHEMA)
    ] = None,
    min_position: MinPosition = None,
) -> Monitoring:
    """Anonymised aggregates per team and area, rounded to multiples of 5 so totals add up and hide
    small cells (auditors, administrators, municipality staff of the tenant)."""
    end = end or date.today()
    start = start or end - timedelta(days=365)
    if start > end:
        raise_validation("from", "`from` must not be after `to`", "query")
    report = container.projections.monitoring(caller, tenant, start, end, min_position)
    return Monitoring.model_validate(report)


@router.get("/households/duplicates", response_model=SuspectedDuplicates, openapi_extra=activity("audit"))
def read_suspected_duplicates(
    caller: DuplicatesReaderDep,
    container: ContainerDep,
    tenant: Annotated[TenantCode, Query()],
    min_position: MinPosition = None,
) -> SuspectedDuplicates:
    """Open plans of the tenant that hold the same person (by BSN, or by family name and birth date),
    for their regisseurs to merge: plans opened before matching existed (administrators, auditors)."""
    if not caller.serves(tenant):
        raise NotFoundError(f"tenant {tenant} not found")
    pairs = container.projections.suspected_duplicates(tenant, min_position)
    for pair in pairs:  # the match read these members' pseudonyms
        for plan_id, index in zip(pair["plan_ids"], (0, 1), strict=True):
            note_processing(caller, plan_id, sorted({m["member_ids"][index] for m in pair["members"]}))
    if not pairs:
        note_nothing()
    return SuspectedDuplicates.model_validate({"tenant": tenant, "pairs": pairs})
