"""Console parts 1 and 2: a plan through time (timeline, a moment, "bekeken als"), and integrity.

The plan pages read through the API's plan reader (`container.reader`): the same filter, the same
processing-log notes, the same refusals; the integrity page through the API's audit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from eenplan.api.http.console.errors import shown
from eenplan.api.http.console.tree import laid_side_by_side
from eenplan.api.http.console.web import ConsoleError, VisitDep, see_other
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.routes.views import listed_page
from eenplan.domain import errors
from eenplan.privacy.processing import note_nothing
from eenplan.projections.queries import Filters

router = APIRouter(prefix="/console", route_class=LoggedRoute, include_in_schema=False)
PlanIdQuery = Annotated[str | None, Query(max_length=100)]


@router.get("")
def start(visit: VisitDep) -> Response:
    """The console's front page: the six parts."""
    return visit.page("start.html")


@router.get("/plannen", openapi_extra=activity("audit"))
def find_plan(
    visit: VisitDep,
    plan_id: PlanIdQuery = None,
    status: Literal["open", "closed"] | None = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Pick a plan by its id, or from the plans the caller may list (as `GET /plans` lists them)."""
    if plan_id and plan_id.strip():
        note_nothing()
        return see_other(f"/console/plannen/{plan_id.strip()}")
    with shown():
        page = visit.container.projections.plans(visit.actor, Filters(status=status), cursor, 50, None)
    listed = listed_page(visit.actor, page)  # one processing-log note per listed plan, as the API's
    return visit.page("plannen.html", plans=listed.items, next_cursor=listed.next_cursor, which=status or "")


@router.get("/plannen/{plan_id}", openapi_extra=activity("audit"))
def plan_through_time(
    plan_id: str,
    visit: VisitDep,
    versie: Annotated[int | None, Query(ge=1, le=1_000_000)] = None,
    bekeken_als: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The plan's timeline, the plan at a chosen version, and what an organisation could see then."""
    reader, actor = visit.container.reader, visit.actor
    with shown():
        history = reader.entries(actor, plan_id)
        latest = reader.view(actor, plan_id)["version"]
        version = versie or latest
        full = reader.view(actor, plan_id, version=version)
    moment = _moment(history, version)
    seen, refusal = _as_seen_by(visit, plan_id, version, bekeken_als or None)
    return visit.page(
        "plan.html",
        plan_id=plan_id,
        history=history,
        version=version,
        latest=latest,
        moment=moment,
        seen_by=bekeken_als or "",
        refusal=refusal,
        policy=visit.container.privacy.policy_at(moment).version if moment else None,
        organisations=_organisations(visit, full.get("tenant")),
        fields=laid_side_by_side(full, seen if seen is not None else full),
        hides=seen is not None,
    )


def _as_seen_by(
    visit: VisitDep, plan_id: str, version: int, organisation_id: str | None
) -> tuple[dict[str, Any] | None, str | None]:
    if organisation_id is None:
        return None, None
    if not visit.auditor:
        return None, "Alleen een auditor bekijkt een plan zoals een andere organisatie het zag."
    try:
        seen = visit.container.reader.view(visit.actor, plan_id, version=version, as_seen_by=organisation_id)
    except errors.PlanNotFoundError:
        return None, f"Organisatie {organisation_id} kon dit plan bij versie {version} niet zien."
    except errors.UnknownReferenceError:
        return None, f"Organisatie {organisation_id} is geen organisatie van de gemeente van dit plan."
    return seen, None


def _moment(history: list[dict[str, Any]], version: int) -> datetime | None:
    times = [e["time"] for e in history if e["version"] <= version]
    return datetime.fromisoformat(times[-1]) if times else None


def _organisations(visit: VisitDep, tenant: str | None) -> list[Any]:
    found = visit.container.eenplan.directory.visible_organisations(visit.actor)
    return sorted((o for o in found if tenant in o.tenants), key=lambda o: o.name.lower())


@router.get("/integriteit")
def integrity(visit: VisitDep, plan_id: PlanIdQuery = None) -> Response:
    """The hash chain of the store, and of one plan: intact, or the first broken link, explained."""
    if not visit.auditor:
        raise ConsoleError(403, "forbidden", "De hash-keten controleert een auditor.")
    audit = visit.container.audit
    with shown():
        store = audit.verify(visit.actor, None).as_dict()
        plan = audit.verify(visit.actor, plan_id.strip(), None).as_dict() if plan_id else None
    return visit.page("integriteit.html", store=store, plan=plan, plan_id=plan_id or "")
