"""Need to know: may this caller see this plan at all?

A caller outside the plan's tenant, or without a working relation to the plan
(regisseur, care team, mandate, team lead), does not see it, and is told the
plan does not exist. Auditors and administrators of the tenant see plans for
oversight.
"""

from __future__ import annotations

from domain.context import Actor
from domain.errors import PlanNotFoundError
from domain.plan import HouseholdPlan
from domain.values import Role

OVERSIGHT_ROLES = (Role.AUDITOR, Role.ADMIN)


def reading_relation(actor: Actor, plan: HouseholdPlan, relation: str | None) -> str:
    """The relation under which the caller reads the plan; 404 when there is none."""
    if not actor.serves(plan.tenant):
        raise PlanNotFoundError(plan.id)
    if relation is not None:
        return relation
    for role in OVERSIGHT_ROLES:
        if actor.has_role(role):
            return role.value
    raise PlanNotFoundError(plan.id)
