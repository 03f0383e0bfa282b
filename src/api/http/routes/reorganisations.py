"""Team reorganisations: merge and split teams, reassign areas, move every affected plan once.

A move changes the household's record: each plan moved is logged for its members (activity
`plan_coordination`, `create_reorganisation:move_plan`), as `eenplan teams reorganise` logs it.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from eenplan.api.http import replies
from eenplan.api.http.commanding import AdminCommand, ok
from eenplan.api.http.deps import ContainerDep
from eenplan.api.http.processing import LoggedRoute, activity
from eenplan.api.http.schemas.intake import ReorganisationResult
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.reorganisation import Reorganisation
from eenplan.privacy.processing import note_nothing, note_processing

router = APIRouter(prefix="/teams", tags=["directory"], route_class=LoggedRoute)


@router.post(
    "/reorganisations", response_model=ReorganisationResult, openapi_extra=activity("plan_coordination")
)
def create_reorganisation(body: Reorganisation, call: AdminCommand, container: ContainerDep) -> Response:
    """Apply a reorganisation (role admin); `dry_run` shows what would move. Safe to re-run."""
    actor = call.ctx.actor

    def moved(plan: HouseholdPlan) -> None:
        note_processing(actor, str(plan.id), sorted(plan.members), tenant=plan.tenant, operation="move_plan")

    note_nothing()  # a dry run, or a run with nothing left to move, processed no household's data
    return call.run(
        body,
        lambda c: ReorganisationResult.model_validate(
            container.eenplan.reorganisations.reorganise(c, body, moved_plan=moved)
        ),
        ok,
        replies.RERUN,  # each plan moves once, whatever moved before
    )
